package cse

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"strings"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/gcmstream"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/providers"
)

// Storage modes (fs.s3.cse.cryptoStorageMode).
const (
	StorageObjectMetadata  = "ObjectMetadata"
	StorageInstructionFile = "InstructionFile"
)

// keySource makes and recovers data keys for a Provider.
type keySource interface {
	// newKey returns a fresh 32-byte data key (owned by the caller, who
	// zeroes it) and how its wrapped form is to be stored.
	newKey(ctx context.Context) (key dataKey, wrapped []byte, matdesc map[string]string, wrapAlg string, err error)
	// accepts checks, without I/O, that this source can unwrap env.
	accepts(env *envelope) error
	// unwrap recovers env's data key; the caller zeroes it.
	unwrap(ctx context.Context, env *envelope) (dataKey, error)
}

// Provider is a client-side-encryption provider: cse-kms or cse-custom.
// It is safe for concurrent use.
type Provider struct {
	name        string
	keys        keySource
	instruction bool // StorageInstructionFile
	rand        io.Reader
	legacyRead  bool        // fs.s3.cse.legacyRead.enabled
	audit       LegacyAudit // records legacy reads; non-nil when legacyRead
}

// storageMode parses a storage mode ("" means ObjectMetadata).
func storageMode(s string) (instruction bool, err error) {
	switch {
	case s == "" || strings.EqualFold(s, StorageObjectMetadata):
		return false, nil
	case strings.EqualFold(s, StorageInstructionFile):
		return true, nil
	}
	return false, fmt.Errorf("cse: storage mode %q: want %s or %s", s, StorageObjectMetadata, StorageInstructionFile)
}

func orRand(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// Name returns "cse-kms" or "cse-custom".
func (p *Provider) Name() string { return p.name }

// ListedSize implements providers.ListedSizer: stored − 16 (the GCM tag), never negative. Legacy CBC
// objects cannot be sized from a listing; they report the same estimate.
func (p *Provider) ListedSize(stored int64) int64 { return max(stored-gcmTagSize, 0) }

// Encode starts a new AES-256-GCM object: one data key per object and a
// random 96-bit IV. The plaintext data key is zeroed as soon as the stream
// encrypter is built. The returned Upload carries the S3EC V2 envelope as
// metadata, or as Instruction in InstructionFile mode.
func (p *Provider) Encode(ctx context.Context, obj providers.Object, dst io.Writer) (providers.Upload, io.WriteCloser, error) {
	ctx = kms.WithObject(ctx, obj.Bucket, obj.Key)
	iv := make([]byte, gcmstream.NonceSize)
	if _, err := io.ReadFull(p.rand, iv); err != nil {
		return providers.Upload{}, nil, fmt.Errorf("%s: generate IV: %w", p.name, err)
	}
	key, wrapped, matdesc, wrapAlg, err := p.keys.newKey(ctx)
	if err != nil {
		return providers.Upload{}, nil, err
	}
	enc, err := gcmstream.NewEncrypter(key, iv, dst)
	key.zero()
	if err != nil {
		return providers.Upload{}, nil, fmt.Errorf("%s: %w", p.name, err)
	}
	env := &envelope{wrapped: wrapped, iv: iv, matdesc: matdesc, wrapAlg: wrapAlg, cekAlg: CEKAlgGCM, plainLen: -1}
	md, err := env.metadata()
	if err != nil {
		return providers.Upload{}, nil, err
	}
	// Never write what this package would refuse to read, nor a legacy
	// format (a Materials could name a legacy wrap).
	check, err := parseEnvelope(md)
	if err == nil && check.legacy {
		err = envelopeError(errs.ErrUnsupportedAlgorithm, "legacy wrap algorithm %s is read-only", quote(check.wrapAlg))
	}
	if err == nil {
		err = p.keys.accepts(check)
	}
	if err != nil {
		return providers.Upload{}, nil, fmt.Errorf("%s: refusing to write an unreadable envelope: %w", p.name, err)
	}
	if !p.instruction {
		return providers.Upload{Metadata: md}, enc, nil
	}
	body, err := instructionJSON(md)
	if err != nil {
		return providers.Upload{}, nil, err
	}
	return providers.Upload{Metadata: map[string]string{}, Instruction: body}, enc, nil
}

// loadEnvelope finds, parses and validates obj's envelope: from its
// metadata when that carries a wrapped key, else from its instruction file.
// It makes no key-service call.
func (p *Provider) loadEnvelope(ctx context.Context, h providers.Head, src providers.Source) (*envelope, error) {
	md := lowerKeys(h.Metadata)
	header, v3 := headerKind(md)
	var env *envelope
	var err error
	switch {
	case header || v3:
		env, err = p.parse(md)
	default:
		body, ierr := src.Instruction(ctx)
		if errors.Is(ierr, iofs.ErrNotExist) {
			if !p.legacyRead && legacyEnvelope(md) {
				return nil, errLegacyRefused
			}
			for _, k := range []string{MetaIV, MetaCEKAlg, MetaWrapAlg, MetaMatDesc} {
				if _, ok := md[k]; ok {
					return nil, fmt.Errorf("%s: object metadata has %s but no wrapped data key (%s) and there is no instruction file: %w",
						p.name, k, MetaKeyV2, errs.ErrIntegrity)
				}
			}
			return nil, fmt.Errorf("%s: object has no S3EC envelope (no %s metadata, no instruction file): %w",
				p.name, MetaKeyV2, errs.ErrNotEncrypted)
		}
		if ierr != nil {
			return nil, fmt.Errorf("%s: read instruction file: %w", p.name, ierr)
		}
		imd, perr := parseInstruction(body)
		if perr != nil {
			return nil, fmt.Errorf("%s: %w", p.name, perr)
		}
		env, err = p.parse(imd)
		if env != nil {
			env.instruction = true
		}
	}
	if err != nil {
		return nil, err
	}
	if err := p.keys.accepts(env); err != nil {
		return nil, err
	}
	return env, nil
}

// unwrapKey recovers env's data key and checks its length. Every read of
// object data gets its key here, so this is where a legacy read is
// recorded (ctx names the object).
func (p *Provider) unwrapKey(ctx context.Context, env *envelope) (dataKey, error) {
	if err := p.recordLegacy(ctx, env); err != nil {
		return nil, err
	}
	k, err := p.keys.unwrap(ctx, env)
	if err != nil {
		return nil, err
	}
	if len(k) != dataKeySize {
		k.zero()
		return nil, fmt.Errorf("%s: unwrapped data key is %d bytes, want %d: %w", p.name, len(k), dataKeySize, errs.ErrIntegrity)
	}
	return k, nil
}

// PlainSize returns the plaintext length: stored − 16 for GCM; for legacy
// CBC, x-amz-unencrypted-content-length when present, else the length found
// by decrypting the last block.
func (p *Provider) PlainSize(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source) (int64, error) {
	env, err := p.loadEnvelope(ctx, h, src)
	if err != nil {
		return 0, err
	}
	n, err := env.plainSize(h.Size)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.name, err)
	}
	if n >= 0 {
		return n, nil
	}
	return p.cbcPlainSize(kms.WithObject(ctx, obj.Bucket, obj.Key), env, h.Size, src)
}

// Decode returns plaintext [off, off+n) (n < 0: to the end). Whole-object
// GCM reads are authenticated; partial reads and CBC reads are not (see the
// package documentation).
func (p *Provider) Decode(ctx context.Context, obj providers.Object, h providers.Head, src providers.Source, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, fmt.Errorf("%s: negative offset %d: %w", p.name, off, iofs.ErrInvalid)
	}
	env, err := p.loadEnvelope(ctx, h, src)
	if err != nil {
		return nil, err
	}
	ctx = kms.WithObject(ctx, obj.Bucket, obj.Key)
	if env.cekAlg == CEKAlgCBC {
		return p.decodeCBC(ctx, env, h.Size, src, off, n)
	}
	return p.decodeGCM(ctx, env, h.Size, src, off, n)
}

func (p *Provider) decodeGCM(ctx context.Context, env *envelope, stored int64, src providers.Source, off, n int64) (io.ReadCloser, error) {
	plain, err := env.plainSize(stored)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	full := off == 0 && (n < 0 || n >= plain)
	if !full {
		if off >= plain || n == 0 {
			return io.NopCloser(strings.NewReader("")), nil
		}
		if n < 0 || n > plain-off {
			n = plain - off
		}
	}
	// The object's bytes are requested before the data key is unwrapped,
	// so the plaintext key lives only from the unwrap to the cipher's
	// construction, not across an S3 round trip (the fault tier's core
	// dumps under load caught keys in that window).
	var rc io.ReadCloser
	if full {
		rc, err = src.Range(ctx, 0, -1)
	} else {
		so, sn := gcmstream.AlignedRange(off, n, plain)
		rc, err = src.Range(ctx, so, sn)
	}
	if err != nil {
		return nil, err
	}
	key, err := p.unwrapKey(ctx, env)
	if err != nil {
		rc.Close()
		return nil, err
	}
	var r io.Reader
	if full {
		r, err = gcmstream.NewDecrypter(key, env.iv, fillReader{rc}, stored)
	} else {
		r, err = gcmstream.NewRangeDecrypter(key, env.iv, rc, off, n)
	}
	key.zero()
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	return &readCloser{Reader: r, c: rc}, nil
}

// fillReader fills each read completely unless the stream ends. The stream
// decrypter releases plaintext only for ciphertext chunks (64 KiB) it has
// fully read before the last one; filling its reads means an object of up to
// one chunk is authenticated before any byte of it is released, and larger
// objects release whole chunks, never network-sized fragments of the last.
type fillReader struct{ r io.Reader }

func (f fillReader) Read(p []byte) (int, error) {
	n, err := io.ReadFull(f.r, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// readCloser reads from a decrypting Reader and closes the stored stream.
type readCloser struct {
	io.Reader
	c io.Closer
}

func (r *readCloser) Close() error { return r.c.Close() }

// Interface guards. Provider is no providers.ServerSideEncrypter or
// providers.Confirmer: client-side encryption asks S3 for nothing, and the
// object is encrypted before S3 sees it.
var (
	_ providers.Provider       = (*Provider)(nil)
	_ providers.ListedSizer    = (*Provider)(nil)
	_ providers.SegmentDecoder = (*Provider)(nil)
)
