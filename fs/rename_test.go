package fs

import (
	"bytes"
	"context"
	"fmt"
	iofs "io/fs"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
)

func TestRenameSemantics(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := ctxT(t)
	f := r.fs
	r.write("/t/a/f", []byte("f"), CreateOptions{CreateParent: true})
	r.write("/t/a/g", []byte("g"), CreateOptions{})
	r.write("/t/b/h", []byte("h"), CreateOptions{CreateParent: true})
	mustOK(t, "mkdir", f.Mkdirs(ctx, "/t/empty", 0o755, "", "", false))
	tests := []struct {
		name, src, dst string
		overwrite      bool
		want           error
	}{
		{"missing src", "/t/nope", "/t/x", false, iofs.ErrNotExist},
		{"same", "/t/a/f", "/t/a/f", true, iofs.ErrExist},
		{"dst exists", "/t/a/f", "/t/a/g", false, iofs.ErrExist},
		{"file onto dir", "/t/a/f", "/t/empty", true, errs.ErrIsDir},
		{"dir onto file", "/t/b", "/t/a/f", true, iofs.ErrExist},
		{"dir onto non-empty dir", "/t/b", "/t/a", true, errs.ErrNotEmpty},
		{"dst parent missing", "/t/a/f", "/t/q/f", false, iofs.ErrNotExist},
		{"dst parent is file", "/t/a/f", "/t/a/g/f", false, errs.ErrNotDir},
		{"into itself", "/t/a", "/t/a/sub", false, iofs.ErrInvalid},
		{"top level", "/t", "/t2", false, iofs.ErrPermission},
		{"onto top level", "/t/a", "/t", true, iofs.ErrPermission},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustErrIs(t, tc.name, f.Rename(ctx, tc.src, tc.dst, tc.overwrite), tc.want)
		})
	}
	// Nothing moved.
	if string(r.read("/t/a/f")) != "f" || string(r.read("/t/a/g")) != "g" {
		t.Fatal("failed renames changed files")
	}
	// Overwrite a file; the source's parent stays visible once empty.
	mustOK(t, "overwrite", f.Rename(ctx, "/t/b/h", "/t/a/g", true))
	if string(r.read("/t/a/g")) != "h" {
		t.Fatal("overwrite content")
	}
	if fi, err := f.Stat(ctx, "/t/b"); err != nil || !fi.IsDir {
		t.Fatalf("emptied parent vanished: %v", err)
	}
	// Directory onto an empty directory with overwrite.
	mustOK(t, "dir onto empty dir", f.Rename(ctx, "/t/b", "/t/empty", true))
	if _, err := f.Stat(ctx, "/t/b"); err == nil {
		t.Fatal("source dir still there")
	}
}

func TestRenameFileKeepsMetadata(t *testing.T) {
	r := newRig(t, &testProvider{instruction: true, trailer: 16}, nil)
	ctx := ctxT(t)
	data := pattern(3000, 1)
	r.write("/t/src", data, CreateOptions{Perm: 0o600, Owner: "o", Group: "g"})
	mustOK(t, "xattr", r.fs.SetXattr(ctx, "/t/src", "user.k", []byte("v")))
	before, _ := r.fs.Stat(ctx, "/t/src")
	mustOK(t, "mkdir", r.fs.Mkdirs(ctx, "/t/d", 0o755, "", "", false))
	mustOK(t, "rename", r.fs.Rename(ctx, "/t/src", "/t/d/dst", false))
	if r.exists("src") || r.exists("src.instruction") {
		t.Fatal("source left behind")
	}
	if !r.exists("d/dst.instruction") {
		t.Fatal("instruction file not moved")
	}
	fi, err := r.fs.Stat(ctx, "/t/d/dst")
	mustOK(t, "stat", err)
	if fi.Perm != 0o600 || fi.Owner != "o" || fi.Group != "g" || string(fi.Xattrs["user.k"]) != "v" || fi.Size != 3000 {
		t.Fatalf("metadata lost: %+v", fi)
	}
	if !fi.ModTime.Equal(before.ModTime.Truncate(1e6)) && !fi.ModTime.Equal(before.ModTime) {
		t.Fatalf("mtime changed: %v -> %v", before.ModTime, fi.ModTime)
	}
	if !bytes.Equal(r.read("/t/d/dst"), data) {
		t.Fatal("content differs")
	}
	// Overwriting a file that has a sidecar with one that has none drops
	// the stale sidecar.
	r.putRaw("plain", []byte("no sidecar"), map[string]string{testMetaKey: "v1"})
	r.prov.instruction = false
	mustOK(t, "rename over", r.fs.Rename(ctx, "/t/plain", "/t/d/dst", true))
	if r.exists("d/dst.instruction") {
		t.Fatal("stale instruction file kept")
	}
}

func TestRenameDirectory200(t *testing.T) {
	r := newRig(t, &testProvider{instruction: true}, nil)
	ctx := ctxT(t)
	mustOK(t, "mkdir", r.fs.Mkdirs(ctx, "/t/src/sub", 0o711, "dirowner", "", true))
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			p := fmt.Sprintf("/t/src/f%03d", i)
			if i%4 == 0 {
				p = fmt.Sprintf("/t/src/sub/f%03d", i)
			}
			errs <- r.tryWrite(p, fmt.Appendf(nil, "content %d", i), CreateOptions{})
		})
		if i%16 == 15 {
			wg.Wait()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustOK(t, "write", err)
	}
	srcKeys := len(r.rawKeys("src/"))
	mustOK(t, "rename", r.fs.Rename(ctx, "/t/src", "/t/dst", false))
	if left := r.rawKeys("src"); len(left) != 0 {
		t.Fatalf("source keys left: %d (%v)", len(left), left[0])
	}
	if got := len(r.rawKeys("dst/")); got != srcKeys {
		t.Fatalf("dst has %d keys, src had %d", got, srcKeys)
	}
	for _, i := range []int{0, 1, 4, 199} {
		p := fmt.Sprintf("/t/dst/f%03d", i)
		if i%4 == 0 {
			p = fmt.Sprintf("/t/dst/sub/f%03d", i)
		}
		if got := string(r.read(p)); got != fmt.Sprintf("content %d", i) {
			t.Fatalf("%s = %q", p, got)
		}
	}
	if fi, _ := r.fs.Stat(ctx, "/t/dst/sub"); fi.Perm != 0o711 || fi.Owner != "dirowner" {
		t.Fatalf("marker metadata lost: %+v", fi)
	}
	all := r.listAll("/t/dst", 1000)
	if len(all) != 151 { // 150 files + sub
		t.Fatalf("listing has %d entries", len(all))
	}
	s, err := r.fs.ContentSummary(ctx, "/t/dst")
	mustOK(t, "summary", err)
	if s.Files != 200 || s.Directories != 2 {
		t.Fatalf("summary %+v", s)
	}
}

// TestRenameMultipartCopy lowers the single-copy limit so a 12 MiB file is
// copied with UploadPartCopy (as objects above 5 GiB are).
func TestRenameMultipartCopy(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, nil)
	r.fs.copyThreshold, r.fs.copyPartSize = 6<<20, 5<<20
	ctx := ctxT(t)
	data := pattern(12<<20+3, 7)
	r.write("/t/big", data, CreateOptions{Perm: 0o604})
	mustOK(t, "rename", r.fs.Rename(ctx, "/t/big", "/t/big2", false))
	if !bytes.Equal(r.read("/t/big2"), data) {
		t.Fatal("content differs after multipart copy")
	}
	h, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String("big2")})
	mustOK(t, "head", err)
	if e := aws.ToString(h.ETag); !bytes.HasSuffix([]byte(e), []byte(`-3"`)) {
		t.Fatalf("not a 3-part copy: etag %s", e)
	}
	perm := uint32(0o640)
	mustOK(t, "setattrs big", r.fs.SetAttrs(ctx, "/t/big2", Attrs{Perm: &perm}))
	fi, _ := r.fs.Stat(ctx, "/t/big2")
	if fi.Perm != 0o640 || fi.Size != int64(len(data)) {
		t.Fatalf("after setattrs %+v", fi)
	}
	if !bytes.Equal(r.read("/t/big2"), data) {
		t.Fatal("content differs after setattrs copy")
	}
	if r.uploads("") != 0 {
		t.Fatal("uploads left behind")
	}
}

// TestRenameSSEKMSWithContext: MinIO corrupts copies of SSE-KMS objects
// written with an encryption context unless the copy re-sends SSE headers.
func TestRenameSSEKMSWithContext(t *testing.T) {
	sse := providers.SSE{Algorithm: "aws:kms", KMSKeyID: testenv.MinIOKMSKey, Context: "eyJhIjoiYiJ9"} // {"a":"b"}
	r := newRig(t, &testProvider{sse: sse}, nil)
	ctx := ctxT(t)
	data := pattern(5000, 4)
	r.write("/t/k", data, CreateOptions{})
	mustOK(t, "rename", r.fs.Rename(ctx, "/t/k", "/t/k2", false))
	if !bytes.Equal(r.read("/t/k2"), data) {
		t.Fatal("SSE-KMS copy corrupted")
	}
	h, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String("k2")})
	mustOK(t, "head", err)
	if h.ServerSideEncryption != "aws:kms" {
		t.Fatalf("copy not SSE-KMS: %q", h.ServerSideEncryption)
	}
	mode := uint32(0o600)
	mustOK(t, "setattrs", r.fs.SetAttrs(ctx, "/t/k2", Attrs{Perm: &mode}))
	if !bytes.Equal(r.read("/t/k2"), data) {
		t.Fatal("SSE-KMS metadata copy corrupted")
	}
	// Directory marker PUTs carry the SSE parameters too.
	mustOK(t, "mkdir", r.fs.Mkdirs(ctx, "/t/dir", 0o755, "", "", false))
	h, err = r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String("dir/")})
	mustOK(t, "head marker", err)
	if h.ServerSideEncryption != "aws:kms" {
		t.Fatalf("marker not SSE-KMS: %q", h.ServerSideEncryption)
	}
}

func TestCrossBucketRename(t *testing.T) {
	r := newRig(t, nil, nil)
	other := r.env.NewBucket(t, "fs2")
	f, err := New(context.Background(), Options{
		S3: r.s3, Buckets: map[string]string{"t": r.bucket, "u": other},
		Provider: r.fs.opts.Provider,
	})
	mustOK(t, "new", err)
	r.write("/t/x", []byte("x"), CreateOptions{})
	mustErrIs(t, "cross bucket", f.Rename(ctxT(t), "/t/x", "/u/x", false), iofs.ErrInvalid)
}
