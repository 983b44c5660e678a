package fs

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	lru "github.com/hashicorp/golang-lru/v2"
)

// AttrIndex is a cache of object attributes that listings consult instead
// of sending a HEAD per entry (S3 listings carry no user metadata). Keys
// and values are opaque to it: this package encodes them and checks every
// entry against what the listing says (ETag, size, LastModified) before
// trusting it, so a lost, stale or corrupt entry only costs a HEAD.
// Implementations may persist entries across restarts (internal/attrindex
// keeps them in a bbolt file behind an in-memory LRU) and must be safe for
// concurrent use; Put and Delete must not wait for disk.
type AttrIndex interface {
	Get(key string) ([]byte, bool)
	Put(key string, value []byte)
	Delete(key string)
}

// Defaults for the attribute index.
const (
	// DefaultIndexEntries bounds the in-memory index New uses when
	// Options.Index is nil.
	DefaultIndexEntries = 65536
	// DefaultDirAttrTTL is Options.DirAttrTTL's default.
	DefaultDirAttrTTL = 5 * time.Minute
	// pinSlack: an entry recorded when this process wrote an object (whose
	// S3 LastModified it does not learn) is matched to the first listing
	// whose LastModified is no later than the recording time plus this
	// allowance for clock skew; a later LastModified means someone else
	// changed the object since, and costs a HEAD.
	pinSlack = 15 * time.Second
	// listHeadWorkers bounds the HEADs a listing sends for unknown entries.
	listHeadWorkers = 8
)

// NewMemoryIndex returns an AttrIndex that keeps up to n entries in memory
// (least recently used dropped first).
func NewMemoryIndex(n int) AttrIndex {
	c, err := lru.New[string, []byte](max(n, 1))
	if err != nil {
		panic(err) // only for n <= 0
	}
	return memIndex{c}
}

type memIndex struct{ c *lru.Cache[string, []byte] }

func (m memIndex) Get(key string) ([]byte, bool) { return m.c.Get(key) }
func (m memIndex) Put(key string, value []byte)  { m.c.Add(key, value) }
func (m memIndex) Delete(key string)             { m.c.Remove(key) }

// indexEntry is what the index remembers of one object version.
type indexEntry struct {
	etag  string
	size  int64 // stored size
	plain int64 // plaintext size, -1 when unknown
	// lastMod is the object's LastModified: exact as a listing reports it
	// when pinned, else as a HEAD reports it (whole seconds), or zero when
	// unknown (recorded from this process's own write).
	lastMod time.Time
	pinned  bool
	seen    time.Time // when this process recorded it
	absent  bool      // no such object (directory markers only)
	a       attrs     // decoded namespace metadata, without xattrs
}

const indexFormat = 2

const (
	flagPinned = 1 << iota
	flagAbsent
	flagHasPerm
)

func indexKey(bucket, key string) string { return bucket + "\x00" + key }

func (e indexEntry) encode() []byte {
	b := make([]byte, 0, 64+len(e.etag)+len(e.a.owner)+len(e.a.group))
	var flags byte
	if e.pinned {
		flags |= flagPinned
	}
	if e.absent {
		flags |= flagAbsent
	}
	if e.a.hasPerm {
		flags |= flagHasPerm
	}
	b = append(b, indexFormat, flags)
	b = appendString(b, e.etag)
	b = binary.AppendVarint(b, e.size)
	b = binary.AppendVarint(b, e.plain)
	b = binary.AppendVarint(b, millisOf(e.lastMod))
	b = binary.AppendVarint(b, millisOf(e.seen))
	b = appendString(b, e.a.owner)
	b = appendString(b, e.a.group)
	b = binary.AppendUvarint(b, uint64(e.a.perm))
	b = binary.AppendVarint(b, millisOf(e.a.mtime))
	b = binary.AppendVarint(b, millisOf(e.a.atime))
	b = binary.AppendVarint(b, e.a.blockSize)
	b = binary.AppendVarint(b, e.a.replication)
	return b
}

var errBadEntry = errors.New("malformed index entry")

func decodeEntry(b []byte) (indexEntry, error) {
	if len(b) < 2 || b[0] != indexFormat {
		return indexEntry{}, errBadEntry
	}
	flags := b[1]
	d := entryDecoder{b: b[2:]}
	var e indexEntry
	e.pinned, e.absent, e.a.hasPerm = flags&flagPinned != 0, flags&flagAbsent != 0, flags&flagHasPerm != 0
	e.etag = d.str()
	e.size = d.varint()
	e.plain = d.varint()
	e.lastMod = timeOf(d.varint())
	e.seen = timeOf(d.varint())
	e.a.owner = d.str()
	e.a.group = d.str()
	e.a.perm = uint32(d.uvarint())
	e.a.mtime = timeOf(d.varint())
	e.a.atime = timeOf(d.varint())
	e.a.blockSize = d.varint()
	e.a.replication = d.varint()
	if d.err || len(d.b) != 0 || e.a.perm > 07777 {
		return indexEntry{}, errBadEntry
	}
	return e, nil
}

type entryDecoder struct {
	b   []byte
	err bool
}

func (d *entryDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *entryDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *entryDecoder) str() string {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err, d.b = true, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func millisOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeOf(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// recall returns the remembered entry of an object.
func (f *FS) recall(bucket, key string) (indexEntry, bool) {
	b, ok := f.index.Get(indexKey(bucket, key))
	if !ok {
		return indexEntry{}, false
	}
	e, err := decodeEntry(b)
	if err != nil {
		f.index.Delete(indexKey(bucket, key))
		return indexEntry{}, false
	}
	return e, true
}

func (f *FS) remember(bucket, key string, e indexEntry) {
	e.a.xattrs = nil
	if e.seen.IsZero() {
		e.seen = time.Now()
	}
	f.index.Put(indexKey(bucket, key), e.encode())
}

func (f *FS) forget(bucket, key string) { f.index.Delete(indexKey(bucket, key)) }

// rememberHead records what a HEAD said (plain: the plaintext size if
// known, else -1). A pinned entry for the same version keeps its pin.
func (f *FS) rememberHead(bucket, key string, h *s3.HeadObjectOutput, plain int64) {
	e := indexEntry{
		etag: aws.ToString(h.ETag), size: aws.ToInt64(h.ContentLength), plain: plain,
		lastMod: aws.ToTime(h.LastModified), a: decodeMeta(h.Metadata),
	}
	if old, ok := f.recall(bucket, key); ok && old.pinned && old.etag == e.etag && old.size == e.size &&
		old.lastMod.Truncate(time.Second).Equal(e.lastMod.Truncate(time.Second)) {
		e.lastMod, e.pinned = old.lastMod, true
		if plain < 0 {
			e.plain = old.plain
		}
	}
	f.remember(bucket, key, e)
}

// rememberWrite records an object this process has just stored with
// metadata md. lastMod is S3's LastModified when the answer carried it
// (CopyObject), else zero.
func (f *FS) rememberWrite(bucket, key, etag string, size, plain int64, lastMod time.Time, md map[string]string) {
	f.remember(bucket, key, indexEntry{
		etag: etag, size: size, plain: plain, lastMod: lastMod, pinned: !lastMod.IsZero(), a: decodeMeta(md),
	})
}

// matchListed reports whether e describes the object version a listing
// shows; pin reports that e should be re-recorded with the listing's
// LastModified (the first listing of a version this process wrote or
// HEADed), so that a later change by someone else that keeps ETag and
// size (a metadata-only copy) is seen by its new LastModified.
func (e indexEntry) matchListed(o *s3types.Object) (ok, pin bool) {
	if e.absent || e.etag != aws.ToString(o.ETag) || e.size != aws.ToInt64(o.Size) {
		return false, false
	}
	listed := aws.ToTime(o.LastModified)
	switch {
	case e.pinned:
		return e.lastMod.Equal(listed), false
	case !e.lastMod.IsZero():
		// From a HEAD: whole seconds.
		ok = e.lastMod.Truncate(time.Second).Equal(listed.Truncate(time.Second))
	default:
		// From our own write: S3 stamped it before we recorded it.
		ok = !listed.After(e.seen.Add(pinSlack))
	}
	return ok, ok
}
