package dfs

import (
	"context"
	"errors"
	"testing"
)

// getEnclosingRoot: a served bucket's root for any path in it, existing or
// not; "/" for "/" and paths outside the buckets; the caller's traverse
// and read permissions are checked as HDFS checks them for getEZForPath.
func TestEnclosingRoot(t *testing.T) {
	n, b := newTestNamespace(t, Options{})
	ctx := context.Background()
	root, alice := n.Caller("root"), n.Caller("alice")
	if err := n.Mkdirs(ctx, root, b+"/dir/sub", 0755, true); err != nil {
		t.Fatal(err)
	}
	if err := n.Mkdirs(ctx, root, b+"/private", 0700, false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ src, want string }{
		{"/", "/"},
		{b, b},
		{b + "/", b},
		{b + "/dir/sub", b},
		{b + "/missing/deeper", b},
		{"/other/x", "/"},
		{b + "x/y", "/"}, // a name that only starts like the bucket
	} {
		got, err := n.EnclosingRoot(ctx, alice, tc.src)
		if err != nil || got != tc.want {
			t.Errorf("EnclosingRoot(%q) = %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	if _, err := n.EnclosingRoot(ctx, alice, b+"/private/f"); !errors.Is(err, ErrDenied) {
		t.Errorf("alice through a 0700 directory: %v, want permission denied", err)
	}
	if got, err := n.EnclosingRoot(ctx, root, b+"/private/f"); err != nil || got != b {
		t.Errorf("root through a 0700 directory: %q, %v; want %q", got, err, b)
	}
	if _, err := n.EnclosingRoot(ctx, alice, "relative/path"); err == nil {
		t.Error("a relative path was accepted")
	}
}
