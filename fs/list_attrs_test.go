package fs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// countingRig is a rig whose namespace's HEADs are counted.
func countingRig(t *testing.T, tune func(*Options)) (*rig, *countingS3) {
	t.Helper()
	var c *countingS3
	r := newRig(t, &testProvider{trailer: 16}, func(o *Options) {
		c = &countingS3{API: o.S3}
		o.S3 = c
		if tune != nil {
			tune(o)
		}
	})
	return r, c
}

// peer is another daemon on the same bucket: its own namespace, its own
// index, HEADs counted.
func (r *rig) peer(t *testing.T, tune func(*Options)) (*FS, *countingS3) {
	t.Helper()
	o := r.fs.opts
	c := &countingS3{API: r.s3}
	o.S3, o.Index = c, nil
	if tune != nil {
		tune(&o)
	}
	f, err := New(context.Background(), o)
	mustOK(t, "peer", err)
	return f, c
}

func byName(t *testing.T, list []FileInfo) map[string]FileInfo {
	t.Helper()
	m := map[string]FileInfo{}
	for _, fi := range list {
		m[fi.Name] = fi
	}
	return m
}

func listOf(t *testing.T, f *FS, dir string) map[string]FileInfo {
	t.Helper()
	list, more, err := f.List(ctxT(t), dir, "", 1000)
	mustOK(t, "list "+dir, err)
	if more {
		t.Fatal("more")
	}
	return byName(t, list)
}

// TestListingAttributes: listings show what Stat shows (owner, group,
// permission, times, block size), from the attribute index for what this
// daemon wrote or has seen, and from one HEAD per object version for the
// rest.
func TestListingAttributes(t *testing.T) {
	r, heads := countingRig(t, nil)
	ctx := ctxT(t)
	f := r.fs
	mustOK(t, "mkdir", f.Mkdirs(ctx, "/t/d/sub", 0o750, "alice", "eng", true))
	r.write("/t/d/f1", pattern(100, 1), CreateOptions{Owner: "bob", Group: "eng", Perm: 0o640, BlockSize: 1 << 20})
	r.write("/t/d/big", pattern(MinPartSize+10, 2), CreateOptions{Owner: "carol", Perm: 0o604, BlockSize: 2 << 20})
	heads.takeHeads()

	// Everything written here: no HEAD at all.
	got := listOf(t, f, "/t/d")
	if n := heads.takeHeads(); n != 0 {
		t.Fatalf("listing what this daemon wrote sent %d HEADs", n)
	}
	for name, want := range map[string]struct {
		owner string
		perm  uint32
		bs    int64
		size  int64
	}{"f1": {"bob", 0o640, 1 << 20, 100}, "big": {"carol", 0o604, 2 << 20, MinPartSize + 10}, "sub": {"alice", 0o750, 0, 0}} {
		fi := got[name]
		if fi.Owner != want.owner || fi.Perm != want.perm || fi.BlockSize != want.bs || fi.Size != want.size || fi.ModTime.IsZero() {
			t.Fatalf("%s listed as %+v", name, fi)
		}
		st, err := f.Stat(ctx, "/t/d/"+name)
		mustOK(t, "stat", err)
		if st.Owner != fi.Owner || st.Group != fi.Group || st.Perm != fi.Perm || st.BlockSize != fi.BlockSize || !st.ModTime.Equal(fi.ModTime) {
			t.Fatalf("%s: stat %+v, listing %+v", name, st, fi)
		}
	}
	heads.takeHeads()

	// Objects written by other tools: one HEAD each, then none.
	r.putRaw("d/raw", []byte("raw"), newFileMeta(0o600, "dave", "ops", 64<<20, 0))
	r.putRaw("d/plain", []byte("no metadata"), nil)
	r.putRaw("d/rawdir/", nil, newMarkerMeta(0o711, "erin", "ops", time.UnixMilli(1600000000000)))
	r.putRaw("d/implicit/x", []byte("x"), nil)
	got = listOf(t, f, "/t/d")
	if n := heads.takeHeads(); n != 4 {
		t.Fatalf("4 unknown entries cost %d HEADs", n)
	}
	if fi := got["raw"]; fi.Owner != "dave" || fi.Perm != 0o600 || fi.BlockSize != 64<<20 {
		t.Fatalf("raw %+v", fi)
	}
	if fi := got["plain"]; fi.Owner != DefaultOwnerName || fi.Perm != DefaultFilePerm || fi.BlockSize != 0 {
		t.Fatalf("plain %+v", fi)
	}
	if fi := got["rawdir"]; !fi.IsDir || fi.Owner != "erin" || fi.Perm != 0o711 || !fi.ModTime.Equal(time.UnixMilli(1600000000000)) {
		t.Fatalf("rawdir %+v", fi)
	}
	if fi := got["implicit"]; !fi.IsDir || fi.Perm != DefaultDirPerm {
		t.Fatalf("implicit %+v", fi)
	}
	listOf(t, f, "/t/d")
	if n := heads.takeHeads(); n != 0 {
		t.Fatalf("listing again sent %d HEADs", n)
	}

	// Another daemon changes a file's metadata (same ETag and size, new
	// LastModified) and a directory's: this daemon sees the file at once
	// and the directory once DirAttrTTL has passed.
	other, _ := r.peer(t, nil)
	perm := uint32(0o444)
	mustOK(t, "peer chmod file", other.SetAttrs(ctx, "/t/d/f1", Attrs{Perm: &perm}))
	mustOK(t, "peer chmod dir", other.SetAttrs(ctx, "/t/d/sub", Attrs{Perm: &perm}))
	got = listOf(t, f, "/t/d")
	if fi := got["f1"]; fi.Perm != 0o444 || fi.BlockSize != 1<<20 {
		t.Fatalf("metadata change by another daemon not seen: %+v", fi)
	}
	if n := heads.takeHeads(); n != 1 {
		t.Fatalf("a changed file cost %d HEADs", n)
	}
	short, shortHeads := r.peer(t, func(o *Options) { o.DirAttrTTL = time.Millisecond; o.Index = f.index })
	time.Sleep(5 * time.Millisecond)
	if fi := listOf(t, short, "/t/d")["sub"]; fi.Perm != 0o444 {
		t.Fatalf("directory change not seen after the TTL: %+v", fi)
	}
	if n := shortHeads.takeHeads(); n != 3 { // the three directories
		t.Fatalf("expired directory entries cost %d HEADs", n)
	}

	// This daemon's own changes, renames and deletes keep the index true.
	perm = 0o600
	mustOK(t, "chmod", f.SetAttrs(ctx, "/t/d/big", Attrs{Perm: &perm}))
	mustOK(t, "rename dir", f.Rename(ctx, "/t/d", "/t/e", false))
	mustOK(t, "rename file", f.Rename(ctx, "/t/e/raw", "/t/e/raw2", false))
	heads.takeHeads()
	got = listOf(t, f, "/t/e")
	// One: "implicit" has no marker whose entry the rename could carry.
	if n := heads.takeHeads(); n != 1 {
		t.Fatalf("listing after own changes and renames sent %d HEADs", n)
	}
	if got["big"].Perm != 0o600 || got["raw2"].Owner != "dave" || got["f1"].Perm != 0o444 || got["sub"].Owner != "alice" {
		t.Fatalf("after renames: %+v", got)
	}

	// Replaced by another tool with the same size: new ETag, HEADed.
	r.putRaw("e/f1", pattern(100, 9), nil)
	if fi := listOf(t, f, "/t/e")["f1"]; fi.Owner != DefaultOwnerName || fi.BlockSize != 0 {
		t.Fatalf("replaced object listed with stale attributes: %+v", fi)
	}

	// A restart with the same (persistent) index: no HEAD.
	restarted, restartHeads := r.peer(t, func(o *Options) { o.Index = f.index })
	listOf(t, restarted, "/t/e")
	if n := restartHeads.takeHeads(); n != 0 {
		t.Fatalf("listing after a restart sent %d HEADs", n)
	}
}

// TestListingObjectsNotFromHere: a directory of objects another tool wrote
// (as the L1 benchmark does) costs one HEAD per object on the first
// listing, none on later ones, and none at all with NoListHeads.
func TestListingObjectsNotFromHere(t *testing.T) {
	r, heads := countingRig(t, nil)
	keys := make([]string, 250)
	for i := range keys {
		keys[i] = fmt.Sprintf("many/object-%05d-written-by-another-tool", i)
	}
	r.putRawMany(keys)
	heads.takeHeads()
	if n := len(r.listAll("/t/many", 1000)); n != 250 {
		t.Fatalf("%d entries", n)
	}
	if n := heads.takeHeads(); n != 250 {
		t.Fatalf("first listing: %d HEADs for 250 objects", n)
	}
	r.listAll("/t/many", 1000)
	if n := heads.takeHeads(); n != 0 {
		t.Fatalf("second listing: %d HEADs", n)
	}
	quiet, quietHeads := r.peer(t, func(o *Options) { o.NoListHeads = true })
	list, _, err := quiet.List(ctxT(t), "/t/many", "", 1000)
	mustOK(t, "list", err)
	if len(list) != 250 || quietHeads.takeHeads() != 0 {
		t.Fatalf("NoListHeads: %d entries, HEADs sent", len(list))
	}
	// The stored objects really are what the listing says.
	h, err := r.s3.HeadObject(ctxT(t), &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(keys[0])})
	mustOK(t, "head", err)
	if aws.ToInt64(h.ContentLength) != int64(len(keys[0])) {
		t.Fatal("unexpected object")
	}
}
