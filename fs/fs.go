package fs

import (
	"context"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

	// DefaultBucket, when set, holds every top-level path that is not a
	// served bucket: /NAME/REST is the key "NAME/REST" there, so /user,
	// /tmp, home directories and files directly under "/" work as in HDFS,
	// and "/" lists the served buckets plus the default bucket's top-level
	// entries (a served bucket shadows an entry of the same name). It uses
	// its own provider (Provider(ctx, DefaultBucket)) and must not be one
	// of the served buckets. Empty: every top-level directory is a bucket.
	DefaultBucket string
	// RootDefaults gives the owner, group and permission a bucket root
	// (/BUCKET; for the default bucket, "/") shows while the bucket has no
	// root object (see Stat). Nil means DefaultOwner, DefaultGroup, 0755;
	// empty Owner or Group fields mean DefaultOwner, DefaultGroup.
	RootDefaults func(bucket string) RootAttrs
	// Index remembers object attributes so listings show stored owners,
	// groups, permissions, times and block sizes without a HEAD per entry
	// (see AttrIndex). Nil means an in-memory index of DefaultIndexEntries.
	Index AttrIndex
	// DirAttrTTL is how long a listing trusts the remembered attributes
	// of a directory marker (a delimited listing gives no ETag to check
	// them against); older ones are HEADed again. Default 5 minutes.
	DirAttrTTL time.Duration
	// DirCacheTTL is how long the FS trusts that a path it found to be a
	// directory still is one (see dirCache). Default DefaultDirCacheTTL.
	DirCacheTTL time.Duration
	// NoListHeads makes listings show the defaults for objects the index
	// does not know (written by other tools or daemons) instead of HEADing
	// them (at most 8 at a time, each object version once).
	NoListHeads bool
	// Metrics, when set, receives the emrfsd_fs_* figures (bytes read and
	// written by bucket and provider).
	Metrics prometheus.Registerer
}

// RootAttrs are a bucket root's attributes before anyone has changed them.
type RootAttrs struct {
	Owner, Group string
	Perm         uint32 // used as is (0 is mode 000)
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
	// BlockSize is the HDFS block size the file was created with
	// (CreateOptions.BlockSize), kept with the file through renames and
	// attribute changes; 0 when unknown (directories, files written by
	// other tools): the caller then uses its server default.
	BlockSize int64
	// Replication is the replication recorded for the file (HDFS create or
	// setReplication; S3 keeps its own redundancy); 0: none recorded.
	Replication int
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
	// Replication records a file's HDFS replication factor.
	Replication *int
}

// CreateOptions control Create.
type CreateOptions struct {
	Overwrite    bool
	CreateParent bool
	Perm         uint32 // 0 means DefaultFilePerm
	Owner, Group string // "" records none (Stat then shows the defaults)
	// BlockSize is recorded with the file and reported by Stat and List
	// as FileInfo.BlockSize; 0 records none.
	BlockSize int64
	// Replication is recorded likewise (FileInfo.Replication); 0: none.
	Replication int
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

	folderMarkers probeCache   // folder-marker probes at listing page cuts
	dirs          dirCache     // recently seen directories
	absent        *absentCache // paths just found empty, for StatBeforeCreate
	probeOrder    probeOrder   // whether a lookup asks for a file and a directory at once
	versions      versionHeads // recent HEADs of files, for OpenVersion
	ahead         *listAhead   // listing pages fetched before they are asked for
	roots         rootCache    // bucket-root attributes
	tops          topsCache    // discovered buckets (Buckets == nil with a DefaultBucket)
	index         AttrIndex
	metrics       *metrics

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
	if o.DefaultBucket != "" {
		for top, b := range o.Buckets {
			if b == o.DefaultBucket {
				return nil, fmt.Errorf("fs: %w: default bucket %q is also served as /%s", iofs.ErrInvalid, b, top)
			}
		}
	}
	if o.DirAttrTTL == 0 {
		o.DirAttrTTL = DefaultDirAttrTTL
	}
	if o.DirAttrTTL < 0 {
		return nil, fmt.Errorf("fs: %w: DirAttrTTL %v < 0", iofs.ErrInvalid, o.DirAttrTTL)
	}
	if o.DirCacheTTL == 0 {
		o.DirCacheTTL = DefaultDirCacheTTL
	}
	if o.DirCacheTTL < 0 {
		return nil, fmt.Errorf("fs: %w: DirCacheTTL %v < 0", iofs.ErrInvalid, o.DirCacheTTL)
	}
	if o.Index == nil {
		o.Index = NewMemoryIndex(DefaultIndexEntries)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(o.Metrics)
	if err != nil {
		return nil, err
	}
	absent, ahead := newAbsentCache(), newListAhead()
	o.S3 = mutationCounter{API: o.S3, gen: &absent.gen, ahead: ahead}
	return &FS{opts: o, log: log, index: o.Index, metrics: m, copyThreshold: maxSingleCopy, copyPartSize: copyPartSize,
		folderMarkers: newProbeCache(), dirs: newDirCache(o.DirCacheTTL), absent: absent, ahead: ahead,
		probeOrder: newProbeOrder(), versions: newVersionHeads()}, nil
}

// resolve parses p and maps its top-level directory to a bucket: a served
// bucket's root, or a key in the default bucket when there is one.
func (f *FS) resolve(ctx context.Context, p string) (loc, error) {
	elems, err := splitPath(p)
	if err != nil {
		return loc{}, err
	}
	if len(elems) == 0 {
		return f.rootLoc(), nil
	}
	bucket, served, err := f.topBucket(ctx, elems[0])
	if err != nil {
		return loc{}, err
	}
	if !served {
		if f.opts.DefaultBucket == "" {
			return loc{}, iofs.ErrNotExist
		}
		return loc{path: p, top: elems[0], bucket: f.opts.DefaultBucket, key: p[1:], inDefault: true}, nil
	}
	l := loc{path: p, top: elems[0], bucket: bucket}
	if len(elems) > 1 {
		l.key = p[len(elems[0])+2:]
	}
	return l, nil
}

// rootLoc is "/": in the default bucket (keys at its top are "/NAME") when
// there is one.
func (f *FS) rootLoc() loc {
	if f.opts.DefaultBucket != "" {
		return loc{path: "/", bucket: f.opts.DefaultBucket, inDefault: true}
	}
	return loc{path: "/"}
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
