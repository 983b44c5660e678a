package attrindex

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, o Options) *Index {
	t.Helper()
	x, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

func key(i int) string   { return fmt.Sprintf("bucket\x00dir/object-%05d", i) }
func value(i int) []byte { return []byte(fmt.Sprintf("value-%d", i)) }

func mustGet(t *testing.T, x *Index, i int) {
	t.Helper()
	v, ok := x.Get(key(i))
	if !ok || !bytes.Equal(v, value(i)) {
		t.Fatalf("get %d: %q %v", i, v, ok)
	}
}

func TestPersistsAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "attrindex.db")
	x := open(t, Options{Path: path})
	for i := range 100 {
		x.Put(key(i), value(i))
	}
	x.Delete(key(7))
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y := open(t, Options{Path: path})
	if !y.Stats().Persistent {
		t.Fatal("not persistent")
	}
	for i := range 100 {
		if i == 7 {
			if _, ok := y.Get(key(i)); ok {
				t.Fatal("deleted key came back")
			}
			continue
		}
		mustGet(t, y, i)
	}
	if st := y.Stats(); st.DiskHits != 99 || st.Misses != 1 {
		t.Fatalf("stats %+v", st)
	}
	mustGet(t, y, 1)
	if st := y.Stats(); st.MemoryHits != 1 {
		t.Fatalf("second get not from memory: %+v", st)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v %v", fi.Mode(), err)
	}
}

// TestWritesAreAsynchronous: Put and Delete return before anything is
// written; a batch reaches the file on the writer's schedule or at Close.
func TestWritesAreAsynchronous(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attrindex.db")
	x := open(t, Options{Path: path, FlushInterval: time.Hour, MemoryEntries: 2})
	for i := range 10 {
		x.Put(key(i), value(i))
	}
	if st := x.Stats(); st.Flushes != 0 {
		t.Fatalf("a Put waited for a transaction: %+v", st)
	}
	// Evicted from the 2-entry front, still found among the pending writes.
	for i := range 10 {
		mustGet(t, x, i)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y := open(t, Options{Path: path})
	for i := range 10 {
		mustGet(t, y, i)
	}

	// A large backlog wakes the writer early.
	z := open(t, Options{Path: filepath.Join(t.TempDir(), "b.db"), FlushInterval: time.Hour})
	for i := range flushBatch + 1 {
		z.Put(key(i), value(i))
	}
	deadline := time.Now().Add(10 * time.Second)
	for z.Stats().Flushes == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a full batch was not written")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEvictedEntriesComeFromDisk(t *testing.T) {
	x := open(t, Options{Path: filepath.Join(t.TempDir(), "a.db"), MemoryEntries: 10, FlushInterval: time.Millisecond})
	for i := range 500 {
		x.Put(key(i), value(i))
	}
	waitFlushed(t, x)
	for i := range 500 {
		mustGet(t, x, i)
	}
	if st := x.Stats(); st.DiskHits < 400 {
		t.Fatalf("expected disk hits: %+v", st)
	}
}

func waitFlushed(t *testing.T, x *Index) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		x.mu.Lock()
		n := len(x.pending) + len(x.flushing)
		x.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("writes not flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCorruptFileIsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attrindex.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a bolt file "), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	x := open(t, Options{Path: path})
	if st := x.Stats(); !st.Persistent || st.Resets != 1 {
		t.Fatalf("corrupt file not replaced: %+v", st)
	}
	x.Put(key(1), value(1))
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	z := open(t, Options{Path: path})
	mustGet(t, z, 1)
	z.Close()

	// A truncated file (a crash while the file was created, a full disk).
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw[:100], 0o600); err != nil {
		t.Fatal(err)
	}
	y := open(t, Options{Path: path})
	if st := y.Stats(); !st.Persistent || st.Resets != 1 {
		t.Fatalf("truncated file not replaced: %+v", st)
	}
	if _, ok := y.Get(key(1)); ok {
		t.Fatal("entry survived a replaced file")
	}
}

// TestCorruptPageWhileRunning scribbles over the file's data pages under
// a running index: a read that trips over them discards the file, and the
// index goes on (empty) instead of crashing the daemon.
func TestCorruptPageWhileRunning(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attrindex.db")
	x := open(t, Options{Path: path, MemoryEntries: 1})
	for i := range 2000 {
		x.Put(key(i), bytes.Repeat(value(i), 20))
	}
	waitFlushed(t, x)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	page := int64(os.Getpagesize())
	junk := bytes.Repeat([]byte{0xA5}, int(fi.Size()-4*page))
	if _, err := f.WriteAt(junk, 4*page); err != nil {
		t.Fatal(err)
	}
	f.Close()
	y := x
	for i := range 2000 {
		if v, ok := y.Get(key(i)); ok && !bytes.Equal(v, bytes.Repeat(value(i), 20)) {
			t.Fatalf("corrupt value returned for %d", i)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for y.Stats().Resets == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("corruption not detected: %+v", y.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	y.Put(key(1), value(1))
	mustGet(t, y, 1)
	if err := y.Close(); err != nil {
		t.Fatal(err)
	}
	mustGet(t, open(t, Options{Path: path}), 1)
}

func TestOtherFormatIsEmptied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attrindex.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte(bucketEntries))
		if err != nil {
			return err
		}
		return b.Put([]byte(key(1)), []byte("old layout"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	x := open(t, Options{Path: path})
	if _, ok := x.Get(key(1)); ok {
		t.Fatal("entry of an unknown format kept")
	}
}

func TestLockedFileLeavesMemoryOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attrindex.db")
	first := open(t, Options{Path: path})
	second := open(t, Options{Path: path, LockTimeout: 50 * time.Millisecond})
	if !first.Stats().Persistent || second.Stats().Persistent {
		t.Fatalf("first %+v second %+v", first.Stats(), second.Stats())
	}
	second.Put(key(1), value(1))
	mustGet(t, second, 1)
}

func TestMaxEntriesBoundsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attrindex.db")
	x := open(t, Options{Path: path, MaxEntries: 100, FlushInterval: time.Hour})
	for i := range 90 {
		x.Put(key(i), value(i))
	}
	x.flush()
	for i := 90; i < 120; i++ {
		x.Put(key(i), value(i))
	}
	x.flush()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	y := open(t, Options{Path: path})
	n := 0
	for i := range 120 {
		if _, ok := y.Get(key(i)); ok {
			n++
		}
	}
	if n != 0 {
		t.Fatalf("%d entries kept past the bound", n)
	}
	y.Put(key(1), value(1))
	y.Close()
	mustGet(t, open(t, Options{Path: path}), 1)
}

func TestConcurrentUse(t *testing.T) {
	x := open(t, Options{Path: filepath.Join(t.TempDir(), "a.db"), MemoryEntries: 64, FlushInterval: time.Millisecond})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := (i*7 + w) % 300
				switch i % 5 {
				case 0:
					x.Delete(key(k))
				case 1, 2:
					x.Put(key(k), value(k))
				default:
					if v, ok := x.Get(key(k)); ok && !bytes.Equal(v, value(k)) {
						t.Errorf("key %d: %q", k, v)
					}
				}
			}
		})
	}
	wg.Wait()
	// After the dust settles, the last write wins everywhere.
	for k := range 300 {
		x.Put(key(k), value(k))
	}
	x.Delete(key(3))
	waitFlushed(t, x)
	for k := range 300 {
		if k == 3 {
			if _, ok := x.Get(key(k)); ok {
				t.Fatal("deleted")
			}
			continue
		}
		mustGet(t, x, k)
	}
}

func TestMemoryOnly(t *testing.T) {
	x := open(t, Options{MemoryEntries: 3})
	for i := range 5 {
		x.Put(key(i), value(i))
	}
	if _, ok := x.Get(key(0)); ok {
		t.Fatal("memory-only index kept more than its bound")
	}
	mustGet(t, x, 4)
	if st := x.Stats(); st.Persistent || st.Flushes != 0 {
		t.Fatalf("%+v", st)
	}
}
