package blocks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// Whole-file authentication across blocks.
//
// An HDFS client reads a file block by block, one READ_BLOCK each, so for a
// client-side-encrypted (AES-GCM) object no single read covers the whole
// object and its tag would never be checked. GHASH composes over
// concatenation, so instead: every block served whole (READ_BLOCK from 0 for
// the block's full length) is read through fs.File.RangeSegment, and the
// digest of its ciphertext is remembered per object version (path + ETag,
// bounded LRU, in memory only). When the file's final block is served whole
// and digests of all earlier blocks are on record, its last VerifyHold bytes
// are held back until fs.File.VerifySegments has checked the composed digest
// against the stored tag; on a mismatch the read fails with
// errs.ErrIntegrity and the DataNode never sends the final packet.
//
// A one-block file read whole is authenticated by the provider itself
// (fs.File.Range of the whole object releases its last 64 KiB chunk only
// after the tag verified).
//
// Any read that fails with errs.ErrIntegrity marks that object version
// as failed, and every later READ_BLOCK of it is refused: clients retry a
// cut-off block read from the offset where the stream stopped (colinmarc
// even takes a stream cut at a packet boundary for a clean end of block),
// and that partial read must not hand out the withheld bytes
// unauthenticated. The mark goes when the file changes (new ETag) or is
// evicted.
//
// If earlier blocks were not all served whole (random access, a record
// evicted or made for another version), the final block is served
// unauthenticated, as every S3EC ranged read is.

const (
	// VerifyHold is how many bytes at the end of a final block are held
	// back until the whole-object tag verifies: at least the DataNode's
	// last packet (64 KiB of data).
	VerifyHold = 64 << 10
	// digestObjects bounds the objects with digests on record, and
	// digestSegments the digests held over all of them (40 bytes each).
	digestObjects  = 4096
	digestSegments = 1 << 16
)

// digestRecord holds the digests of the blocks of one object version served
// whole, by offset, or that the version failed authentication.
type digestRecord struct {
	etag   string
	segs   map[int64]providers.Segment
	failed bool
}

// digestTable is a bounded LRU of digest records keyed by path. Digests are
// derived from data keys: they live in memory only, are never logged, and
// are cleared when dropped.
type digestTable struct {
	mu    sync.Mutex
	objs  *lru.Cache[string, *digestRecord]
	total int // digests held
}

func newDigestTable() *digestTable {
	t := &digestTable{}
	t.objs, _ = lru.NewWithEvict(digestObjects, func(_ string, r *digestRecord) {
		// Called with t.mu held (every cache mutation happens under it).
		t.total -= len(r.segs)
		for k := range r.segs {
			r.segs[k] = providers.Segment{}
		}
		clear(r.segs)
	})
	return t
}

// observe drops path's record if it is for another version than etag.
func (t *digestTable) observe(path, etag string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, ok := t.objs.Peek(path); ok && r.etag != etag {
		t.objs.Remove(path)
	}
}

// fail marks path's version etag as failing authentication and drops its
// digests. Later reads of that version fail (see failed): clients retry a
// failed block read from where the stream stopped, which is a partial read
// of the final block that would otherwise be served unauthenticated.
func (t *digestTable) fail(path, etag string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.objs.Remove(path)
	t.objs.Add(path, &digestRecord{etag: etag, segs: map[int64]providers.Segment{}, failed: true})
}

// failed reports whether path's version etag failed authentication.
func (t *digestTable) failed(path, etag string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.objs.Get(path)
	return ok && r.etag == etag && r.failed
}

// record remembers the digest of a block of path's version etag.
func (t *digestTable) record(path, etag string, seg providers.Segment) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.objs.Get(path)
	if !ok || r.etag != etag {
		if ok {
			t.objs.Remove(path)
		}
		r = &digestRecord{etag: etag, segs: map[int64]providers.Segment{}}
		t.objs.Add(path, r)
	}
	if r.failed {
		return
	}
	if _, dup := r.segs[seg.Off]; !dup {
		if len(r.segs) >= digestSegments {
			return
		}
		t.total++
	}
	r.segs[seg.Off] = seg
	// Evict the least recently used objects (r, just used, goes last) until
	// the total is within bounds.
	for t.total > digestSegments && t.objs.Len() > 1 {
		t.objs.RemoveOldest()
	}
}

// prefix returns the digests tiling [0, end) of path's version etag in
// order, or false when any piece is missing.
func (t *digestTable) prefix(path, etag string, end int64) ([]providers.Segment, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.objs.Get(path)
	if !ok || r.etag != etag || r.failed {
		return nil, false
	}
	var out []providers.Segment
	for off := int64(0); off < end; {
		s, ok := r.segs[off]
		if !ok || s.Len <= 0 || s.Off+s.Len > end {
			return nil, false
		}
		out = append(out, s)
		off += s.Len
	}
	return out, true
}

// recordingReader records its segment's digest once every byte was read.
type recordingReader struct {
	providers.SegmentReader
	record func(providers.Segment)
	done   bool
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.SegmentReader.Read(p)
	if !r.done {
		if seg, ok := r.Segment(); ok {
			r.done = true
			r.record(seg)
		}
	}
	return n, err
}

// verifyingReader serves a file's final block: bytes before the last hold
// pass through; the last hold bytes are read in full, the segment's digest
// is composed with the earlier blocks' and checked against the object's tag,
// and only then are they released. A failed check is returned by every
// later Read.
type verifyingReader struct {
	sr      providers.SegmentReader
	n, pos  int64 // block length, bytes taken from sr
	hold    int64
	tail    []byte // the held bytes, once verified
	tailPos int
	verify  func(providers.Segment) error
	err     error
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.tail == nil {
		if free := r.n - r.hold - r.pos; free > 0 {
			if int64(len(p)) > free {
				p = p[:free]
			}
			m, err := r.sr.Read(p)
			r.pos += int64(m)
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				r.err = err
			}
			return m, err
		}
		if len(p) == 0 {
			return 0, nil
		}
		tail := make([]byte, r.hold)
		if _, err := io.ReadFull(r.sr, tail); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			return 0, err
		}
		r.pos += r.hold
		seg, ok := r.sr.Segment()
		if !ok {
			r.err = fmt.Errorf("final block read ended without its digest: %w", errs.ErrIntegrity)
			return 0, r.err
		}
		if err := r.verify(seg); err != nil {
			clear(tail)
			r.err = err
			return 0, err
		}
		r.tail = tail
	}
	if r.tailPos == len(r.tail) {
		return 0, io.EOF
	}
	m := copy(p, r.tail[r.tailPos:])
	r.tailPos += m
	return m, nil
}

func (r *verifyingReader) Close() error {
	clear(r.tail)
	return r.sr.Close()
}

// rangeWhole opens the whole block [r.off, r.off+r.n) of r.f: through
// RangeSegment (recording its digest, or verifying the whole file at the end
// of the final block) when the file's format and the record allow, else
// through the ordinary Range.
func (r *ReadBlock) rangeWhole(ctx context.Context) (io.ReadCloser, error) {
	f, size, path, etag := r.f, r.f.Info.Size, r.f.Info.Path, r.f.Info.ETag
	if r.digests == nil || etag == "" || r.off%16 != 0 || (r.off == 0 && r.n == size) {
		// A whole-object read is the provider's to authenticate.
		return f.Range(ctx, r.off, r.n)
	}
	final := r.off+r.n == size
	var earlier []providers.Segment
	if final {
		var ok bool
		if earlier, ok = r.digests.prefix(path, etag, r.off); !ok {
			// Not every earlier block was served whole: unauthenticated, as
			// any ranged read of an S3EC object.
			return f.Range(ctx, r.off, r.n)
		}
	}
	sr, err := f.RangeSegment(ctx, r.off, r.n)
	if err != nil {
		if errors.Is(err, errs.ErrNoSegments) {
			return f.Range(ctx, r.off, r.n)
		}
		return nil, err
	}
	if !final {
		return &recordingReader{SegmentReader: sr, record: func(s providers.Segment) { r.digests.record(path, etag, s) }}, nil
	}
	return &verifyingReader{sr: sr, n: r.n, hold: min(int64(VerifyHold), r.n), verify: func(last providers.Segment) error {
		// A failure is logged and recorded by integrityWatch (Range).
		err := f.VerifySegments(ctx, append(earlier, last))
		if err == nil {
			r.log.Debug("whole file authenticated across blocks", "path", path, "blocks", len(earlier)+1)
		}
		return err
	}}, nil
}

// integrityWatch marks the object version as failed (digestTable.fail) when
// a read of it fails authentication, whichever path served it: the
// cross-block check above, or a provider's own whole-object check of a
// one-block file.
type integrityWatch struct {
	io.ReadCloser
	fail func(error)
}

func (w *integrityWatch) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	if err != nil && errors.Is(err, errs.ErrIntegrity) {
		w.fail(err)
	}
	return n, err
}

// markFailed records that r's object version failed authentication.
func (r *ReadBlock) markFailed(err error) {
	if r.digests == nil || r.f.Info.ETag == "" {
		return
	}
	r.digests.fail(r.f.Info.Path, r.f.Info.ETag)
	r.log.Warn("object failed authentication: later reads of this version are refused",
		"path", r.f.Info.Path, "err", err)
}
