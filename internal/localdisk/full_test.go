package localdisk

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func stagedFiles(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func stageAndRelease(t *testing.T, s *Staging) {
	t.Helper()
	b, err := s.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	r, err := b.Reader()
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r)
	b.Release()
}

// Regression (fault tier, staging disk full): released part files kept for
// reuse stayed on a full staging disk, so after the writes that filled it
// had failed the disk stayed full of kept files. A full disk now drops the
// kept files, and parts released soon after are removed, not kept.
func TestFullDiskDropsKeptFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "staging")
	s, _, err := NewStaging(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stageAndRelease(t, s)
	stageAndRelease(t, s)
	if n := stagedFiles(t, dir); n != 1 {
		t.Fatalf("%d files after two sequential parts, want 1 kept for reuse", n)
	}
	// Another error is not a full disk.
	s.noteFull(fmt.Errorf("write: %w", fs.ErrPermission))
	if n := stagedFiles(t, dir); n != 1 {
		t.Fatalf("a non-ENOSPC error dropped kept files")
	}
	s.noteFull(&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})
	if n := stagedFiles(t, dir); n != 0 {
		t.Fatalf("%d kept files after ENOSPC, want 0", n)
	}
	stageAndRelease(t, s)
	if n := stagedFiles(t, dir); n != 0 || s.Live() != 0 {
		t.Fatalf("%d files (%d live) right after a full disk, want none kept", n, s.Live())
	}
}
