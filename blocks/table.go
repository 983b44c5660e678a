package blocks

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// FirstGenStamp is the generation stamp of a new block.
const FirstGenStamp = 1001

// ErrNoBlock: a block id the table does not know (evicted, from before a
// restart, or never handed out). Clients refetch locations. It satisfies
// errors.Is(err, io/fs.ErrNotExist), which the DataNode reports as
// ERROR_INVALID.
var ErrNoBlock = fmt.Errorf("unknown block (%w)", iofs.ErrNotExist)

// Options configure a Table.
type Options struct {
	// FS opens the objects read blocks belong to (required).
	FS *fs.FS
	// PoolID is the block pool id every block carries (required).
	PoolID string
	// MaxReadBlocks bounds the read blocks remembered (default 65536).
	MaxReadBlocks int
	Logger        *slog.Logger
}

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

// Table maps block ids to what they hold. Read blocks live in a bounded LRU
// (a lost entry only makes the client refetch locations); blocks being
// written are registered while their file is open.
type Table struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	next   int64
	reads  *lru.Cache[int64, *readBlock]
	byKey  *lru.Cache[readKey, int64]
	writes map[int64]Writable

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

// New returns an empty table.
func New(o Options) (*Table, error) {
	if o.FS == nil || o.PoolID == "" {
		return nil, errors.New("blocks: Options.FS and Options.PoolID are required")
	}
	if o.MaxReadBlocks <= 0 {
		o.MaxReadBlocks = 65536
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reads, err := lru.New[int64, *readBlock](o.MaxReadBlocks)
	if err != nil {
		return nil, err
	}
	byKey, err := lru.New[readKey, int64](o.MaxReadBlocks)
	if err != nil {
		return nil, err
	}
	// Start ids from the clock so ids from before a restart are unlikely to
	// be reused for other data; ids stay positive (the top bit means EC).
	next := (time.Now().UnixMilli() & (1<<40 - 1)) << 20
	return &Table{
		opts: o, log: log, next: max(next, 1<<30),
		reads: reads, byKey: byKey, writes: map[int64]Writable{},
		digests: newDigestTable(),
		opened:  expirable.NewLRU[versionKey, *fs.File](1024, nil, openedTTL),
	}, nil
}

// PoolID is the block pool id of every block in the table.
func (t *Table) PoolID() string { return t.opts.PoolID }

func (t *Table) allocIDLocked() int64 {
	t.next++
	if t.next <= 0 {
		t.next = 1 << 30
	}
	return t.next
}

// ReadID returns the (stable while remembered) id of block index of a
// closed file's version etag, covering bytes [off, off+n).
func (t *Table) ReadID(path, etag string, blockSize, index, off, n int64) (id, gs int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := readKey{path, etag, blockSize, index}
	if id, ok := t.byKey.Get(k); ok {
		if b, ok := t.reads.Get(id); ok {
			return b.id, b.gs
		}
	}
	b := &readBlock{id: t.allocIDLocked(), gs: FirstGenStamp, path: path, etag: etag, off: off, n: n}
	t.reads.Add(b.id, b)
	t.byKey.Add(k, b.id)
	return b.id, b.gs
}

func (t *Table) read(id int64) (*readBlock, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reads.Get(id)
}

// AddWrite registers a block of an open file and returns its id.
func (t *Table) AddWrite(w Writable) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.allocIDLocked()
	t.writes[id] = w
	return id
}

// Writing returns the block being written under id.
func (t *Table) Writing(id int64) (Writable, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.writes[id]
	return w, ok
}

// DropWrites forgets blocks being written (their file closed or aborted).
func (t *Table) DropWrites(ids ...int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		delete(t.writes, id)
	}
}

// OpenRead opens a block for reading. It fails if the file changed since
// the block's locations were handed out.
func (t *Table) OpenRead(ctx context.Context, ref Ref) (ReadTarget, error) {
	if ref.PoolID != t.opts.PoolID {
		return nil, fmt.Errorf("%w: block pool %q is not %q", ErrNoBlock, ref.PoolID, t.opts.PoolID)
	}
	b, ok := t.read(ref.ID)
	if !ok {
		if _, writing := t.Writing(ref.ID); writing {
			return nil, fmt.Errorf("block %d belongs to a file still being written: S3 objects become readable when closed", ref.ID)
		}
		return nil, fmt.Errorf("%w: %d", ErrNoBlock, ref.ID)
	}
	key := versionKey{path: b.path, etag: b.etag}
	f, cached := t.opened.Get(key)
	if !cached || b.etag == "" {
		var err error
		if f, err = t.opts.FS.Open(ctx, b.path); err != nil {
			return nil, err
		}
		if b.etag != "" && f.Info.ETag == b.etag {
			t.opened.Add(key, f)
		}
	}
	if b.etag != "" && f.Info.ETag != "" && f.Info.ETag != b.etag {
		return nil, fmt.Errorf("%w: %s changed since its block locations were fetched", ErrNoBlock, b.path)
	}
	if b.off+b.n > f.Info.Size {
		return nil, fmt.Errorf("%w: %s is shorter than block %d", ErrNoBlock, b.path, ref.ID)
	}
	t.digests.observe(b.path, f.Info.ETag)
	if t.digests.failed(b.path, f.Info.ETag) {
		return nil, fmt.Errorf("%s failed whole-file authentication when last read: %w", b.path, errs.ErrIntegrity)
	}
	return &ReadBlock{f: f, off: b.off, n: b.n, digests: t.digests, log: t.log}, nil
}

// OpenWrite opens a block being written.
func (t *Table) OpenWrite(ctx context.Context, ref Ref) (WriteTarget, error) {
	if ref.PoolID != t.opts.PoolID {
		return nil, fmt.Errorf("%w: block pool %q is not %q", ErrNoBlock, ref.PoolID, t.opts.PoolID)
	}
	w, ok := t.Writing(ref.ID)
	if !ok {
		return nil, fmt.Errorf("%w: %d is not a block being written", ErrNoBlock, ref.ID)
	}
	return w.OpenWrite(ctx)
}
