package fs

import (
	"context"
	"sync"
	"time"
)

// probeCache remembers, for a short time, which EMRFS folder-marker keys
// exist. A listing cut into pages must check, at each cut, whether a
// directory known only by its "NAME_$folder$" marker sorts into the page
// although its key has not been listed yet; every prefix of the last name
// is a candidate, and consecutive cuts share most prefixes. Caching the
// answers for probeTTL turns the cost of a long listing from a HEAD per
// candidate per cut into a HEAD per distinct candidate. A marker created
// by another client within the TTL may sort late in that one listing.
type probeCache struct {
	mu      sync.Mutex
	entries map[string]probeEntry
}

type probeEntry struct {
	exists bool
	at     time.Time
}

const (
	probeTTL        = 30 * time.Second
	probeMaxEntries = 16384
)

func (c *probeCache) exists(ctx context.Context, f *FS, bucket, key string) (bool, error) {
	now := time.Now()
	id := bucket + "\x00" + key
	c.mu.Lock()
	if e, ok := c.entries[id]; ok && now.Sub(e.at) < probeTTL {
		c.mu.Unlock()
		return e.exists, nil
	}
	c.mu.Unlock()
	_, err := f.head(ctx, bucket, key)
	exists := err == nil
	if err != nil && !isNotExist(err) {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= probeMaxEntries {
		c.entries = map[string]probeEntry{}
	}
	c.entries[id] = probeEntry{exists: exists, at: now}
	return exists, nil
}

// forget drops a key's cached answer (after this FS creates or deletes it).
func (c *probeCache) forget(bucket, key string) {
	c.mu.Lock()
	delete(c.entries, bucket+"\x00"+key)
	c.mu.Unlock()
}
