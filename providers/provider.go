package providers

import (
	"context"
	"fmt"
	"io"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// Object identifies a stored object.
type Object struct {
	Bucket string
	Key    string
}

// SSE holds the server-side-encryption request parameters S3 needs on a write
// or a copy. The zero value asks for no server-side encryption.
type SSE struct {
	// Algorithm is "" (none), "AES256" (SSE-S3) or "aws:kms" (SSE-KMS).
	Algorithm string
	// KMSKeyID is sent as x-amz-server-side-encryption-aws-kms-key-id exactly
	// as configured; "" means the AWS-managed key.
	KMSKeyID string
	// Context is the base64 JSON x-amz-server-side-encryption-context, or "".
	Context string
}

// Head is what S3 reports about a stored object (HEAD or GET response).
type Head struct {
	// Size is the stored size in bytes (for CSE: ciphertext + tag).
	Size int64
	// Metadata is the object's user metadata: keys lower-case, without the
	// "x-amz-meta-" prefix (e.g. "x-amz-key-v2", "x-amz-iv").
	Metadata map[string]string
	// SSE is what the response reports about server-side encryption.
	SSE SSE
	// ETag identifies this version of the object.
	ETag string
}

// Upload says how a new object is to be stored. It is complete before the
// first plaintext byte is written, so fs can start a multipart upload at once.
type Upload struct {
	// Metadata is the user metadata to store with the object (keys as in Head).
	Metadata map[string]string
	// SSE is the server-side encryption to request.
	SSE SSE
	// Instruction, when non-nil, is the body of the object's instruction file
	// (KEY + InstructionSuffix), which fs stores before the object becomes
	// visible.
	Instruction []byte
}

// InstructionSuffix is appended to an object key to name its S3 Encryption
// Client instruction file.
const InstructionSuffix = ".instruction"

// Source reads a stored object for a provider.
type Source interface {
	// Range opens the stored bytes [off, off+n) of the object. n < 0 reads to
	// the end.
	Range(ctx context.Context, off, n int64) (io.ReadCloser, error)
	// Instruction returns the body of the object's instruction file. It
	// returns an error satisfying errors.Is(err, fs.ErrNotExist) (io/fs) when
	// there is none.
	Instruction(ctx context.Context) ([]byte, error)
}

// Provider encodes and decodes one bucket's objects. These four methods
// are all a provider must implement; what only some providers need is an
// optional one-method interface (ListedSizer, ServerSideEncrypter,
// Confirmer, SegmentDecoder) that callers reach through this package's
// helpers (ListedSize, CopySSE, Confirm, DecodeSegment, VerifySegments),
// which apply the default when a provider lacks the capability. Callers never
// type-assert a Provider themselves, and a type that wraps a Provider must
// forward the optional interfaces it wants kept.
type Provider interface {
	// Name is the registered name, e.g. "plain", "sse-kms", "cse-kms".
	Name() string

	// Encode starts a new object. Plaintext written to the returned
	// WriteCloser is encoded and written to dst as it arrives (never
	// buffering the whole object); Close writes any trailer (e.g. the GCM tag)
	// and must be called exactly once. Plaintext key material is dropped as
	// soon as the cipher is built.
	Encode(ctx context.Context, obj Object, dst io.Writer) (Upload, io.WriteCloser, error)

	// Decode returns the plaintext bytes [off, off+n) of obj, where n < 0
	// means "to the end". A read that covers the whole object authenticates
	// it where the format allows and fails with ErrIntegrity (never returning
	// io.EOF first) when authentication fails. Reads of part of an
	// authenticated format are unauthenticated.
	Decode(ctx context.Context, obj Object, h Head, src Source, off, n int64) (io.ReadCloser, error)

	// PlainSize returns the plaintext length of a stored object from its
	// HEAD (and, if needed, its instruction file).
	PlainSize(ctx context.Context, obj Object, h Head, src Source) (int64, error)
}

// ListedSizer is implemented by providers whose stored size differs from
// the plaintext size (e.g. by a trailing tag). Without it, an object's
// listed size is its stored size.
type ListedSizer interface {
	// ListedSize returns the plaintext length of an object known only from
	// a listing (stored size, no metadata). It must not perform I/O.
	ListedSize(stored int64) int64
}

// ServerSideEncrypter is implemented by providers that ask S3 to encrypt.
// Without it, copies ask for no server-side encryption.
type ServerSideEncrypter interface {
	// SSE returns the server-side encryption parameters to send when fs
	// copies an object within this bucket (rename, metadata updates), so
	// copies keep their encryption. It must equal the Upload.SSE of Encode.
	SSE() SSE
}

// Confirmer is implemented by providers that check S3's answer to a write.
type Confirmer interface {
	// Confirm checks that S3's answer to a completed write confirms the
	// encryption the Upload asked for; on error fs deletes the object.
	Confirm(up Upload, got SSE) error
}

// ListedSize returns p's plaintext length for an object of stored size
// stored known only from a listing: p's ListedSize when it is a
// ListedSizer, else stored.
func ListedSize(p Provider, stored int64) int64 {
	if ls, ok := p.(ListedSizer); ok {
		return ls.ListedSize(stored)
	}
	return stored
}

// CopySSE returns the server-side encryption to request when copying one of
// p's objects: p's SSE when it is a ServerSideEncrypter, else none.
func CopySSE(p Provider) SSE {
	if s, ok := p.(ServerSideEncrypter); ok {
		return s.SSE()
	}
	return SSE{}
}

// Confirm checks S3's report got of a write that asked for up: p's Confirm
// when it is a Confirmer. A provider without one asks S3 for nothing, so any
// report confirms the write (a bucket default may encrypt what was not asked
// to be); should such a provider's Upload nevertheless ask for server-side
// encryption, the report must at least name the algorithm asked for.
func Confirm(p Provider, up Upload, got SSE) error {
	if c, ok := p.(Confirmer); ok {
		return c.Confirm(up, got)
	}
	if up.SSE.Algorithm != "" && got.Algorithm != up.SSE.Algorithm {
		return fmt.Errorf("%s: asked for %q, S3 reported %q: %w", p.Name(), up.SSE.Algorithm, got.Algorithm, errs.ErrSSENotConfirmed)
	}
	return nil
}

// Factory builds a provider for one bucket from its resolved options.
// Options are provider-specific and produced by package config.
type Factory func(ctx context.Context, bucket string, opts any) (Provider, error)

// Segment is the GHASH value of a run of an object's stored ciphertext
// [Off, Off+Len): the value internal/gcmstream's Hasher.Segment computes.
// Off is a multiple of 16; only a segment that ends the ciphertext may have
// a length that is not. Digest is derived from the object's data key: keep it
// in memory only, never log it.
type Segment struct {
	Off, Len int64
	Digest   [16]byte
}

// SegmentReader is a plaintext range whose ciphertext is hashed as it is
// read.
type SegmentReader interface {
	io.ReadCloser
	// Segment returns the digest of the range's ciphertext once every byte
	// of the range has been read (ok is false before that, and after a
	// read error).
	Segment() (seg Segment, ok bool)
}

// SegmentDecoder is an optional Provider extension for formats with a
// whole-object MAC (AES-GCM): it lets a caller that reads an object in
// separate pieces (the HDFS blocks of a file) authenticate the whole object
// once every piece has been read. Callers reach it through DecodeSegment
// and VerifySegments.
type SegmentDecoder interface {
	// DecodeSegment returns plaintext [off, off+n) like Decode, NOT
	// authenticated, and hashes the stored ciphertext of that range. off
	// must be a multiple of 16, n > 0 and off+n at most the plaintext size.
	// Objects without a whole-object MAC fail with ErrNoSegments.
	DecodeSegment(ctx context.Context, obj Object, h Head, src Source, off, n int64) (SegmentReader, error)
	// VerifySegments checks that segs (in order) are contiguous and cover
	// the whole object, composes their digests and compares the result with
	// the object's stored tag in constant time: a mismatch is ErrIntegrity;
	// segments that do not tile the object are io/fs.ErrInvalid.
	VerifySegments(ctx context.Context, obj Object, h Head, src Source, segs []Segment) error
}

// DecodeSegment is p's DecodeSegment when p is a SegmentDecoder; otherwise
// it fails with errs.ErrNoSegments (the caller falls back to Decode).
func DecodeSegment(ctx context.Context, p Provider, obj Object, h Head, src Source, off, n int64) (SegmentReader, error) {
	sd, ok := p.(SegmentDecoder)
	if !ok {
		return nil, fmt.Errorf("%s: %w", p.Name(), errs.ErrNoSegments)
	}
	return sd.DecodeSegment(ctx, obj, h, src, off, n)
}

// VerifySegments is p's VerifySegments when p is a SegmentDecoder;
// otherwise it fails with errs.ErrNoSegments.
func VerifySegments(ctx context.Context, p Provider, obj Object, h Head, src Source, segs []Segment) error {
	sd, ok := p.(SegmentDecoder)
	if !ok {
		return fmt.Errorf("%s: %w", p.Name(), errs.ErrNoSegments)
	}
	return sd.VerifySegments(ctx, obj, h, src, segs)
}
