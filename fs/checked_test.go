package fs

import (
	iofs "io/fs"
	"testing"
)

// TestCreateChecked: a caller that checked the path itself skips Create's
// lookup, but the conditional write still refuses to replace a file that
// exists (created by someone else in between), and reserved names stay
// refused.
func TestCreateChecked(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := ctxT(t)
	r.write("/t/d/existing", []byte("first"), CreateOptions{CreateParent: true})
	w, err := r.fs.Create(ctx, "/t/d/existing", CreateOptions{Checked: true})
	if err != nil {
		t.Fatalf("checked create: %v", err)
	}
	w.Write([]byte("second"))
	mustErrIs(t, "close over an existing file", w.Close(ctx), iofs.ErrExist)
	rc, err := mustOpenRange(t, r, "/t/d/existing")
	if err != nil || string(rc) != "first" {
		t.Fatalf("existing file changed: %q %v", rc, err)
	}
	r.putRaw("d/x", []byte("x"), nil)
	_, err = r.fs.Create(ctx, "/t/d/x.instruction", CreateOptions{Checked: true})
	mustErrIs(t, "checked create of a sidecar name", err, iofs.ErrInvalid)
}

func mustOpenRange(t *testing.T, r *rig, p string) ([]byte, error) {
	t.Helper()
	f, err := r.fs.Open(ctxT(t), p)
	if err != nil {
		return nil, err
	}
	rc, err := f.Range(ctxT(t), 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := make([]byte, 64)
	n, _ := rc.Read(buf)
	return buf[:n], nil
}
