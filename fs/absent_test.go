package fs

import (
	iofs "io/fs"
	"testing"
	"time"
)

// A create's stat right after the client's own stat of a missing path
// asks S3 nothing; after any change this FS made, or for a plain Stat, or
// once the record is used or too old, it asks again.
func TestStatBeforeCreateReusesAMiss(t *testing.T) {
	r, c := countingRig(t, nil)
	ctx := ctxT(t)
	r.write("/t/d/keep", []byte("x"), CreateOptions{CreateParent: true})
	c.takeHeads()

	_, err := r.fs.Stat(ctx, "/t/d/new")
	mustErrIs(t, "stat of a missing file", err, iofs.ErrNotExist)
	if n := c.takeHeads(); n == 0 {
		t.Fatal("the first stat of a missing path sent no HEAD")
	}
	_, err = r.fs.StatBeforeCreate(ctx, "/t/d/new")
	mustErrIs(t, "stat before create", err, iofs.ErrNotExist)
	if n := c.takeHeads(); n != 0 {
		t.Fatalf("stat before create right after a miss sent %d HEADs, want 0", n)
	}
	// Used once: the next one asks.
	_, err = r.fs.StatBeforeCreate(ctx, "/t/d/new")
	mustErrIs(t, "second stat before create", err, iofs.ErrNotExist)
	if n := c.takeHeads(); n == 0 {
		t.Fatal("a used record answered twice")
	}

	// Plain Stat never trusts the record: an object put by someone else
	// right after the miss is seen.
	_, err = r.fs.Stat(ctx, "/t/d/other")
	mustErrIs(t, "stat of another missing file", err, iofs.ErrNotExist)
	r.putRaw("d/other", []byte("from elsewhere"), nil)
	if _, err := r.fs.Stat(ctx, "/t/d/other"); err != nil {
		t.Fatalf("stat after an outside put: %v", err)
	}

	// A change made through this FS after the miss voids the record.
	_, err = r.fs.Stat(ctx, "/t/d/third")
	mustErrIs(t, "stat of a third missing file", err, iofs.ErrNotExist)
	r.write("/t/d/third", []byte("now here"), CreateOptions{})
	if fi, err := r.fs.StatBeforeCreate(ctx, "/t/d/third"); err != nil || fi.IsDir {
		t.Fatalf("stat before create after this FS wrote the file: %+v, %v", fi, err)
	}

	// Too old: asks again.
	_, err = r.fs.Stat(ctx, "/t/d/late")
	mustErrIs(t, "stat of a fourth missing file", err, iofs.ErrNotExist)
	c.takeHeads()
	time.Sleep(absentTTL + 100*time.Millisecond)
	_, err = r.fs.StatBeforeCreate(ctx, "/t/d/late")
	mustErrIs(t, "late stat before create", err, iofs.ErrNotExist)
	if n := c.takeHeads(); n == 0 {
		t.Fatal("an expired record answered")
	}
}
