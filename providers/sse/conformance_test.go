package sse_test

import (
	"testing"

	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/providertest"
	"github.com/emrfsd/emrfsd/providers/sse"
)

// TestConformance runs the suite for every SSE configuration MinIO can
// serve (its KMS knows one key name).
func TestConformance(t *testing.T) {
	withCtx, err := sse.NewKMSWithContext(testenv.MinIOKMSKey, map[string]string{"purpose": "emrfsd-test", "tenant": "a"})
	if err != nil {
		t.Fatal(err)
	}
	configs := []struct {
		name string
		p    providers.Provider
	}{
		{"sse-s3", sse.NewS3()},
		{"sse-kms", sse.NewKMS(testenv.MinIOKMSKey)},
		{"sse-kms-default-key", sse.NewKMS("")},
		{"sse-kms-context", withCtx},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			providertest.Run(t, func(t *testing.T) *providertest.Harness {
				env := testenv.Get(t)
				return &providertest.Harness{Provider: c.p, Bucket: env.NewBucket(t, "sse-conf"), S3: env.S3Client()}
			})
		})
	}
}
