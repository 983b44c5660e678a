package providertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// Harness is one provider under test, configured for Bucket.
type Harness struct {
	Provider   providers.Provider // configured for Bucket
	Bucket     string             // a fresh bucket on the test MinIO
	S3         *s3.Client         // aws-sdk-go-v2 client for MinIO (testenv)
	Encrypting bool               // CSE: stored bytes differ from plaintext; tampering must fail
	Keys       func() [][]byte    // every plaintext data key the provider obtained so far (nil if none)
	// OpaqueFields names envelope fields (object metadata keys, and the
	// same names in an instruction file) that hold a key service's opaque
	// wrapped key when that service leaves part of it unauthenticated and
	// ignores that part once the caller names the key: local-kms keeps the
	// key ARN in clear at the start of its blobs, and cse-kms always names
	// the key. An alteration of such a field may then read successfully,
	// but only with exactly the original plaintext (the service still
	// authenticates the data key, the provider the content); wrong bytes
	// still fail the suite.
	OpaqueFields []string
}

// Chunk is the boundary the suite probes besides the AES block (16 bytes):
// the chunk size of streamed GCM.
const Chunk = 64 << 10

// Run runs the conformance suite. newHarness is called once per topic and
// must return a harness on a fresh bucket (it may call t.Fatal).
func Run(t *testing.T, newHarness func(t *testing.T) *Harness) {
	t.Helper()
	topics := []struct {
		name       string
		encrypting bool // only for Encrypting providers
		run        func(t *testing.T, s *suite)
	}{
		{"RoundTrip", false, testRoundTrip},
		{"Sizes", false, testSizes},
		{"Ranges", false, testRanges},
		{"Copy", false, testCopy},
		{"Confirm", false, testConfirm},
		{"Concurrent", false, testConcurrent},
		{"KeysNotStored", false, testKeysNotStored},
		{"AtRest", false, testAtRest},
		{"Segments", false, testSegments},
		{"Tamper", true, testTamper},
		{"Truncate", true, testTruncate},
		{"AlterMetadata", true, testAlterMetadata},
	}
	encrypting := false // learnt from the first harness
	for i, tc := range topics {
		if tc.encrypting && !encrypting {
			continue // pass-through providers store plaintext by contract
		}
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if h == nil || h.Provider == nil || h.S3 == nil || h.Bucket == "" {
				t.Fatalf("newHarness returned an incomplete harness: %+v", h)
			}
			if i == 0 {
				encrypting = h.Encrypting
			} else if h.Encrypting != encrypting {
				t.Fatalf("newHarness changed Encrypting between topics")
			}
			tc.run(t, &suite{h: h})
		})
	}
}

// suite binds one harness to the helpers the topics share.
type suite struct{ h *Harness }

// put stores plaintext as key, failing the test on any error.
func (s *suite) put(t *testing.T, key string, plain []byte) *Stored {
	t.Helper()
	st, err := Put(t.Context(), s.h.S3, s.h.Provider, s.h.Bucket, key, bytes.NewReader(plain))
	if err != nil {
		t.Fatalf("Put %s (%d bytes): %v", key, len(plain), err)
	}
	return st
}

// get reads plaintext [off, off+n) of key.
func (s *suite) get(ctx context.Context, key string, off, n int64) ([]byte, error) {
	return Get(ctx, s.h.S3, s.h.Provider, s.h.Bucket, key, off, n)
}

// head returns the HEAD of key, failing the test on error.
func (s *suite) head(t *testing.T, key string) providers.Head {
	t.Helper()
	h, err := HeadObject(t.Context(), s.h.S3, s.h.Bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// plaintext returns n random bytes; a leading ASCII marker (when it fits)
// makes leaks easy to spot in failure output.
func plaintext(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	copy(b, "PLAINTEXT-MARKER|")
	return b
}

// compare reports the first difference between got and want.
func compare(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	if len(got) != len(want) {
		return fmt.Errorf("got %d bytes, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("byte %d differs: got %#02x, want %#02x", i, got[i], want[i])
		}
	}
	return nil
}

// failedClosed checks that a full read of a damaged object failed with one
// of the accepted integrity sentinels (and did not succeed).
func failedClosed(got []byte, err error, want []byte, accept ...error) error {
	if err == nil {
		if bytes.Equal(got, want) {
			return errors.New("read of a damaged object succeeded and returned the original plaintext")
		}
		return fmt.Errorf("read of a damaged object succeeded with %d wrong bytes", len(got))
	}
	for _, a := range accept {
		if errors.Is(err, a) {
			return nil
		}
	}
	return fmt.Errorf("read failed with an unclassified error (want errors.Is %v): %v", accept, err)
}

// integrityErrs are the sentinels a damaged object may fail with.
func integrityErrs() []error { return []error{errs.ErrIntegrity, errs.ErrKeyMismatch} }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// shuffled returns a deterministic permutation of 0..n-1 (for interleaving).
func shuffled(n int, seed uint64) []int {
	r := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return r.Perm(n)
}
