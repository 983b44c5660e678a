package fs

import (
	"errors"
	iofs "io/fs"
	"testing"
)

// TestCallMemo: within one call, lookups of the same paths are answered
// once; the call's own change makes its next lookup ask S3 again; a call
// that starts after another's change sees it; without the memo every
// lookup asks.
func TestCallMemo(t *testing.T) {
	r, c := countingRig(t, nil)
	ctx := ctxT(t)
	mustOK(t, "mkdirs", r.fs.Mkdirs(ctx, "/t/d", 0o755, "", "", true))
	r.write("/t/d/f", []byte("x"), CreateOptions{})
	call := WithCallMemo(ctx)
	c.takeHeads()
	for range 3 {
		if _, err := r.fs.Stat(call, "/t/d/missing"); !errors.Is(err, iofs.ErrNotExist) {
			t.Fatalf("stat missing: %v", err)
		}
		if _, err := r.fs.Stat(call, "/t/d/f"); err != nil {
			t.Fatal(err)
		}
	}
	// A miss is a HEAD of the object and one of its folder marker; the
	// file one HEAD.
	if n := c.takeHeads(); n != 3 {
		t.Errorf("three stats each of a missing path and a file in one call: %d HEADs, want 3 (the first of each)", n)
	}

	// The call creates the missing path: its next lookup sees it.
	w, err := r.fs.Create(call, "/t/d/missing", CreateOptions{})
	mustOK(t, "create", err)
	_, err = w.Write([]byte("now"))
	mustOK(t, "write", err)
	mustOK(t, "close", w.Close(call))
	fi, err := r.fs.Stat(call, "/t/d/missing")
	if err != nil || fi.Size != 3 {
		t.Fatalf("stat after this call created it: %+v %v", fi, err)
	}
	// Another call's delete is seen by every call that starts after it.
	if _, err := r.fs.Delete(WithCallMemo(ctx), "/t/d/f", false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.fs.Stat(WithCallMemo(ctx), "/t/d/f"); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("stat after another call deleted it: %v", err)
	}

	// Without a memo, every stat asks.
	c.takeHeads()
	for range 3 {
		r.fs.Stat(ctx, "/t/d/gone")
	}
	if n := c.takeHeads(); n != 6 {
		t.Errorf("three stats of a missing path without a memo: %d HEADs, want 6", n)
	}
}
