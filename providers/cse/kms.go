package cse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/internal/errs"
)

// KMS is the part of a key service cse-kms uses. keyID may be a key id, key
// ARN or alias; Decrypt is called with keyID "" and lets the service take
// the key from the wrapped blob (EMRFS reads objects under any CMK).
// Implementations return the plaintext key in a slice the caller owns and
// zeroes, and classify failures with errs.ErrKeyMismatch (wrong key or
// context) or errs.ErrKeyUnavailable (refused, unreachable).
type KMS interface {
	GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) (plaintext, wrapped []byte, err error)
	Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) (plaintext []byte, err error)
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
	KeyARN string
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
	instr, err := storageMode(opts.StorageMode)
	if err != nil {
		return nil, err
	}
	if err := legacyOptions(name, opts.LegacyRead, opts.Audit); err != nil {
		return nil, err
	}
	return &Provider{
		name:        name,
		keys:        &kmsKeys{kms: opts.KMS, keyID: opts.KeyID, keyARN: arn, wrapAlg: wrap, cache: opts.Cache},
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
	keyID   string
	keyARN  string
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
		return nil
	case "":
		return envelopeError(errs.ErrUnsupportedAlgorithm,
			"cse-kms cannot read a legacy object wrapped with a client master key (no %s)", MetaWrapAlg)
	}
	return envelopeError(errs.ErrUnsupportedAlgorithm,
		"cse-kms reads wrap algorithms %q and %q, object uses %s", WrapKMS, WrapKMSContext, quote(env.wrapAlg))
}

func (k *kmsKeys) unwrap(ctx context.Context, env *envelope) (dataKey, error) {
	// Both wrap algorithms use the stored matdesc as the encryption context
	// (for kms+context it holds the reserved cek-alg entry, already checked
	// against x-amz-cek-alg by parseEnvelope).
	encCtx := maps.Clone(env.matdesc)
	wrapped := env.wrapped
	hint := k.keyARN
	if id := env.matdesc[kmsCMKIDKey]; id != "" && env.wrapAlg == WrapKMS {
		hint = id
	}
	decrypt := func(ctx context.Context) ([]byte, error) {
		pt, err := k.kms.Decrypt(ctx, "", wrapped, maps.Clone(encCtx))
		if err == nil {
			return pt, nil
		}
		err = classifyKMS(err)
		if errors.Is(err, errs.ErrKeyUnavailable) && ctx.Err() == nil {
			// KMS could not use the key the blob refers to: a real
			// availability problem, a key we may not use, or a damaged key
			// reference in the blob. Ask again naming the key the envelope
			// names (kms_cmk_id, else the configured key). If that key
			// unwraps the blob, the blob's own key reference is corrupt; if
			// KMS says the blob does not fit that key, the object is under
			// another key (or damaged): a mismatch. Otherwise the first
			// answer stands.
			pt2, err2 := k.kms.Decrypt(ctx, hint, wrapped, maps.Clone(encCtx))
			if err2 == nil {
				clear(pt2)
				return nil, fmt.Errorf("cse-kms: wrapped data key refers to a key KMS cannot use, yet %s unwraps it: the key reference was altered: %w",
					quote(hint), errs.ErrIntegrity)
			}
			if err2 = classifyKMS(err2); errors.Is(err2, errs.ErrKeyMismatch) {
				return nil, fmt.Errorf("cse-kms: decrypt data key: KMS cannot use the key the wrapped key refers to, and it does not fit %s: %w",
					quote(hint), err2)
			}
		}
		return nil, fmt.Errorf("cse-kms: decrypt data key: %w", err)
	}
	if k.cache == nil {
		pt, err := decrypt(ctx)
		return dataKey(pt), err
	}
	pt, err := k.cache.Unwrap(ctx, hint, encCtx, wrapped, decrypt)
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
