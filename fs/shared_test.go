package fs

import (
	"bytes"
	"context"
	"errors"
	iofs "io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/s3api"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
)

// countingS3 counts the HEAD and LIST requests sent through it, and logs
// them ("HEAD key", "LIST prefix").
type countingS3 struct {
	s3api.API
	heads, lists atomic.Int64
	mu           sync.Mutex
	log          []string
}

func (c *countingS3) note(op, key *string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, aws.ToString(op)+" "+aws.ToString(key))
}

// takeLog returns the requests logged since the last call.
func (c *countingS3) takeLog() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.log
	c.log = nil
	return l
}

func (c *countingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	c.lists.Add(1)
	c.note(aws.String("LIST"), in.Prefix)
	return c.API.ListObjectsV2(ctx, in, opts...)
}

// takeLists returns the LISTs counted since the last call.
func (c *countingS3) takeLists() int64 { return c.lists.Swap(0) }

func (c *countingS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	c.heads.Add(1)
	c.note(aws.String("HEAD"), in.Key)
	return c.API.HeadObject(ctx, in, opts...)
}

// takeHeads returns the HEADs counted since the last call.
func (c *countingS3) takeHeads() int64 { return c.heads.Swap(0) }

// sharedRig is a namespace over a served bucket /t (r.bucket) plus a
// default bucket holding every other top-level path, with its own
// provider (a 16-byte trailer, so its objects are recognisably its own).
type sharedRig struct {
	*rig
	dflt     string
	dfltProv *testProvider
	count    *countingS3
}

func newSharedRig(t *testing.T, tune func(*Options)) *sharedRig {
	t.Helper()
	sr := &sharedRig{dfltProv: &testProvider{trailer: 16}}
	env := testenv.Get(t)
	sr.dflt = env.NewBucket(t, "fsdef")
	env.RemoveBucketOnCleanup(t, sr.dflt)
	sr.rig = newRig(t, nil, func(o *Options) {
		sr.count = &countingS3{API: o.S3}
		o.S3 = sr.count
		o.DefaultBucket = sr.dflt
		o.RootDefaults = func(bucket string) RootAttrs {
			if bucket == sr.dflt {
				return RootAttrs{Owner: "hdfs", Group: "supergroup", Perm: 0o755}
			}
			return RootAttrs{Owner: "rootowner", Group: "rootgroup", Perm: 0o750}
		}
		o.Provider = func(_ context.Context, b string) (providers.Provider, error) {
			if b == sr.dflt {
				return sr.dfltProv, nil
			}
			return sr.prov, nil
		}
		if tune != nil {
			tune(o)
		}
	})
	return sr
}

func (sr *sharedRig) dfltKeys(prefix string) []string {
	sr.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(sr.s3, &s3.ListObjectsV2Input{Bucket: aws.String(sr.dflt), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctxT(sr.t))
		mustOK(sr.t, "list default bucket", err)
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func TestDefaultBucket(t *testing.T) {
	sr := newSharedRig(t, nil)
	ctx := ctxT(t)
	f := sr.fs

	mustOK(t, "mkdir /tmp", f.Mkdirs(ctx, "/tmp", 0o1777, "hdfs", "supergroup", false))
	mustOK(t, "mkdir home", f.Mkdirs(ctx, "/user/alice", 0o700, "alice", "alice", true))
	sr.write("/user/alice/data.csv", pattern(100, 1), CreateOptions{Owner: "alice"})
	sr.write("/topfile", []byte("at the top"), CreateOptions{})
	sr.write("/apps/hive/warehouse/t1/part-0", []byte("row"), CreateOptions{CreateParent: true})
	want := []string{"apps/", "apps/hive/", "apps/hive/warehouse/", "apps/hive/warehouse/t1/", "apps/hive/warehouse/t1/part-0",
		"tmp/", "topfile", "user/", "user/alice/", "user/alice/data.csv"}
	if got := sr.dfltKeys(""); fmtNames(got) != fmtNames(want) {
		t.Fatalf("default bucket keys %v, want %v", got, want)
	}
	if len(sr.rawKeys("")) != 0 {
		t.Fatalf("served bucket written: %v", sr.rawKeys(""))
	}
	// The default bucket's own provider stored them (16-byte trailer).
	h, err := sr.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sr.dflt), Key: aws.String("topfile")})
	mustOK(t, "head topfile", err)
	if aws.ToInt64(h.ContentLength) != int64(len("at the top"))+16 {
		t.Fatalf("topfile stored with %d bytes: not through the default bucket's provider", aws.ToInt64(h.ContentLength))
	}
	if string(sr.read("/topfile")) != "at the top" {
		t.Fatal("read /topfile")
	}
	fi, err := f.Stat(ctx, "/tmp")
	mustOK(t, "stat /tmp", err)
	if !fi.IsDir || fi.Perm != 0o1777 || fi.Owner != "hdfs" || fi.ModTime.IsZero() {
		t.Fatalf("/tmp %+v", fi)
	}
	if fi, err := f.Stat(ctx, "/topfile"); err != nil || fi.IsDir || fi.Size != 10 || fi.Path != "/topfile" || fi.Name != "topfile" {
		t.Fatalf("/topfile %+v %v", fi, err)
	}

	// "/" lists the served bucket and the default bucket's entries; a
	// served bucket shadows a same-named entry of the default bucket.
	sr.putRawDefault("t/shadowed", []byte("x"))
	sr.putRawDefault("t_$folder$", nil)
	got := sr.listAll("/", 1000)
	if fmtNames(names(got)) != fmtNames([]string{"apps/", "t/", "tmp/", "topfile", "user/"}) {
		t.Fatalf("root listing %v", names(got))
	}
	for _, page := range []int{1, 2, 3} {
		if all := sr.listAll("/", page); fmtNames(names(all)) != fmtNames(names(got)) {
			t.Fatalf("root listing by %d: %v", page, names(all))
		}
	}
	for _, e := range got {
		switch e.Name {
		case "t":
			if e.Owner != "rootowner" || e.Perm != 0o750 || e.Path != "/t" {
				t.Fatalf("bucket entry %+v", e)
			}
		case "tmp":
			if e.Perm != 0o1777 || e.ModTime.IsZero() || e.Path != "/tmp" {
				t.Fatalf("tmp entry %+v", e)
			}
		case "topfile":
			if e.Size != 10 || e.IsDir {
				t.Fatalf("topfile entry %+v", e)
			}
		}
	}
	if _, err := f.Stat(ctx, "/t/shadowed"); !isErr(err, iofs.ErrNotExist) {
		t.Fatalf("shadowed key reachable: %v", err)
	}

	// Renames within the default bucket work; across buckets they do not.
	mustOK(t, "rename top-level file", f.Rename(ctx, "/topfile", "/user/alice/topfile", false))
	mustOK(t, "rename top-level dir", f.Rename(ctx, "/apps", "/apps2", false))
	if string(sr.read("/apps2/hive/warehouse/t1/part-0")) != "row" {
		t.Fatal("renamed tree")
	}
	sr.write("/t/x", []byte("x"), CreateOptions{})
	mustErrIs(t, "rename across buckets", f.Rename(ctx, "/t/x", "/tmp/x", false), iofs.ErrInvalid)
	mustErrIs(t, "rename onto a bucket", f.Rename(ctx, "/tmp", "/t", false), iofs.ErrPermission)
	mustErrIs(t, "create the root object", sr.tryWrite("/_$root$", nil, CreateOptions{}), iofs.ErrInvalid)
	mustErrIs(t, "mkdir the root object", f.Mkdirs(ctx, "/_$root$", 0o755, "", "", false), iofs.ErrInvalid)

	s, err := f.ContentSummary(ctx, "/")
	mustOK(t, "summary /", err)
	// Files: /t/x, data.csv, topfile (moved), part-0; the shadowed default-
	// bucket keys are not counted. Directories: /, /t, tmp, user, alice,
	// apps2, hive, warehouse, t1.
	if s.Files != 4 || s.Directories != 9 || s.Length != 1+100+10+3 {
		t.Fatalf("summary / %+v", s)
	}
	ok, err := f.Delete(ctx, "/apps2", true)
	if !ok || err != nil || len(sr.dfltKeys("apps")) != 0 {
		t.Fatalf("delete /apps2: %v %v %v", ok, err, sr.dfltKeys("apps"))
	}
}

func (sr *sharedRig) putRawDefault(key string, body []byte) {
	sr.t.Helper()
	_, err := sr.s3.PutObject(ctxT(sr.t), &s3.PutObjectInput{Bucket: aws.String(sr.dflt), Key: aws.String(key), Body: bytes.NewReader(body)})
	mustOK(sr.t, "put "+key, err)
}

func isErr(err, target error) bool { return err != nil && errors.Is(err, target) }

// TestDefaultBucketDiscovery: with no bucket list, every bucket the
// credentials can list is a top-level directory except the default bucket,
// which is "/".
func TestDefaultBucketDiscovery(t *testing.T) {
	sr := newSharedRig(t, func(o *Options) { o.Buckets = nil })
	ctx := ctxT(t)
	f := sr.fs
	sr.write("/"+sr.bucket+"/k", []byte("v"), CreateOptions{})
	if !sr.exists("k") {
		t.Fatal("a bucket's name is not its top-level directory")
	}
	sr.write("/not-a-bucket-"+sr.bucket+"/k", []byte("v"), CreateOptions{CreateParent: true})
	if fmtNames(sr.dfltKeys("")) != fmtNames([]string{"not-a-bucket-" + sr.bucket + "/", "not-a-bucket-" + sr.bucket + "/k"}) {
		t.Fatalf("default bucket keys %v", sr.dfltKeys(""))
	}
	all := names(sr.listAll("/", 1000))
	if !slices.Contains(all, sr.bucket+"/") || !slices.Contains(all, "not-a-bucket-"+sr.bucket+"/") || slices.Contains(all, sr.dflt+"/") {
		t.Fatalf("root listing %v", all)
	}
	if _, err := f.Stat(ctx, "/"+sr.dflt); !isErr(err, iofs.ErrNotExist) {
		t.Fatalf("the default bucket is reachable as a top-level directory: %v", err)
	}
}

func TestBucketRootAttributes(t *testing.T) {
	sse := providers.SSE{Algorithm: "aws:kms", KMSKeyID: testenv.MinIOKMSKey}
	sr := newSharedRig(t, nil)
	sr.prov.sse = sse
	ctx := ctxT(t)
	f := sr.fs

	fi, err := f.Stat(ctx, "/t")
	mustOK(t, "stat /t", err)
	// The bucket's creation date is its modification time.
	if fi.Owner != "rootowner" || fi.Group != "rootgroup" || fi.Perm != 0o750 || !fi.IsDir || fi.ModTime.IsZero() {
		t.Fatalf("defaults %+v", fi)
	}
	created := fi.ModTime
	mode, owner, group := uint32(0o1777), "alice", "analysts"
	mustOK(t, "chmod /t", f.SetAttrs(ctx, "/t", Attrs{Perm: &mode}))
	if fi, _ := f.Stat(ctx, "/t"); !fi.ModTime.Equal(created) {
		t.Fatalf("chmod changed the modification time: %v -> %v", created, fi.ModTime)
	}
	mustOK(t, "chown /t", f.SetAttrs(ctx, "/t", Attrs{Owner: &owner, Group: &group}))
	mustOK(t, "xattr /t", f.SetXattr(ctx, "/t", "user.team", []byte("data")))
	// Persisted in the hidden root object, with the bucket's SSE.
	h, err := sr.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sr.bucket), Key: aws.String(rootKey)})
	mustOK(t, "head root object", err)
	if h.ServerSideEncryption != "aws:kms" {
		t.Fatalf("root object not written with the bucket's SSE: %q", h.ServerSideEncryption)
	}
	if a := decodeMeta(h.Metadata); a.owner != "alice" || a.perm != 0o1777 || string(a.xattrs["user.team"]) != "data" {
		t.Fatalf("root object metadata %+v", a)
	}
	fi, err = f.Stat(ctx, "/t")
	mustOK(t, "stat /t", err)
	if fi.Owner != "alice" || fi.Group != "analysts" || fi.Perm != 0o1777 || string(fi.Xattrs["user.team"]) != "data" {
		t.Fatalf("after changes %+v", fi)
	}
	// Hidden from listings and not counted.
	sr.write("/t/f", []byte("x"), CreateOptions{})
	if got := names(sr.listAll("/t", 10)); fmtNames(got) != fmtNames([]string{"f"}) {
		t.Fatalf("listing /t %v", got)
	}
	if s, _ := f.ContentSummary(ctx, "/t"); s.Files != 1 {
		t.Fatalf("summary counts the root object: %+v", s)
	}
	mustErrIs(t, "stat root object", statErr(f.Stat(ctx, "/t/"+rootKey)), iofs.ErrNotExist)

	// Another daemon sees it, and concurrent changes from two daemons
	// both land (conditional read-modify-write).
	other, err := New(ctx, sr.fs.opts)
	mustOK(t, "second FS", err)
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range 8 {
		wg.Go(func() {
			fsys := f
			if i%2 == 1 {
				fsys = other
			}
			results[i] = fsys.SetXattr(ctx, "/t", "user.x"+string(rune('a'+i)), []byte{byte(i)})
		})
	}
	wg.Wait()
	for _, err := range results {
		mustOK(t, "concurrent setxattr", err)
	}
	time.Sleep(rootTTL) // f's cached answer expires
	for _, fsys := range []*FS{f, other} {
		fi, err := fsys.Stat(ctx, "/t")
		mustOK(t, "stat", err)
		if len(fi.Xattrs) != 9 || fi.Owner != "alice" {
			t.Fatalf("after concurrent updates: owner %q, %d xattrs %q", fi.Owner, len(fi.Xattrs), fi.Xattrs)
		}
	}
	mustOK(t, "remove xattr", f.RemoveXattr(ctx, "/t", "user.team"))
	mustErrIs(t, "remove missing xattr", f.RemoveXattr(ctx, "/t", "user.team"), errs.ErrNoXattr)

	// "/" keeps its attributes in the default bucket.
	fi, err = f.Stat(ctx, "/")
	mustOK(t, "stat /", err)
	if fi.Owner != "hdfs" || fi.Perm != 0o755 {
		t.Fatalf("/ defaults %+v", fi)
	}
	rootMode := uint32(0o777)
	mustOK(t, "chmod /", f.SetAttrs(ctx, "/", Attrs{Perm: &rootMode}))
	if fi, _ := f.Stat(ctx, "/"); fi.Perm != 0o777 {
		t.Fatalf("/ after chmod %+v", fi)
	}
	if _, err := sr.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sr.dflt), Key: aws.String(rootKey)}); err != nil {
		t.Fatalf("no root object in the default bucket: %v", err)
	}
	if got := names(sr.listAll("/", 10)); fmtNames(got) != fmtNames([]string{"t/"}) {
		t.Fatalf("root listing shows the root object: %v", got)
	}
	// Bucket roots stay undeletable and unrenamable.
	_, err = f.Delete(ctx, "/t", true)
	mustErrIs(t, "delete /t", err, iofs.ErrPermission)
	mustErrIs(t, "rename /t", f.Rename(ctx, "/t", "/t2", false), iofs.ErrPermission)
}

func statErr(_ FileInfo, err error) error { return err }

func TestBlockSizeKept(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, nil)
	ctx := ctxT(t)
	f := r.fs
	r.write("/t/d/f", pattern(3000, 1), CreateOptions{CreateParent: true, BlockSize: 1 << 20})
	r.write("/t/d/g", pattern(10, 1), CreateOptions{})
	check := func(p string, want int64) {
		t.Helper()
		fi, err := f.Stat(ctx, p)
		mustOK(t, "stat", err)
		if fi.BlockSize != want {
			t.Fatalf("stat %s block size %d, want %d", p, fi.BlockSize, want)
		}
		dir, name := p[:len(p)-len(fi.Name)-1], fi.Name
		for _, e := range r.listAll(dir, 100) {
			if e.Name == name && e.BlockSize != want {
				t.Fatalf("listed %s block size %d, want %d", p, e.BlockSize, want)
			}
		}
	}
	check("/t/d/f", 1<<20)
	check("/t/d/g", 0)
	perm := uint32(0o600)
	mustOK(t, "setattrs", f.SetAttrs(ctx, "/t/d/f", Attrs{Perm: &perm}))
	check("/t/d/f", 1<<20)
	mustOK(t, "rename file", f.Rename(ctx, "/t/d/f", "/t/d/f2", false))
	check("/t/d/f2", 1<<20)
	mustOK(t, "rename dir", f.Rename(ctx, "/t/d", "/t/e", false))
	check("/t/e/f2", 1<<20)
	// A fresh namespace (another daemon, empty index) reads it from S3.
	other, err := New(ctx, Options{S3: r.s3, Buckets: r.fs.opts.Buckets, Provider: r.fs.opts.Provider})
	mustOK(t, "second FS", err)
	list, _, err := other.List(ctx, "/t/e", "", 10)
	mustOK(t, "list", err)
	if len(list) != 2 || list[0].Name != "f2" || list[0].BlockSize != 1<<20 || list[0].Perm != 0o600 || list[1].BlockSize != 0 {
		t.Fatalf("other daemon lists %+v", list)
	}
}

// TestImplicitParents: create(createParent) writes markers for the
// missing parents, owned by the creator, with the nearest existing
// ancestor's permission plus u+wx (HDFS), and a modification time that
// Stat and List show.
func TestImplicitParents(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := ctxT(t)
	f := r.fs
	mustOK(t, "mkdir", f.Mkdirs(ctx, "/t/base", 0o640, "root", "g", false))
	before := time.Now().Add(-time.Second)
	r.write("/t/base/x/y/file", []byte("data"), CreateOptions{CreateParent: true, Owner: "carol", Group: "staff", Perm: 0o600})
	for _, p := range []string{"/t/base/x", "/t/base/x/y"} {
		fi, err := f.Stat(ctx, p)
		mustOK(t, "stat", err)
		if !fi.IsDir || fi.Owner != "carol" || fi.Group != "staff" || fi.Perm != 0o740 || fi.ModTime.Before(before) {
			t.Fatalf("implicit parent %s: %+v", p, fi)
		}
	}
	if !r.exists("base/x/") || !r.exists("base/x/y/") {
		t.Fatalf("parent markers missing: %v", r.rawKeys(""))
	}
	for _, dir := range []string{"/t", "/t/base", "/t/base/x"} {
		for _, e := range r.listAll(dir, 10) {
			if e.IsDir && (e.ModTime.Before(before) || e.Owner == DefaultOwnerName) {
				t.Fatalf("listing %s: %+v", dir, e)
			}
		}
	}
	// Under a bucket root, the root's permission is inherited.
	r.write("/t/new/file", nil, CreateOptions{CreateParent: true, Owner: "dave"})
	if fi, _ := f.Stat(ctx, "/t/new"); fi.Perm != DefaultDirPerm|0o300 || fi.Owner != "dave" {
		t.Fatalf("parent under the bucket root %+v", fi)
	}
}

// TestMissingDefaultBucket: "/" still answers (the served buckets) when the
// default bucket does not exist; writes into it fail with ErrNotExist.
func TestMissingDefaultBucket(t *testing.T) {
	r := newRig(t, nil, func(o *Options) { o.DefaultBucket = testenv.Unique("fs-missing") })
	ctx := ctxT(t)
	if fi, err := r.fs.Stat(ctx, "/"); err != nil || !fi.IsDir {
		t.Fatalf("stat /: %+v %v", fi, err)
	}
	if got := names(r.listAll("/", 10)); fmtNames(got) != fmtNames([]string{"t/"}) {
		t.Fatalf("root listing %v", got)
	}
	if _, err := r.fs.ContentSummary(ctx, "/"); err != nil {
		t.Fatalf("summary /: %v", err)
	}
	mustErrIs(t, "mkdir /user", r.fs.Mkdirs(ctx, "/user", 0o755, "u", "g", false), iofs.ErrNotExist)
	if _, err := r.fs.Stat(ctx, "/user"); !isErr(err, iofs.ErrNotExist) {
		t.Fatalf("stat /user: %v", err)
	}
}
