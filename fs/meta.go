package fs

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	iofs "io/fs"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// User-metadata scheme (keys as the SDK reports them: lower case, without
// the "x-amz-meta-" prefix):
//
//	emrfsd-owner           owner, URL-path-escaped (ASCII-safe, reversible)
//	emrfsd-group           group, escaped the same way
//	emrfsd-perm            permission bits in octal, e.g. "644", "1777"
//	emrfsd-mtime           modification time, decimal ms since the epoch
//	emrfsd-atime           access time, decimal ms since the epoch
//	emrfsd-blocksize       HDFS block size the file was created with, decimal
//	emrfsd-xattr-<hex>     an xattr: <hex> is the lower-case hex of its full
//	                       name ("user.foo" -> 757365722e666f6f), the value
//	                       is standard base64 (padded)
//
// Hex keeps names exact although HTTP header names are case-insensitive.
// Every other key (notably the S3 Encryption Client's x-amz-key-v2,
// x-amz-iv, x-amz-matdesc, ...) is carried over untouched on updates.
const (
	metaOwner       = "emrfsd-owner"
	metaGroup       = "emrfsd-group"
	metaPerm        = "emrfsd-perm"
	metaMtime       = "emrfsd-mtime"
	metaAtime       = "emrfsd-atime"
	metaBlockSize   = "emrfsd-blocksize"
	metaReplication = "emrfsd-replication"
	metaXattrPrefix = "emrfsd-xattr-"

	// MaxMetadataBytes is S3's limit on user metadata: the sum of the UTF-8
	// lengths of every key and value. Updates that would exceed it fail
	// with ErrInvalid.
	MaxMetadataBytes = 2048
	// maxXattrName is HDFS's limit on an xattr name (including namespace).
	maxXattrName = 255
)

var (
	errMetaTooLarge = fmt.Errorf("%w: user metadata would exceed S3's 2 KiB limit", iofs.ErrInvalid)
	errBadXattr     = fmt.Errorf("%w: xattr name must be NAMESPACE.NAME, valid UTF-8, at most 255 bytes", iofs.ErrInvalid)
)

// attrs is the decoded namespace metadata of an object.
type attrs struct {
	owner, group string
	perm         uint32
	hasPerm      bool
	mtime, atime time.Time // zero when absent
	blockSize    int64     // 0 when absent
	replication  int64     // 0 when absent
	xattrs       map[string][]byte
}

// decodeMeta reads the namespace metadata; malformed entries (written by
// someone else) are ignored rather than failing a Stat.
func decodeMeta(md map[string]string) attrs {
	var a attrs
	if v, ok := md[metaOwner]; ok {
		a.owner = unescapeName(v)
	}
	if v, ok := md[metaGroup]; ok {
		a.group = unescapeName(v)
	}
	if v, ok := md[metaPerm]; ok {
		if p, err := strconv.ParseUint(v, 8, 32); err == nil && p <= 07777 {
			a.perm, a.hasPerm = uint32(p), true
		}
	}
	a.mtime = parseMillis(md[metaMtime])
	a.atime = parseMillis(md[metaAtime])
	if v, ok := md[metaBlockSize]; ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			a.blockSize = n
		}
	}
	if v, ok := md[metaReplication]; ok {
		if n, err := strconv.ParseInt(v, 10, 16); err == nil && n > 0 {
			a.replication = n
		}
	}
	for k, v := range md {
		if !strings.HasPrefix(k, metaXattrPrefix) {
			continue
		}
		name, err := hex.DecodeString(k[len(metaXattrPrefix):])
		if err != nil || len(name) == 0 {
			continue
		}
		val, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			continue
		}
		if a.xattrs == nil {
			a.xattrs = map[string][]byte{}
		}
		a.xattrs[string(name)] = val
	}
	return a
}

func parseMillis(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func formatMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// escapeName makes an owner or group name a safe header value; PathEscape
// escapes '%' too, so unescapeName inverts it exactly.
func escapeName(s string) string { return url.PathEscape(s) }

func unescapeName(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

func xattrKey(name string) string { return metaXattrPrefix + hex.EncodeToString([]byte(name)) }

// checkXattrName accepts a non-empty UTF-8 name of at most 255 bytes with
// a namespace ("user.x"), no NUL.
func checkXattrName(name string) error {
	if name == "" || len(name) > maxXattrName || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
		return errBadXattr
	}
	if i := strings.IndexByte(name, '.'); i <= 0 || i == len(name)-1 {
		return errBadXattr
	}
	return nil
}

// metaChange is an update applied to an object's user metadata.
type metaChange struct {
	a         Attrs
	setXattr  map[string][]byte
	delXattr  []string
	keepMtime time.Time // stored as mtime when no mtime is recorded yet
}

// apply returns a copy of md with the change made; keys it does not own are
// kept as they are.
func (c metaChange) apply(md map[string]string) map[string]string {
	out := maps.Clone(md)
	if out == nil {
		out = map[string]string{}
	}
	if _, ok := out[metaMtime]; !ok && !c.keepMtime.IsZero() {
		out[metaMtime] = formatMillis(c.keepMtime)
	}
	if c.a.Perm != nil {
		out[metaPerm] = strconv.FormatUint(uint64(*c.a.Perm&07777), 8)
	}
	if c.a.Owner != nil {
		out[metaOwner] = escapeName(*c.a.Owner)
	}
	if c.a.Group != nil {
		out[metaGroup] = escapeName(*c.a.Group)
	}
	if c.a.ModTime != nil {
		out[metaMtime] = formatMillis(*c.a.ModTime)
	}
	if c.a.AccessTime != nil {
		out[metaAtime] = formatMillis(*c.a.AccessTime)
	}
	if c.a.Replication != nil {
		out[metaReplication] = strconv.Itoa(*c.a.Replication)
	}
	for name, v := range c.setXattr {
		out[xattrKey(name)] = base64.StdEncoding.EncodeToString(v)
	}
	for _, name := range c.delXattr {
		delete(out, xattrKey(name))
	}
	return out
}

// metaSize is the size S3 charges against MaxMetadataBytes.
func metaSize(md map[string]string) int {
	n := 0
	for k, v := range md {
		n += len(k) + len(v)
	}
	return n
}

func checkMetaSize(md map[string]string) error {
	if metaSize(md) > MaxMetadataBytes {
		return errMetaTooLarge
	}
	return nil
}

// newObjectMeta is the namespace metadata of a newly created file or
// directory marker.
func newObjectMeta(perm uint32, owner, group string) map[string]string {
	md := map[string]string{metaPerm: strconv.FormatUint(uint64(perm&07777), 8)}
	if owner != "" {
		md[metaOwner] = escapeName(owner)
	}
	if group != "" {
		md[metaGroup] = escapeName(group)
	}
	return md
}

// newMarkerMeta is the metadata of a new directory marker: a directory's
// modification time is recorded, so listings can show it without asking
// for the marker's LastModified.
func newMarkerMeta(perm uint32, owner, group string, now time.Time) map[string]string {
	md := newObjectMeta(perm, owner, group)
	md[metaMtime] = formatMillis(now)
	return md
}

// newFileMeta is the namespace metadata of a new file.
func newFileMeta(perm uint32, owner, group string, blockSize int64, replication int) map[string]string {
	md := newObjectMeta(perm, owner, group)
	if blockSize > 0 {
		md[metaBlockSize] = strconv.FormatInt(blockSize, 10)
	}
	if replication > 0 {
		md[metaReplication] = strconv.Itoa(replication)
	}
	return md
}
