// Package fs is emrfsd's namespace over S3: paths of the form /BUCKET/KEY,
// directories, listings, streaming reads and writes through each bucket's
// encryption provider, rename, delete and content summaries.
//
// Errors are classified once, here: every error returned is an
// *iofs.PathError whose Err satisfies errors.Is with one of io/fs's
// ErrNotExist, ErrExist, ErrPermission, ErrInvalid, or a sentinel of
// internal/errs (ErrNotDir, ErrIsDir, ErrNotEmpty, ErrChanged, ErrNoXattr,
// ErrIntegrity, ErrKeyUnavailable, ...). io.EOF and context errors are
// returned bare, never wrapped. The front ends translate them into Hadoop
// exception classes.
//
// # Layout in S3
//
//   - "/" is the root; its children are the top-level directories, one per
//     bucket (Options.Buckets, or every bucket the credentials can list).
//     Top-level directories cannot be created, deleted, renamed or changed
//     (ErrPermission).
//   - /TOP/A/B is the object key "A/B" in TOP's bucket.
//   - A directory is a zero-byte marker object "A/B/" carrying the
//     directory's metadata, or an implicit prefix (objects below "A/B/"), or
//     an EMRFS/s3n marker "A/B_$folder$". Markers never appear in listings.
//   - "KEY.instruction" (an S3 Encryption Client instruction file) is hidden
//     while KEY exists, and follows KEY on rename and delete.
//   - Owner, group, permission, times and xattrs are user metadata; see
//     meta.go for the scheme. Listings cannot see metadata: entries show
//     the defaults (Options.DefaultOwner/DefaultGroup, 0644 files, 0755
//     directories, S3's LastModified); Stat shows the stored values.
//
// # Consistency
//
// Nothing partial is ever visible: new files appear when Writer.Close
// completes the upload (with If-None-Match: * unless overwriting). Renames
// are copy-then-delete and not atomic; a directory rename that fails midway
// leaves both trees partly populated and can be retried.
package fs

import (
	"context"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"time"

	"github.com/emrfsd/emrfsd/internal/partbuf"
	"github.com/emrfsd/emrfsd/internal/s3api"
	"github.com/emrfsd/emrfsd/providers"
)

// Defaults for Options.
const (
	DefaultPartSize    = 8 << 20
	MinPartSize        = 5 << 20
	MaxPartSize        = 5 << 30
	DefaultActiveParts = 4
	DefaultCopyWorkers = 8
	DefaultOwnerName   = "hdfs"
	DefaultGroupName   = "supergroup"
	// DefaultDirPerm and DefaultFilePerm are shown for paths without
	// permission metadata.
	DefaultDirPerm  = 0o755
	DefaultFilePerm = 0o644
)

// Options configure a namespace.
type Options struct {
	// S3 is the object store (an *s3.Client in production).
	S3 s3api.API
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
	// Defaults: "hdfs", "supergroup".
	DefaultOwner, DefaultGroup string
	Logger                     *slog.Logger

	// Buffers supplies part buffers to writers. Nil means an in-memory pool
	// of PartSize buffers (partbuf.NewMemory).
	Buffers partbuf.Pool
	// CopyWorkers bounds the parallel copies of a directory rename
	// (default 8).
	CopyWorkers int
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
	Perm         uint32 // 0 means DefaultFilePerm
	Owner, Group string // "" records none (Stat then shows the defaults)
	// Checked says the caller has just looked up p itself and found no
	// directory there (and, unless Overwrite, no file): Create then skips
	// its own lookup of p. A file created meanwhile by someone else still
	// makes Close fail with ErrExist (the write is conditional), so this
	// only saves S3 round trips; it never lets a write clobber a file.
	Checked bool
}

// FS is the namespace. It is safe for concurrent use.
type FS struct {
	opts Options
	log  *slog.Logger

	folderMarkers probeCache // folder-marker probes at listing page cuts
	dirs          dirCache   // recently seen directories

	// Multipart-copy tuning; fixed by New (tests in this package lower them).
	copyThreshold int64 // objects larger than this are copied part by part
	copyPartSize  int64
}

// S3's single-request copy limit and the part size used above it.
const (
	maxSingleCopy = 5 << 30
	copyPartSize  = 512 << 20
)

// New validates options and returns a namespace.
func New(ctx context.Context, o Options) (*FS, error) {
	if o.S3 == nil {
		return nil, fmt.Errorf("fs: %w: Options.S3 is nil", iofs.ErrInvalid)
	}
	if o.Provider == nil {
		return nil, fmt.Errorf("fs: %w: Options.Provider is nil", iofs.ErrInvalid)
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.PartSize < MinPartSize || o.PartSize > MaxPartSize {
		return nil, fmt.Errorf("fs: %w: PartSize %d outside [%d, %d]", iofs.ErrInvalid, o.PartSize, MinPartSize, MaxPartSize)
	}
	if o.ActiveParts == 0 {
		o.ActiveParts = DefaultActiveParts
	}
	if o.ActiveParts < 1 {
		return nil, fmt.Errorf("fs: %w: ActiveParts %d < 1", iofs.ErrInvalid, o.ActiveParts)
	}
	if o.CopyWorkers == 0 {
		o.CopyWorkers = DefaultCopyWorkers
	}
	if o.CopyWorkers < 1 {
		return nil, fmt.Errorf("fs: %w: CopyWorkers %d < 1", iofs.ErrInvalid, o.CopyWorkers)
	}
	for top, b := range o.Buckets {
		if elems, err := splitPath("/" + top); err != nil || len(elems) != 1 || b == "" {
			return nil, fmt.Errorf("fs: %w: bad top-level directory %q -> bucket %q", iofs.ErrInvalid, top, b)
		}
	}
	if o.DefaultOwner == "" {
		o.DefaultOwner = DefaultOwnerName
	}
	if o.DefaultGroup == "" {
		o.DefaultGroup = DefaultGroupName
	}
	if o.Buffers == nil {
		o.Buffers = partbuf.NewMemory(o.PartSize, o.ActiveParts+1)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &FS{opts: o, log: log, copyThreshold: maxSingleCopy, copyPartSize: copyPartSize}, nil
}

// resolve parses p and maps its top-level directory to a bucket.
func (f *FS) resolve(p string) (loc, error) {
	elems, err := splitPath(p)
	if err != nil {
		return loc{}, err
	}
	if len(elems) == 0 {
		return loc{path: "/"}, nil
	}
	l := loc{path: p, top: elems[0], bucket: elems[0]}
	if f.opts.Buckets != nil {
		b, ok := f.opts.Buckets[elems[0]]
		if !ok {
			return loc{}, iofs.ErrNotExist
		}
		l.bucket = b
	}
	if len(elems) > 1 {
		l.key = p[len(elems[0])+2:]
	}
	return l, nil
}

// provider returns the provider of l's bucket.
func (f *FS) provider(ctx context.Context, l loc) (providers.Provider, error) {
	pr, err := f.opts.Provider(ctx, l.bucket)
	if err != nil {
		return nil, err
	}
	if pr == nil {
		return nil, fmt.Errorf("%w: no provider for bucket %q", iofs.ErrInvalid, l.bucket)
	}
	return pr, nil
}
