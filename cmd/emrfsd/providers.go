package main

import (
	"context"
	"fmt"
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
	opts  *config.Options
	kms   cse.KMS
	cache *cache.Cache
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
		return cse.NewKMS(cse.KMSOptions{KMS: d.kms, KeyID: p.KMSKeyID, KeyARN: arn, WrapAlg: p.WrapAlg, StorageMode: p.StorageMode, Cache: d.cache})
	})
	r.Register(config.ProviderCSECustom, func(_ context.Context, bucket string, o any) (providers.Provider, error) {
		p := o.(config.Policy)
		m, err := cse.NewMaterials(p.Materials, p.MaterialsArgs)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", bucket, err)
		}
		return cse.NewCustom(cse.CustomOptions{Materials: m, StorageMode: p.StorageMode})
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
