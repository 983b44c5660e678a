package cache_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/kms/kmstest"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// TestCacheAuditedLocalKMS: 1,000 reads of one object's data key through the
// cache cost exactly one KMS Decrypt, as the audit log shows.
func TestCacheAuditedLocalKMS(t *testing.T) {
	env := testenv.Get(t)
	key := env.NewKMSKey(t, "emrfsd-cache")
	path := filepath.Join(t.TempDir(), "audit.log")
	log, err := kms.OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	svc := kms.NewAudited(kms.NewAWS(env.KMSClient()), log)
	c, err := cache.New(cache.Options{MaxEntries: 128, TTL: 5 * time.Minute, MaxUses: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Purge()

	encCtx := map[string]string{"kms_cmk_id": key.ARN}
	ctx := kms.WithObject(context.Background(), "bkt", "data/part-00000")
	pt, wrapped, err := svc.GenerateDataKey(ctx, key.ARN, encCtx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		got, err := c.Unwrap(ctx, key.ARN, encCtx, wrapped, func(ctx context.Context) ([]byte, error) {
			return svc.Decrypt(ctx, key.ARN, wrapped, encCtx)
		})
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("read %d: wrong data key", i)
		}
		clear(got)
	}
	recs, err := kms.ReadAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	n := kms.CountOps(recs)
	if n["Decrypt"] != 1 || n["GenerateDataKey"] != 1 || len(recs) != 2 {
		t.Fatalf("audit log after 1000 reads: %v, want 1 GenerateDataKey and 1 Decrypt", n)
	}
	if r := recs[1]; r.Op != "Decrypt" || r.Outcome != "ok" || r.Bucket != "bkt" || r.Key != "data/part-00000" || r.KeyID != key.ARN {
		t.Fatalf("Decrypt record %+v", r)
	}
	s := c.Stats()
	if s.Hits != 999 || s.Loads != 1 {
		t.Fatalf("cache stats %+v, want 999 hits and 1 load", s)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range kmstest.Forms(pt, wrapped) {
		if bytes.Contains(raw, []byte(f)) {
			t.Fatal("audit log contains key material")
		}
	}
	t.Logf("1000 reads: %d KMS Decrypt calls; stats %+v", n["Decrypt"], s)
}
