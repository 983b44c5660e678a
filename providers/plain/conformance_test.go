package plain_test

import (
	"testing"

	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers/plain"
	"github.com/emrfsd/emrfsd/providers/providertest"
)

func TestConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) *providertest.Harness {
		env := testenv.Get(t)
		return &providertest.Harness{
			Provider: plain.New(),
			Bucket:   env.NewBucket(t, "plain-conf"),
			S3:       env.S3Client(),
		}
	})
}
