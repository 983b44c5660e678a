package providertest_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/providertest"
)

// childEnv marks the child process that runs the suite against broken
// providers.
const childEnv = "PROVIDERTEST_SELFTEST_CHILD"

// TestSuiteCatchesBrokenProviders proves the suite can fail: it runs the
// suite, in a child process of this test binary, against providers with one
// planted bug each, and requires exactly the topics that bug breaks to fail
// while a correct topic of the same provider passes.
func TestSuiteCatchesBrokenProviders(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		runBroken(t)
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSuiteCatchesBrokenProviders$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if _, ok := errors.AsType[*exec.ExitError](err); !ok {
		t.Fatalf("child run of the suite against broken providers: want a failing exit, got %v\n%s", err, out)
	}
	want := map[string]bool{ // topic -> must fail
		"rangebug/Ranges": true, "rangebug/RoundTrip": false,
		"buffering/RoundTrip": true, "buffering/Ranges": false,
		"laxconfirm/Confirm": true, "laxconfirm/Copy": false,
		"noconfirmer/Confirm": true, "noconfirmer/RoundTrip": false,
		"laxsegments/Segments": true, "laxsegments/Ranges": false,
		"nocopysse/Confirm": true, "nocopysse/Sizes": false, "nocopysse/Segments": false,
		"xor/Tamper": true, "xor/Truncate": true, "xor/AlterMetadata": true, "xor/KeysNotStored": true,
		"xor/AtRest": false, "xor/Ranges": false,
	}
	for topic, fail := range want {
		line := "--- PASS: TestSuiteCatchesBrokenProviders/" + topic + " "
		if fail {
			line = "--- FAIL: TestSuiteCatchesBrokenProviders/" + topic + " "
		}
		if !bytes.Contains(out, []byte(line)) {
			t.Errorf("child output lacks %q", strings.TrimSpace(line))
		}
	}
	if t.Failed() {
		t.Logf("child output:\n%s", out)
	}
}

func runBroken(t *testing.T) {
	env := testenv.Get(t)
	cases := []struct {
		name string
		mk   func() (providers.Provider, bool, func() [][]byte)
	}{
		{"rangebug", func() (providers.Provider, bool, func() [][]byte) { return rangeBug{}, false, nil }},
		{"buffering", func() (providers.Provider, bool, func() [][]byte) { return buffering{}, false, nil }},
		{"laxconfirm", func() (providers.Provider, bool, func() [][]byte) { return laxConfirm{}, false, nil }},
		{"noconfirmer", func() (providers.Provider, bool, func() [][]byte) { return noConfirmer{}, false, nil }},
		{"laxsegments", func() (providers.Provider, bool, func() [][]byte) { return laxSegments{}, false, nil }},
		{"nocopysse", func() (providers.Provider, bool, func() [][]byte) { return noCopySSE{}, false, nil }},
		{"xor", func() (providers.Provider, bool, func() [][]byte) { x := &xorProvider{}; return x, true, x.keys }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			providertest.Run(t, func(t *testing.T) *providertest.Harness {
				p, enc, keys := c.mk()
				return &providertest.Harness{Provider: p, Bucket: env.NewBucket(t, "selftest"), S3: env.S3Client(), Encrypting: enc, Keys: keys}
			})
		})
	}
}

// pass is a correct pass-through provider the broken ones embed. It has
// only the four required methods: the suite applies the providers defaults
// for the optional ones.
type pass struct{}

func (pass) Name() string { return "pass" }
func (pass) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	return providers.Upload{}, nopCloser{dst}, nil
}
func (pass) Decode(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (io.ReadCloser, error) {
	if n < 0 {
		n = h.Size - off
	}
	return src.Range(ctx, off, n)
}
func (pass) PlainSize(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source) (int64, error) {
	return h.Size, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// rangeBug reads one byte too early for ranges not starting at 0.
type rangeBug struct{ pass }

func (rangeBug) Decode(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (io.ReadCloser, error) {
	if off > 0 && n > 0 {
		off--
	}
	return pass{}.Decode(ctx, obj, h, src, off, n)
}

// buffering holds the whole object until Close.
type buffering struct{ pass }

func (buffering) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	return providers.Upload{}, &bufWriter{dst: dst}, nil
}

type bufWriter struct {
	dst io.Writer
	buf bytes.Buffer
}

func (w *bufWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *bufWriter) Close() error                { _, err := w.dst.Write(w.buf.Bytes()); return err }

// laxConfirm asks for SSE-S3 but confirms any answer.
type laxConfirm struct{ pass }

func (laxConfirm) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	return providers.Upload{SSE: providers.SSE{Algorithm: "AES256"}}, nopCloser{dst}, nil
}
func (laxConfirm) SSE() providers.SSE                                   { return providers.SSE{Algorithm: "AES256"} }
func (laxConfirm) Confirm(up providers.Upload, got providers.SSE) error { return nil }

// noConfirmer asks for SSE-S3 and says so for copies, but leaves checking
// S3's answers to the providers default.
type noConfirmer struct{ pass }

func (noConfirmer) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	return providers.Upload{SSE: providers.SSE{Algorithm: "AES256"}}, nopCloser{dst}, nil
}
func (noConfirmer) SSE() providers.SSE { return providers.SSE{Algorithm: "AES256"} }

// noCopySSE asks for SSE-S3 and checks S3's answers, but copies would ask
// for nothing (no SSE method).
type noCopySSE struct{ pass }

func (noCopySSE) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	return providers.Upload{SSE: providers.SSE{Algorithm: "AES256"}}, nopCloser{dst}, nil
}
func (noCopySSE) Confirm(up providers.Upload, got providers.SSE) error {
	if got.Algorithm != up.SSE.Algorithm {
		return errs.ErrSSENotConfirmed
	}
	return nil
}

// laxSegments decodes pieces correctly but verifies any set of them.
type laxSegments struct{ pass }

func (laxSegments) DecodeSegment(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (providers.SegmentReader, error) {
	rc, err := src.Range(ctx, off, n)
	if err != nil {
		return nil, err
	}
	return &laxSegment{ReadCloser: rc, off: off, n: n}, nil
}

func (laxSegments) VerifySegments(context.Context, providers.Object, providers.Head, providers.Source, []providers.Segment) error {
	return nil
}

type laxSegment struct {
	io.ReadCloser
	off, n int64
}

func (s *laxSegment) Segment() (providers.Segment, bool) {
	return providers.Segment{Off: s.off, Len: s.n}, true
}

// xorProvider encrypts with AES-CTR under a per-object key stored in hex in
// the object's metadata: confidential against a listing, but
// unauthenticated and leaking its key.
type xorProvider struct {
	pass
	mu   sync.Mutex
	seen [][]byte
}

const xorKeyMeta = "x-test-key"

func (x *xorProvider) keys() [][]byte {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([][]byte(nil), x.seen...)
}

func ctrAt(key []byte, off int64) (cipher.Stream, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, 16)
	binary.BigEndian.PutUint64(iv[8:], uint64(off/16))
	s := cipher.NewCTR(b, iv)
	skip := make([]byte, off%16)
	s.XORKeyStream(skip, skip)
	return s, nil
}

func (x *xorProvider) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	x.mu.Lock()
	x.seen = append(x.seen, bytes.Clone(key))
	x.mu.Unlock()
	s, err := ctrAt(key, 0)
	if err != nil {
		return providers.Upload{}, nil, err
	}
	return providers.Upload{Metadata: map[string]string{xorKeyMeta: hex.EncodeToString(key)}},
		nopCloser{cipher.StreamWriter{S: s, W: dst}}, nil
}

func (x *xorProvider) Decode(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (io.ReadCloser, error) {
	key, err := hex.DecodeString(h.Metadata[xorKeyMeta])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errs.ErrIntegrity, err)
	}
	s, err := ctrAt(key, off)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errs.ErrIntegrity, err)
	}
	rc, err := x.pass.Decode(ctx, obj, h, src, off, n)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{cipher.StreamReader{S: s, R: rc}, rc}, nil
}
