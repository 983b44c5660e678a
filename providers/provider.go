// Package providers defines how one bucket's objects are encoded at rest.
//
// A Provider makes only the crypto-specific decisions: which request
// parameters and metadata a new object carries, how plaintext becomes stored
// bytes, and how stored bytes become plaintext again. Everything else (paths,
// listings, multipart uploads, retries, error classification) lives once in
// package fs, which calls providers through this small interface.
//
// Providers never talk to S3 themselves: fs hands them a Source to read the
// stored object (and its instruction file, if any) and a writer to encode into.
package providers

import (
	"context"
	"io"
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

// Provider encodes and decodes one bucket's objects.
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

	// ListedSize returns the plaintext length of an object known only from a
	// listing (stored size, no metadata). It must not perform I/O.
	ListedSize(stored int64) int64

	// SSE returns the server-side encryption parameters to send when fs
	// copies an object within this bucket (rename, metadata updates), so
	// copies keep their encryption.
	SSE() SSE

	// Confirm checks that S3's answer to a completed write confirms the
	// encryption the Upload asked for; on error fs deletes the object.
	Confirm(up Upload, got SSE) error
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
// once every piece has been read. Package fs detects it with a type
// assertion; callers of fs never do.
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
