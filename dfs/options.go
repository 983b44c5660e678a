package dfs

import (
	"errors"
	"log/slog"
	"os/user"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/emrfsd/emrfsd/fs"
)

// Options configure a Namespace.
type Options struct {
	FS     *fs.FS
	Logger *slog.Logger

	// BlockSize is the default block size (dfs.blocksize, 128 MiB);
	// Replication the replication reported for files (default 1).
	BlockSize   int64
	Replication int

	// PermissionsEnabled turns on HDFS permission checks.
	PermissionsEnabled bool
	// SuperUser is the superuser's name (default: the OS user running the
	// process); members of SuperUserGroup (default "supergroup") are
	// superusers too.
	SuperUser      string
	SuperUserGroup string
	// Groups returns a user's groups; default: the OS's (os/user).
	Groups func(user string) []string

	// LeaseSoftLimit: after this long without renewal another client may
	// take over a file being written (default 60 s). LeaseHardLimit: after
	// this long the write is aborted (default 10 min).
	LeaseSoftLimit time.Duration
	LeaseHardLimit time.Duration
	// MaxOpenFiles bounds files open for writing (default 1024);
	// MaxOpenFilesPerClient bounds those of one client, one lease holder
	// (default 256), so that one client cannot take them all.
	MaxOpenFiles          int
	MaxOpenFilesPerClient int
	// ListLimit is the listing batch size (dfs.ls.limit, 1000).
	ListLimit int
	// TrashInterval is fs.trash.interval: how long deleted files stay in
	// trash (0: no trash); TrashCheckpointInterval how often Current
	// becomes a checkpoint (0: TrashInterval). See RunTrash.
	TrashInterval           time.Duration
	TrashCheckpointInterval time.Duration

	// HomeAutoCreate makes /user/USER (owned by USER) the first time USER
	// creates something inside it (emrfsd.home.autocreate).
	HomeAutoCreate bool

	// MaxComponentLength bounds each component of a new name
	// (dfs.namenode.fs-limits.max-component-length; 0: no limit).
	MaxComponentLength int

	// Metrics, when set, receives emrfsd_dfs_open_files and
	// emrfsd_dfs_leases.
	Metrics prometheus.Registerer
}

func (o *Options) setDefaults() error {
	if o.FS == nil {
		return errors.New("dfs: Options.FS is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BlockSize <= 0 {
		o.BlockSize = 128 << 20
	}
	if o.Replication <= 0 {
		o.Replication = 1
	}
	if o.SuperUser == "" {
		if u, err := user.Current(); err == nil {
			o.SuperUser = u.Username
		}
	}
	if o.SuperUserGroup == "" {
		o.SuperUserGroup = "supergroup"
	}
	if o.LeaseSoftLimit <= 0 {
		o.LeaseSoftLimit = 60 * time.Second
	}
	if o.LeaseHardLimit <= 0 {
		o.LeaseHardLimit = 10 * time.Minute
	}
	if o.LeaseHardLimit < o.LeaseSoftLimit {
		o.LeaseHardLimit = o.LeaseSoftLimit
	}
	if o.MaxOpenFiles <= 0 {
		o.MaxOpenFiles = 1024
	}
	if o.MaxOpenFilesPerClient <= 0 {
		o.MaxOpenFilesPerClient = 256
	}
	if o.ListLimit <= 0 {
		o.ListLimit = 1000
	}
	return nil
}
