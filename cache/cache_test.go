package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func randKey(t testing.TB) []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newCache(t testing.TB, o Options) *Cache {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// counter returns a decrypt func handing out copies of key, and its call count.
func counter(key []byte) (func(context.Context) ([]byte, error), *atomic.Int64) {
	var n atomic.Int64
	return func(context.Context) ([]byte, error) {
		n.Add(1)
		return bytes.Clone(key), nil
	}, &n
}

var ec = map[string]string{"kms_cmk_id": "arn:aws:kms:us-east-1:111122223333:key/k1"}

const arn = "arn:aws:kms:us-east-1:111122223333:key/k1"

func TestOptionsValidated(t *testing.T) {
	for _, o := range []Options{{MaxEntries: 0, TTL: time.Minute}, {MaxEntries: 1}, {MaxEntries: 1, TTL: time.Minute, MaxUses: -1}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func TestThousandHitsOneDecrypt(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 16, TTL: time.Hour})
	key := randKey(t)
	dec, n := counter(key)
	wrapped := []byte("wrapped-1")
	for i := range 1000 {
		got, err := c.Unwrap(context.Background(), arn, ec, wrapped, dec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, key) {
			t.Fatalf("unwrap %d returned a different key", i)
		}
		clear(got) // the caller's copy; zeroing it must not affect the cache
	}
	if n.Load() != 1 {
		t.Fatalf("1000 unwraps cost %d decrypts, want 1", n.Load())
	}
	s := c.Stats()
	if s.Hits != 999 || s.Misses != 1 || s.Loads != 1 || s.Entries != 1 || s.Evictions != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestEntriesNeverHoldPlaintext(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 256, TTL: time.Hour})
	var keys [][]byte
	for i := range 200 {
		key := randKey(t)
		keys = append(keys, key)
		dec, _ := counter(key)
		ctx := map[string]string{"i": fmt.Sprint(i)}
		for range 2 {
			got, err := c.Unwrap(context.Background(), arn, ctx, []byte(fmt.Sprintf("w%d", i)), dec)
			if err != nil {
				t.Fatal(err)
			}
			clear(got)
		}
	}
	scanned := 0
	c.forEachSealed(func(sealed []byte) {
		scanned++
		if len(sealed) < 32+16 {
			t.Fatalf("sealed entry is only %d bytes", len(sealed))
		}
		for _, k := range keys {
			// Any 8-byte window of a key would be a leak, not just the whole key.
			for off := 0; off+8 <= len(k); off += 8 {
				if bytes.Contains(sealed, k[off:off+8]) {
					t.Fatalf("a cache entry contains bytes %d..%d of a plaintext key", off, off+8)
				}
			}
		}
	})
	if scanned != 200 {
		t.Fatalf("scanned %d entries, want 200", scanned)
	}
}

func TestConcurrentMissesCollapse(t *testing.T) {
	const n = 32
	c := newCache(t, Options{MaxEntries: 16, TTL: time.Hour})
	key := randKey(t)
	var calls atomic.Int64
	dec := func(context.Context) ([]byte, error) {
		calls.Add(1)
		// Block until every caller has missed: the other 31 are then waiting
		// on this load.
		deadline := time.Now().Add(10 * time.Second)
		for c.Stats().Misses < n {
			if time.Now().After(deadline) {
				return nil, errors.New("callers never all arrived")
			}
			time.Sleep(time.Millisecond)
		}
		return bytes.Clone(key), nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.Unwrap(context.Background(), arn, ec, []byte("wrapped"), dec)
			if err == nil && !bytes.Equal(got, key) {
				err = errors.New("wrong key")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d concurrent unwraps cost %d decrypts, want 1", n, calls.Load())
	}
	s := c.Stats()
	if s.Loads != 1 || s.Misses != n || s.Hits != 0 || s.Joins != n-1 {
		t.Fatalf("stats %+v, want 1 load, %d misses of which %d joined it", s, n, n-1)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTTLExpiry(t *testing.T) {
	const ttl = 50 * time.Millisecond
	c := newCache(t, Options{MaxEntries: 16, TTL: ttl})
	dec, n := counter(randKey(t))
	get := func() {
		t.Helper()
		if _, err := c.Unwrap(context.Background(), arn, ec, []byte("w"), dec); err != nil {
			t.Fatal(err)
		}
	}
	get()
	time.Sleep(3 * ttl)
	get()
	if n.Load() != 2 {
		t.Fatalf("after the TTL: %d decrypts, want 2 (the entry must expire)", n.Load())
	}
	if s := c.Stats(); s.Evictions < 1 {
		t.Fatalf("expiry not counted as eviction: %+v", s)
	}
}

// TestExpiredEntriesSwept: expired entries are removed and zeroed in the
// background, without any further use of the cache.
func TestExpiredEntriesSwept(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 16, TTL: 50 * time.Millisecond})
	var held [][]byte
	for i := range 5 {
		dec, _ := counter(randKey(t))
		if _, err := c.Unwrap(context.Background(), arn, ec, []byte{byte(i)}, dec); err != nil {
			t.Fatal(err)
		}
	}
	c.forEachSealed(func(s []byte) { held = append(held, s) })
	if len(held) != 5 {
		t.Fatalf("%d entries held, want 5", len(held))
	}
	waitFor(t, "the expired entries to be swept", func() bool { return c.Stats().Entries == 0 })
	if s := c.Stats(); s.Evictions != 5 {
		t.Fatalf("after sweep: %+v, want 5 evictions", s)
	}
	for _, s := range held {
		if !bytes.Equal(s, make([]byte, len(s))) {
			t.Fatal("an expired entry was not zeroed")
		}
	}
}

func TestMaxUses(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 16, TTL: time.Hour, MaxUses: 3})
	dec, n := counter(randKey(t))
	for range 9 {
		if _, err := c.Unwrap(context.Background(), arn, ec, []byte("w"), dec); err != nil {
			t.Fatal(err)
		}
	}
	if n.Load() != 3 {
		t.Fatalf("9 unwraps with MaxUses 3 cost %d decrypts, want 3", n.Load())
	}
}

func TestDistinctInputsMiss(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 64, TTL: time.Hour})
	ctx := context.Background()
	type in struct {
		arn     string
		ec      map[string]string
		wrapped string
	}
	inputs := []in{
		{arn, map[string]string{"a": "b"}, "w"},
		{arn, map[string]string{"a": "c"}, "w"},
		{arn, map[string]string{"b": "b"}, "w"},
		{arn, map[string]string{"a": "b", "x": "y"}, "w"},
		{arn, map[string]string{"ab": "c"}, "w"},
		{arn, map[string]string{"a": "bc"}, "w"},
		{arn, nil, "w"},
		{arn + "2", map[string]string{"a": "b"}, "w"},
		{arn, map[string]string{"a": "b"}, "w2"},
	}
	keys := make([][]byte, len(inputs))
	for i, x := range inputs {
		keys[i] = randKey(t)
		dec, n := counter(keys[i])
		got, err := c.Unwrap(ctx, x.arn, x.ec, []byte(x.wrapped), dec)
		if err != nil {
			t.Fatal(err)
		}
		if n.Load() != 1 || !bytes.Equal(got, keys[i]) {
			t.Fatalf("input %d (%+v) hit another input's entry", i, x)
		}
	}
	// And each is a hit afterwards, returning its own key.
	for i, x := range inputs {
		got, err := c.Unwrap(ctx, x.arn, x.ec, []byte(x.wrapped), func(context.Context) ([]byte, error) {
			return nil, errors.New("unexpected decrypt")
		})
		if err != nil || !bytes.Equal(got, keys[i]) {
			t.Fatalf("input %d: %v / wrong key", i, err)
		}
	}
	// nil and empty contexts are the same context (as in KMS).
	if _, err := c.Unwrap(ctx, arn, map[string]string{}, []byte("w"), func(context.Context) ([]byte, error) {
		return nil, errors.New("unexpected decrypt")
	}); err != nil {
		t.Fatalf("empty context missed the nil-context entry: %v", err)
	}
}

func TestErrorsNotCached(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 16, TTL: time.Hour})
	boom := errors.New("kms down")
	var calls int
	fail := func(context.Context) ([]byte, error) { calls++; return nil, boom }
	for range 3 {
		if _, err := c.Unwrap(context.Background(), arn, ec, []byte("w"), fail); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the decrypt error", err)
		}
	}
	if calls != 3 {
		t.Fatalf("3 failing unwraps made %d decrypt calls, want 3", calls)
	}
	if s := c.Stats(); s.Entries != 0 {
		t.Fatalf("an error was cached: %+v", s)
	}
	key := randKey(t)
	dec, _ := counter(key)
	got, err := c.Unwrap(context.Background(), arn, ec, []byte("w"), dec)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("after errors: %v", err)
	}
	// An empty result is an error, not an entry.
	if _, err := c.Unwrap(context.Background(), arn, ec, []byte("w-empty"), func(context.Context) ([]byte, error) { return nil, nil }); err == nil {
		t.Fatal("empty decrypt result accepted")
	}
}

func TestWaiterRetriesWhenLoaderCancelled(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 16, TTL: time.Hour})
	key := randKey(t)
	leaderCtx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	leaderDone := make(chan error, 1)
	go func() {
		_, err := c.Unwrap(leaderCtx, arn, ec, []byte("w"), func(ctx context.Context) ([]byte, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		leaderDone <- err
	}()
	<-started
	waiterDone := make(chan error, 1)
	go func() {
		got, err := c.Unwrap(context.Background(), arn, ec, []byte("w"), func(context.Context) ([]byte, error) {
			return bytes.Clone(key), nil
		})
		if err == nil && !bytes.Equal(got, key) {
			err = errors.New("wrong key")
		}
		waiterDone <- err
	}()
	for c.Stats().Misses < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	if err := <-waiterDone; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

func TestLRUEvictionZeroes(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 2, TTL: time.Hour})
	ctx := context.Background()
	for _, w := range []string{"a", "b"} {
		dec, _ := counter(randKey(t))
		if _, err := c.Unwrap(ctx, arn, ec, []byte(w), dec); err != nil {
			t.Fatal(err)
		}
	}
	var held [][]byte
	c.forEachSealed(func(s []byte) { held = append(held, s) }) // oldest first: a, b
	// Touch a, so b is the least recently used.
	if _, err := c.Unwrap(ctx, arn, ec, []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	dec, _ := counter(randKey(t))
	if _, err := c.Unwrap(ctx, arn, ec, []byte("c"), dec); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Evictions != 1 || s.Entries != 2 {
		t.Fatalf("stats %+v", s)
	}
	if bytes.Equal(held[0], make([]byte, len(held[0]))) || !bytes.Equal(held[1], make([]byte, len(held[1]))) {
		t.Fatal("want b evicted and zeroed, a kept")
	}
}

func TestPurge(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 16, TTL: time.Hour})
	ctx := context.Background()
	key := randKey(t)
	dec, n := counter(key)
	for _, w := range []string{"a", "b", "c"} {
		if _, err := c.Unwrap(ctx, arn, ec, []byte(w), dec); err != nil {
			t.Fatal(err)
		}
	}
	var held [][]byte
	c.forEachSealed(func(s []byte) { held = append(held, s) })
	oldAEAD := c.aead
	c.Purge()
	for i, s := range held {
		if !bytes.Equal(s, make([]byte, len(s))) {
			t.Fatalf("entry %d not zeroed by Purge", i)
		}
	}
	if c.aead == oldAEAD {
		t.Fatal("Purge kept the sealing key")
	}
	if s := c.Stats(); s.Entries != 0 || s.Evictions != 0 {
		t.Fatalf("after Purge: %+v", s)
	}
	got, err := c.Unwrap(ctx, arn, ec, []byte("a"), dec)
	if err != nil || !bytes.Equal(got, key) || n.Load() != 4 {
		t.Fatalf("after Purge: %v, %d decrypts (want 4)", err, n.Load())
	}
}

func TestPanickingDecryptReleasesWaiters(t *testing.T) {
	c := newCache(t, Options{MaxEntries: 16, TTL: time.Hour})
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic was swallowed")
			}
		}()
		c.Unwrap(context.Background(), arn, ec, []byte("w"), func(context.Context) ([]byte, error) { panic("boom") })
	}()
	if len(c.inflight) != 0 || c.Stats().Entries != 0 {
		t.Fatal("a panicking decrypt left state behind")
	}
	dec, n := counter(randKey(t))
	if _, err := c.Unwrap(context.Background(), arn, ec, []byte("w"), dec); err != nil || n.Load() != 1 {
		t.Fatalf("after panic: %v", err)
	}
}
