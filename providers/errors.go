package providers

import "errors"

// Sentinel errors shared by every provider. fs wraps them in *fs.PathError;
// the RPC edge maps them to Hadoop exception class names.
var (
	// ErrIntegrity: stored bytes or their metadata failed authentication or
	// are malformed (tag mismatch, truncated object, bad IV length, ...).
	ErrIntegrity = errors.New("integrity check failed")
	// ErrKeyUnavailable: the key service refused or could not be reached.
	ErrKeyUnavailable = errors.New("encryption key unavailable")
	// ErrKeyMismatch: the object was encrypted under a different key or
	// encryption context than the one presented.
	ErrKeyMismatch = errors.New("encryption key mismatch")
	// ErrUnsupportedAlgorithm: the object names an algorithm this provider
	// cannot read (or may only read, not write).
	ErrUnsupportedAlgorithm = errors.New("unsupported encryption algorithm")
	// ErrNotEncrypted: a read in an encrypting bucket found an object without
	// encryption metadata.
	ErrNotEncrypted = errors.New("object is not encrypted as the bucket requires")
	// ErrSSENotConfirmed: S3 did not confirm the server-side encryption that
	// was requested.
	ErrSSENotConfirmed = errors.New("server-side encryption not confirmed by S3")
)
