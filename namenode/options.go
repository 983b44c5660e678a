package namenode

import (
	"errors"
	"log/slog"
	"os/user"
	"time"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/fs"
)

// DataNode is the DataNode address advertised in block locations.
type DataNode struct {
	IPAddr   string // clients dial IPAddr:XferPort
	Hostname string // or Hostname:XferPort with dfs.client.use.datanode.hostname
	UUID     string
	XferPort int
	InfoPort int
	IPCPort  int
}

// Options configure a NameNode server.
type Options struct {
	FS     *fs.FS
	Logger *slog.Logger

	DataNode DataNode

	// BlockSize is the default and advertised block size (128 MiB).
	BlockSize int64
	// Replication is the replication reported for files (default 1).
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

	// Blocks is the block map shared with the DataNode. Nil: the server
	// makes its own from FS, PoolID and MaxReadBlocks (see Server.Blocks).
	Blocks *blocks.Table

	// PoolID is the block pool id (ignored when Blocks is set); ClusterID/ID
	// name this NameNode.
	PoolID    string
	ClusterID string
	ID        string

	// Capacity is the total size reported by getFsStats (default 1 PiB).
	Capacity int64

	// MaxFrame bounds a request frame (default 16 MiB).
	MaxFrame int
	// IdleTimeout closes connections that send nothing (default 2 min,
	// above Java's 60 s ping interval); FrameTimeout bounds the reading of
	// one frame once started (default 30 s).
	IdleTimeout  time.Duration
	FrameTimeout time.Duration
	// MaxCallsPerConn bounds the calls in flight on one connection (32).
	MaxCallsPerConn int
	// MaxReadBlocks bounds the table of blocks handed out for reading
	// (default 65536); MaxOpenFiles bounds files open for writing (1024).
	MaxReadBlocks int
	MaxOpenFiles  int
	// ListLimit is the getListing batch size (dfs.ls.limit, 1000).
	ListLimit int
}

func (o *Options) setDefaults() error {
	if o.FS == nil {
		return errors.New("namenode: Options.FS is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DataNode.IPAddr == "" {
		o.DataNode.IPAddr = "127.0.0.1"
	}
	if o.DataNode.Hostname == "" {
		o.DataNode.Hostname = o.DataNode.IPAddr
	}
	if o.DataNode.UUID == "" {
		o.DataNode.UUID = "emrfsd-dn-1"
	}
	if o.DataNode.XferPort == 0 {
		o.DataNode.XferPort = 9866
	}
	if o.DataNode.InfoPort == 0 {
		o.DataNode.InfoPort = 9864
	}
	if o.DataNode.IPCPort == 0 {
		o.DataNode.IPCPort = 9867
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
	if o.PoolID == "" {
		o.PoolID = "BP-emrfsd-1"
	}
	if o.ClusterID == "" {
		o.ClusterID = "CID-emrfsd"
	}
	if o.ID == "" {
		o.ID = "nn-emrfsd-1"
	}
	if o.Capacity <= 0 {
		o.Capacity = 1 << 50
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = 16 << 20
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.FrameTimeout <= 0 {
		o.FrameTimeout = 30 * time.Second
	}
	if o.MaxCallsPerConn <= 0 {
		o.MaxCallsPerConn = 32
	}
	if o.MaxReadBlocks <= 0 {
		o.MaxReadBlocks = 65536
	}
	if o.MaxOpenFiles <= 0 {
		o.MaxOpenFiles = 1024
	}
	if o.ListLimit <= 0 {
		o.ListLimit = 1000
	}
	return nil
}
