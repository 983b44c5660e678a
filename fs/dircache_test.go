package fs

import (
	"errors"
	iofs "io/fs"
	"testing"
	"time"
)

// TestDirCacheSurvivesUnrelatedMutations: a job's tasks rename and delete
// their own files while others stat the job's directories; those stats
// stay answered from the cache (no HEAD), while a mutation of a directory,
// of something below it, or of its parent drops it, so what it changed
// is seen at once.
func TestDirCacheSurvivesUnrelatedMutations(t *testing.T) {
	// A TTL far beyond the test's length: what is judged here is what
	// mutations drop, not expiry (a loaded machine could take 2 s).
	r, c := countingRig(t, func(o *Options) { o.DirCacheTTL = time.Hour })
	ctx := ctxT(t)
	ro, private := uint32(0o600), uint32(0o700)
	for _, d := range []string{"/t/job/out", "/t/job/tmp/a", "/t/other"} {
		mustOK(t, "mkdirs "+d, r.fs.Mkdirs(ctx, d, 0o755, "", "", true))
	}
	r.write("/t/job/tmp/a/part", []byte("x"), CreateOptions{})
	stat := func(p string) FileInfo {
		t.Helper()
		fi, err := r.fs.Stat(ctx, p)
		mustOK(t, "stat "+p, err)
		return fi
	}
	warm := func() {
		t.Helper()
		stat("/t/job/out")
		stat("/t/other")
		stat("/t/job/tmp")
		c.takeHeads()
	}

	// Unrelated mutations: the cached directories cost nothing.
	warm()
	mustOK(t, "rename part", r.fs.Rename(ctx, "/t/job/tmp/a/part", "/t/job/tmp/a/part2", false))
	mustOK(t, "mkdirs", r.fs.Mkdirs(ctx, "/t/job/tmp/b", 0o755, "", "", false))
	if _, err := r.fs.Delete(ctx, "/t/job/tmp/b", false); err != nil {
		t.Fatal(err)
	}
	mustOK(t, "chmod", r.fs.SetAttrs(ctx, "/t/job/tmp/a/part2", Attrs{Perm: &ro}))
	c.takeHeads()
	stat("/t/job/out")
	stat("/t/other")
	if n := c.takeHeads(); n != 0 {
		t.Errorf("stat of untouched directories after unrelated mutations: %d HEADs, want 0 (cached)", n)
	}

	// A directory's own change is seen at once.
	warm()
	mustOK(t, "chmod out", r.fs.SetAttrs(ctx, "/t/job/out", Attrs{Perm: &private}))
	if fi := stat("/t/job/out"); fi.Perm != 0o700 {
		t.Errorf("chmod of a cached directory: perm %o, want 700", fi.Perm)
	}
	// A rename of its parent: gone at once, and there under the new name.
	warm()
	mustOK(t, "rename job", r.fs.Rename(ctx, "/t/job", "/t/job2", false))
	if _, err := r.fs.Stat(ctx, "/t/job/out"); !isNotExistErr(err) {
		t.Errorf("stat of a directory whose parent was renamed away: %v, want not-exist", err)
	}
	if _, err := r.fs.Stat(ctx, "/t/job/tmp"); !isNotExistErr(err) {
		t.Errorf("stat of a renamed directory: %v, want not-exist", err)
	}
	stat("/t/job2/tmp/a")
	// A delete below a cached directory that empties it: the directory
	// stays (a marker is written for it) and its fresh state is read.
	stat("/t/job2/tmp/a")
	if _, err := r.fs.Delete(ctx, "/t/job2/tmp/a/part2", false); err != nil {
		t.Fatal(err)
	}
	if fi := stat("/t/job2/tmp/a"); !fi.IsDir {
		t.Errorf("/t/job2/tmp/a after deleting its last file: not a directory")
	}
	// Directories further up still hold it: they stay known, as do those
	// above a directory made.
	stat("/t/job2")
	stat("/t/job2/tmp")
	mustOK(t, "mkdirs", r.fs.Mkdirs(ctx, "/t/job2/tmp/new/deeper", 0o755, "", "", true))
	c.takeHeads()
	stat("/t/job2")
	stat("/t/job2/tmp")
	if n := c.takeHeads(); n != 0 {
		t.Errorf("stat of the ancestors of a deleted file and a made directory: %d HEADs, want 0 (cached)", n)
	}
	if fi := stat("/t/job2/tmp/new/deeper"); !fi.IsDir {
		t.Errorf("made directory: not a directory")
	}
	// A recursive delete of an ancestor drops everything below it.
	stat("/t/job2/tmp/a")
	if _, err := r.fs.Delete(ctx, "/t/job2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.fs.Stat(ctx, "/t/job2/tmp/a"); !isNotExistErr(err) {
		t.Errorf("stat below a deleted directory: %v, want not-exist", err)
	}
}

func isNotExistErr(err error) bool { return errors.Is(err, iofs.ErrNotExist) }
