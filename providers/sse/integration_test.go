package sse_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
	"github.com/emrfsd/emrfsd/providers/providertest"
	"github.com/emrfsd/emrfsd/providers/sse"
)

// scan reads every file MinIO keeps for bucket/key (xl.meta with inlined
// data, <uuid>/part.N) and returns how many contain marker and how many
// bytes were scanned.
func scan(t *testing.T, dataDir, bucket, key string, marker []byte) (hits []string, scanned int64) {
	t.Helper()
	root := filepath.Join(dataDir, bucket, filepath.FromSlash(key))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned += int64(len(b))
		if bytes.Contains(b, marker) {
			rel, _ := filepath.Rel(root, path)
			hits = append(hits, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	return hits, scanned
}

// TestEncryptedAtRest writes objects holding a unique ASCII marker through
// plain, SSE-S3 and SSE-KMS and scans MinIO's files: plain must show the
// marker (proving the scan finds plaintext), SSE must not.
func TestEncryptedAtRest(t *testing.T) {
	env := testenv.Get(t)
	if env.S3DataDir == "" {
		t.Fatal("EMRFSD_TEST_S3_DATA is unset: cannot scan MinIO's data directory")
	}
	c := env.S3Client()
	bucket := env.NewBucket(t, "sse-atrest")
	provs := []struct {
		name      string
		p         providers.Provider
		encrypted bool
	}{
		{"plain", plain.New(), false},
		{"sse-s3", sse.NewS3(), true},
		{"sse-kms", sse.NewKMS(testenv.MinIOKMSKey), true},
		{"sse-kms-default-key", sse.NewKMS(""), true},
	}
	sizes := []struct {
		name      string
		size      int
		multipart bool
	}{
		{"inline-4KiB", 4 << 10, false},
		{"single-1MiB", 1 << 20, false},
		{"multipart", providertest.PartSize + 3<<20, true},
	}
	for _, pv := range provs {
		for _, sz := range sizes {
			t.Run(pv.name+"/"+sz.name, func(t *testing.T) {
				var id [8]byte
				_, _ = rand.Read(id[:])
				marker := []byte("EMRFSD-ATREST-MARKER-" + hex.EncodeToString(id[:]) + "|")
				// Random bytes with the marker every 64 KiB, so each part
				// (and the inline copy) holds it many times.
				body := make([]byte, sz.size)
				_, _ = rand.Read(body)
				for off := 0; off+len(marker) <= len(body); off += 64 << 10 {
					copy(body[off:], marker)
				}
				key := "atrest/" + pv.name + "/" + sz.name
				st, err := providertest.Put(t.Context(), c, pv.p, bucket, key, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if st.Multipart != sz.multipart {
					t.Fatalf("multipart = %v, want %v", st.Multipart, sz.multipart)
				}
				got, err := providertest.Get(t.Context(), c, pv.p, bucket, key, 0, -1)
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("read back: %d bytes, err %v", len(got), err)
				}
				hits, scanned := scan(t, env.S3DataDir, bucket, key, marker)
				if scanned < int64(sz.size) {
					t.Fatalf("scanned only %d bytes of MinIO files for a %d-byte object: wrong data layout", scanned, sz.size)
				}
				if pv.encrypted && len(hits) > 0 {
					t.Errorf("%s: plaintext marker found at rest in %v (%d bytes scanned)", pv.name, hits, scanned)
				}
				if !pv.encrypted && len(hits) == 0 {
					t.Errorf("plain: marker not found in %d scanned bytes: the scan cannot see plaintext", scanned)
				}
				t.Logf("%d bytes scanned, marker in %v", scanned, hits)
			})
		}
	}
}

// TestKMSCopy copies SSE-KMS objects (with and without an encryption
// context, single part and multipart) re-sending SSE(), as fs's rename
// does, and reads them back.
func TestKMSCopy(t *testing.T) {
	env := testenv.Get(t)
	withCtx, err := sse.NewKMSWithContext(testenv.MinIOKMSKey, map[string]string{"purpose": "copy-test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*sse.Provider{sse.NewKMS(testenv.MinIOKMSKey), withCtx} {
		h := &providertest.Harness{Provider: p, Bucket: env.NewBucket(t, "sse-copy"), S3: env.S3Client()}
		for _, size := range []int{1000, providertest.PartSize + 17} {
			t.Run(fmt.Sprintf("context=%v/size=%d", p.SSE().Context != "", size), func(t *testing.T) {
				body := make([]byte, size)
				_, _ = rand.Read(body)
				src, dst := fmt.Sprintf("copy/%d-src", size), fmt.Sprintf("copy/%d-dst", size)
				if _, err := providertest.Put(t.Context(), h.S3, p, h.Bucket, src, bytes.NewReader(body)); err != nil {
					t.Fatal(err)
				}
				got, err := providertest.CopyObject(t, h, src, dst)
				if err != nil {
					t.Fatal(err)
				}
				if err := p.Confirm(providers.Upload{SSE: p.SSE()}, got); err != nil {
					t.Errorf("copy not confirmed: %v", err)
				}
				if got.Algorithm != "aws:kms" || got.KMSKeyID != "arn:aws:kms:"+testenv.MinIOKMSKey {
					t.Errorf("copy reports %+v, want aws:kms with MinIO's ARN of %s", got, testenv.MinIOKMSKey)
				}
				read, err := providertest.Get(t.Context(), h.S3, p, h.Bucket, dst, 0, -1)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(read, body) {
					t.Fatalf("copy reads back %d bytes that differ from the %d written", len(read), len(body))
				}
			})
		}
	}
}
