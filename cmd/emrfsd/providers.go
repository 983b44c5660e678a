package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/internal/config"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/cse"
	"github.com/emrfsd/emrfsd/providers/plain"
	"github.com/emrfsd/emrfsd/providers/sse"
)

// providerDeps are what the provider factories need besides a bucket's
// policy.
type providerDeps struct {
	opts *config.Options
	kms  cse.KMS
	// kmsIn returns the key service for another region (fs.s3.cse.kms.region);
	// nil when the daemon has only one (embedded mode).
	kmsIn func(region string) (cse.KMS, error)
	cache *cache.Cache
	// audit records legacy reads (fs.s3.cse.legacyRead.enabled); nil
	// refuses buckets that turn them on.
	audit cse.LegacyAudit
}

// newRegistry registers the five providers explicitly (no init-time
// registration anywhere).
func newRegistry(d *providerDeps) *providers.Registry {
	r := providers.NewRegistry()
	r.Register(config.ProviderPlain, func(context.Context, string, any) (providers.Provider, error) {
		return plain.New(), nil
	})
	r.Register(config.ProviderSSES3, func(context.Context, string, any) (providers.Provider, error) {
		return sse.NewS3(), nil
	})
	r.Register(config.ProviderSSEKMS, func(_ context.Context, _ string, o any) (providers.Provider, error) {
		return sse.NewKMS(o.(config.Policy).KMSKeyID), nil
	})
	r.Register(config.ProviderCSEKMS, func(_ context.Context, bucket string, o any) (providers.Provider, error) {
		p := o.(config.Policy)
		arn := d.opts.KeyARN(p.KMSKeyID)
		if arn == "" {
			return nil, fmt.Errorf("bucket %s: CSE-KMS key %q was not resolved at start", bucket, p.KMSKeyID)
		}
		svc := d.kms
		if region := keyRegion(p); region != "" && d.kmsIn != nil {
			var err error
			if svc, err = d.kmsIn(region); err != nil {
				return nil, err
			}
		}
		var alts []cse.KeyRef
		for _, id := range p.KMSAlternateKeyIDs {
			a := d.opts.KeyARN(id)
			if a == "" {
				return nil, fmt.Errorf("bucket %s: alternate CSE-KMS key %q was not resolved at start", bucket, id)
			}
			alts = append(alts, cse.KeyRef{ID: id, ARN: a})
		}
		return cse.NewKMS(cse.KMSOptions{KMS: svc, KeyID: p.KMSKeyID, KeyARN: arn, Alternates: alts, WrapAlg: p.WrapAlg, StorageMode: p.StorageMode,
			LegacyRead: p.LegacyRead, Audit: d.audit, Cache: d.cache})
	})
	r.Register(config.ProviderCSECustom, func(_ context.Context, bucket string, o any) (providers.Provider, error) {
		p := o.(config.Policy)
		m, err := cse.NewMaterials(p.Materials, p.MaterialsArgs)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", bucket, err)
		}
		return cse.NewCustom(cse.CustomOptions{Materials: m, StorageMode: p.StorageMode, LegacyRead: p.LegacyRead, Audit: d.audit})
	})
	return r
}

// bucketProviders resolves and caches each bucket's provider.
type bucketProviders struct {
	opts *config.Options
	reg  *providers.Registry
	mu   sync.Mutex
	byB  map[string]providers.Provider
}

func (b *bucketProviders) For(ctx context.Context, bucket string) (providers.Provider, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.byB[bucket]; ok {
		return p, nil
	}
	pol, err := b.opts.Policy(bucket)
	if err != nil {
		return nil, err
	}
	f, ok := b.reg.Lookup(pol.Provider)
	if !ok {
		return nil, fmt.Errorf("bucket %s: no provider %q", bucket, pol.Provider)
	}
	p, err := f(ctx, bucket, pol)
	if err != nil {
		return nil, err
	}
	b.byB[bucket] = p
	return p, nil
}

// keyRegion is the region a CSE-KMS key lives in: fs.s3.cse.kms.region
// (or S3A's), else the region of a key ARN, else "" (the daemon's region).
func keyRegion(p config.Policy) string {
	if p.KMSRegion != "" {
		return p.KMSRegion
	}
	return arnRegion(p.KMSKeyID)
}

// arnRegion returns the region field of "arn:PARTITION:kms:REGION:...".
func arnRegion(id string) string {
	parts := strings.SplitN(id, ":", 5)
	if len(parts) == 5 && parts[0] == "arn" && parts[2] == "kms" {
		return parts[3]
	}
	return ""
}
