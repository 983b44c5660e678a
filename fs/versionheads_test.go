package fs

import (
	"errors"
	"io"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// TestOpenVersion: a DataNode opening the version whose block locations a
// stat has just handed out sends no HEAD of its own; another version, or
// none named, is looked up afresh; and a file replaced since the stat fails
// the reads of the version asked for instead of serving the new content.
func TestOpenVersion(t *testing.T) {
	r, c := countingRig(t, nil)
	ctx := ctxT(t)
	r.write("/t/f", []byte("first"), CreateOptions{})
	fi, err := r.fs.Stat(ctx, "/t/f")
	mustOK(t, "stat", err)
	c.takeLog()
	f, err := r.fs.OpenVersion(ctx, "/t/f", fi.ETag)
	mustOK(t, "open version", err)
	if log := c.takeLog(); len(log) != 0 {
		t.Errorf("opening the version a stat just saw: %v, want no requests", log)
	}
	if got := readAll(t, f); got != "first" {
		t.Errorf("read %q, want %q", got, "first")
	}
	for _, etag := range []string{"", `"another"`} {
		if _, err := r.fs.OpenVersion(ctx, "/t/f", etag); err != nil {
			t.Fatal(err)
		}
		if log := c.takeLog(); len(log) != 1 || log[0] != "HEAD f" {
			t.Errorf("open naming version %q: %v, want one HEAD", etag, log)
		}
	}

	// Replaced by another client after the stat: the old version's reads fail.
	fi, err = r.fs.Stat(ctx, "/t/f")
	mustOK(t, "stat", err)
	r.putRaw("f", []byte("second, longer"), nil)
	f, err = r.fs.OpenVersion(ctx, "/t/f", fi.ETag)
	mustOK(t, "open version", err)
	rc, err := f.Range(ctx, 0, -1)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(rc)
		rc.Close()
		if err == nil {
			t.Fatalf("read of a replaced version gave %q, want an error", b)
		}
	}
	if !errors.Is(err, errs.ErrChanged) {
		t.Errorf("read of a replaced version: %v, want ErrChanged", err)
	}
}

func readAll(t *testing.T, f *File) string {
	t.Helper()
	rc, err := f.Range(ctxT(t), 0, -1)
	mustOK(t, "range", err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	mustOK(t, "read", err)
	return string(b)
}
