package namenode

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
)

const firstGenStamp = 1001

// errNoBlock: a block id the table does not know (evicted, from before a
// restart, or never handed out). Clients refetch locations.
// It satisfies errors.Is(err, io/fs.ErrNotExist), which the DataNode
// reports as ERROR_INVALID.
var errNoBlock = fmt.Errorf("unknown block (%w)", iofs.ErrNotExist)

// readBlock is a block of a closed file: a byte range of an object.
type readBlock struct {
	id, gs int64
	path   string
	etag   string // the object version the locations were computed for
	off, n int64
}

// versionKey names one version of an object.
type versionKey struct{ path, etag string }

type readKey struct {
	path, etag string
	blockSize  int64
	index      int64
}

// blockTable maps block ids to what they hold. Read blocks live in a
// bounded LRU (a lost entry only makes the client refetch locations);
// blocks being written live with their open file until it closes.
type blockTable struct {
	mu     sync.Mutex
	next   int64
	reads  *lru.Cache[int64, *readBlock]
	byKey  *lru.Cache[readKey, int64]
	writes map[int64]*writeBlock

	// digests records the ciphertext digests of blocks served whole, for
	// whole-file authentication (verify.go). It has its own lock.
	digests *digestTable

	// opened keeps recently opened object versions (path + ETag), so the
	// READ_BLOCKs of one file, and a client's many positioned reads, cost
	// no HEAD each. A version replaced in S3 fails its ranged GETs
	// (If-Match), so a stale entry can only fail a read, never mix versions.
	opened *expirable.LRU[versionKey, *fs.File]
}

// openedTTL bounds how long an opened object version is reused.
const openedTTL = 30 * time.Second

func newBlockTable(size int) *blockTable {
	reads, _ := lru.New[int64, *readBlock](size)
	byKey, _ := lru.New[readKey, int64](size)
	// Start ids from the clock so ids from before a restart are unlikely to
	// be reused for other data; ids stay positive (the top bit means EC).
	next := (time.Now().UnixMilli() & (1<<40 - 1)) << 20
	opened := expirable.NewLRU[versionKey, *fs.File](1024, nil, openedTTL)
	return &blockTable{next: max(next, 1<<30), reads: reads, byKey: byKey, writes: map[int64]*writeBlock{}, digests: newDigestTable(), opened: opened}
}

func (t *blockTable) allocID() int64 {
	t.next++
	if t.next <= 0 {
		t.next = 1 << 30
	}
	return t.next
}

// readID returns the (stable while cached) id of block index of a file.
func (t *blockTable) readID(path, etag string, blockSize, index, off, n int64) (id, gs int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := readKey{path, etag, blockSize, index}
	if id, ok := t.byKey.Get(k); ok {
		if b, ok := t.reads.Get(id); ok {
			return b.id, b.gs
		}
	}
	b := &readBlock{id: t.allocID(), gs: firstGenStamp, path: path, etag: etag, off: off, n: n}
	t.reads.Add(b.id, b)
	t.byKey.Add(k, b.id)
	return b.id, b.gs
}

func (t *blockTable) read(id int64) (*readBlock, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reads.Get(id)
}

func (t *blockTable) write(id int64) (*writeBlock, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.writes[id]
	return b, ok
}

func (t *blockTable) addWrite(b *writeBlock) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b.id = t.allocID()
	t.writes[b.id] = b
}

func (t *blockTable) dropWrites(bs []*writeBlock) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range bs {
		delete(t.writes, b.id)
	}
}

// ReadBlock is a block opened for reading by the DataNode.
type ReadBlock struct {
	f       *fs.File
	off, n  int64
	digests *digestTable // nil: no whole-file authentication across blocks
	log     *slog.Logger
}

// Len is the block length.
func (r *ReadBlock) Len() int64 { return r.n }

// Range returns plaintext bytes [off, off+n) of the block. A read of the
// whole block takes part in whole-file authentication (see verify.go): its
// ciphertext digest is recorded, and for the file's final block the last
// bytes are released only once the whole file's tag verified (when every
// earlier block was served whole), or the read fails with an error wrapping
// errs.ErrIntegrity.
func (r *ReadBlock) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off > r.n || n > r.n-off {
		return nil, fmt.Errorf("%w: range [%d,+%d) outside block of %d bytes", iofs.ErrInvalid, off, n, r.n)
	}
	var rc io.ReadCloser
	var err error
	if off == 0 && n == r.n && n > 0 {
		rc, err = r.rangeWhole(ctx)
	} else {
		rc, err = r.f.Range(ctx, r.off+off, n)
	}
	if err != nil {
		if errors.Is(err, errs.ErrIntegrity) {
			r.markFailed(err)
		}
		return nil, err
	}
	return &integrityWatch{ReadCloser: rc, fail: r.markFailed}, nil
}

// OpenReadBlock opens block id of pool for reading. It fails if the file
// changed since the block's locations were handed out.
func (s *Server) OpenReadBlock(ctx context.Context, pool string, id int64) (*ReadBlock, error) {
	if pool != s.opts.PoolID {
		return nil, fmt.Errorf("%w: block pool %q is not %q", errNoBlock, pool, s.opts.PoolID)
	}
	b, ok := s.blocks.read(id)
	if !ok {
		if _, writing := s.blocks.write(id); writing {
			return nil, fmt.Errorf("block %d belongs to a file still being written: S3 objects become readable when closed", id)
		}
		return nil, fmt.Errorf("%w: %d", errNoBlock, id)
	}
	key := versionKey{path: b.path, etag: b.etag}
	f, cached := s.blocks.opened.Get(key)
	if !cached || b.etag == "" {
		var err error
		if f, err = s.opts.FS.Open(ctx, b.path); err != nil {
			return nil, err
		}
		if b.etag != "" && f.Info.ETag == b.etag {
			s.blocks.opened.Add(key, f)
		}
	}
	if b.etag != "" && f.Info.ETag != "" && f.Info.ETag != b.etag {
		return nil, fmt.Errorf("%w: %s changed since its block locations were fetched", errNoBlock, b.path)
	}
	if b.off+b.n > f.Info.Size {
		return nil, fmt.Errorf("%w: %s is shorter than block %d", errNoBlock, b.path, id)
	}
	s.blocks.digests.observe(b.path, f.Info.ETag)
	if s.blocks.digests.failed(b.path, f.Info.ETag) {
		return nil, fmt.Errorf("%s failed whole-file authentication when last read: %w", b.path, errs.ErrIntegrity)
	}
	return &ReadBlock{f: f, off: b.off, n: b.n, digests: s.blocks.digests, log: s.log}, nil
}

// writeBlock is a block of a file being written. Its fields other than id
// and off are guarded by the file's mutex.
type writeBlock struct {
	f       *openFile
	id, gs  int64
	off     int64 // offset of the block in the file
	written int64
	ended   bool
	busy    bool // a DataNode is streaming into it
}

// WriteBlock is a block opened for writing by the DataNode.
type WriteBlock struct {
	s *Server
	b *writeBlock
}

// OpenWriteBlock opens block id of pool for writing. Only the last block of
// an open file can be written, by one DataNode stream at a time.
func (s *Server) OpenWriteBlock(ctx context.Context, pool string, id int64) (*WriteBlock, error) {
	if pool != s.opts.PoolID {
		return nil, fmt.Errorf("%w: block pool %q is not %q", errNoBlock, pool, s.opts.PoolID)
	}
	b, ok := s.blocks.write(id)
	if !ok {
		return nil, fmt.Errorf("%w: %d is not a block being written", errNoBlock, id)
	}
	f := b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.done:
		return nil, fmt.Errorf("%w: %s is no longer open for writing", errLeaseExpired, f.path)
	case f.blocks[len(f.blocks)-1] != b:
		return nil, fmt.Errorf("block %d is not the last block of %s", id, f.path)
	case b.ended:
		return nil, fmt.Errorf("block %d of %s is already finalized", id, f.path)
	case b.busy:
		return nil, fmt.Errorf("block %d of %s is already being written", id, f.path)
	}
	b.busy = true
	s.leases.touch(f.holder)
	return &WriteBlock{s: s, b: b}, nil
}

// Received is the number of bytes of the block already written.
func (w *WriteBlock) Received() int64 {
	w.b.f.mu.Lock()
	defer w.b.f.mu.Unlock()
	return w.b.written
}

// Write appends to the block (at Received()).
func (w *WriteBlock) Write(p []byte) (int, error) {
	b, f := w.b, w.b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.done:
		return 0, fmt.Errorf("%w: %s is no longer open for writing", errLeaseExpired, f.path)
	case b.ended:
		return 0, fmt.Errorf("block %d is already finalized", b.id)
	case int64(len(p)) > f.blockSize-b.written:
		return 0, fmt.Errorf("%w: write past the end of block %d (block size %d)", iofs.ErrInvalid, b.id, f.blockSize)
	}
	n, err := f.w.Write(p)
	b.written += int64(n)
	return n, err
}

// End makes the block's bytes durable: a full block's parts are uploaded;
// a short block is the file's last, so the file's data is finished
// (uploaded, still invisible until complete).
func (w *WriteBlock) End(ctx context.Context) error {
	b, f := w.b, w.b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return fmt.Errorf("%w: %s is no longer open for writing", errLeaseExpired, f.path)
	}
	var err error
	if b.written == f.blockSize {
		err = f.w.Flush(ctx)
	} else {
		err = f.w.Finish(ctx)
		f.finished = true
	}
	b.busy = false
	if err != nil {
		return err
	}
	b.ended = true
	w.s.leases.touch(f.holder)
	return nil
}

// Fail records that the client went away mid-block. The bytes received so
// far stay: a recovering client resumes after Received().
func (w *WriteBlock) Fail(err error) {
	b, f := w.b, w.b.f
	f.mu.Lock()
	b.busy = false
	n := b.written
	f.mu.Unlock()
	w.s.log.Info("block write failed", "path", f.path, "block", b.id, "received", n, "err", err)
}
