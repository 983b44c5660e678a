package cache

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Cache.
type Options struct {
	MaxEntries int           // > 0: LRU capacity
	TTL        time.Duration // > 0: an entry is dropped (zeroed) this long after it was loaded
	MaxUses    int           // >= 0: an entry serves at most this many Unwraps; 0 = no limit
	// Metrics, when set, receives the emrfsd_keycache_* figures (a
	// collector reading Stats at each scrape).
	Metrics prometheus.Registerer
}

// Stats are cumulative counters.
type Stats struct {
	Hits      uint64 // Unwraps served from a cached entry
	Misses    uint64 // Unwraps that found no usable entry (incl. those that joined another's load)
	Joins     uint64 // misses that waited for another caller's decrypt instead of making their own
	Loads     uint64 // decrypt calls made
	Evictions uint64 // entries removed for capacity, age or uses (not by Purge)
	Entries   int    // entries held now
}

type entryKey [sha256.Size]byte

type entry struct {
	// mu guards sealed: the LRU's sweeping goroutine zeroes expired
	// entries without holding Cache.mu.
	mu     sync.Mutex
	sealed []byte // nonce || AES-GCM(data key), AAD = entry key; nil once evicted
	uses   int    // guarded by Cache.mu
}

// flight is one in-progress decrypt that other callers wait on.
type flight struct {
	done   chan struct{}
	sealed []byte // result sealed like an entry, for waiters; nil on error
	err    error
	waiter int // callers waiting (they count as uses of the entry)
}

// Cache is safe for concurrent use.
type Cache struct {
	maxUses int
	lru     *expirable.LRU[entryKey, *entry] // safe for concurrent use itself

	purging   atomic.Bool   // set while Purge removes entries, so they are not counted as evictions
	evictions atomic.Uint64 // also counted by the LRU's sweeping goroutine

	mu       sync.Mutex
	aead     cipher.AEAD // guarded by mu
	counter  uint64      // GCM nonce counter: nonces never repeat under one sealing key; guarded by mu
	inflight map[entryKey]*flight
	stats    Stats // Hits, Misses, Loads; guarded by mu
}

// New returns an empty cache with a fresh random sealing key.
func New(o Options) (*Cache, error) {
	if o.MaxEntries <= 0 {
		return nil, fmt.Errorf("cache: MaxEntries must be positive, got %d", o.MaxEntries)
	}
	if o.TTL <= 0 {
		return nil, fmt.Errorf("cache: TTL must be positive, got %v", o.TTL)
	}
	if o.MaxUses < 0 {
		return nil, fmt.Errorf("cache: MaxUses must not be negative, got %d", o.MaxUses)
	}
	c := &Cache{maxUses: o.MaxUses, inflight: map[entryKey]*flight{}}
	var err error
	if c.aead, err = newSealer(); err != nil {
		return nil, err
	}
	c.lru = expirable.NewLRU[entryKey, *entry](o.MaxEntries, c.onEvict, o.TTL)
	if o.Metrics != nil {
		if err := o.Metrics.Register(collector{c}); err != nil {
			return nil, fmt.Errorf("cache: metrics: %w", err)
		}
	}
	return c, nil
}

func newSealer() (cipher.AEAD, error) {
	k := make([]byte, 32)
	defer clear(k)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("cache: random sealing key: %w", err)
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return a, nil
}

// onEvict runs inside the LRU's calls: ours, under c.mu, and its sweeping
// goroutine's, without c.mu. It zeroes the sealed bytes under e.mu.
func (c *Cache) onEvict(_ entryKey, e *entry) {
	e.mu.Lock()
	clear(e.sealed)
	e.sealed = nil
	e.mu.Unlock()
	if !c.purging.Load() {
		c.evictions.Add(1)
	}
}

// keyFor builds the entry key: SHA-256 over a domain tag and the
// length-prefixed ARN, context (count, then sorted name/value pairs) and
// wrapped key.
func keyFor(keyARN string, encCtx map[string]string, wrapped []byte) entryKey {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte("emrfsd wrapped-key cache v1"))
	field([]byte(keyARN))
	names := make([]string, 0, len(encCtx))
	for k := range encCtx {
		names = append(names, k)
	}
	sort.Strings(names)
	binary.BigEndian.PutUint64(n[:], uint64(len(names)))
	h.Write(n[:])
	for _, k := range names {
		field([]byte(k))
		field([]byte(encCtx[k]))
	}
	field(wrapped)
	var k entryKey
	h.Sum(k[:0])
	return k
}

// seal encrypts pt for entry k. Caller holds c.mu.
func (c *Cache) seal(k entryKey, pt []byte) []byte {
	c.counter++
	nonce := make([]byte, c.aead.NonceSize())
	binary.BigEndian.PutUint64(nonce[len(nonce)-8:], c.counter)
	return c.aead.Seal(nonce, nonce, pt, k[:])
}

// open decrypts a sealed value for entry k into a fresh slice. Caller holds c.mu.
func (c *Cache) open(k entryKey, sealed []byte) ([]byte, error) {
	ns := c.aead.NonceSize()
	if len(sealed) < ns {
		return nil, errors.New("cache: sealed entry too short")
	}
	return c.aead.Open(nil, sealed[:ns], sealed[ns:], k[:])
}

// openEntry opens e unless it was evicted meanwhile. Caller holds c.mu.
func (c *Cache) openEntry(k entryKey, e *entry) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sealed == nil {
		return nil, errors.New("cache: entry evicted")
	}
	return c.open(k, e.sealed)
}

// Unwrap returns the plaintext data key for (keyARN, encCtx, wrapped),
// calling decrypt on a miss. The returned slice is a fresh copy that the
// caller must zero. decrypt's result becomes the caller's; it must be a
// slice nobody else holds. Concurrent misses for one entry share one
// decrypt call (its context is the first caller's; if that caller's context
// ends, the others retry with their own). Errors are returned, not cached.
func (c *Cache) Unwrap(ctx context.Context, keyARN string, encCtx map[string]string, wrapped []byte,
	decrypt func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	k := keyFor(keyARN, encCtx, wrapped)
	for {
		pt, f, err := c.lookup(k)
		if pt != nil || err != nil {
			return pt, err
		}
		if f == nil {
			return c.load(ctx, k, decrypt)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil {
			if (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue // the loader's context ended, not ours: try again
			}
			return nil, f.err
		}
		c.mu.Lock()
		pt, err = c.open(k, f.sealed)
		c.mu.Unlock()
		if err == nil {
			return pt, nil
		}
		// Purge replaced the sealing key meanwhile: load again.
	}
}

// lookup returns the plaintext on a hit, or the flight to wait on, or
// neither (the caller must load; a flight has been registered for it).
func (c *Cache) lookup(k entryKey) ([]byte, *flight, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Get misses an expired entry (the sweep zeroes it soon, or load's
	// Remove does now).
	if e, ok := c.lru.Get(k); ok {
		if c.maxUses > 0 && e.uses >= c.maxUses {
			c.lru.Remove(k)
		} else if pt, err := c.openEntry(k, e); err == nil {
			e.uses++
			c.stats.Hits++
			return pt, nil, nil
		} else {
			c.lru.Remove(k) // swept meanwhile, or memory was altered: reload
		}
	}
	c.stats.Misses++
	if f, ok := c.inflight[k]; ok {
		f.waiter++
		c.stats.Joins++
		return nil, f, nil
	}
	c.inflight[k] = &flight{done: make(chan struct{})}
	return nil, nil, nil
}

// load runs decrypt for a registered flight and publishes the result.
func (c *Cache) load(ctx context.Context, k entryKey, decrypt func(ctx context.Context) ([]byte, error)) (pt []byte, err error) {
	c.mu.Lock()
	f := c.inflight[k]
	c.stats.Loads++
	c.mu.Unlock()
	returned := false
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.inflight, k)
		switch {
		case !returned: // decrypt panicked; the panic goes on, waiters get an error
			f.err = errors.New("cache: decrypt panicked")
		case err != nil:
			f.err = err
		default:
			c.lru.Remove(k) // never leave an older value unzeroed behind Add
			c.lru.Add(k, &entry{sealed: c.seal(k, pt), uses: 1 + f.waiter})
			if f.waiter > 0 {
				f.sealed = c.seal(k, pt)
			}
		}
		close(f.done)
	}()
	pt, err = decrypt(ctx)
	returned = true
	if err == nil && len(pt) == 0 {
		err = errors.New("cache: decrypt returned an empty key")
	}
	if err != nil {
		clear(pt)
		return nil, err
	}
	return pt, nil
}

// Purge zeroes and drops every entry and replaces the sealing key, so no
// earlier sealed value can be opened again. Call it at shutdown and on
// configuration reload. The cache stays usable.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purging.Store(true)
	c.lru.Purge()
	c.purging.Store(false)
	// Without fresh randomness the old key stays; every value it sealed in
	// the cache has just been zeroed.
	if a, err := newSealer(); err == nil {
		c.aead = a
	}
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Evictions = c.evictions.Load()
	s.Entries = c.lru.Len()
	return s
}

// forEachSealed calls fn with every entry's stored bytes (tests scan them).
func (c *Cache) forEachSealed(fn func(sealed []byte)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.lru.Keys() {
		if e, ok := c.lru.Peek(k); ok {
			e.mu.Lock()
			fn(e.sealed)
			e.mu.Unlock()
		}
	}
}
