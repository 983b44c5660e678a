package cse_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers/cse"
	"github.com/emrfsd/emrfsd/providers/providertest"
)

// keyLog records copies of plaintext keys so the suite can search stored
// bytes for them.
type keyLog struct {
	mu   sync.Mutex
	keys [][]byte
}

func (l *keyLog) add(k []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, bytes.Clone(k))
}

func (l *keyLog) all() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.keys...)
}

// recordingKMS passes calls to local-kms and logs the plaintext keys.
type recordingKMS struct {
	inner cse.KMS
	log   *keyLog
}

func (r recordingKMS) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	pt, w, err := r.inner.GenerateDataKey(ctx, keyID, encCtx)
	if err == nil {
		r.log.add(pt)
	}
	return pt, w, err
}

func (r recordingKMS) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	pt, err := r.inner.Decrypt(ctx, keyID, wrapped, encCtx)
	if err == nil {
		r.log.add(pt)
	}
	return pt, err
}

// recordingRand logs every 32-byte draw (cse-custom's data keys).
type recordingRand struct {
	inner io.Reader
	log   *keyLog
}

func (r recordingRand) Read(p []byte) (int, error) {
	n, err := io.ReadFull(r.inner, p)
	if len(p) == 32 {
		r.log.add(p[:n])
	}
	return n, err
}

func TestConformanceKMS(t *testing.T) {
	for _, wrap := range []string{cse.WrapKMS, cse.WrapKMSContext} {
		for _, mode := range []string{cse.StorageObjectMetadata, cse.StorageInstructionFile} {
			t.Run(wrap+"/"+mode, func(t *testing.T) {
				t.Setenv("AWS_CA_BUNDLE", "")
				env := testenv.Get(t)
				key := env.NewKMSKey(t, "cse-conf")
				providertest.Run(t, func(t *testing.T) *providertest.Harness {
					log := &keyLog{}
					p, err := cse.NewKMS(cse.KMSOptions{
						KMS:   recordingKMS{inner: kms.NewAWS(env.KMSClient()), log: log},
						KeyID: key.Alias, KeyARN: key.ARN, WrapAlg: wrap, StorageMode: mode,
					})
					if err != nil {
						t.Fatal(err)
					}
					// local-kms blobs start with the key ARN in clear, which it
					// ignores when Decrypt names the key (as cse-kms always does).
					return &providertest.Harness{Provider: p, Bucket: env.NewBucket(t, "cse-kms-conf"), S3: env.S3Client(),
						Encrypting: true, Keys: log.all, OpaqueFields: []string{cse.MetaKeyV2}}
				})
			})
		}
	}
}

func TestConformanceCustom(t *testing.T) {
	for _, mode := range []string{cse.StorageObjectMetadata, cse.StorageInstructionFile} {
		t.Run(mode, func(t *testing.T) {
			env := testenv.Get(t)
			kek := random(t, 32)
			b, err := json.Marshal(map[string]any{"current": "k1", "keys": map[string][]byte{"k1": kek}})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "keyring.json")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			providertest.Run(t, func(t *testing.T) *providertest.Harness {
				m, err := cse.NewMaterials(cse.KeyringFileName, map[string]string{"keyring.file": path})
				if err != nil {
					t.Fatal(err)
				}
				log := &keyLog{}
				log.add(kek)
				p, err := cse.NewCustom(cse.CustomOptions{Materials: m, StorageMode: mode,
					Rand: recordingRand{inner: randReader{}, log: log}})
				if err != nil {
					t.Fatal(err)
				}
				return &providertest.Harness{Provider: p, Bucket: env.NewBucket(t, "cse-custom-conf"), S3: env.S3Client(),
					Encrypting: true, Keys: log.all}
			})
		})
	}
}

// randReader is crypto/rand through the io.Reader interface.
type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return rand.Read(p) }
