package namenode

import (
	"sync"
	"time"

	"github.com/emrfsd/emrfsd/fs"
)

// listingCache remembers, for a few seconds, the directories a user is in
// the middle of listing (a batch answered with more to come), so the next
// batches skip the directory's stat and permission checks. Only
// continuation batches (startAfter set) use it.
type listingCache struct {
	mu sync.Mutex
	m  map[listingKey]listingEntry
}

type listingKey struct{ user, path string }

type listingEntry struct {
	fi fs.FileInfo
	at time.Time
}

const (
	listingTTL = 10 * time.Second
	listingMax = 4096
)

func (c *listingCache) get(user, path string, continuation bool) (fs.FileInfo, bool) {
	if !continuation {
		return fs.FileInfo{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[listingKey{user, path}]
	if !ok || time.Since(e.at) > listingTTL {
		return fs.FileInfo{}, false
	}
	return e.fi, true
}

func (c *listingCache) put(user, path string, fi fs.FileInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= listingMax {
		c.m = map[listingKey]listingEntry{}
	}
	c.m[listingKey{user, path}] = listingEntry{fi: fi, at: time.Now()}
}

// forget drops every cached listing of path (after a mutation of it).
func (c *listingCache) forget(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.path == path {
			delete(c.m, k)
		}
	}
}
