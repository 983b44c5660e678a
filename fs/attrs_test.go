package fs

import (
	"bytes"
	iofs "io/fs"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/emrfsd/emrfsd/internal/errs"
)

func TestDeleteSemantics(t *testing.T) {
	r := newRig(t, &testProvider{instruction: true}, nil)
	ctx := ctxT(t)
	f := r.fs
	ok, err := f.Delete(ctx, "/t/none", false)
	if ok || err != nil {
		t.Fatalf("delete missing: %v %v", ok, err)
	}
	ok, err = f.Delete(ctx, "/nosuchtop/x", false)
	if ok || err != nil {
		t.Fatalf("delete under unknown top: %v %v", ok, err)
	}
	_, err = f.Delete(ctx, "/t", true)
	mustErrIs(t, "delete top", err, iofs.ErrPermission)
	_, err = f.Delete(ctx, "/", true)
	mustErrIs(t, "delete root", err, iofs.ErrPermission)

	r.write("/t/d/only", []byte("x"), CreateOptions{CreateParent: true})
	ok, err = f.Delete(ctx, "/t/d/only", false)
	if !ok || err != nil {
		t.Fatalf("delete file: %v %v", ok, err)
	}
	if r.exists("d/only") || r.exists("d/only.instruction") {
		t.Fatal("file or sidecar left")
	}
	if fi, err := f.Stat(ctx, "/t/d"); err != nil || !fi.IsDir {
		t.Fatalf("parent vanished: %v", err)
	}
	// A parent that was only implicit gets a marker.
	r.putRaw("imp/x/last", []byte("1"), nil)
	_, err = f.Delete(ctx, "/t/imp/x/last", false)
	mustOK(t, "delete implicit child", err)
	if !r.exists("imp/x/") {
		t.Fatalf("no parent marker: %v", r.rawKeys("imp"))
	}
	// Empty directory without recursive.
	ok, err = f.Delete(ctx, "/t/imp/x", false)
	if !ok || err != nil {
		t.Fatalf("delete empty dir: %v %v", ok, err)
	}
	r.write("/t/n/a/b", []byte("x"), CreateOptions{CreateParent: true})
	_, err = f.Delete(ctx, "/t/n", false)
	mustErrIs(t, "non-empty", err, errs.ErrNotEmpty)
	ok, err = f.Delete(ctx, "/t/n", true)
	if !ok || err != nil || len(r.rawKeys("n")) != 0 {
		t.Fatalf("recursive: %v %v %v", ok, err, r.rawKeys("n"))
	}
}

func TestInstructionSidecars(t *testing.T) {
	r := newRig(t, &testProvider{instruction: true}, nil)
	ctx := ctxT(t)
	r.write("/t/s/obj", []byte("payload"), CreateOptions{CreateParent: true})
	if !r.exists("s/obj.instruction") {
		t.Fatal("instruction file not written")
	}
	// An instruction file whose object is missing is an ordinary file.
	r.putRaw("s/orphan.instruction", []byte("{}"), nil)
	got, _, err := r.fs.List(ctx, "/t/s", "", 100)
	mustOK(t, "list", err)
	if fmtNames(names(got)) != fmtNames([]string{"obj", "orphan.instruction"}) {
		t.Fatalf("list %v", names(got))
	}
	// The hidden sidecar stays hidden when the page boundary separates it
	// from its object.
	got, _, err = r.fs.List(ctx, "/t/s", "obj", 100)
	mustOK(t, "list after obj", err)
	if fmtNames(names(got)) != fmtNames([]string{"orphan.instruction"}) {
		t.Fatalf("list after obj %v", names(got))
	}
	_, err = r.fs.Stat(ctx, "/t/s/obj.instruction")
	mustErrIs(t, "stat sidecar", err, iofs.ErrNotExist)
	// Its name is reserved: nothing may replace it through the namespace.
	mustErrIs(t, "create sidecar name", r.tryWrite("/t/s/obj.instruction", []byte("x"), CreateOptions{Overwrite: true}), iofs.ErrInvalid)
	mustErrIs(t, "mkdir sidecar name", r.fs.Mkdirs(ctx, "/t/s/obj.instruction", 0o755, "", "", false), iofs.ErrInvalid)
	r.write("/t/s/other", []byte("o"), CreateOptions{})
	mustErrIs(t, "rename onto sidecar name", r.fs.Rename(ctx, "/t/s/other", "/t/s/obj.instruction", true), iofs.ErrInvalid)
	_, err = r.fs.Delete(ctx, "/t/s/other", false)
	mustOK(t, "delete other", err)
	if _, err := r.fs.Stat(ctx, "/t/s/orphan.instruction"); err != nil {
		t.Fatalf("orphan: %v", err)
	}
	s, err := r.fs.ContentSummary(ctx, "/t/s")
	mustOK(t, "summary", err)
	if s.Files != 2 || s.Length != int64(len("payload")+2) {
		t.Fatalf("summary %+v", s)
	}
	// Reads use the sidecar (the test provider fetches it).
	if string(r.read("/t/s/obj")) != "payload" {
		t.Fatal("read")
	}
	// Directory rename moves sidecars with their objects.
	mustOK(t, "rename dir", r.fs.Rename(ctx, "/t/s", "/t/s2", false))
	if !r.exists("s2/obj.instruction") || r.exists("s/obj.instruction") {
		t.Fatalf("after rename %v", r.rawKeys(""))
	}
	if string(r.read("/t/s2/obj")) != "payload" {
		t.Fatal("read after rename")
	}
	// Delete removes the sidecar.
	_, err = r.fs.Delete(ctx, "/t/s2/obj", false)
	mustOK(t, "delete", err)
	if r.exists("s2/obj.instruction") {
		t.Fatal("sidecar left after delete")
	}
	// A stale sidecar from a deleted object does not block a new create.
	r.putRaw("s2/again.instruction", []byte("old"), nil)
	r.write("/t/s2/again", []byte("new"), CreateOptions{})
	if string(r.read("/t/s2/again")) != "new" {
		t.Fatal("create over orphan sidecar")
	}
}

func TestAttrsAndXattrs(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, nil)
	ctx := ctxT(t)
	f := r.fs
	data := pattern(777, 2)
	r.write("/t/file", data, CreateOptions{Perm: 0o644, Owner: "a", Group: "b"})
	orig, _ := f.Stat(ctx, "/t/file")
	time.Sleep(5 * time.Millisecond)

	perm := uint32(0o1751)
	owner, group := "new owner", "ünï"
	mustOK(t, "setattrs", f.SetAttrs(ctx, "/t/file", Attrs{Perm: &perm, Owner: &owner}))
	fi, _ := f.Stat(ctx, "/t/file")
	if fi.Perm != perm || fi.Owner != owner || fi.Group != "b" {
		t.Fatalf("after chmod/chown %+v", fi)
	}
	if !fi.ModTime.Equal(orig.ModTime.Truncate(time.Millisecond)) {
		t.Fatalf("chmod changed mtime %v -> %v", orig.ModTime, fi.ModTime)
	}
	mustOK(t, "chgrp", f.SetAttrs(ctx, "/t/file", Attrs{Group: &group}))
	mt, at := time.UnixMilli(1500000000000), time.UnixMilli(1600000000000)
	mustOK(t, "times", f.SetAttrs(ctx, "/t/file", Attrs{ModTime: &mt, AccessTime: &at}))
	fi, _ = f.Stat(ctx, "/t/file")
	if fi.Group != group || !fi.ModTime.Equal(mt) || !fi.AccessTime.Equal(at) || fi.Owner != owner {
		t.Fatalf("after times %+v", fi)
	}
	// The provider's (crypto) metadata and the content survive.
	h, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String("file")})
	mustOK(t, "head", err)
	if h.Metadata[testMetaKey] != "v1" {
		t.Fatalf("crypto metadata lost: %v", h.Metadata)
	}
	if !bytes.Equal(r.read("/t/file"), data) {
		t.Fatal("content changed")
	}

	// Xattrs.
	mustOK(t, "setxattr", f.SetXattr(ctx, "/t/file", "user.Mixed.Case", []byte{0, 1, 2, 255}))
	mustOK(t, "setxattr 2", f.SetXattr(ctx, "/t/file", "user.empty", nil))
	fi, _ = f.Stat(ctx, "/t/file")
	if !bytes.Equal(fi.Xattrs["user.Mixed.Case"], []byte{0, 1, 2, 255}) || len(fi.Xattrs) != 2 {
		t.Fatalf("xattrs %q", fi.Xattrs)
	}
	mustOK(t, "removexattr", f.RemoveXattr(ctx, "/t/file", "user.Mixed.Case"))
	mustErrIs(t, "remove missing", f.RemoveXattr(ctx, "/t/file", "user.Mixed.Case"), errs.ErrNoXattr)
	fi, _ = f.Stat(ctx, "/t/file")
	if _, ok := fi.Xattrs["user.Mixed.Case"]; ok || len(fi.Xattrs) != 1 {
		t.Fatalf("after remove %q", fi.Xattrs)
	}
	mustErrIs(t, "too big", f.SetXattr(ctx, "/t/file", "user.big", bytes.Repeat([]byte("x"), 1600)), iofs.ErrInvalid)
	mustErrIs(t, "bad name", f.SetXattr(ctx, "/t/file", "noname", nil), iofs.ErrInvalid)
	// Fill close to the limit with several xattrs, then one more is refused.
	var err2 error
	for i := 0; err2 == nil && i < 100; i++ {
		err2 = f.SetXattr(ctx, "/t/file", "user.k"+strings.Repeat("x", i), bytes.Repeat([]byte("v"), 100))
	}
	mustErrIs(t, "cumulative limit", err2, iofs.ErrInvalid)
	if !bytes.Equal(r.read("/t/file"), data) {
		t.Fatal("content changed by xattrs")
	}

	// Directories: implicit gets a marker; marker is rewritten.
	r.putRaw("impl/x", []byte("1"), nil)
	mustOK(t, "chmod implicit", f.SetAttrs(ctx, "/t/impl", Attrs{Perm: &perm}))
	if !r.exists("impl/") {
		t.Fatal("no marker for implicit dir")
	}
	mustOK(t, "xattr dir", f.SetXattr(ctx, "/t/impl", "user.d", []byte("dir")))
	fi, _ = f.Stat(ctx, "/t/impl")
	if !fi.IsDir || fi.Perm != perm || string(fi.Xattrs["user.d"]) != "dir" {
		t.Fatalf("dir attrs %+v", fi)
	}
	mustErrIs(t, "missing", f.SetAttrs(ctx, "/t/none", Attrs{Perm: &perm}), iofs.ErrNotExist)
	// "/" has nowhere to keep attributes without a default bucket.
	mustErrIs(t, "root", f.SetAttrs(ctx, "/", Attrs{Perm: &perm}), iofs.ErrPermission)
}

func TestContentSummary(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, nil)
	ctx := ctxT(t)
	r.write("/t/cs/a", make([]byte, 10), CreateOptions{CreateParent: true})
	r.write("/t/cs/x/b", make([]byte, 20), CreateOptions{CreateParent: true})
	r.write("/t/cs/x/y/c", make([]byte, 30), CreateOptions{CreateParent: true})
	mustOK(t, "mkdir", r.fs.Mkdirs(ctx, "/t/cs/e/f", 0o755, "", "", true))
	r.putRaw("cs/imp/z/obj", make([]byte, 56), nil) // 40 plaintext
	s, err := r.fs.ContentSummary(ctx, "/t/cs")
	mustOK(t, "summary", err)
	// dirs: cs, x, x/y, e, e/f, imp, imp/z
	if s.Files != 4 || s.Length != 100 || s.Directories != 7 {
		t.Fatalf("summary %+v", s)
	}
	s, err = r.fs.ContentSummary(ctx, "/t/cs/a")
	mustOK(t, "file summary", err)
	if s != (Summary{Length: 10, Files: 1}) {
		t.Fatalf("file summary %+v", s)
	}
	s, err = r.fs.ContentSummary(ctx, "/t")
	mustOK(t, "top summary", err)
	if s.Files != 4 || s.Directories != 8 {
		t.Fatalf("top summary %+v", s)
	}
	_, err = r.fs.ContentSummary(ctx, "/t/none")
	mustErrIs(t, "missing", err, iofs.ErrNotExist)
}
