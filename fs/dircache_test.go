package fs

import (
	"context"
	"errors"
	iofs "io/fs"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

// TestMadeAndMovedDirs: what a committer does right after making or moving
// a directory asks S3 nothing about it. Directories made (mkdirs, a
// create's missing parents) and a directory just moved are known with the
// attributes they were given; moving a directory copies the marker its
// lookup HEADed without a second HEAD and does not ask for an EMRFS folder
// marker the lookup saw missing; and a parent known to have its own marker
// is not listed to keep it when its last child moves away or is deleted.
func TestMadeAndMovedDirs(t *testing.T) {
	r, c := countingRig(t, func(o *Options) { o.DirCacheTTL = time.Hour })
	ctx := ctxT(t)
	stat := func(ctx context.Context, p string) FileInfo {
		t.Helper()
		fi, err := r.fs.Stat(ctx, p)
		mustOK(t, "stat "+p, err)
		return fi
	}
	count := func(log []string, req string) int {
		n := 0
		for _, l := range log {
			if l == req {
				n++
			}
		}
		return n
	}

	mustOK(t, "mkdirs", r.fs.Mkdirs(ctx, "/t/job/attempt", 0o750, "alice", "staff", true))
	c.takeLog()
	for p, perm := range map[string]uint32{"/t/job": 0o750, "/t/job/attempt": 0o750} {
		if fi := stat(ctx, p); !fi.IsDir || fi.Owner != "alice" || fi.Group != "staff" || fi.Perm != perm {
			t.Errorf("made %s: %+v, want a directory of alice:staff %o", p, fi, perm)
		}
	}
	if log := c.takeLog(); len(log) != 0 {
		t.Errorf("stat of directories just made: %v, want no requests", log)
	}

	// A create makes its missing parent; the next create in it asks only
	// about its own path.
	r.write("/t/job/attempt/part=0/f0", []byte("a"), CreateOptions{CreateParent: true, Owner: "alice"})
	c.takeLog()
	r.write("/t/job/attempt/part=0/f1", []byte("b"), CreateOptions{CreateParent: true, Owner: "alice"})
	for _, l := range c.takeLog() {
		if !strings.HasPrefix(l, "HEAD job/attempt/part=0/f1") && !strings.HasPrefix(l, "LIST job/attempt/part=0/f1") {
			t.Errorf("second create in a made directory asked %q; want only its own path's probes", l)
		}
	}

	// Moving the directory: one HEAD of its marker (the lookup's), one of
	// its folder marker (the lookup's), and the moved directory is known.
	c.takeLog()
	mustOK(t, "rename", r.fs.Rename(ctx, "/t/job/attempt", "/t/job/task", false))
	log := c.takeLog()
	if n := count(log, "HEAD job/attempt/"); n != 1 {
		t.Errorf("rename of a directory HEADed its marker %d times, want 1 (the lookup's): %v", n, log)
	}
	if n := count(log, "HEAD job/attempt_$folder$"); n != 1 {
		t.Errorf("rename of a directory HEADed its folder marker %d times, want 1 (the lookup's): %v", n, log)
	}
	if fi := stat(ctx, "/t/job/task"); !fi.IsDir || fi.Owner != "alice" || fi.Perm != 0o750 {
		t.Errorf("moved directory: %+v, want alice's 750 directory", fi)
	}
	if log := c.takeLog(); len(log) != 0 {
		t.Errorf("stat of a directory just moved: %v, want no requests", log)
	}
	if fi := stat(ctx, "/t/job/task/part=0/f1"); fi.IsDir || fi.Size != 1 {
		t.Errorf("moved file: %+v", fi)
	}

	// A marker gone since the call looked the directory up: the move goes
	// on without it (the directory exists by its children).
	call := WithCallMemo(ctx)
	stat(call, "/t/job/task/part=0")
	if _, err := r.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.bucket), Key: aws.String("job/task/part=0/")}); err != nil {
		t.Fatal(err)
	}
	mustOK(t, "rename after the marker went", r.fs.Rename(call, "/t/job/task/part=0", "/t/job/task/part=1", false))
	if fi := stat(ctx, "/t/job/task/part=1/f0"); fi.Size != 1 {
		t.Errorf("file moved with a directory whose marker went: %+v", fi)
	}

	// Its last child moving away leaves a parent with a marker standing
	// without a listing of it; one known only by its children gets a marker.
	call = WithCallMemo(ctx)
	stat(call, "/t/job/task")
	c.takeLog()
	mustOK(t, "rename last child", r.fs.Rename(call, "/t/job/task/part=1", "/t/job/out", false))
	if n := count(c.takeLog(), "LIST job/task/"); n != 0 {
		t.Errorf("rename of the last child of a parent with a marker listed the parent %d times, want 0", n)
	}
	if fi := stat(ctx, "/t/job/task"); !fi.IsDir || fi.Owner != "alice" {
		t.Errorf("parent left empty: %+v, want alice's directory", fi)
	}
	call = WithCallMemo(ctx)
	stat(call, "/t/job")
	c.takeLog()
	if _, err := r.fs.Delete(call, "/t/job/out", true); err != nil {
		t.Fatal(err)
	}
	if n := count(c.takeLog(), "LIST job/"); n != 0 {
		t.Errorf("delete below a parent with a marker listed the parent %d times, want 0", n)
	}
	if fi := stat(ctx, "/t/job"); !fi.IsDir {
		t.Errorf("parent of a deleted directory: %+v, want a directory", fi)
	}
	r.putRaw("implicit/only", []byte("x"), nil)
	call = WithCallMemo(ctx)
	stat(call, "/t/implicit")
	mustOK(t, "rename only child", r.fs.Rename(call, "/t/implicit/only", "/t/job/only", false))
	if fi, err := r.fs.Stat(ctx, "/t/implicit"); err != nil || !fi.IsDir {
		t.Errorf("parent without a marker after its only child moved: %+v %v, want a directory", fi, err)
	}
}
