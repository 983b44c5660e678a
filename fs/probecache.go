package fs

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// probeCache remembers, for a short time, which EMRFS folder-marker keys
// (and which "NAME/" prefixes) exist. A listing cut into pages must check, at each cut, whether a
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
	return c.probe(bucket+"\x00"+key, func() (bool, error) { return f.exists(ctx, bucket, key) })
}

// prefixExists reports whether any key starts with prefix (a directory
// "NAME/" whose keys sort after a listing's page cut), cached likewise.
func (c *probeCache) prefixExists(ctx context.Context, f *FS, bucket, prefix string) (bool, error) {
	return c.probe(bucket+"\x01"+prefix, func() (bool, error) {
		out, err := f.opts.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1),
		})
		if err != nil {
			return false, err
		}
		return len(out.Contents) > 0 || len(out.CommonPrefixes) > 0, nil
	})
}

func (c *probeCache) probe(id string, ask func() (bool, error)) (bool, error) {
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.entries[id]; ok && now.Sub(e.at) < probeTTL {
		c.mu.Unlock()
		return e.exists, nil
	}
	c.mu.Unlock()
	exists, err := ask()
	if err != nil {
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

// reset drops every cached answer (after this FS changed the namespace).
func (c *probeCache) reset() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

// forget drops a key's cached answer (after this FS creates or deletes it).
func (c *probeCache) forget(bucket, key string) {
	c.mu.Lock()
	delete(c.entries, bucket+"\x00"+key)
	c.mu.Unlock()
}
