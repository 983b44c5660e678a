package localdisk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fakeKMS is an in-memory key service that records calls and the
// plaintext keys it handed out.
type fakeKMS struct {
	master   [32]byte
	gens     int
	decrypts int
	ctxs     []map[string]string
	keys     [][]byte
	fail     error
}

func (f *fakeKMS) GenerateDataKey(_ context.Context, keyID string, ec map[string]string) ([]byte, []byte, error) {
	f.gens++
	f.ctxs = append(f.ctxs, ec)
	if f.fail != nil {
		return nil, nil, f.fail
	}
	p := make([]byte, 32)
	rand.Read(p)
	f.keys = append(f.keys, append([]byte(nil), p...))
	w := make([]byte, 32)
	for i := range p {
		w[i] = p[i] ^ f.master[i]
	}
	return p, append([]byte("wrapped:"+keyID+":"), w...), nil
}

func (f *fakeKMS) Decrypt(_ context.Context, keyID string, wrapped []byte, ec map[string]string) ([]byte, error) {
	f.decrypts++
	f.ctxs = append(f.ctxs, ec)
	if f.fail != nil {
		return nil, f.fail
	}
	pre := []byte("wrapped:" + keyID + ":")
	if !bytes.HasPrefix(wrapped, pre) {
		return nil, errors.New("wrong key")
	}
	w := wrapped[len(pre):]
	p := make([]byte, len(w))
	for i := range w {
		p[i] = w[i] ^ f.master[i]
	}
	return p, nil
}

func unlockNew(t *testing.T) (*NodeKey, *fakeKMS, string) {
	t.Helper()
	dir := t.TempDir()
	ks := &fakeKMS{}
	rand.Read(ks.master[:])
	nk, err := Unlock(context.Background(), ks, "alias/node", filepath.Join(dir, "nodekey.json"), filepath.Join(dir, "local"))
	if err != nil {
		t.Fatal(err)
	}
	return nk, ks, dir
}

func writeSealed(t *testing.T, nk *NodeKey, path string, data []byte, step int) {
	t.Helper()
	w, err := nk.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for p := data; len(p) > 0; {
		n := min(step, len(p))
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readSealed(nk *NodeKey, path string) ([]byte, error) {
	r, err := nk.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestRoundTripSizes(t *testing.T) {
	nk, _, dir := unlockNew(t)
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17, 2 * chunkSize} {
		data := make([]byte, size)
		rand.Read(data)
		for _, step := range []int{1 << 20, 1000, 7} {
			if size > 100000 && step == 7 {
				continue
			}
			p := filepath.Join(dir, "f")
			os.Remove(p)
			writeSealed(t, nk, p, data, step)
			got, err := readSealed(nk, p)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("size %d step %d: %v (got %d bytes)", size, step, err, len(got))
			}
			r, _ := nk.Open(p)
			if r.Size() != int64(size) {
				t.Fatalf("size %d: Size()=%d", size, r.Size())
			}
			// Seek anywhere and read the rest.
			for _, off := range []int64{0, 1, chunkSize - 1, chunkSize, int64(size) / 2, int64(size)} {
				if off > int64(size) {
					continue
				}
				if _, err := r.Seek(off, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				rest, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(rest, data[off:]) {
					t.Fatalf("size %d seek %d: %v", size, off, err)
				}
			}
			r.Close()
		}
	}
}

func TestNoPlaintextOnDisk(t *testing.T) {
	nk, ks, dir := unlockNew(t)
	marker := []byte("PLAINTEXT-MARKER-7d1f0c")
	data := bytes.Repeat(marker, 20000)
	p := filepath.Join(dir, "local", "part")
	writeSealed(t, nk, p, data, 4096)
	raw, _ := os.ReadFile(p)
	if bytes.Contains(raw, marker) {
		t.Fatal("plaintext marker found in sealed file")
	}
	// The state file keeps only the wrapped key: no form of the plaintext
	// data key is on disk anywhere under the data dir.
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		for _, k := range ks.keys {
			for _, form := range [][]byte{k, []byte(base64.StdEncoding.EncodeToString(k)), []byte(hex.EncodeToString(k))} {
				if bytes.Contains(b, form) {
					t.Errorf("plaintext data key found in %s", path)
				}
			}
		}
		if bytes.Contains(b, nk.key[:]) {
			t.Errorf("node key found in %s", path)
		}
		return nil
	})
}

func TestTamperingFails(t *testing.T) {
	nk, _, dir := unlockNew(t)
	data := make([]byte, 3*chunkSize+100)
	rand.Read(data)
	p := filepath.Join(dir, "f")
	writeSealed(t, nk, p, data, 1<<20)
	orig, _ := os.ReadFile(p)
	try := func(name string, mutated []byte) {
		t.Helper()
		q := filepath.Join(dir, "mut")
		os.WriteFile(q, mutated, 0o600)
		got, err := readSealed(nk, q)
		if !errors.Is(err, ErrIntegrity) {
			t.Errorf("%s: err=%v, got %d bytes", name, err, len(got))
		}
	}
	full := chunkSize + tagSize
	for _, pos := range []int{0, 9, 20, headerSize, headerSize + 5, headerSize + full - 1, headerSize + full, len(orig) - 1} {
		m := append([]byte(nil), orig...)
		m[pos] ^= 0x01
		try("flip", m)
	}
	try("truncate to chunk boundary", orig[:headerSize+2*full])
	try("truncate mid chunk", orig[:headerSize+full+100])
	try("truncate last byte", orig[:len(orig)-1])
	try("header only", orig[:headerSize])
	swapped := append([]byte(nil), orig...)
	copy(swapped[headerSize:], orig[headerSize+full:headerSize+2*full])
	copy(swapped[headerSize+full:], orig[headerSize:headerSize+full])
	try("reordered chunks", swapped)
	// A chunk moved into another file (different file id) fails.
	p2 := filepath.Join(dir, "g")
	writeSealed(t, nk, p2, data, 1<<20)
	other, _ := os.ReadFile(p2)
	transplant := append([]byte(nil), orig...)
	copy(transplant[headerSize:], other[headerSize:headerSize+full])
	try("transplanted chunk", transplant)
	// Another node's key cannot open it.
	nk2, _, _ := unlockNew(t)
	if _, err := readSealed(nk2, p); !errors.Is(err, ErrIntegrity) {
		t.Errorf("other node key: %v", err)
	}
}

func TestUnlockFlow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ks := &fakeKMS{}
	rand.Read(ks.master[:])
	stateFile, local := filepath.Join(dir, "nodekey.json"), filepath.Join(dir, "local")
	nk1, err := Unlock(ctx, ks, "alias/node", stateFile, local)
	if err != nil {
		t.Fatal(err)
	}
	if ks.gens != 1 || ks.decrypts != 0 || ks.ctxs[0] != nil {
		t.Fatalf("first start: gens=%d decrypts=%d ctx=%v", ks.gens, ks.decrypts, ks.ctxs)
	}
	p := filepath.Join(local, "x")
	writeSealed(t, nk1, p, []byte("hello"), 10)
	// Restart: exactly one Decrypt, no context, same key.
	nk2, err := Unlock(ctx, ks, "alias/node", stateFile, local)
	if err != nil {
		t.Fatal(err)
	}
	if ks.gens != 1 || ks.decrypts != 1 || ks.ctxs[1] != nil {
		t.Fatalf("restart: gens=%d decrypts=%d", ks.gens, ks.decrypts)
	}
	if got, err := readSealed(nk2, p); err != nil || string(got) != "hello" {
		t.Fatalf("read after restart: %q %v", got, err)
	}
	// KMS failure at start: no key, clear error.
	ks.fail = errors.New("kms unreachable")
	if _, err := Unlock(ctx, ks, "alias/node", stateFile, local); err == nil {
		t.Fatal("unlock succeeded with KMS down")
	}
	ks.fail = nil
	// A changed key id is refused.
	if _, err := Unlock(ctx, ks, "alias/other", stateFile, local); err == nil {
		t.Fatal("unlock with another key id succeeded")
	}
	// Deleted state file with a sealed local dir: refused, not replaced.
	os.Remove(stateFile)
	if _, err := Unlock(ctx, ks, "alias/node", stateFile, local); !errors.Is(err, ErrStateMissing) {
		t.Fatalf("missing state: %v", err)
	}
	if ks.gens != 1 {
		t.Fatal("a new node key was generated over a sealed local dir")
	}
	if s := nk2.String(); bytes.Contains([]byte(s), []byte(hex.EncodeToString(nk2.key[:]))) {
		t.Fatal("String leaks the key")
	}
}

// TestStagingReusesFiles: a released part's file is rewritten by the next
// part, which reads back exactly its own bytes (the longer old contents are
// cut off), under a new file id; at most keepFiles files stay for reuse.
func TestStagingReusesFiles(t *testing.T) {
	nk, _, dir := unlockNew(t)
	st, _, err := NewStaging(filepath.Join(dir, "staging"), nk)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stage := func(data []byte) (string, []byte) {
		t.Helper()
		p, err := st.New(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write(data); err != nil {
			t.Fatal(err)
		}
		r, err := p.Reader()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("staged part read back %d bytes, want %d (equal: %v)", len(got), len(data), bytes.Equal(got[:min(len(got), len(data))], data[:min(len(got), len(data))]))
		}
		path := p.(*diskPart).path
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p.Release()
		return path, raw[:headerSize]
	}
	big := make([]byte, 3*chunkSize+100)
	rand.Read(big)
	small := []byte("a short part")
	path1, hdr1 := stage(big)
	if _, err := os.Stat(path1); err != nil {
		t.Fatalf("released part file was not kept for reuse: %v", err)
	}
	path2, hdr2 := stage(small)
	if path2 != path1 {
		t.Fatalf("second part used %s, want the released %s", path2, path1)
	}
	if bytes.Equal(hdr1, hdr2) {
		t.Fatal("rewritten part kept the old file id")
	}
	if fi, _ := os.Stat(path2); fi.Size() != int64(headerSize+len(small)+tagSize) {
		t.Fatalf("rewritten part file is %d bytes, want %d", fi.Size(), headerSize+len(small)+tagSize)
	}
	if st.Live() != 0 {
		t.Fatalf("Live = %d after release, want 0", st.Live())
	}

	// More parts released at once than are kept: the rest are removed.
	var parts []interface{ Release() }
	for range keepFiles + 3 {
		p, err := st.New(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Write(small)
		if _, err := p.Reader(); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	for _, p := range parts {
		p.Release()
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "staging"))
	if len(entries) != keepFiles {
		t.Fatalf("%d files in the staging dir, want %d kept", len(entries), keepFiles)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "staging")); len(entries) != 0 {
		t.Fatalf("%d files in the staging dir after Close", len(entries))
	}
}
