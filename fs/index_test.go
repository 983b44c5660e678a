package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/s3api"
	"github.com/emrfsd/emrfsd/providers"
)

func TestIndexEntryCodec(t *testing.T) {
	e := indexEntry{
		etag: `"abc-2"`, size: 1 << 40, plain: -1, lastMod: time.UnixMilli(1700000000123), pinned: true,
		seen: time.UnixMilli(1700000001000),
		a:    attrs{owner: "ünï", group: "g", perm: 0o1750, hasPerm: true, mtime: time.UnixMilli(5), atime: time.UnixMilli(6), blockSize: 1 << 20},
	}
	b := e.encode()
	got, err := decodeEntry(b)
	mustOK(t, "decode", err)
	if got.etag != e.etag || got.size != e.size || got.plain != -1 || !got.lastMod.Equal(e.lastMod) || !got.pinned ||
		!got.seen.Equal(e.seen) || got.absent || got.a.owner != e.a.owner || got.a.group != "g" || got.a.perm != 0o1750 ||
		!got.a.hasPerm || !got.a.mtime.Equal(e.a.mtime) || !got.a.atime.Equal(e.a.atime) || got.a.blockSize != 1<<20 {
		t.Fatalf("round trip: %+v", got)
	}
	abs, err := decodeEntry(indexEntry{absent: true}.encode())
	if err != nil || !abs.absent || !abs.lastMod.IsZero() || abs.a.hasPerm {
		t.Fatalf("absent entry: %+v %v", abs, err)
	}
	// Every truncation, a wrong format byte and trailing garbage are refused.
	for i := range len(b) {
		if _, err := decodeEntry(b[:i]); err == nil {
			t.Fatalf("truncated to %d bytes accepted", i)
		}
	}
	bad := bytes.Clone(b)
	bad[0] = indexFormat + 1
	if _, err := decodeEntry(bad); err == nil {
		t.Fatal("unknown format accepted")
	}
	if _, err := decodeEntry(append(bytes.Clone(b), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	// recall drops an undecodable entry.
	f := unitFS(t, map[string]string{"b": "b"})
	f.index.Put(indexKey("b", "k"), []byte{indexFormat, 0, 200})
	if _, ok := f.recall("b", "k"); ok {
		t.Fatal("corrupt entry recalled")
	}
	if _, ok := f.index.Get(indexKey("b", "k")); ok {
		t.Fatal("corrupt entry kept")
	}
}

func TestMatchListed(t *testing.T) {
	listedAt := time.UnixMilli(1700000000456)
	obj := &s3types.Object{ETag: aws.String(`"e"`), Size: aws.Int64(10), LastModified: aws.Time(listedAt)}
	tests := []struct {
		name       string
		e          indexEntry
		match, pin bool
	}{
		{"pinned same", indexEntry{etag: `"e"`, size: 10, lastMod: listedAt, pinned: true}, true, false},
		// Another daemon rewrote the metadata: same ETag and size, newer LastModified.
		{"pinned changed", indexEntry{etag: `"e"`, size: 10, lastMod: listedAt.Add(-time.Second), pinned: true}, false, false},
		{"head same second", indexEntry{etag: `"e"`, size: 10, lastMod: listedAt.Truncate(time.Second)}, true, true},
		{"head other second", indexEntry{etag: `"e"`, size: 10, lastMod: listedAt.Truncate(time.Second).Add(-time.Second)}, false, false},
		{"own write, stamped before", indexEntry{etag: `"e"`, size: 10, seen: listedAt.Add(time.Millisecond)}, true, true},
		{"own write, skewed clock", indexEntry{etag: `"e"`, size: 10, seen: listedAt.Add(-pinSlack / 2)}, true, true},
		{"own write, changed later", indexEntry{etag: `"e"`, size: 10, seen: listedAt.Add(-pinSlack - time.Second)}, false, false},
		{"other etag", indexEntry{etag: `"f"`, size: 10, lastMod: listedAt, pinned: true}, false, false},
		{"other size", indexEntry{etag: `"e"`, size: 11, lastMod: listedAt, pinned: true}, false, false},
		{"absent", indexEntry{absent: true}, false, false},
	}
	for _, tc := range tests {
		match, pin := tc.e.matchListed(obj)
		if match != tc.match || pin != tc.pin {
			t.Errorf("%s: match %v pin %v, want %v %v", tc.name, match, pin, tc.match, tc.pin)
		}
	}
}

// fakeList serves one directory listing of n files ("d/f000"...) with no
// metadata, answers HEADs through head, and counts them.
type fakeList struct {
	nilS3
	n        int
	head     func(ctx context.Context, key string) (*s3.HeadObjectOutput, error)
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	heads    atomic.Int64
}

var fakeListTime = time.UnixMilli(1700000000456)

func (f *fakeList) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(false)}
	for i := range f.n {
		out.Contents = append(out.Contents, s3types.Object{
			Key: aws.String(fmt.Sprintf("d/f%03d", i)), ETag: aws.String(`"e` + strconv.Itoa(i) + `"`),
			Size: aws.Int64(int64(i)), LastModified: aws.Time(fakeListTime),
		})
	}
	return out, nil
}

func (f *fakeList) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.heads.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	return f.head(ctx, aws.ToString(in.Key))
}

func (f *fakeList) fs(t *testing.T, tune func(*Options)) *FS {
	t.Helper()
	o := Options{S3: f, Buckets: map[string]string{"b": "b"},
		Provider: func(context.Context, string) (providers.Provider, error) { return &testProvider{}, nil }}
	if tune != nil {
		tune(&o)
	}
	fsys, err := New(context.Background(), o)
	mustOK(t, "new", err)
	return fsys
}

func apiErr(status int, code string) error {
	return httpErr(status, &smithy.GenericAPIError{Code: code, Message: code})
}

// TestListResolvesUnknownEntries: entries the index does not know are
// HEADed at most 8 at a time, each once; a HEAD that fails (other than by
// cancellation) leaves that entry with the defaults instead of failing
// the listing.
func TestListResolvesUnknownEntries(t *testing.T) {
	var release = make(chan struct{})
	fl := &fakeList{n: 40}
	fl.head = func(ctx context.Context, key string) (*s3.HeadObjectOutput, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		i, _ := strconv.Atoi(key[len("d/f"):])
		if i == 7 {
			return nil, apiErr(http.StatusForbidden, "AccessDenied")
		}
		return &s3.HeadObjectOutput{
			ETag: aws.String(`"e` + strconv.Itoa(i) + `"`), ContentLength: aws.Int64(int64(i)),
			LastModified: aws.Time(fakeListTime.Truncate(time.Second)),
			Metadata:     newFileMeta(0o600, "owner"+strconv.Itoa(i), "g", 4<<20, 0),
		}, nil
	}
	f := fl.fs(t, nil)
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	list, more, err := f.List(context.Background(), "/b/d", "", 1000)
	mustOK(t, "list", err)
	if more || len(list) != 40 {
		t.Fatalf("%d entries, more %v", len(list), more)
	}
	if got := fl.maxSeen.Load(); got != listHeadWorkers {
		t.Fatalf("%d HEADs in flight at most, want %d", got, listHeadWorkers)
	}
	for i, fi := range list {
		want := "owner" + strconv.Itoa(i)
		if i == 7 {
			want = DefaultOwnerName
		}
		if fi.Owner != want || (i != 7 && (fi.Perm != 0o600 || fi.BlockSize != 4<<20)) {
			t.Fatalf("entry %d: %+v", i, fi)
		}
	}
	if fl.heads.Load() != 40 {
		t.Fatalf("%d HEADs for 40 unknown entries", fl.heads.Load())
	}
	// Known now (pinned to the listing): no more HEADs but for the one
	// that could not be read.
	fl.heads.Store(0)
	_, _, err = f.List(context.Background(), "/b/d", "", 1000)
	mustOK(t, "list again", err)
	if fl.heads.Load() != 1 {
		t.Fatalf("second listing sent %d HEADs, want 1", fl.heads.Load())
	}
	// Only the entries returned are resolved.
	fl.heads.Store(0)
	g := fl.fs(t, nil)
	list, more, err = g.List(context.Background(), "/b/d", "", 5)
	mustOK(t, "list 5", err)
	if len(list) != 5 || !more || fl.heads.Load() != 5 {
		t.Fatalf("limit 5: %d entries, more %v, %d HEADs", len(list), more, fl.heads.Load())
	}
	// NoListHeads: defaults, no HEAD.
	fl.heads.Store(0)
	h := fl.fs(t, func(o *Options) { o.NoListHeads = true })
	list, _, err = h.List(context.Background(), "/b/d", "", 1000)
	mustOK(t, "list without heads", err)
	if fl.heads.Load() != 0 || list[3].Owner != DefaultOwnerName || list[3].Perm != DefaultFilePerm {
		t.Fatalf("NoListHeads: %d HEADs, entry %+v", fl.heads.Load(), list[3])
	}
}

func TestListCancelledWhileResolving(t *testing.T) {
	fl := &fakeList{n: 20}
	fl.head = func(ctx context.Context, key string) (*s3.HeadObjectOutput, error) {
		<-ctx.Done()
		return nil, fmt.Errorf("head: %w", ctx.Err())
	}
	f := fl.fs(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := f.List(ctx, "/b/d", "", 1000)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled listing: %v", err)
	}
}

// rootS3 serves a bucket's root object for updateRoot, failing the first
// failures conditional PUTs with 412 as if another writer got in between.
type rootS3 struct {
	nilS3
	mu          sync.Mutex
	meta        map[string]string
	etag        int
	failures    int
	puts        int
	listBuckets int
}

func (r *rootS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.meta == nil {
		return nil, apiErr(http.StatusNotFound, "NotFound")
	}
	return &s3.HeadObjectOutput{ETag: aws.String(strconv.Itoa(r.etag)), Metadata: r.meta, LastModified: aws.Time(fakeListTime)}, nil
}

func (r *rootS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return &s3.ListObjectsV2Output{}, nil
}

// ListBuckets is not allowed (s3:ListAllMyBuckets is often denied): roots
// then have no creation date.
func (r *rootS3) ListBuckets(ctx context.Context, in *s3.ListBucketsInput, _ ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listBuckets++
	return nil, apiErr(http.StatusForbidden, "AccessDenied")
}

func (r *rootS3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.puts++
	if aws.ToString(in.Key) != rootKey || in.ServerSideEncryption != "aws:kms" {
		return nil, fmt.Errorf("unexpected put %s sse %q", aws.ToString(in.Key), in.ServerSideEncryption)
	}
	if r.failures > 0 {
		r.failures--
		r.etag++ // someone else's write
		return nil, apiErr(http.StatusPreconditionFailed, "PreconditionFailed")
	}
	if (r.meta == nil) != (aws.ToString(in.IfNoneMatch) == "*") || (r.meta != nil && aws.ToString(in.IfMatch) != strconv.Itoa(r.etag)) {
		return nil, fmt.Errorf("put not conditional on the version read: if-match %q if-none-match %q", aws.ToString(in.IfMatch), aws.ToString(in.IfNoneMatch))
	}
	r.meta, r.etag = in.Metadata, r.etag+1
	return &s3.PutObjectOutput{ETag: aws.String(strconv.Itoa(r.etag))}, nil
}

func TestUpdateRootRetries(t *testing.T) {
	prov := &testProvider{sse: providers.SSE{Algorithm: "aws:kms"}}
	newFS := func(s s3api.API) *FS {
		f, err := New(context.Background(), Options{S3: s, Buckets: map[string]string{"b": "b"},
			Provider: func(context.Context, string) (providers.Provider, error) { return prov, nil }})
		mustOK(t, "new", err)
		return f
	}
	ctx := context.Background()
	perm := uint32(0o700)
	s := &rootS3{failures: 2}
	mustOK(t, "chmod racing twice", newFS(s).SetAttrs(ctx, "/b", Attrs{Perm: &perm}))
	if s.puts != 3 || decodeMeta(s.meta).perm != 0o700 {
		t.Fatalf("%d puts, meta %v", s.puts, s.meta)
	}
	mustOK(t, "chown over an existing root object", newFS(s).SetAttrs(ctx, "/b", Attrs{Owner: aws.String("o")}))
	if a := decodeMeta(s.meta); a.perm != 0o700 || a.owner != "o" {
		t.Fatalf("merged meta %+v", a)
	}
	// A denied ListBuckets is asked once, not per Stat.
	g := newFS(&rootS3{})
	for range 3 {
		fi, err := g.Stat(ctx, "/b")
		mustOK(t, "stat", err)
		if !fi.ModTime.IsZero() {
			t.Fatalf("mtime %v without a creation date", fi.ModTime)
		}
		g.roots = rootCache{}
	}
	if n := g.opts.S3.(mutationCounter).API.(*rootS3).listBuckets; n != 1 {
		t.Fatalf("ListBuckets asked %d times", n)
	}
	s.failures = 100
	err := newFS(s).SetAttrs(ctx, "/b", Attrs{Perm: &perm})
	if !errors.Is(err, errs.ErrChanged) || s.failures != 100-rootUpdateTries {
		t.Fatalf("endless race: %v after %d tries", err, 100-s.failures)
	}
}

// BenchmarkListKnownEntries measures this package's cost per listed entry
// when the attribute index knows every entry (S3 answers come from memory):
// the listing costs a map lookup and a decode per entry, no HEAD.
func BenchmarkListKnownEntries(b *testing.B) {
	fl := &fakeList{n: 1000}
	fl.head = func(ctx context.Context, key string) (*s3.HeadObjectOutput, error) {
		i, _ := strconv.Atoi(key[len("d/f"):])
		return &s3.HeadObjectOutput{
			ETag: aws.String(`"e` + strconv.Itoa(i) + `"`), ContentLength: aws.Int64(int64(i)),
			LastModified: aws.Time(fakeListTime.Truncate(time.Second)), Metadata: newFileMeta(0o600, "owner", "group", 4<<20, 0),
		}, nil
	}
	f, err := New(context.Background(), Options{S3: fl, Buckets: map[string]string{"b": "b"},
		Provider: func(context.Context, string) (providers.Provider, error) { return &testProvider{}, nil }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := f.List(ctx, "/b/d", "", 1000); err != nil { // fills the index
		b.Fatal(err)
	}
	fl.heads.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		list, _, err := f.List(ctx, "/b/d", "", 1000)
		if err != nil || len(list) != 1000 || list[999].Owner != "owner" {
			b.Fatalf("%d entries, %v", len(list), err)
		}
	}
	b.StopTimer()
	if fl.heads.Load() != 0 {
		b.Fatalf("%d HEADs", fl.heads.Load())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/entry")
}
