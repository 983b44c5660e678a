package cse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// KMS is the part of a key service cse-kms uses. keyID may be a key id, key
// ARN or alias. cse-kms always names the key in Decrypt (one of the
// bucket's allowed keys), so a key the daemon's credentials can use but the
// bucket does not name never unwraps one of its objects. Implementations
// return the plaintext key in a slice the caller owns and zeroes, and
// classify failures with errs.ErrKeyMismatch (wrong key or context: AWS's
// IncorrectKeyException and InvalidCiphertextException) or
// errs.ErrKeyUnavailable (refused, unreachable).
type KMS interface {
	GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) (plaintext, wrapped []byte, err error)
	Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (plaintext []byte, err error)
}

// KeyRef names a KMS key as configured and as DescribeKey resolved it at
// start.
type KeyRef struct {
	ID  string // as configured: key id, key ARN, alias name or alias ARN
	ARN string // the key ARN
}

// KMSOptions configure a cse-kms provider.
type KMSOptions struct {
	// KMS is the key service (internal/kms.AWS, possibly audited).
	KMS KMS
	// KeyID is the customer-managed key as configured (fs.s3.cse.kms.keyId):
	// id, ARN or alias. GenerateDataKey is called with it.
	KeyID string
	// KeyARN is KeyID resolved by DescribeKey at start. Wrap "kms" stores it
	// as the kms_cmk_id encryption context; it is required for that wrap.
	// Decrypt names it (or an alternate) as the key.
	KeyARN string
	// Alternates are further keys whose objects the bucket may read, never
	// write (fs.s3.cse.kms.alternateKeyIds), for key rotation and
	// migration; each resolved at start like KeyARN.
	Alternates []KeyRef
	// WrapAlg is WrapKMS ("kms", the default) or WrapKMSContext.
	WrapAlg string
	// StorageMode is StorageObjectMetadata (default) or StorageInstructionFile.
	StorageMode string
	// LegacyRead reads legacy S3EC objects (fs.s3.cse.legacyRead.enabled):
	// AES/CBC content, V1 envelopes. Off, they are refused.
	LegacyRead bool
	// Audit records each legacy read; required when LegacyRead is set.
	Audit LegacyAudit
	// Cache caches unwrapped data keys for reads; nil disables caching.
	Cache *cache.Cache
	// Rand supplies IVs; nil means crypto/rand.
	Rand io.Reader
}

// NewKMS returns a cse-kms provider.
func NewKMS(opts KMSOptions) (*Provider, error) {
	const name = "cse-kms"
	if opts.KMS == nil {
		return nil, fmt.Errorf("%s: no KMS client", name)
	}
	if opts.KeyID == "" {
		return nil, fmt.Errorf("%s: no KMS key configured (fs.s3.cse.kms.keyId)", name)
	}
	if isAWSManagedS3Alias(opts.KeyID) || isAWSManagedS3Alias(opts.KeyARN) {
		return nil, fmt.Errorf("%s: key %q is an AWS-managed key; CSE-KMS needs a customer-managed key", name, opts.KeyID)
	}
	wrap := opts.WrapAlg
	switch wrap {
	case "":
		wrap = WrapKMS
	case WrapKMS, WrapKMSContext:
	default:
		return nil, fmt.Errorf("%s: wrap algorithm %q: want %q or %q", name, wrap, WrapKMS, WrapKMSContext)
	}
	arn := opts.KeyARN
	if arn == "" {
		if wrap == WrapKMS {
			return nil, fmt.Errorf("%s: wrap %q needs the key ARN (resolve %q with DescribeKey)", name, WrapKMS, opts.KeyID)
		}
		arn = opts.KeyID
	}
	allowed := []KeyRef{{ID: opts.KeyID, ARN: arn}}
	for _, a := range opts.Alternates {
		if a.ARN == "" {
			return nil, fmt.Errorf("%s: alternate key %q was not resolved to an ARN (fs.s3.cse.kms.alternateKeyIds)", name, a.ID)
		}
		if isAWSManagedS3Alias(a.ID) || isAWSManagedS3Alias(a.ARN) {
			return nil, fmt.Errorf("%s: alternate key %q is an AWS-managed key; CSE-KMS needs customer-managed keys", name, a.ID)
		}
		if !slices.ContainsFunc(allowed, func(r KeyRef) bool { return r.ARN == a.ARN }) {
			allowed = append(allowed, a)
		}
	}
	instr, err := storageMode(opts.StorageMode)
	if err != nil {
		return nil, err
	}
	if err := legacyOptions(name, opts.LegacyRead, opts.Audit); err != nil {
		return nil, err
	}
	return &Provider{
		name:        name,
		keys:        &kmsKeys{kms: opts.KMS, keyID: opts.KeyID, keyARN: arn, allowed: allowed, wrapAlg: wrap, cache: opts.Cache},
		instruction: instr,
		rand:        orRand(opts.Rand),
		legacyRead:  opts.LegacyRead,
		audit:       opts.Audit,
	}, nil
}

// isAWSManagedS3Alias reports whether id names an AWS-managed key by alias
// (alias/aws/..., or the alias ARN form).
func isAWSManagedS3Alias(id string) bool {
	return strings.HasPrefix(id, "alias/aws/") || strings.Contains(id, ":alias/aws/")
}

// kmsKeys is cse-kms's key source.
type kmsKeys struct {
	kms     KMS
	keyID   string   // as configured; new data keys are generated under it
	keyARN  string   // keyID's ARN (written as kms_cmk_id)
	allowed []KeyRef // keys Decrypt may name: the configured key first, then the alternates
	wrapAlg string
	cache   *cache.Cache
}

// writeContext is the encryption context (= stored matdesc) of new objects.
func (k *kmsKeys) writeContext() map[string]string {
	if k.wrapAlg == WrapKMSContext {
		return map[string]string{reservedCEKAlgKey: CEKAlgGCM}
	}
	return map[string]string{kmsCMKIDKey: k.keyARN}
}

func (k *kmsKeys) newKey(ctx context.Context) (dataKey, []byte, map[string]string, string, error) {
	encCtx := k.writeContext()
	pt, wrapped, err := k.kms.GenerateDataKey(ctx, k.keyID, maps.Clone(encCtx))
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("cse-kms: generate data key: %w", classifyKMS(err))
	}
	if len(pt) != dataKeySize || len(wrapped) == 0 {
		clear(pt)
		return nil, nil, nil, "", fmt.Errorf("cse-kms: key service returned a %d-byte data key and a %d-byte wrapped key: %w",
			len(pt), len(wrapped), errs.ErrKeyUnavailable)
	}
	return dataKey(pt), wrapped, encCtx, k.wrapAlg, nil
}

func (k *kmsKeys) accepts(env *envelope) error {
	switch env.wrapAlg {
	case WrapKMS, WrapKMSContext:
		_, err := k.candidates(env)
		return err
	case "":
		return envelopeError(errs.ErrUnsupportedAlgorithm,
			"cse-kms cannot read a legacy object wrapped with a client master key (no %s)", MetaWrapAlg)
	}
	return envelopeError(errs.ErrUnsupportedAlgorithm,
		"cse-kms reads wrap algorithms %q and %q, object uses %s", WrapKMS, WrapKMSContext, quote(env.wrapAlg))
}

// candidates returns the key ARNs Decrypt may name for env, in the order to
// try them. An object wrapped with "kms" names its key in the kms_cmk_id
// entry of its material description (which is also its encryption
// context): that key must be one of the allowed keys, matched by ARN, by
// the key id in the ARN or by the id exactly as configured (an alias is
// matched only as configured: aliases are resolved once, at start), and it
// is the only one tried. Otherwise (kms+context, or no kms_cmk_id) every
// allowed key is tried, the configured key first. A key outside the allowed
// set is errs.ErrKeyMismatch, decided without calling KMS.
func (k *kmsKeys) candidates(env *envelope) ([]string, error) {
	if id := env.matdesc[kmsCMKIDKey]; id != "" && env.wrapAlg == WrapKMS {
		for _, r := range k.allowed {
			if id == r.ID || id == r.ARN || id == bareKeyID(r.ARN) {
				return []string{r.ARN}, nil
			}
		}
		return nil, fmt.Errorf("cse-kms: object is wrapped under KMS key %s (its %s), which is not one this bucket may read: "+
			"the configured key %s (fs.s3.cse.kms.keyId) or an alternate in fs.s3.cse.kms.alternateKeyIds: %w",
			quoteKey(id), kmsCMKIDKey, quoteKey(k.keyID), errs.ErrKeyMismatch)
	}
	out := make([]string, len(k.allowed))
	for i, r := range k.allowed {
		out[i] = r.ARN
	}
	return out, nil
}

// bareKeyID returns the key id of a key ARN (arn:...:key/ID), or "".
func bareKeyID(arn string) string {
	if i := strings.LastIndex(arn, ":key/"); i >= 0 && strings.HasPrefix(arn, "arn:") {
		return arn[i+len(":key/"):]
	}
	return ""
}

func (k *kmsKeys) unwrap(ctx context.Context, env *envelope) (dataKey, error) {
	// Both wrap algorithms use the stored matdesc as the encryption context
	// (for kms+context it holds the reserved cek-alg entry, already checked
	// against x-amz-cek-alg by parseEnvelope).
	encCtx := maps.Clone(env.matdesc)
	wrapped := env.wrapped
	arns, err := k.candidates(env)
	if err != nil {
		return nil, err
	}
	decrypt := func(ctx context.Context) ([]byte, error) {
		var other, last error
		for _, arn := range arns {
			pt, err := k.kms.Decrypt(ctx, arn, wrapped, maps.Clone(encCtx))
			if err == nil {
				return pt, nil
			}
			err = classifyKMS(err)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("cse-kms: decrypt data key: %w", err)
			}
			if !errors.Is(err, errs.ErrKeyMismatch) && other == nil {
				other = err // e.g. that key is disabled: say so rather than "mismatch"
			}
			last = err
		}
		if other != nil {
			return nil, fmt.Errorf("cse-kms: decrypt data key: %w", other)
		}
		if len(arns) == 1 {
			return nil, fmt.Errorf("cse-kms: decrypt data key under %s: %w", quoteKey(arns[0]), last)
		}
		return nil, fmt.Errorf("cse-kms: decrypt data key: no allowed key unwraps it (tried %s): %w", strings.Join(arns, ", "), last)
	}
	if k.cache == nil {
		pt, err := decrypt(ctx)
		return dataKey(pt), err
	}
	// The cache entry is scoped to the keys Decrypt may name, so a bucket
	// never gets a data key another bucket unwrapped with a key it may not
	// use.
	pt, err := k.cache.Unwrap(ctx, strings.Join(arns, ","), encCtx, wrapped, decrypt)
	return dataKey(pt), err
}

// classifyKMS makes sure a key-service error satisfies one of the providers
// sentinels (unclassified failures count as ErrKeyUnavailable) and leaves
// context errors alone.
func classifyKMS(err error) error {
	switch {
	case errors.Is(err, errs.ErrKeyMismatch), errors.Is(err, errs.ErrKeyUnavailable),
		errors.Is(err, errs.ErrIntegrity),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %w", errs.ErrKeyUnavailable, err)
}
