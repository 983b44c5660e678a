package fs

import (
	"bytes"
	iofs "io/fs"
	"slices"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/errs"
)

func TestStatMkdirsCreate(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, nil)
	ctx := ctxT(t)
	f := r.fs

	// Root and top level.
	fi, err := f.Stat(ctx, "/")
	mustOK(t, "stat /", err)
	if !fi.IsDir || fi.Name != "" || fi.Perm != DefaultDirPerm {
		t.Fatalf("root %+v", fi)
	}
	fi, err = f.Stat(ctx, "/t")
	mustOK(t, "stat /t", err)
	if !fi.IsDir || fi.Name != "t" {
		t.Fatalf("top %+v", fi)
	}
	_, err = f.Stat(ctx, "/nope")
	mustErrIs(t, "stat unknown top", err, iofs.ErrNotExist)
	mustErrIs(t, "mkdir top", f.Mkdirs(ctx, "/nope", 0o755, "u", "g", true), iofs.ErrPermission)
	mustOK(t, "mkdir existing top", f.Mkdirs(ctx, "/t", 0o755, "u", "g", true))

	// Mkdirs.
	mustErrIs(t, "mkdir without parent", f.Mkdirs(ctx, "/t/a/b", 0o750, "alice", "staff", false), iofs.ErrNotExist)
	mustOK(t, "mkdir -p", f.Mkdirs(ctx, "/t/a/b", 0o750, "alice", "staff", true))
	if !r.exists("a/") || !r.exists("a/b/") {
		t.Fatalf("markers missing: %v", r.rawKeys(""))
	}
	fi, err = f.Stat(ctx, "/t/a/b")
	mustOK(t, "stat dir", err)
	if !fi.IsDir || fi.Perm != 0o750 || fi.Owner != "alice" || fi.Group != "staff" || fi.Path != "/t/a/b" || fi.Name != "b" {
		t.Fatalf("dir info %+v", fi)
	}
	fi, _ = f.Stat(ctx, "/t/a")
	if fi.Perm != 0o750|0o300 {
		t.Fatalf("parent perm %o", fi.Perm)
	}
	mustOK(t, "mkdir again", f.Mkdirs(ctx, "/t/a/b", 0o700, "x", "y", false))
	if fi, _ := f.Stat(ctx, "/t/a/b"); fi.Owner != "alice" {
		t.Fatal("existing marker overwritten")
	}

	// Create.
	data := pattern(1000, 1)
	r.write("/t/a/b/f1", data, CreateOptions{Perm: 0o640, Owner: "bob", Group: "eng"})
	fi, err = f.Stat(ctx, "/t/a/b/f1")
	mustOK(t, "stat file", err)
	if fi.IsDir || fi.Size != 1000 || fi.Perm != 0o640 || fi.Owner != "bob" || fi.Group != "eng" || fi.ETag == "" {
		t.Fatalf("file info %+v", fi)
	}
	if time.Since(fi.ModTime) > time.Hour || fi.AccessTime.IsZero() {
		t.Fatalf("file times %v %v", fi.ModTime, fi.AccessTime)
	}
	if got := r.read("/t/a/b/f1"); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
	mustErrIs(t, "create existing", r.tryWrite("/t/a/b/f1", []byte("x"), CreateOptions{}), iofs.ErrExist)
	r.write("/t/a/b/f1", []byte("v2"), CreateOptions{Overwrite: true})
	if got := r.read("/t/a/b/f1"); string(got) != "v2" {
		t.Fatalf("overwrite: %q", got)
	}
	mustErrIs(t, "create over dir", r.tryWrite("/t/a/b", nil, CreateOptions{Overwrite: true}), errs.ErrIsDir)
	mustErrIs(t, "create over dir (exist)", r.tryWrite("/t/a/b", nil, CreateOptions{Overwrite: true}), iofs.ErrExist)
	mustErrIs(t, "create without parent", r.tryWrite("/t/x/y", nil, CreateOptions{}), iofs.ErrNotExist)
	mustErrIs(t, "create under file", r.tryWrite("/t/a/b/f1/z", nil, CreateOptions{CreateParent: true}), errs.ErrNotDir)
	mustErrIs(t, "create folder-marker name", r.tryWrite("/t/a/q_$folder$", nil, CreateOptions{}), iofs.ErrInvalid)
	r.write("/t/x/y/z", []byte("deep"), CreateOptions{CreateParent: true, Owner: "carol"})
	if fi, err := f.Stat(ctx, "/t/x/y"); err != nil || !fi.IsDir || fi.Owner != "carol" {
		t.Fatalf("created parent %+v %v", fi, err)
	}
	r.write("/t/empty", nil, CreateOptions{})
	if fi, err := f.Stat(ctx, "/t/empty"); err != nil || fi.Size != 0 {
		t.Fatalf("empty file %+v %v", fi, err)
	}
	if got := r.read("/t/empty"); len(got) != 0 {
		t.Fatalf("empty file reads %q", got)
	}

	// Mkdirs over files.
	mustErrIs(t, "mkdir over file", f.Mkdirs(ctx, "/t/a/b/f1", 0o755, "", "", true), iofs.ErrExist)
	mustErrIs(t, "mkdir under file", f.Mkdirs(ctx, "/t/a/b/f1/c/d", 0o755, "", "", true), errs.ErrNotDir)

	// Implicit directories (objects written by other tools).
	r.putRaw("imp/deep/obj", []byte("hello"), nil)
	fi, err = f.Stat(ctx, "/t/imp")
	mustOK(t, "stat implicit", err)
	if !fi.IsDir || fi.Owner != DefaultOwnerName || fi.Group != DefaultGroupName || fi.Perm != DefaultDirPerm {
		t.Fatalf("implicit dir %+v", fi)
	}
	fi, err = f.Stat(ctx, "/t/imp/deep/obj")
	mustOK(t, "stat foreign file", err)
	if fi.Size != 5-16 || fi.Perm != DefaultFilePerm {
		// The test provider subtracts its trailer even from foreign objects.
		t.Fatalf("foreign file %+v", fi)
	}
	_, err = f.Stat(ctx, "/t/a/nothing")
	mustErrIs(t, "stat missing", err, iofs.ErrNotExist)
	var pe *iofs.PathError
	if !asPathErr(err, &pe) || pe.Op != "stat" || pe.Path != "/t/a/nothing" {
		t.Fatalf("error shape %#v", err)
	}
	_, err = f.Open(ctx, "/t/a")
	mustErrIs(t, "open dir", err, errs.ErrIsDir)
	_, err = f.Open(ctx, "/t/a/none")
	mustErrIs(t, "open missing", err, iofs.ErrNotExist)
}

func asPathErr(err error, pe **iofs.PathError) bool {
	p, ok := err.(*iofs.PathError)
	*pe = p
	return ok
}

func TestListBasics(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, nil)
	ctx := ctxT(t)
	f := r.fs
	// Names chosen so key order and name order differ: "d" < "d-1" < "d.txt"
	// by name, but key "d/" sorts after "d-1" and "d.txt".
	r.write("/t/dir/d-1", pattern(40, 1), CreateOptions{CreateParent: true})
	r.write("/t/dir/d.txt", pattern(50, 2), CreateOptions{})
	r.write("/t/dir/d/inner", pattern(1, 3), CreateOptions{CreateParent: true})
	r.write("/t/dir/e", pattern(17, 4), CreateOptions{Perm: 0o600, Owner: "zed"})
	mustOK(t, "mkdir", f.Mkdirs(ctx, "/t/dir/emptydir", 0o700, "", "", false))

	got, more, err := f.List(ctx, "/t/dir", "", 100)
	mustOK(t, "list", err)
	want := []string{"d/", "d-1", "d.txt", "e", "emptydir/"}
	if more || fmtNames(names(got)) != fmtNames(want) {
		t.Fatalf("list = %v more=%v, want %v", names(got), more, want)
	}
	for _, fi := range got {
		switch fi.Name {
		case "d-1":
			if fi.Size != 40 || fi.Path != "/t/dir/d-1" || fi.ModTime.IsZero() || fi.ETag == "" {
				t.Fatalf("listed file %+v", fi)
			}
		case "e":
			// Listings carry the stored owner and permission, like Stat.
			if fi.Owner != "zed" || fi.Perm != 0o600 {
				t.Fatalf("listed e %+v", fi)
			}
		case "d":
			// Made by create(createParent): a marker with the parent's
			// permission plus u+wx, and a modification time.
			if !fi.IsDir || fi.Perm != DefaultDirPerm || fi.ModTime.IsZero() {
				t.Fatalf("listed dir %+v", fi)
			}
		case "emptydir":
			if !fi.IsDir || fi.Perm != 0o700 || fi.ModTime.IsZero() {
				t.Fatalf("listed dir %+v", fi)
			}
		}
	}
	// Paging by one reproduces the same order.
	if all := r.listAll("/t/dir", 1); fmtNames(names(all)) != fmtNames(want) {
		t.Fatalf("paged by 1: %v", names(all))
	}
	if all := r.listAll("/t/dir", 2); fmtNames(names(all)) != fmtNames(want) {
		t.Fatalf("paged by 2: %v", names(all))
	}
	got, more, err = f.List(ctx, "/t/dir", "d-1", 2)
	mustOK(t, "list after", err)
	if !more || fmtNames(names(got)) != fmtNames([]string{"d.txt", "e"}) {
		t.Fatalf("after d-1: %v %v", names(got), more)
	}
	got, _, err = f.List(ctx, "/t/dir/emptydir", "", 10)
	mustOK(t, "list empty", err)
	if len(got) != 0 {
		t.Fatalf("empty dir lists %v", names(got))
	}
	_, _, err = f.List(ctx, "/t/dir/e", "", 10)
	mustErrIs(t, "list file", err, errs.ErrNotDir)
	_, _, err = f.List(ctx, "/t/nodir", "", 10)
	mustErrIs(t, "list missing", err, iofs.ErrNotExist)

	top, _, err := f.List(ctx, "/t", "", 10)
	mustOK(t, "list top", err)
	if fmtNames(names(top)) != fmtNames([]string{"dir/"}) {
		t.Fatalf("top: %v", names(top))
	}
	root, more, err := f.List(ctx, "/", "", 10)
	mustOK(t, "list root", err)
	if more || fmtNames(names(root)) != fmtNames([]string{"t/"}) {
		t.Fatalf("root: %v", names(root))
	}
}

func TestListBucketsRoot(t *testing.T) {
	r := newRig(t, nil, func(o *Options) { o.Buckets = nil })
	ctx := ctxT(t)
	root, err := r.fs.Stat(ctx, "/"+r.bucket)
	mustOK(t, "stat bucket", err)
	if !root.IsDir {
		t.Fatal("bucket not a dir")
	}
	all := r.listAll("/", 1000)
	if !slices.Contains(names(all), r.bucket+"/") {
		t.Fatalf("bucket %s not in root listing (%d entries)", r.bucket, len(all))
	}
	_, err = r.fs.Stat(ctx, "/no-such-bucket-"+r.bucket)
	mustErrIs(t, "stat missing bucket", err, iofs.ErrNotExist)
	r.write("/"+r.bucket+"/k", []byte("v"), CreateOptions{})
	if string(r.read("/"+r.bucket+"/k")) != "v" {
		t.Fatal("bucket-named top-level write")
	}
}
