package fs

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/golang-lru/v2/expirable"
)

// dirCache remembers, for Options.DirCacheTTL, paths this FS found to be
// directories or made as directories. Creating many files in one directory
// (and checking permissions along the way) would otherwise re-discover the
// same directories with two or three S3 requests per file. A namespace
// mutation through this FS drops what it can change (see dropDirs), before
// and after it runs (mkdirs, which only adds, before), so the rest of a
// job's directories stay known while its tasks rename and delete; a
// directory removed by another client within the TTL can still be written
// into, which on S3 simply makes it exist again.
type dirCache struct {
	c *expirable.LRU[string, found]
}

const (
	// DefaultDirCacheTTL is Options.DirCacheTTL's default.
	DefaultDirCacheTTL = 2 * time.Second
	dirCacheLimit      = 4096
)

func newDirCache(ttl time.Duration) dirCache {
	return dirCache{c: expirable.NewLRU[string, found](dirCacheLimit, nil, ttl)}
}

func (c dirCache) get(bucket, key string) (found, bool) { return c.c.Get(bucket + "\x00" + key) }

func (c dirCache) put(bucket, key string, fd found) { c.c.Add(bucket+"\x00"+key, fd) }

// reset drops everything.
func (c dirCache) reset() { c.c.Purge() }

// dropAround drops key, every key below it and, with parent, the
// directory directly above it in bucket.
func (c dirCache) dropAround(bucket, key string, parent bool) {
	pre := bucket + "\x00"
	self := pre + key
	up := ""
	if i := strings.LastIndexByte(key, '/'); parent && i > 0 {
		up = pre + key[:i]
	}
	for _, k := range c.c.Keys() {
		if k == self || k == up || strings.HasPrefix(k, self+"/") {
			c.c.Remove(k)
		}
	}
}

// madeDir is what a lookup finds at a directory this FS has just made with
// marker metadata md at now. Its ETag is left empty: a PUT's ETag is not
// always the one HEAD reports (MinIO answers the PUT of an SSE object with a
// shorter one), so what copies the marker on the strength of this answer
// (chmod, rename) copies it unconditionally, as it copies listed markers.
// A directory is made only where its lookup found nothing, folder marker
// included.
func madeDir(md map[string]string, now time.Time) found {
	return found{kind: kindDir, noFolder: true, head: &s3.HeadObjectOutput{
		Metadata:      maps.Clone(md),
		LastModified:  aws.Time(now),
		ContentLength: aws.Int64(0),
		ContentType:   aws.String(dirContentType),
	}}
}

// dropDirs drops what a mutation at l can change from the directory cache
// (everything, for a bucket root or the namespace root): l and what is
// below it, and, for a mutation that removes l (delete, the source of a
// rename), l's parent, which may be left empty and then gets a marker
// (keepParent). Directories further up keep their state: they still hold
// the parent. Making directories changes none that existed: only missing
// ones get markers, and the cache holds only directories found.
func (f *FS) dropDirs(l loc, removes bool) {
	if l.key == "" {
		f.dirs.reset()
		return
	}
	f.dirs.dropAround(l.bucket, l.key, removes)
}

// knownMarked says, without asking S3, whether l is known (to this call,
// or to the directory cache) as a directory with its own marker, which
// keeps it when its last child goes: a rename or delete then need not list
// it (keepParent). Callers ask before dropping l from the cache.
func (f *FS) knownMarked(ctx context.Context, l loc) bool {
	fd, ok := memoOf(ctx).get(l)
	if !ok {
		fd, ok = f.dirs.get(l.bucket, l.key)
	}
	return ok && fd.kind == kindDir && fd.head != nil
}
