package fs

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/golang-lru/v2/expirable"
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
	c *expirable.LRU[string, bool]
}

const (
	probeTTL        = 30 * time.Second
	probeMaxEntries = 16384
)

func newProbeCache() probeCache {
	return probeCache{c: expirable.NewLRU[string, bool](probeMaxEntries, nil, probeTTL)}
}

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
	if exists, ok := c.c.Get(id); ok {
		return exists, nil
	}
	exists, err := ask()
	if err != nil {
		return false, err
	}
	c.c.Add(id, exists)
	return exists, nil
}

// reset drops every cached answer (after this FS changed the namespace).
func (c *probeCache) reset() { c.c.Purge() }

// forget drops a key's cached answer (after this FS creates or deletes it).
func (c *probeCache) forget(bucket, key string) { c.c.Remove(bucket + "\x00" + key) }
