package cse

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// Materials wraps and unwraps data keys for cse-custom, in the role of
// EMRFS's EncryptionMaterialsProvider. Implementations are compiled in and
// selected by name (NewMaterials); they must be safe for concurrent use.
type Materials interface {
	// Name is the name the implementation is selected by in configuration.
	Name() string
	// Wrap encrypts a fresh data key, returning the stored wrapped key, the
	// matdesc to store and the x-amz-wrap-alg. dataKey is owned by the
	// caller and must not be retained.
	Wrap(ctx context.Context, dataKey []byte) (wrapped []byte, matdesc map[string]string, wrapAlg string, err error)
	// Unwrap recovers the data key for a stored envelope (ErrKeyMismatch
	// when no key fits, ErrUnsupportedAlgorithm for a wrap algorithm it
	// cannot read). The caller owns and zeroes the result.
	Unwrap(ctx context.Context, wrapped []byte, matdesc map[string]string, wrapAlg string) ([]byte, error)
}

// CustomOptions configure a cse-custom provider.
type CustomOptions struct {
	// Materials wraps the data keys (see NewMaterials).
	Materials Materials
	// StorageMode is StorageObjectMetadata (default) or StorageInstructionFile.
	StorageMode string
	// LegacyRead reads legacy S3EC objects (fs.s3.cse.legacyRead.enabled):
	// AES/CBC content, V1 envelopes, legacy key wraps (AESWrap, AES, RSA,
	// RSA-OAEP with SHA-256) a Materials may unwrap. Off, they are refused.
	LegacyRead bool
	// Audit records each legacy read; required when LegacyRead is set.
	Audit LegacyAudit
	// Rand supplies data keys and IVs; nil means crypto/rand.
	Rand io.Reader
}

// NewCustom returns a cse-custom provider.
func NewCustom(opts CustomOptions) (*Provider, error) {
	const name = "cse-custom"
	if opts.Materials == nil {
		return nil, fmt.Errorf("%s: no encryption materials (fs.s3.cse.encryptionMaterialsProvider)", name)
	}
	instr, err := storageMode(opts.StorageMode)
	if err != nil {
		return nil, err
	}
	if err := legacyOptions(name, opts.LegacyRead, opts.Audit); err != nil {
		return nil, err
	}
	r := orRand(opts.Rand)
	return &Provider{
		name:        name,
		keys:        &customKeys{m: opts.Materials, rand: r},
		instruction: instr,
		rand:        r,
		legacyRead:  opts.LegacyRead,
		audit:       opts.Audit,
	}, nil
}

// MaterialsNames lists the compiled-in Materials implementations.
func MaterialsNames() []string { return []string{KeyringFileName} }

// NewMaterials builds the named Materials from its arguments (the
// fs.s3.cse.custom.* properties with that prefix removed, e.g.
// "keyring.file"). Unknown names and unknown arguments are errors.
func NewMaterials(name string, args map[string]string) (Materials, error) {
	switch name {
	case KeyringFileName:
		const fileArg = "keyring.file"
		for k := range args {
			if k != fileArg {
				return nil, fmt.Errorf("cse-custom: materials %q: unknown argument %q (want %q)", name, k, fileArg)
			}
		}
		path := args[fileArg]
		if path == "" {
			return nil, fmt.Errorf("cse-custom: materials %q needs fs.s3.cse.custom.%s", name, fileArg)
		}
		return NewKeyringFile(path)
	}
	return nil, fmt.Errorf("cse-custom: unknown encryption materials %q (built in: %v)", name, MaterialsNames())
}

// customKeys is cse-custom's key source.
type customKeys struct {
	m    Materials
	rand io.Reader
}

func (c *customKeys) newKey(ctx context.Context) (dataKey, []byte, map[string]string, string, error) {
	k := make(dataKey, dataKeySize)
	if _, err := io.ReadFull(c.rand, k); err != nil {
		k.zero()
		return nil, nil, nil, "", fmt.Errorf("cse-custom: generate data key: %w", err)
	}
	wrapped, matdesc, wrapAlg, err := c.m.Wrap(ctx, k)
	if err != nil {
		k.zero()
		return nil, nil, nil, "", fmt.Errorf("cse-custom: %s: wrap data key: %w", c.m.Name(), err)
	}
	if len(wrapped) == 0 || wrapAlg == "" {
		k.zero()
		return nil, nil, nil, "", fmt.Errorf("cse-custom: %s returned an empty wrapped key or wrap algorithm", c.m.Name())
	}
	md := maps.Clone(matdesc)
	if md == nil {
		md = map[string]string{}
	}
	return k, slices.Clone(wrapped), md, wrapAlg, nil
}

func (c *customKeys) accepts(env *envelope) error {
	if env.wrapAlg == WrapKMS || env.wrapAlg == WrapKMSContext {
		return envelopeError(errs.ErrUnsupportedAlgorithm,
			"cse-custom cannot read an object wrapped with KMS (%s); use cse-kms", quote(env.wrapAlg))
	}
	return nil
}

func (c *customKeys) unwrap(ctx context.Context, env *envelope) (dataKey, error) {
	k, err := c.m.Unwrap(ctx, env.wrapped, maps.Clone(env.matdesc), env.wrapAlg)
	if err != nil {
		return nil, fmt.Errorf("cse-custom: %s: unwrap data key: %w", c.m.Name(), err)
	}
	return dataKey(k), nil
}
