package cse

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/kms/embedded"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// countingKMS passes calls on and records the key id of every Decrypt and
// its error.
type countingKMS struct {
	inner KMS
	mu    sync.Mutex
	ids   []string
	errs  []error
}

func (c *countingKMS) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	return c.inner.GenerateDataKey(ctx, keyID, encCtx)
}

func (c *countingKMS) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	pt, err := c.inner.Decrypt(ctx, keyID, wrapped, encCtx)
	c.mu.Lock()
	c.ids = append(c.ids, keyID)
	c.errs = append(c.errs, err)
	c.mu.Unlock()
	return pt, err
}

func (c *countingKMS) calls() ([]string, []error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ids), slices.Clone(c.errs)
}

type pinBackend struct {
	name string
	kms  KMS
	a, b KeyRef // two keys the same credentials can use
	// wrongKey checks the service's own answer to a Decrypt naming the
	// wrong key.
	wrongKey func(t *testing.T, err error)
}

func pinBackends(t *testing.T) []pinBackend {
	env := testenv.Get(t)
	ka, kb := env.NewKMSKey(t, "cse-pin-a"), env.NewKMSKey(t, "cse-pin-b")
	ek, err := embedded.Open(filepath.Join(t.TempDir(), "kms"), "us-east-1", "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ek.Close() })
	ea, err := ek.EnsureKey("pin-a")
	if err != nil {
		t.Fatal(err)
	}
	eb, err := ek.EnsureKey("pin-b")
	if err != nil {
		t.Fatal(err)
	}
	return []pinBackend{
		{name: "local-kms", kms: kms.NewAWS(env.KMSClient()),
			a: KeyRef{ID: ka.Alias, ARN: ka.ARN}, b: KeyRef{ID: kb.Alias, ARN: kb.ARN},
			wrongKey: func(t *testing.T, err error) { // AWS: IncorrectKeyException
				var ice *kmstypes.InvalidCiphertextException
				if !errors.As(err, &ice) {
					t.Errorf("local-kms answered the wrong key with %v, want InvalidCiphertextException", err)
				}
			}},
		{name: "embedded", kms: ek,
			a: KeyRef{ID: "alias/pin-a", ARN: ea}, b: KeyRef{ID: "alias/pin-b", ARN: eb},
			wrongKey: func(t *testing.T, err error) {
				var ke *kms.Error
				if !errors.As(err, &ke) || ke.Code != "IncorrectKeyException" {
					t.Errorf("embedded KMS answered the wrong key with %v, want IncorrectKeyException", err)
				}
			}},
	}
}

// TestPinnedDecryptRealKMS: against local-kms and the embedded KMS, an
// object wrapped under key B in a bucket configured for key A is refused as
// a key mismatch (the credentials could use B); with B listed as an
// alternate it reads. Every Decrypt names a key.
func TestPinnedDecryptRealKMS(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, be := range pinBackends(t) {
		for _, wrap := range []string{WrapKMS, WrapKMSContext} {
			t.Run(be.name+"/"+wrap, func(t *testing.T) {
				c := &countingKMS{inner: be.kms}
				writer, err := NewKMS(KMSOptions{KMS: c, KeyID: be.b.ID, KeyARN: be.b.ARN, WrapAlg: wrap})
				if err != nil {
					t.Fatal(err)
				}
				s := encode(t, writer, []byte("written under key B"))

				onlyA, err := NewKMS(KMSOptions{KMS: c, KeyID: be.a.ID, KeyARN: be.a.ARN, WrapAlg: wrap})
				if err != nil {
					t.Fatal(err)
				}
				got, err := decode(onlyA, s, 0, -1)
				if !errors.Is(err, errs.ErrKeyMismatch) || len(got) != 0 {
					t.Fatalf("bucket for A reading an object under B: %q, %v, want ErrKeyMismatch", got, err)
				}
				ids, errList := c.calls()
				switch wrap {
				case WrapKMS: // kms_cmk_id names B: no KMS call at all
					if len(ids) != 0 {
						t.Fatalf("KMS Decrypt called (%q) for an object under a key the bucket may not read", ids)
					}
				case WrapKMSContext: // KMS asked with A, and says no
					if !slices.Equal(ids, []string{be.a.ARN}) {
						t.Fatalf("Decrypt key ids %q, want only A", ids)
					}
					be.wrongKey(t, errList[0])
				}

				withB, err := NewKMS(KMSOptions{KMS: c, KeyID: be.a.ID, KeyARN: be.a.ARN, WrapAlg: wrap, Alternates: []KeyRef{be.b}})
				if err != nil {
					t.Fatal(err)
				}
				got, err = decode(withB, s, 0, -1)
				if err != nil || string(got) != "written under key B" {
					t.Fatalf("with B as an alternate: %q, %v", got, err)
				}
				ids, _ = c.calls()
				for _, id := range ids {
					if id != be.a.ARN && id != be.b.ARN {
						t.Fatalf("Decrypt named %q, not one of the bucket's keys", id)
					}
				}
			})
		}
	}
}
