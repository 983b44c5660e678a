package blocks

import (
	"context"
	"crypto/rand"
	"encoding/binary"
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

	// Key derives block ids and MACs block tokens. Nil: a random key of
	// this process (ids then change across restarts; see LoadKey).
	Key *Key
	// Tokens requires a valid block access token on every DataNode op
	// (dfs.block.access.token.enable). With tokens a read block is resolved
	// from its token alone; without, from this table's memory.
	Tokens bool
	// TokenLifetime is how long a token is valid
	// (dfs.block.access.token.lifetime, default 10 h).
	TokenLifetime time.Duration
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

// Table maps block ids to what they hold. Read blocks live in a bounded LRU
// (a lost entry only makes the client refetch locations); blocks being
// written are registered while their file is open.
type Table struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	reads  *lru.Cache[int64, *readBlock] // read blocks handed out (used without tokens)
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
	if o.Key == nil {
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		o.Key = k
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = 10 * time.Hour
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reads, err := lru.New[int64, *readBlock](o.MaxReadBlocks)
	if err != nil {
		return nil, err
	}
	return &Table{
		opts: o, log: log,
		reads: reads, writes: map[int64]Writable{},
		digests: newDigestTable(),
		opened:  expirable.NewLRU[versionKey, *fs.File](1024, nil, openedTTL),
	}, nil
}

// PoolID is the block pool id of every block in the table.
func (t *Table) PoolID() string { return t.opts.PoolID }

// allocWriteIDLocked returns a fresh random id for a block being written:
// positive, bit 62 clear (read ids have it), unused.
func (t *Table) allocWriteIDLocked() (int64, error) {
	for {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		id := int64(binary.BigEndian.Uint64(b[:]) & (1<<62 - 1))
		if _, used := t.writes[id]; id > 1<<30 && !used {
			return id, nil
		}
	}
}

// ReadID returns the id of block index of a closed file's version etag,
// covering bytes [off, off+n). Ids are derived from the block key: the same
// across restarts and on every daemon sharing the key, so a client that
// refetches locations never sees its block list change.
func (t *Table) ReadID(path, etag string, blockSize, index, off, n int64) (id, gs int64) {
	id = t.opts.Key.readBlockID(path, etag, blockSize, index)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.reads.Get(id); !ok {
		t.reads.Add(id, &readBlock{id: id, gs: FirstGenStamp, path: path, etag: etag, off: off, n: n})
	}
	return id, FirstGenStamp
}

// ReadToken is the token for reading block id, bytes [off, off+n) of
// path's version etag, by user; empty when tokens are off.
func (t *Table) ReadToken(user string, id int64, path, etag string, off, n int64) Token {
	if !t.opts.Tokens {
		return Token{}
	}
	return t.opts.Key.issue(tokenClaims{expiry: time.Now().Add(t.opts.TokenLifetime), user: user, pool: t.opts.PoolID,
		blockID: id, modes: []Mode{ModeRead}, loc: locator{path: path, etag: etag, off: off, n: n}.marshal()})
}

// WriteToken is the token for writing block id by user; empty when tokens
// are off.
func (t *Table) WriteToken(user string, id int64) Token {
	if !t.opts.Tokens {
		return Token{}
	}
	return t.opts.Key.issue(tokenClaims{expiry: time.Now().Add(t.opts.TokenLifetime), user: user, pool: t.opts.PoolID,
		blockID: id, modes: []Mode{ModeWrite}})
}

func (t *Table) read(id int64) (*readBlock, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reads.Get(id)
}

// AddWrite registers a block of an open file and returns its id.
func (t *Table) AddWrite(w Writable) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id, err := t.allocWriteIDLocked()
	if err != nil {
		return 0, err
	}
	t.writes[id] = w
	return id, nil
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
	var b *readBlock
	if t.opts.Tokens {
		c, err := t.opts.Key.verify(ref.Token, t.opts.PoolID, ref.ID, ModeRead, time.Now())
		if err != nil {
			return nil, err
		}
		l, err := parseLocator(c.loc)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
		}
		b = &readBlock{id: ref.ID, gs: FirstGenStamp, path: l.path, etag: l.etag, off: l.off, n: l.n}
	} else {
		var ok bool
		if b, ok = t.read(ref.ID); !ok {
			if _, writing := t.Writing(ref.ID); writing {
				return nil, fmt.Errorf("block %d belongs to a file still being written: S3 objects become readable when closed", ref.ID)
			}
			return nil, fmt.Errorf("%w: %d", ErrNoBlock, ref.ID)
		}
	}
	key := versionKey{path: b.path, etag: b.etag}
	f, cached := t.opened.Get(key)
	if !cached || b.etag == "" {
		var err error
		if f, err = t.opts.FS.OpenVersion(ctx, b.path, b.etag); err != nil {
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
	if t.opts.Tokens {
		if _, err := t.opts.Key.verify(ref.Token, t.opts.PoolID, ref.ID, ModeWrite, time.Now()); err != nil {
			return nil, err
		}
	}
	w, ok := t.Writing(ref.ID)
	if !ok {
		return nil, fmt.Errorf("%w: %d is not a block being written", ErrNoBlock, ref.ID)
	}
	return w.OpenWrite(ctx)
}
