package fs

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/golang-lru/v2/expirable"
)

// versionHeads remembers, for a few seconds, the HEAD of each file a
// lookup found. OpenVersion reuses one when it names the version asked
// for: a DataNode opening the file whose block locations the NameNode has
// just handed out (after a stat that HEADed it) then sends no second HEAD.
// Only a HEAD of that very version (ETag) is reused, and reads of it stay
// pinned to the ETag, so a version replaced meanwhile fails its reads as it
// would after a fresh HEAD; nothing of another version is ever served.
type versionHeads struct {
	c *expirable.LRU[string, *s3.HeadObjectOutput]
}

const (
	versionHeadTTL   = 5 * time.Second
	versionHeadLimit = 1024
)

func newVersionHeads() versionHeads {
	return versionHeads{c: expirable.NewLRU[string, *s3.HeadObjectOutput](versionHeadLimit, nil, versionHeadTTL)}
}

func (v versionHeads) put(l loc, h *s3.HeadObjectOutput) {
	if aws.ToString(h.ETag) != "" {
		v.c.Add(l.bucket+"\x00"+l.key, h)
	}
}

// get returns the remembered HEAD of l if it is of version etag.
func (v versionHeads) get(l loc, etag string) (*s3.HeadObjectOutput, bool) {
	h, ok := v.c.Get(l.bucket + "\x00" + l.key)
	if !ok || etag == "" || aws.ToString(h.ETag) != etag {
		return nil, false
	}
	return h, true
}
