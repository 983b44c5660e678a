package fs

import (
	"context"
	iofs "io/fs"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/emrfsd/emrfsd/internal/s3api"
)

// absentCache lets a create skip the probes a stat of the same path has
// just made. HDFS clients ask before they create (colinmarc's Create is a
// getFileInfo then a create; DFSClient's create then its own checks), and
// proving that nothing is at a path costs three requests (HEAD of the
// object, LIST of "NAME/", HEAD of the EMRFS folder marker): asked twice,
// that was six of a small file's seven S3 requests.
//
// A lookup that finds nothing records the path with the mutation
// generation it started at; StatBeforeCreate uses the record once, within
// absentTTL, if no mutating request of this FS (PutObject, CopyObject,
// DeleteObject(s), CompleteMultipartUpload) has started or ended since.
// Plain Stat never uses it, so every other caller sees the store as it is.
// What the record can miss is a change by another client of the bucket in
// those few hundred milliseconds: a file there is still caught (the object
// is published with If-None-Match), a directory made there is not.
type absentCache struct {
	gen atomic.Uint64 // bumped before and after every mutating S3 request
	c   *expirable.LRU[string, uint64]
}

const (
	absentTTL        = 500 * time.Millisecond
	absentMaxEntries = 4096
)

func newAbsentCache() *absentCache {
	return &absentCache{c: expirable.NewLRU[string, uint64](absentMaxEntries, nil, absentTTL)}
}

func absentID(l loc) string { return l.bucket + "\x00" + l.key }

// record notes that a lookup started at generation gen found nothing at l.
func (a *absentCache) record(l loc, gen uint64) { a.c.Add(absentID(l), gen) }

// take reports (once) that l was found empty with no mutation since.
func (a *absentCache) take(l loc) bool {
	id := absentID(l)
	gen, ok := a.c.Peek(id)
	if !ok {
		return false
	}
	a.c.Remove(id)
	return gen == a.gen.Load()
}

// StatBeforeCreate is Stat for a caller about to create p: when a Stat of
// p found nothing moments ago and this FS has changed nothing since, it
// answers not-exist without asking S3 again (see absentCache).
func (f *FS) StatBeforeCreate(ctx context.Context, p string) (FileInfo, error) {
	if l, err := f.resolve(ctx, p); err == nil && !l.isRoot() && !l.isTop() && f.absent.take(l) {
		return FileInfo{}, pathErr("stat", p, iofs.ErrNotExist)
	}
	return f.Stat(ctx, p)
}

// mutationCounter bumps the absent cache's generation around every S3
// request that can make an object appear or disappear, makes the calling
// client call's memo (callMemo) forget its answers and drops the listing
// pages fetched ahead (listAhead) above the keys it changes.
type mutationCounter struct {
	s3api.API
	gen   *atomic.Uint64
	ahead *listAhead
}

// mutating marks the start of a mutating request made with ctx on keys of
// bucket, and returns what marks its end: both bump the generation, empty
// the call's memo and drop the pages fetched ahead above keys.
func (m mutationCounter) mutating(ctx context.Context, bucket *string, keys ...string) func() {
	step := func() {
		m.gen.Add(1)
		memoOf(ctx).changed()
		m.ahead.drop(aws.ToString(bucket), keys...)
	}
	step()
	return step
}

func (m mutationCounter) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	defer m.mutating(ctx, in.Bucket, aws.ToString(in.Key))()
	return m.API.PutObject(ctx, in, opts...)
}

func (m mutationCounter) CopyObject(ctx context.Context, in *s3.CopyObjectInput, opts ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	defer m.mutating(ctx, in.Bucket, aws.ToString(in.Key))()
	return m.API.CopyObject(ctx, in, opts...)
}

func (m mutationCounter) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	defer m.mutating(ctx, in.Bucket, aws.ToString(in.Key))()
	return m.API.DeleteObject(ctx, in, opts...)
}

func (m mutationCounter) DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	var keys []string
	if in.Delete != nil {
		for _, o := range in.Delete.Objects {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	defer m.mutating(ctx, in.Bucket, keys...)()
	return m.API.DeleteObjects(ctx, in, opts...)
}

func (m mutationCounter) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	defer m.mutating(ctx, in.Bucket, aws.ToString(in.Key))()
	return m.API.CompleteMultipartUpload(ctx, in, opts...)
}
