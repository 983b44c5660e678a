package dfs

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Regression (fault tier, hostile clients): one client that created files
// and never closed them took every one of the 1024 open-file slots, and
// every other client's create failed until its leases expired. One client
// is now held to MaxOpenFilesPerClient; the others still create.
func TestOpenFilesPerClientLimit(t *testing.T) {
	n, b := newTestNamespace(t, Options{MaxOpenFiles: 6, MaxOpenFilesPerClient: 4})
	ctx := context.Background()
	c := n.Caller("root")
	open := func(holder, name string) (*OpenFile, error) {
		return n.Create(ctx, c, b+"/"+name, CreateRequest{Holder: holder, Perm: 0o644, Create: true, CreateParent: true})
	}
	for i := 0; i < 4; i++ {
		if _, err := open("hoarder", fmt.Sprintf("h%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := open("hoarder", "h4")
	if err == nil || !strings.Contains(err.Error(), "emrfsd.max.open.files.per.client 4") {
		t.Fatalf("the hoarder's 5th create: %v", err)
	}
	// Another client still creates, up to the global limit.
	for i := 0; i < 2; i++ {
		f, err := open("other", fmt.Sprintf("o%d", i))
		if err != nil {
			t.Fatalf("another client's create %d: %v", i, err)
		}
		defer n.Abort(ctx, f, "test")
	}
	if _, err := open("third", "t0"); err == nil || !strings.Contains(err.Error(), "emrfsd.max.open.files 6") {
		t.Fatalf("create past the global limit: %v", err)
	}
}
