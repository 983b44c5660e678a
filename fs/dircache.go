package fs

import (
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// dirCache remembers, for dirTTL, paths this FS found to be directories.
// Creating many files in one directory (and checking permissions along the
// way) would otherwise re-discover the same directories with two or three
// S3 requests per file. Any namespace mutation through this FS drops the
// whole cache; a directory removed by another client within the TTL can
// still be written into, which on S3 simply makes it exist again.
type dirCache struct {
	c *expirable.LRU[string, found]
}

const (
	dirTTL        = 2 * time.Second
	dirCacheLimit = 4096
)

func newDirCache() dirCache {
	return dirCache{c: expirable.NewLRU[string, found](dirCacheLimit, nil, dirTTL)}
}

func (c dirCache) get(bucket, key string) (found, bool) { return c.c.Get(bucket + "\x00" + key) }

func (c dirCache) put(bucket, key string, fd found) { c.c.Add(bucket+"\x00"+key, fd) }

// reset drops everything (after a mutation of the namespace).
func (c dirCache) reset() { c.c.Purge() }
