// Package errs holds the error kinds every room of emrfsd shares: the
// sentinels that storage, crypto and key-service code wrap, and that the
// front ends (the HDFS RPC edge, WebHDFS) translate into Hadoop exception
// classes. It is a leaf: it imports nothing from this module, and anything
// may import it.
//
// Errors are compared with errors.Is. Besides these, the io/fs sentinels
// (ErrNotExist, ErrExist, ErrPermission, ErrInvalid) and
// errors.ErrUnsupported are part of the vocabulary.
package errs

import "errors"

// Namespace kinds (package fs wraps them in *io/fs.PathError).
var (
	// ErrNotDir: a path used as a directory is a file.
	ErrNotDir = errors.New("not a directory")
	// ErrIsDir: a path used as a file is a directory.
	ErrIsDir = errors.New("is a directory")
	// ErrNotEmpty: a non-recursive removal of a directory with children.
	ErrNotEmpty = errors.New("directory not empty")
	// ErrChanged: an object changed under an operation that had read it:
	// replaced while an open file read it (the ranged GET's If-Match
	// failed), replaced between the lookup (or listing) and the copy of a
	// rename or attribute change, or a bucket root object that kept
	// changing under a conditional update. Retrying may succeed.
	ErrChanged = errors.New("file changed while being read")
	// ErrNoXattr: removal of an extended attribute that is not set.
	ErrNoXattr = errors.New("no such xattr")
)

// Encryption kinds, shared by every provider and the key service.
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
	// ErrNoSegments: the object's format has no whole-object MAC that
	// segments could be checked against (plain objects, legacy CBC).
	// Callers fall back to an ordinary decode.
	ErrNoSegments = errors.New("segment authentication not available")
)
