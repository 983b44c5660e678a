// Package fs is emrfsd's namespace over S3: paths of the form /BUCKET/KEY,
// directories, listings, streaming reads and writes through each bucket's
// encryption provider, rename, delete and content summaries.
//
// Errors are classified once, here: every error returned is an
// *iofs.PathError whose Err satisfies errors.Is with one of io/fs's
// ErrNotExist, ErrExist, ErrPermission, ErrInvalid, or this package's
// ErrNotDir, ErrIsDir, ErrNotEmpty, or a providers sentinel
// (providers.ErrIntegrity, providers.ErrKeyUnavailable, ...).
// Callers (the RPC edge) translate those into Hadoop exception classes.
//
// NOTE: this file was laid down as the API contract other packages build
// against; its owner replaces the bodies with the implementation.
package fs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/emrfsd/emrfsd/providers"
)

// Errors beyond io/fs's.
var (
	ErrNotDir   = errors.New("not a directory")
	ErrIsDir    = errors.New("is a directory")
	ErrNotEmpty = errors.New("directory not empty")
)

// Options configure a namespace.
type Options struct {
	// S3 is the object store (an *s3.Client in production).
	S3 S3API
	// Buckets maps top-level directory names to bucket names. Nil means the
	// top-level directories are the buckets the credentials can list.
	Buckets map[string]string
	// Provider returns the encryption provider of a bucket.
	Provider func(ctx context.Context, bucket string) (providers.Provider, error)
	// PartSize is the multipart part size in bytes (default 8 MiB, min 5 MiB).
	PartSize int64
	// ActiveParts bounds the parts in flight per writer (default 4).
	ActiveParts int
	// DefaultOwner and DefaultGroup own paths that carry no ownership
	// metadata (implicit directories, objects written by other tools).
	DefaultOwner, DefaultGroup string
	Logger                     *slog.Logger
}

// FileInfo describes a file or directory. Sizes are plaintext sizes.
type FileInfo struct {
	Path       string // full path, e.g. /bucket/dir/file
	Name       string // last element; "" for the root
	IsDir      bool
	Size       int64
	ModTime    time.Time
	AccessTime time.Time
	Owner      string
	Group      string
	Perm       uint32            // permission bits incl. sticky (01000)
	ETag       string            // files only
	Xattrs     map[string][]byte // user xattrs ("user.NAME"); filled by Stat only
}

// Summary is a content summary (du).
type Summary struct {
	Length      int64 // plaintext bytes
	Files       int64
	Directories int64 // including the path itself when it is a directory
}

// Attrs are optional attribute changes; nil fields are left alone.
type Attrs struct {
	Perm       *uint32
	Owner      *string
	Group      *string
	ModTime    *time.Time
	AccessTime *time.Time
}

// CreateOptions control Create.
type CreateOptions struct {
	Overwrite    bool
	CreateParent bool
	Perm         uint32
	Owner, Group string
}

// FS is the namespace.
type FS struct{ opts Options }

// New validates options and returns a namespace.
func New(ctx context.Context, o Options) (*FS, error) { return &FS{opts: o}, nil }

// Stat describes a path.
func (f *FS) Stat(ctx context.Context, p string) (FileInfo, error) {
	return FileInfo{}, errors.ErrUnsupported
}

// List returns up to limit children of dir whose names sort strictly after
// startAfter, sorted by name bytes, and whether more remain.
func (f *FS) List(ctx context.Context, dir, startAfter string, limit int) ([]FileInfo, bool, error) {
	return nil, false, errors.ErrUnsupported
}

// Mkdirs creates a directory (and its parents when createParent).
func (f *FS) Mkdirs(ctx context.Context, p string, perm uint32, owner, group string, createParent bool) error {
	return errors.ErrUnsupported
}

// Create starts a new file. Nothing is visible at p until Close succeeds.
func (f *FS) Create(ctx context.Context, p string, o CreateOptions) (*Writer, error) {
	return nil, errors.ErrUnsupported
}

// Open returns a handle for positioned reads of a file.
func (f *FS) Open(ctx context.Context, p string) (*File, error) { return nil, errors.ErrUnsupported }

// Delete removes p; it reports false (and no error) when p does not exist.
func (f *FS) Delete(ctx context.Context, p string, recursive bool) (bool, error) {
	return false, errors.ErrUnsupported
}

// Rename moves src to dst (file: server-side copy keeping encryption and
// metadata, then delete; directory: every object below it).
func (f *FS) Rename(ctx context.Context, src, dst string, overwrite bool) error {
	return errors.ErrUnsupported
}

// ContentSummary totals a subtree.
func (f *FS) ContentSummary(ctx context.Context, p string) (Summary, error) {
	return Summary{}, errors.ErrUnsupported
}

// SetAttrs changes permission, ownership or times.
func (f *FS) SetAttrs(ctx context.Context, p string, a Attrs) error { return errors.ErrUnsupported }

// SetXattr sets a user xattr ("user.NAME").
func (f *FS) SetXattr(ctx context.Context, p, name string, value []byte) error {
	return errors.ErrUnsupported
}

// RemoveXattr removes a user xattr.
func (f *FS) RemoveXattr(ctx context.Context, p, name string) error { return errors.ErrUnsupported }

// File is an open file: its FileInfo and positioned reads.
type File struct{ Info FileInfo }

// Range returns plaintext bytes [off, off+n) (n < 0: to the end). A range
// covering the whole file is authenticated where the provider allows.
func (r *File) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	return nil, errors.ErrUnsupported
}

// Writer streams a new file into a multipart upload through the bucket's
// provider, with bounded memory.
type Writer struct{}

// Write encodes and buffers plaintext; full parts upload in the background.
func (w *Writer) Write(p []byte) (int, error) { return 0, errors.ErrUnsupported }

// Written is the number of plaintext bytes written so far.
func (w *Writer) Written() int64 { return 0 }

// Flush returns once every full part written so far is uploaded (durable
// in S3 though not yet visible).
func (w *Writer) Flush(ctx context.Context) error { return errors.ErrUnsupported }

// Finish ends the plaintext (writes the provider's trailer) and uploads
// every remaining byte; the object is still invisible. No Write may follow.
func (w *Writer) Finish(ctx context.Context) error { return errors.ErrUnsupported }

// Close finishes (if needed) and completes the upload: the file appears.
func (w *Writer) Close(ctx context.Context) error { return errors.ErrUnsupported }

// Abort discards the upload; nothing becomes visible.
func (w *Writer) Abort(ctx context.Context) error { return errors.ErrUnsupported }
