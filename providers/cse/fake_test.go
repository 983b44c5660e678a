package cse

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"sync"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/providers"
)

const (
	fakeARN  = "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
	otherARN = "arn:aws:kms:us-east-1:111122223333:key/99999999-8888-7777-6666-555555555555"
)

// fakeKMS is an in-memory key service with named keys. A wrapped key is
// nonce || AES-GCM(master of its key, nonce, dataKey, AAD = canonical
// context), so a wrong context, a wrong key or an altered blob fails like
// KMS's InvalidCiphertext/IncorrectKey (errs.ErrKeyMismatch). Decrypt
// without a key id tries every key (as KMS reads the key from its blobs).
// It records every plaintext slice it hands out (to check they get zeroed),
// a copy of each key (to search stored bytes for leaks) and the key id of
// every Decrypt.
type fakeKMS struct {
	keys    map[string]cipher.AEAD // by ARN
	aliases map[string]string      // alias -> ARN

	mu         sync.Mutex
	gens       int
	decs       int
	handed     [][]byte // slices returned to the caller
	copies     [][]byte // copies of every plaintext key
	lastCtx    map[string]string
	objects    []string // bucket/key from kms.WithObject, per call
	decryptIDs []string // key id of every Decrypt
}

// newFakeKMS returns a fake holding fakeARN (alias/test) and otherARN
// (alias/other).
func newFakeKMS(t testing.TB) *fakeKMS {
	t.Helper()
	f := &fakeKMS{keys: map[string]cipher.AEAD{}, aliases: map[string]string{}}
	f.addKey(t, fakeARN, "alias/test")
	f.addKey(t, otherARN, "alias/other")
	return f
}

func (f *fakeKMS) addKey(t testing.TB, arn, alias string) {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	f.keys[arn] = a
	f.aliases[alias] = arn
}

// resolve finds a key by ARN, alias or bare key id. Caller holds f.mu.
func (f *fakeKMS) resolve(keyID string) (cipher.AEAD, bool) {
	if arn, ok := f.aliases[keyID]; ok {
		keyID = arn
	}
	for arn, a := range f.keys {
		if keyID == arn || keyID == bareKeyID(arn) {
			return a, true
		}
	}
	return nil, false
}

func (f *fakeKMS) note(ctx context.Context, encCtx map[string]string) {
	b, k := kms.ObjectFrom(ctx)
	f.objects = append(f.objects, b+"/"+k)
	f.lastCtx = encCtx
}

func (f *fakeKMS) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gens++
	f.note(ctx, encCtx)
	a, ok := f.resolve(keyID)
	if !ok {
		return nil, nil, fmt.Errorf("fake: NotFoundException %q: %w", keyID, errs.ErrKeyUnavailable)
	}
	pt := make([]byte, 32)
	if _, err := rand.Read(pt); err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, 12)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	wrapped := a.Seal(nonce, nonce, pt, kms.CanonicalContext(encCtx))
	f.handed = append(f.handed, pt)
	f.copies = append(f.copies, bytes.Clone(pt))
	return pt, wrapped, nil
}

func (f *fakeKMS) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decs++
	f.decryptIDs = append(f.decryptIDs, keyID)
	f.note(ctx, encCtx)
	if len(wrapped) < 12+16 {
		return nil, fmt.Errorf("fake: InvalidCiphertextException: %w", errs.ErrKeyMismatch)
	}
	var try []cipher.AEAD
	if keyID == "" {
		for _, a := range f.keys {
			try = append(try, a)
		}
	} else {
		a, ok := f.resolve(keyID)
		if !ok {
			return nil, fmt.Errorf("fake: NotFoundException %q: %w", keyID, errs.ErrKeyUnavailable)
		}
		try = []cipher.AEAD{a}
	}
	for _, a := range try {
		if pt, err := a.Open(nil, wrapped[:12], wrapped[12:], kms.CanonicalContext(encCtx)); err == nil {
			f.handed = append(f.handed, pt)
			f.copies = append(f.copies, bytes.Clone(pt))
			return pt, nil
		}
	}
	return nil, fmt.Errorf("fake: IncorrectKeyException/InvalidCiphertextException: %w", errs.ErrKeyMismatch)
}

// decryptKeyIDs returns the key id of every Decrypt so far.
func (f *fakeKMS) decryptKeyIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.decryptIDs...)
}

func (f *fakeKMS) calls() (gens, decs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gens, f.decs
}

// memSource is an in-memory providers.Source that counts its calls.
type memSource struct {
	data     []byte
	instr    []byte // nil: no instruction file
	mu       sync.Mutex
	ranges   [][2]int64
	instrGet int
}

func (s *memSource) Range(_ context.Context, off, n int64) (io.ReadCloser, error) {
	s.mu.Lock()
	s.ranges = append(s.ranges, [2]int64{off, n})
	s.mu.Unlock()
	if off < 0 || off > int64(len(s.data)) {
		return nil, fmt.Errorf("memsource: InvalidRange %d", off)
	}
	end := int64(len(s.data))
	if n >= 0 && off+n < end {
		end = off + n
	}
	// Hand out short reads, as a network stream does.
	return io.NopCloser(&shortReader{r: bytes.NewReader(s.data[off:end])}), nil
}

// shortReader returns at most 1000 bytes per Read.
type shortReader struct{ r io.Reader }

func (s *shortReader) Read(p []byte) (int, error) {
	if len(p) > 1000 {
		p = p[:1000]
	}
	return s.r.Read(p)
}

func (s *memSource) Instruction(context.Context) ([]byte, error) {
	s.mu.Lock()
	s.instrGet++
	s.mu.Unlock()
	if s.instr == nil {
		return nil, iofs.ErrNotExist
	}
	return bytes.Clone(s.instr), nil
}

func (s *memSource) rangeCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ranges)
}

// stored is one encoded object.
type stored struct {
	head providers.Head
	src  *memSource
	up   providers.Upload
}

var testObj = providers.Object{Bucket: "bkt", Key: "dir/file"}

func encode(t testing.TB, p providers.Provider, plain []byte) stored {
	t.Helper()
	var buf bytes.Buffer
	up, w, err := p.Encode(context.Background(), testObj, &buf)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	// Write in uneven pieces.
	for rest := plain; len(rest) > 0; {
		k := min(len(rest), 7777)
		if _, err := w.Write(rest[:k]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		rest = rest[k:]
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return stored{
		head: providers.Head{Size: int64(buf.Len()), Metadata: up.Metadata},
		src:  &memSource{data: buf.Bytes(), instr: up.Instruction},
		up:   up,
	}
}

func decode(p providers.Provider, s stored, off, n int64) ([]byte, error) {
	rc, err := p.Decode(context.Background(), testObj, s.head, s.src, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newKMSProvider(t testing.TB, f *fakeKMS, wrap, mode string) *Provider {
	t.Helper()
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, WrapAlg: wrap, StorageMode: mode})
	if err != nil {
		t.Fatalf("NewKMS: %v", err)
	}
	return p
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

// legacyRead is one LegacyAudit record.
type legacyRead struct{ bucket, key, cekAlg, wrapAlg string }

// auditRecorder is a LegacyAudit that records each legacy read; with err
// set it fails every record.
type auditRecorder struct {
	mu    sync.Mutex
	reads []legacyRead
	err   error
}

func (a *auditRecorder) LegacyRead(ctx context.Context, cekAlg, wrapAlg string, _ map[string]string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	b, k := kms.ObjectFrom(ctx)
	a.reads = append(a.reads, legacyRead{b, k, cekAlg, wrapAlg})
	return nil
}

func (a *auditRecorder) all() []legacyRead {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]legacyRead(nil), a.reads...)
}

// newLegacyKMSProvider is newKMSProvider with legacy reads on, recorded in
// rec.
func newLegacyKMSProvider(t testing.TB, f *fakeKMS, rec LegacyAudit) *Provider {
	t.Helper()
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, LegacyRead: true, Audit: rec})
	if err != nil {
		t.Fatalf("NewKMS: %v", err)
	}
	return p
}
