package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// Bucket roots (/BUCKET, and "/" in the default bucket) keep their owner,
// group, permission, times and xattrs in the bucket's rootKey object, a
// zero-byte object written like a directory marker (same metadata scheme,
// the bucket's SSE parameters). Until someone changes them, a root shows
// Options.RootDefaults.

const (
	// rootTTL is how long a bucket root's attributes are reused; this FS's
	// own changes replace the cached answer at once.
	rootTTL = 5 * time.Second
	// topsTTL is how long the discovered bucket list is reused.
	topsTTL = 30 * time.Second
	// rootUpdateTries bounds the conditional read-modify-write of a root
	// object racing with other writers.
	rootUpdateTries = 5
)

// rootState is what a bucket's root object says.
type rootState struct {
	exists  bool // the root object exists
	a       attrs
	etag    string
	lastMod time.Time
}

type rootCache struct {
	mu sync.Mutex
	m  map[string]rootCacheEntry
}

type rootCacheEntry struct {
	st rootState
	at time.Time
}

func (c *rootCache) get(bucket string) (rootState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[bucket]
	if !ok || time.Since(e.at) > rootTTL {
		return rootState{}, false
	}
	return e.st, true
}

func (c *rootCache) put(bucket string, st rootState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 4096 {
		c.m = map[string]rootCacheEntry{}
	}
	c.m[bucket] = rootCacheEntry{st: st, at: time.Now()}
}

// topsCache remembers the buckets the credentials can list, for
// resolving top-level names when Options.Buckets is nil.
type topsCache struct {
	mu       sync.Mutex
	buckets  map[string]time.Time // name -> creation date
	at       time.Time
	failedAt time.Time // last ListBuckets failure (creation dates only)
}

// bucketNames returns the buckets ListBuckets reports (cached for topsTTL).
func (f *FS) bucketNames(ctx context.Context) (map[string]time.Time, error) {
	c := &f.tops
	c.mu.Lock()
	if c.buckets != nil && time.Since(c.at) < topsTTL {
		defer c.mu.Unlock()
		return c.buckets, nil
	}
	c.mu.Unlock()
	all := map[string]time.Time{}
	in := &s3.ListBucketsInput{}
	for {
		out, err := f.opts.S3.ListBuckets(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, b := range out.Buckets {
			all[aws.ToString(b.Name)] = aws.ToTime(b.CreationDate)
		}
		if aws.ToString(out.ContinuationToken) == "" {
			break
		}
		in.ContinuationToken = out.ContinuationToken
	}
	c.mu.Lock()
	c.buckets, c.at = all, time.Now()
	c.mu.Unlock()
	return all, nil
}

// bucketCreated is a bucket's creation date, shown as a bucket root's
// modification time until the root has attributes of its own; zero when
// ListBuckets is not allowed (then not asked again for topsTTL).
func (f *FS) bucketCreated(ctx context.Context, bucket string) time.Time {
	c := &f.tops
	c.mu.Lock()
	failed := time.Since(c.failedAt) < topsTTL
	c.mu.Unlock()
	if failed {
		return time.Time{}
	}
	names, err := f.bucketNames(ctx)
	if err != nil {
		c.mu.Lock()
		c.failedAt = time.Now()
		c.mu.Unlock()
		f.log.DebugContext(ctx, "fs: no bucket creation dates", "err", err)
		return time.Time{}
	}
	return names[bucket]
}

// topBucket maps a top-level name to its bucket. served is false when the
// name is not a served bucket (it then lives in the default bucket).
func (f *FS) topBucket(ctx context.Context, name string) (bucket string, served bool, err error) {
	switch {
	case f.opts.Buckets != nil:
		b, ok := f.opts.Buckets[name]
		return b, ok, nil
	case f.opts.DefaultBucket == "":
		return name, true, nil
	case name == f.opts.DefaultBucket:
		return "", false, nil // the default bucket is "/", never /NAME
	}
	names, err := f.bucketNames(ctx)
	if err != nil {
		return "", false, err
	}
	_, ok := names[name]
	return name, ok, nil
}

// servedTops lists the top-level bucket directories (name -> creation
// date, zero when unknown), sorted by name.
func (f *FS) servedTops(ctx context.Context) ([]string, map[string]time.Time, error) {
	var dates map[string]time.Time
	if f.opts.Buckets != nil {
		dates = make(map[string]time.Time, len(f.opts.Buckets))
		for top := range f.opts.Buckets {
			dates[top] = time.Time{}
		}
	} else {
		all, err := f.bucketNames(ctx)
		if err != nil {
			return nil, nil, err
		}
		dates = make(map[string]time.Time, len(all))
		for b, t := range all {
			if b != f.opts.DefaultBucket {
				dates[b] = t
			}
		}
	}
	names := make([]string, 0, len(dates))
	for n := range dates {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, dates, nil
}

// rootBucket is the bucket holding l's root attributes: the bucket of a
// top-level bucket directory, or the default bucket for "/" ("" if none).
func (f *FS) rootBucket(l loc) string {
	if l.isRoot() {
		return f.opts.DefaultBucket
	}
	return l.bucket
}

// rootState reads a bucket's root object (cached for rootTTL). A missing
// bucket fails with ErrNotExist.
func (f *FS) rootState(ctx context.Context, bucket string) (rootState, error) {
	if st, ok := f.roots.get(bucket); ok {
		return st, nil
	}
	var st rootState
	h, err := f.head(ctx, bucket, rootKey)
	switch {
	case err == nil:
		st = rootState{exists: true, a: decodeMeta(h.Metadata), etag: aws.ToString(h.ETag), lastMod: aws.ToTime(h.LastModified)}
	case isNotExist(err):
		// No root object, or no bucket (HEAD cannot tell them apart).
		if err := f.bucketExists(ctx, bucket); err != nil {
			return rootState{}, err
		}
	default:
		return rootState{}, err
	}
	f.roots.put(bucket, st)
	return st, nil
}

// rootInfo describes a bucket root or "/".
func (f *FS) rootInfo(l loc, st rootState) FileInfo {
	fi := FileInfo{Path: l.path, Name: l.name(), IsDir: true}
	bucket := f.rootBucket(l)
	def := RootAttrs{Perm: DefaultDirPerm}
	if f.opts.RootDefaults != nil {
		def = f.opts.RootDefaults(bucket)
	}
	a := st.a
	if a.owner == "" {
		a.owner = def.Owner
	}
	if a.group == "" {
		a.group = def.Group
	}
	if !a.hasPerm {
		a.perm, a.hasPerm = def.Perm, true
	}
	f.applyMeta(&fi, a, st.lastMod)
	return fi
}

// statRoot describes "/" or a top-level bucket directory.
func (f *FS) statRoot(ctx context.Context, l loc) (FileInfo, error) {
	bucket := f.rootBucket(l)
	var st rootState
	if bucket != "" {
		var err error
		if st, err = f.rootState(ctx, bucket); err != nil {
			if !l.isRoot() || !isNotExist(err) {
				return FileInfo{}, err
			}
			// "/" always exists, even when its bucket does not (yet).
			f.log.WarnContext(ctx, "fs: default bucket is missing", "bucket", bucket, "err", err)
		}
		if st.lastMod.IsZero() {
			st.lastMod = f.bucketCreated(ctx, bucket)
		}
	}
	return f.rootInfo(l, st), nil
}

// updateRoot applies a metadata change to a bucket's root object: a
// conditional read-modify-write (If-Match the version read, or
// If-None-Match: * when there was none), retried when another writer got
// in between.
func (f *FS) updateRoot(ctx context.Context, l loc, c metaChange, check func(attrs) error) error {
	bucket := f.rootBucket(l)
	if bucket == "" {
		return fmt.Errorf("%w: \"/\" has no default bucket to keep its attributes in", iofs.ErrPermission)
	}
	for try := 1; ; try++ {
		var cur map[string]string
		var etag string
		c := c
		h, err := f.head(ctx, bucket, rootKey)
		switch {
		case err == nil:
			cur, etag = h.Metadata, aws.ToString(h.ETag)
			c.keepMtime = aws.ToTime(h.LastModified)
		case isNotExist(err):
			if err := f.bucketExists(ctx, bucket); err != nil {
				return err
			}
			// An attribute change is no modification: keep the time shown so far.
			c.keepMtime = f.bucketCreated(ctx, bucket)
		default:
			return err
		}
		if check != nil {
			if err := check(decodeMeta(cur)); err != nil {
				return err
			}
		}
		md := c.apply(cur)
		if err := checkMetaSize(md); err != nil {
			return err
		}
		in := &s3.PutObjectInput{
			Bucket:        aws.String(bucket),
			Key:           aws.String(rootKey),
			Body:          bytes.NewReader(nil),
			ContentLength: aws.Int64(0),
			ContentType:   aws.String(dirContentType),
			Metadata:      md,
		}
		if etag != "" {
			in.IfMatch = aws.String(etag)
		} else {
			in.IfNoneMatch = aws.String("*")
		}
		pr, err := f.opts.Provider(ctx, bucket)
		if err != nil {
			return err
		}
		if pr == nil {
			return fmt.Errorf("%w: no provider for bucket %q", iofs.ErrInvalid, bucket)
		}
		setPutSSE(in, providers.CopySSE(pr))
		out, err := f.opts.S3.PutObject(ctx, in)
		if err == nil {
			// Our own change is visible at once (mtime: kept, or now).
			st := rootState{exists: true, a: decodeMeta(md), etag: aws.ToString(out.ETag), lastMod: time.Now()}
			if !c.keepMtime.IsZero() {
				st.lastMod = c.keepMtime
			}
			f.roots.put(bucket, st)
			return nil
		}
		if !isConditionConflict(err) {
			return err
		}
		if try == rootUpdateTries {
			return fmt.Errorf("%w: %s kept changing: %w", errs.ErrChanged, rootKey, err)
		}
	}
}

// isConditionConflict reports a conditional write that lost to another
// writer (412, or S3's 409 ConditionalRequestConflict).
func isConditionConflict(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ConditionalRequestConflict" {
		return true
	}
	return isPrecondition(err)
}

// listRoot lists "/": the served buckets, plus the default bucket's
// top-level entries (a bucket shadows an entry of the same name).
func (f *FS) listRoot(ctx context.Context, startAfter string, limit int) ([]FileInfo, bool, error) {
	tops, dates, err := f.servedTops(ctx)
	if err != nil {
		return nil, false, err
	}
	var (
		all  []FileInfo
		more bool
	)
	if f.opts.DefaultBucket != "" {
		var entries []FileInfo
		entries, more, err = f.listDir(ctx, f.rootLoc(), startAfter, limit)
		switch {
		case err == nil:
		case isNotExist(err):
			// A missing default bucket hides nothing the buckets hold.
			f.log.WarnContext(ctx, "fs: default bucket is missing", "bucket", f.opts.DefaultBucket, "err", err)
			entries, more = nil, false
		default:
			return nil, false, err
		}
		for _, fi := range entries {
			if _, shadowed := dates[fi.Name]; !shadowed {
				all = append(all, fi)
			}
		}
	}
	root := loc{path: "/"}
	for _, top := range tops {
		if top <= startAfter {
			continue
		}
		all = append(all, FileInfo{Path: root.child(top).path, Name: top, IsDir: true})
	}
	slices.SortFunc(all, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	if len(all) > limit {
		all, more = all[:limit], true
	}
	// Bucket roots show their root object's attributes.
	var want []int
	for i, fi := range all {
		if _, ok := dates[fi.Name]; ok && fi.Owner == "" {
			want = append(want, i)
		}
	}
	err = parallel(ctx, listHeadWorkers, len(want), func(ctx context.Context, j int) error {
		i := want[j]
		top := all[i].Name
		l := loc{path: all[i].Path, top: top, bucket: f.bucketOf(top)}
		st, err := f.rootState(ctx, l.bucket)
		if err != nil {
			if isBare(err) {
				return err
			}
			// A bucket the credentials list but cannot read: defaults.
			f.log.DebugContext(ctx, "fs: bucket root unreadable", "bucket", l.bucket, "err", err)
			st = rootState{}
		}
		if st.lastMod.IsZero() {
			st.lastMod = dates[top]
		}
		if st.lastMod.IsZero() {
			st.lastMod = f.bucketCreated(ctx, l.bucket)
		}
		all[i] = f.rootInfo(l, st)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return all, more, nil
}
