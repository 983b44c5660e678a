package fs

import (
	"sync"
	"time"
)

// dirCache remembers, for dirTTL, paths this FS found to be directories.
// Creating many files in one directory (and checking permissions along the
// way) would otherwise re-discover the same directories with two or three
// S3 requests per file. Any namespace mutation through this FS drops the
// whole cache; a directory removed by another client within the TTL can
// still be written into, which on S3 simply makes it exist again.
type dirCache struct {
	mu sync.Mutex
	m  map[string]dirCacheEntry
}

type dirCacheEntry struct {
	fd found
	at time.Time
}

const (
	dirTTL        = 2 * time.Second
	dirCacheLimit = 4096
)

func (c *dirCache) get(bucket, key string) (found, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[bucket+"\x00"+key]
	if !ok || time.Since(e.at) > dirTTL {
		return found{}, false
	}
	return e.fd, true
}

func (c *dirCache) put(bucket, key string, fd found) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= dirCacheLimit {
		c.m = map[string]dirCacheEntry{}
	}
	c.m[bucket+"\x00"+key] = dirCacheEntry{fd: fd, at: time.Now()}
}

// reset drops everything (after a mutation of the namespace).
func (c *dirCache) reset() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
