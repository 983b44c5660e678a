package cse

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/internal/errs"
)

const otherID = "99999999-8888-7777-6666-555555555555"

// writerUnder returns a provider that writes under otherARN (key B),
// storing kms_cmk_id as cmkID for wrap kms.
func writerUnder(t *testing.T, f *fakeKMS, wrap, cmkID string) *Provider {
	t.Helper()
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/other", KeyARN: cmkID, WrapAlg: wrap})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readerFor(t *testing.T, f *fakeKMS, wrap string, alts []KeyRef, c *cache.Cache) *Provider {
	t.Helper()
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, WrapAlg: wrap, Alternates: alts, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKMSDecryptNamesKey: every Decrypt names the bucket's key.
func TestKMSDecryptNamesKey(t *testing.T) {
	for _, wrap := range []string{WrapKMS, WrapKMSContext} {
		f := newFakeKMS(t)
		p := newKMSProvider(t, f, wrap, "")
		s := encode(t, p, []byte("pinned"))
		if _, err := decode(p, s, 0, -1); err != nil {
			t.Fatal(err)
		}
		if _, err := decode(p, s, 2, 3); err != nil {
			t.Fatal(err)
		}
		if ids := f.decryptKeyIDs(); len(ids) != 2 || ids[0] != fakeARN || ids[1] != fakeARN {
			t.Fatalf("%s: Decrypt key ids %q, want the configured key's ARN each time", wrap, ids)
		}
	}
}

// TestKMSForeignKeyRefused: an object wrapped under key B, in a bucket
// configured for key A, is refused as a key mismatch even though the
// daemon's credentials can use B; with B listed as an alternate it reads.
func TestKMSForeignKeyRefused(t *testing.T) {
	for _, wrap := range []string{WrapKMS, WrapKMSContext} {
		t.Run(wrap, func(t *testing.T) {
			f := newFakeKMS(t)
			s := encode(t, writerUnder(t, f, wrap, otherARN), []byte("under key B"))
			_, d0 := f.calls()
			_, err := decode(readerFor(t, f, wrap, nil, nil), s, 0, -1)
			if !errors.Is(err, errs.ErrKeyMismatch) {
				t.Fatalf("object under B, bucket for A: %v, want ErrKeyMismatch", err)
			}
			ids := f.decryptKeyIDs()
			switch wrap {
			case WrapKMS: // kms_cmk_id names B: refused before KMS, naming the key
				if _, d := f.calls(); d != d0 {
					t.Fatalf("KMS called for an object under a key the bucket may not read (%q)", ids)
				}
				if !strings.Contains(err.Error(), otherARN) {
					t.Fatalf("error does not name the object's key: %v", err)
				}
			case WrapKMSContext: // no key named: KMS is asked with A only
				if !slices.Equal(ids, []string{fakeARN}) {
					t.Fatalf("Decrypt key ids %q, want only A", ids)
				}
			}
			assertNoKey(t, f, "error", []byte(err.Error()))

			got, err := decode(readerFor(t, f, wrap, []KeyRef{{ID: "alias/other", ARN: otherARN}}, nil), s, 0, -1)
			if err != nil || string(got) != "under key B" {
				t.Fatalf("with B as an alternate: %q, %v", got, err)
			}
			for _, id := range f.decryptKeyIDs() {
				if id != fakeARN && id != otherARN {
					t.Fatalf("Decrypt named %q", id)
				}
			}
		})
	}
}

// TestKMSCMKIDForms: kms_cmk_id as written by other clients (an alias, a
// bare key id, an ARN) is matched against the allowed keys as configured
// and as resolved; Decrypt always names the resolved ARN.
func TestKMSCMKIDForms(t *testing.T) {
	alts := []KeyRef{{ID: "alias/other", ARN: otherARN}}
	for _, cmk := range []string{"alias/other", otherID, otherARN} {
		f := newFakeKMS(t)
		s := encode(t, writerUnder(t, f, WrapKMS, cmk), []byte("x"))
		if _, err := decode(readerFor(t, f, WrapKMS, alts, nil), s, 0, -1); err != nil {
			t.Fatalf("kms_cmk_id %q: %v", cmk, err)
		}
		if ids := f.decryptKeyIDs(); !slices.Equal(ids, []string{otherARN}) {
			t.Fatalf("kms_cmk_id %q: Decrypt key ids %q, want the alternate's ARN", cmk, ids)
		}
	}
	// An alias the configuration does not name is not resolved at read
	// time: refused.
	f := newFakeKMS(t)
	f.aliases["alias/renamed"] = otherARN
	s := encode(t, writerUnder(t, f, WrapKMS, "alias/renamed"), []byte("x"))
	if _, err := decode(readerFor(t, f, WrapKMS, alts, nil), s, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("unconfigured alias: %v, want ErrKeyMismatch", err)
	}
}

// TestKMSCacheScopedToAllowedKeys: a data key one bucket unwrapped with an
// alternate key is not served from the shared cache to a bucket that may
// not use that key.
func TestKMSCacheScopedToAllowedKeys(t *testing.T) {
	c, err := cache.New(cache.Options{MaxEntries: 10, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeKMS(t)
	s := encode(t, writerUnder(t, f, WrapKMSContext, otherARN), []byte("under key B"))
	both := readerFor(t, f, WrapKMSContext, []KeyRef{{ID: otherARN, ARN: otherARN}}, c)
	for range 2 {
		if got, err := decode(both, s, 0, -1); err != nil || string(got) != "under key B" {
			t.Fatalf("bucket allowing B: %q, %v", got, err)
		}
	}
	if st := c.Stats(); st.Hits != 1 || st.Loads != 1 {
		t.Fatalf("cache stats %+v, want 1 load and 1 hit", st)
	}
	onlyA := readerFor(t, f, WrapKMSContext, nil, c)
	if _, err := decode(onlyA, s, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("bucket allowing only A, B's key in the shared cache: %v, want ErrKeyMismatch", err)
	}
}

// downKMS fails Decrypt as unavailable for the listed key ids.
type downKMS struct {
	*fakeKMS
	down map[string]bool
}

func (d downKMS) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	if d.down[keyID] {
		return nil, errors.New("connection refused")
	}
	return d.fakeKMS.Decrypt(ctx, keyID, wrapped, encCtx)
}

// TestKMSUnavailableIsNotMismatch: a key service that cannot be reached, or
// a key that cannot be used, stays "unavailable", also when another
// allowed key answered "mismatch".
func TestKMSUnavailableIsNotMismatch(t *testing.T) {
	f := newFakeKMS(t)
	s := encode(t, writerUnder(t, f, WrapKMSContext, otherARN), []byte("x"))
	d := downKMS{fakeKMS: f, down: map[string]bool{otherARN: true}}
	p, err := NewKMS(KMSOptions{KMS: d, KeyID: "alias/test", KeyARN: fakeARN, WrapAlg: WrapKMSContext, Alternates: []KeyRef{{ID: otherARN, ARN: otherARN}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decode(p, s, 0, -1); !errors.Is(err, errs.ErrKeyUnavailable) || errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("A: mismatch, B: unreachable: %v, want only ErrKeyUnavailable", err)
	}
	pd, err := NewKMS(KMSOptions{KMS: downKMS{fakeKMS: f, down: map[string]bool{fakeARN: true}}, KeyID: "alias/test", KeyARN: fakeARN})
	if err != nil {
		t.Fatal(err)
	}
	sa := encode(t, newKMSProvider(t, f, WrapKMS, ""), []byte("x"))
	if _, err := decode(pd, sa, 0, -1); !errors.Is(err, errs.ErrKeyUnavailable) || errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("key service down: %v, want only ErrKeyUnavailable", err)
	}
}

func TestKMSAlternateOptions(t *testing.T) {
	f := newFakeKMS(t)
	for name, alts := range map[string][]KeyRef{
		"unresolved":  {{ID: "alias/other"}},
		"aws-managed": {{ID: "alias/aws/s3", ARN: "arn:aws:kms:us-east-1:111122223333:alias/aws/s3"}},
	} {
		if _, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, Alternates: alts}); err == nil {
			t.Errorf("%s alternate accepted", name)
		}
	}
	// The configured key listed again as an alternate is tried once.
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, WrapAlg: WrapKMSContext, Alternates: []KeyRef{{ID: fakeARN, ARN: fakeARN}}})
	if err != nil {
		t.Fatal(err)
	}
	s := encode(t, writerUnder(t, f, WrapKMSContext, otherARN), []byte("x"))
	if _, err := decode(p, s, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatal(err)
	}
	if ids := f.decryptKeyIDs(); !slices.Equal(ids, []string{fakeARN}) {
		t.Fatalf("Decrypt key ids %q", ids)
	}
}
