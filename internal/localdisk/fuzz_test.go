package localdisk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// fuzzKey is a fixed node key, so that seed files stay valid across runs
// and the committed corpus keeps exercising the authenticated path.
func fuzzKey(tb testing.TB) *NodeKey {
	tb.Helper()
	nk, err := derive(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return nk
}

// sealedBytes seals data into a file and returns the file's bytes.
func sealedBytes(tb testing.TB, nk *NodeKey, data []byte) []byte {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "seed")
	w, err := nk.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// FuzzOpenSealed feeds arbitrary file contents (header and chunks) to the
// sealed-file reader: it must never panic, never return a plaintext byte of
// a file it cannot authenticate, and report every rejection as
// ErrIntegrity. The only files that open are the seeds written under the
// key (the fuzzer cannot forge a GCM tag), and they read back exactly.
func FuzzOpenSealed(f *testing.F) {
	nk := fuzzKey(f)
	// Seeds get a random file id each time the target starts (in every
	// fuzz worker too), so a file that authenticates is recognised by its
	// plaintext: one of these, read back exactly.
	plains := [][]byte{nil, []byte("staged part"), bytes.Repeat([]byte("0123456789abcdef"), chunkSize/16+5)}
	for _, p := range plains {
		raw := sealedBytes(f, nk, p)
		f.Add(raw)
		f.Add(raw[:headerSize])
		f.Add(raw[:len(raw)-1])
	}
	f.Add([]byte(magic))
	f.Add(append([]byte(magic), version, chunkLog))
	f.Add(append(append([]byte(magic), version, 40), make([]byte, 32+tagSize)...))
	dir := f.TempDir()
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, in []byte) {
		p := filepath.Join(dir, fmt.Sprint(n.Add(1)))
		if err := os.WriteFile(p, in, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		r, err := nk.Open(p)
		if err != nil {
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		defer r.Close()
		got, err := io.ReadAll(r)
		var want []byte
		ok := false
		for _, p := range plains {
			if int64(len(p)) == r.Size() {
				want, ok = p, true
			}
		}
		if err != nil {
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("unclassified read error: %v", err)
			}
			if len(got) != 0 && !ok {
				t.Fatalf("%d bytes returned from a file that failed authentication", len(got))
			}
			return
		}
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("a file authenticated that is not a sealed seed (%d bytes, %d plaintext bytes)", len(in), len(got))
		}
		// Seeking anywhere and reading must stay in bounds.
		for _, off := range []int64{0, 1, int64(len(want)) / 2, int64(len(want)), int64(len(want)) + 10} {
			if _, err := r.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			rest, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(rest, want[min(off, int64(len(want))):]) {
				t.Fatalf("seek %d: %v", off, err)
			}
		}
	})
}

// FuzzNodeKeyState feeds arbitrary node key state files (nodekey.json) to
// Unlock: it must refuse anything that is not the stored key with an
// error, never panic, and never write a state file of its own over it.
func FuzzNodeKeyState(f *testing.F) {
	dir := f.TempDir()
	ks := &fakeKMS{}
	for i := range ks.master {
		ks.master[i] = byte(i)
	}
	state := filepath.Join(dir, "nodekey.json")
	nk, err := Unlock(context.Background(), ks, "alias/node", state, filepath.Join(dir, "local"))
	if err != nil {
		f.Fatal(err)
	}
	nk.Close()
	good, err := os.ReadFile(state)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"key_id":"alias/node","wrapped_key":"","salt":"","check":""}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		d := t.TempDir()
		sf := filepath.Join(d, "nodekey.json")
		if err := os.WriteFile(sf, in, 0o600); err != nil {
			t.Fatal(err)
		}
		nk, err := Unlock(context.Background(), ks, "alias/node", sf, filepath.Join(d, "local"))
		after, rerr := os.ReadFile(sf)
		if rerr != nil || !bytes.Equal(after, in) {
			t.Fatalf("the state file was changed (%v)", rerr)
		}
		if err != nil {
			return
		}
		defer nk.Close()
		// Only a state file that wraps the key the seed wrapped unlocks,
		// and then to that key.
		if nk.Check() == "" || len(nk.Check()) != 32 {
			t.Fatalf("key check %q", nk.Check())
		}
	})
}
