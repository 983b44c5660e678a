package attrindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Defaults for Options.
const (
	DefaultMemoryEntries = 65536
	DefaultMaxEntries    = 4 << 20
	DefaultFlushInterval = 200 * time.Millisecond
	DefaultLockTimeout   = time.Second
	// maxPending bounds the writes waiting for the disk; beyond it new
	// writes stay in memory only (the index is a cache).
	maxPending = 1 << 18
	// flushBatch wakes the writer early when this many writes wait.
	flushBatch = 4096
)

// Layout of the file: bucket "meta" holds the format (another value means
// another layout) and the entry count, bucket "entries" the entries.
const (
	format        = "attrindex/1"
	bucketEntries = "entries"
	bucketMeta    = "meta"
	keyFormat     = "format"
	keyCount      = "count"
)

// Options configure an Index.
type Options struct {
	// Path is the bbolt file; "" keeps the index in memory only.
	Path string
	// MemoryEntries bounds the in-memory LRU (default 65536).
	MemoryEntries int
	// MaxEntries bounds the entries on disk (default 4Mi).
	MaxEntries int
	// FlushInterval is how long a write may wait before it is written to
	// disk (default 200ms).
	FlushInterval time.Duration
	// LockTimeout bounds the wait for the file lock (default 1s).
	LockTimeout time.Duration
	Logger      *slog.Logger
}

// Stats are counters for logs and tests.
type Stats struct {
	MemoryHits, DiskHits, Misses int64
	Flushes                      int64 // transactions written
	Dropped                      int64 // writes not persisted (too many pending)
	Resets                       int64 // times the file was discarded and started afresh
	Persistent                   bool  // a file backs the index
}

// Index is an AttrIndex. It is safe for concurrent use.
type Index struct {
	o     Options
	log   *slog.Logger
	front *lru.Cache[string, []byte]

	mu       sync.Mutex
	pending  map[string]op // writes not yet in a transaction
	flushing map[string]op // writes in the transaction being written
	seq      uint64        // bumped by every Put and Delete

	dbMu   sync.RWMutex
	db     *bolt.DB    // nil: memory only
	onDisk atomic.Bool // db != nil

	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	memHits, diskHits, misses, flushes, dropped, resets atomic.Int64
	closeOnce                                           sync.Once
}

type op struct {
	v   []byte
	del bool
}

// Open opens (or creates) the index. It fails only for invalid options:
// an unusable file is replaced or, failing that, the index is memory-only.
func Open(o Options) (*Index, error) {
	if o.MemoryEntries == 0 {
		o.MemoryEntries = DefaultMemoryEntries
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.MemoryEntries < 1 || o.MaxEntries < 1 || o.FlushInterval < 0 || o.LockTimeout < 0 {
		return nil, fmt.Errorf("attrindex: invalid options %+v", o)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	front, err := lru.New[string, []byte](o.MemoryEntries)
	if err != nil {
		return nil, err
	}
	x := &Index{
		o: o, log: log, front: front, pending: map[string]op{},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if o.Path != "" {
		x.db = x.openDB()
		x.onDisk.Store(x.db != nil)
	}
	go x.writer()
	return x, nil
}

// openDB opens the file, replacing it when it is unusable; nil means
// memory only.
func (x *Index) openDB() *bolt.DB {
	if err := os.MkdirAll(filepath.Dir(x.o.Path), 0o700); err != nil {
		x.log.Warn("attrindex: cannot create its directory; keeping the index in memory only", "path", x.o.Path, "err", err)
		return nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		db, err := x.tryOpen()
		if err == nil {
			return db
		}
		if errors.Is(err, bolterrors.ErrTimeout) {
			x.log.Warn("attrindex: file in use by another process; keeping the index in memory only", "path", x.o.Path)
			return nil
		}
		if attempt == 0 {
			x.log.Warn("attrindex: discarding an unusable index file", "path", x.o.Path, "err", err)
			x.resets.Add(1)
			if rerr := os.Remove(x.o.Path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				x.log.Warn("attrindex: cannot remove it; keeping the index in memory only", "path", x.o.Path, "err", rerr)
				return nil
			}
			continue
		}
		x.log.Warn("attrindex: cannot create an index file; keeping the index in memory only", "path", x.o.Path, "err", err)
	}
	return nil
}

// tryOpen opens the file and checks its format; a file of another format
// is emptied.
func (x *Index) tryOpen() (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				_ = db.Close()
			}
			db, err = nil, fmt.Errorf("corrupt index file: %v", r)
		}
	}()
	db, err = bolt.Open(x.o.Path, 0o600, &bolt.Options{Timeout: x.o.LockTimeout, NoFreelistSync: true})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		if meta != nil && string(meta.Get([]byte(keyFormat))) == format && tx.Bucket([]byte(bucketEntries)) != nil {
			return nil
		}
		for _, name := range []string{bucketMeta, bucketEntries} {
			if tx.Bucket([]byte(name)) != nil {
				if err := tx.DeleteBucket([]byte(name)); err != nil {
					return err
				}
			}
		}
		meta, err := tx.CreateBucket([]byte(bucketMeta))
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte(bucketEntries)); err != nil {
			return err
		}
		return meta.Put([]byte(keyFormat), []byte(format))
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// Get returns the value stored for key.
func (x *Index) Get(key string) ([]byte, bool) {
	if v, ok := x.front.Get(key); ok {
		x.memHits.Add(1)
		return v, true
	}
	x.mu.Lock()
	if o, ok := x.pendingOp(key); ok {
		x.mu.Unlock()
		if o.del {
			x.misses.Add(1)
			return nil, false
		}
		x.memHits.Add(1)
		return o.v, true
	}
	seq := x.seq
	x.mu.Unlock()
	v, ok := x.read(key)
	if !ok {
		x.misses.Add(1)
		return nil, false
	}
	x.diskHits.Add(1)
	x.mu.Lock()
	if x.seq == seq { // no write since the read: v is current
		x.front.Add(key, v)
	}
	x.mu.Unlock()
	return v, true
}

func (x *Index) pendingOp(key string) (op, bool) {
	if o, ok := x.pending[key]; ok {
		return o, true
	}
	o, ok := x.flushing[key]
	return o, ok
}

// read looks key up on disk.
func (x *Index) read(key string) (v []byte, ok bool) {
	x.dbMu.RLock()
	defer x.dbMu.RUnlock()
	db := x.db
	if db == nil {
		return nil, false
	}
	broken := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				x.log.Warn("attrindex: reading the index file failed", "path", x.o.Path, "panic", r)
				broken = true
			}
		}()
		_ = db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket([]byte(bucketEntries)); b != nil {
				if got := b.Get([]byte(key)); got != nil {
					v, ok = append([]byte(nil), got...), true
				}
			}
			return nil
		})
	}()
	if broken {
		go x.reset(db) // needs the write lock
		return nil, false
	}
	return v, ok
}

// Put stores value under key; it returns without waiting for the disk.
func (x *Index) Put(key string, value []byte) {
	x.write(key, op{v: value})
}

// Delete removes key; it returns without waiting for the disk.
func (x *Index) Delete(key string) {
	x.write(key, op{del: true})
}

func (x *Index) write(key string, o op) {
	x.mu.Lock()
	x.seq++
	if o.del {
		x.front.Remove(key)
	} else {
		x.front.Add(key, o.v)
	}
	persistent := x.onDisk.Load()
	if persistent {
		if _, queued := x.pending[key]; queued || len(x.pending) < maxPending {
			x.pending[key] = o
		} else {
			x.dropped.Add(1)
		}
	}
	n := len(x.pending)
	x.mu.Unlock()
	if persistent && n >= flushBatch {
		select {
		case x.kick <- struct{}{}:
		default:
		}
	}
}

// writer writes pending batches until Close.
func (x *Index) writer() {
	defer close(x.done)
	t := time.NewTicker(max(x.o.FlushInterval, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-x.stop:
			x.flush()
			return
		case <-t.C:
		case <-x.kick:
		}
		x.flush()
	}
}

// flush writes the pending batch in one transaction.
func (x *Index) flush() {
	x.mu.Lock()
	if len(x.pending) == 0 {
		x.mu.Unlock()
		return
	}
	batch := x.pending
	x.pending, x.flushing = map[string]op{}, batch
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		x.flushing = nil
		x.mu.Unlock()
	}()
	x.dbMu.RLock()
	db := x.db
	if db == nil {
		x.dbMu.RUnlock()
		return
	}
	var (
		err    error
		broken bool
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				broken, err = true, fmt.Errorf("panic: %v", r)
			}
		}()
		err = db.Update(func(tx *bolt.Tx) error { return x.apply(tx, batch) })
	}()
	x.dbMu.RUnlock()
	x.flushes.Add(1)
	if err != nil {
		x.log.Warn("attrindex: writing the index file failed", "path", x.o.Path, "entries", len(batch), "err", err)
		if broken {
			x.reset(db)
		}
	}
}

// apply writes a batch, keeping the entry count, and drops everything
// when the count passes MaxEntries.
func (x *Index) apply(tx *bolt.Tx, batch map[string]op) error {
	b, meta := tx.Bucket([]byte(bucketEntries)), tx.Bucket([]byte(bucketMeta))
	if b == nil || meta == nil {
		return errors.New("index file lost its buckets")
	}
	count := int64(0)
	if c := meta.Get([]byte(keyCount)); len(c) == 8 {
		count = int64(binary.BigEndian.Uint64(c))
	}
	for k, o := range batch {
		key := []byte(k)
		exists := b.Get(key) != nil
		switch {
		case o.del && exists:
			if err := b.Delete(key); err != nil {
				return err
			}
			count--
		case !o.del:
			if err := b.Put(key, o.v); err != nil {
				return err
			}
			if !exists {
				count++
			}
		}
	}
	if count > int64(x.o.MaxEntries) {
		x.log.Info("attrindex: index file reached its bound; starting it afresh", "path", x.o.Path, "entries", count, "max", x.o.MaxEntries)
		if err := tx.DeleteBucket([]byte(bucketEntries)); err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte(bucketEntries)); err != nil {
			return err
		}
		count = 0
	}
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], uint64(max(count, 0)))
	return meta.Put([]byte(keyCount), c[:])
}

// reset discards a file that failed in use (failed, unless that has been
// replaced already) and starts a fresh one.
func (x *Index) reset(failed *bolt.DB) {
	x.dbMu.Lock()
	defer x.dbMu.Unlock()
	if x.db == nil || x.db != failed {
		return
	}
	defer x.resets.Add(1)
	x.log.Warn("attrindex: discarding the index file", "path", x.o.Path)
	_ = x.db.Close()
	x.db = nil
	x.onDisk.Store(false)
	if err := os.Remove(x.o.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		x.log.Warn("attrindex: cannot remove the index file; keeping the index in memory only", "path", x.o.Path, "err", err)
		return
	}
	db, err := x.tryOpen()
	if err != nil {
		x.log.Warn("attrindex: cannot create a new index file; keeping the index in memory only", "path", x.o.Path, "err", err)
		return
	}
	x.db = db
	x.onDisk.Store(true)
}

// Stats returns the counters.
func (x *Index) Stats() Stats {
	return Stats{
		MemoryHits: x.memHits.Load(), DiskHits: x.diskHits.Load(), Misses: x.misses.Load(),
		Flushes: x.flushes.Load(), Dropped: x.dropped.Load(), Resets: x.resets.Load(),
		Persistent: x.onDisk.Load(),
	}
}

// Close writes what is pending and closes the file.
func (x *Index) Close() error {
	var err error
	x.closeOnce.Do(func() {
		close(x.stop)
		<-x.done
		x.dbMu.Lock()
		defer x.dbMu.Unlock()
		if x.db != nil {
			err = x.db.Close()
			x.db = nil
			x.onDisk.Store(false)
		}
	})
	return err
}
