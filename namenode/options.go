package namenode

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/dfs"
)

// DataNode is the DataNode address advertised in block locations.
type DataNode struct {
	IPAddr   string // clients dial IPAddr:XferPort
	Hostname string // or Hostname:XferPort with dfs.client.use.datanode.hostname
	// FromConn advertises, to each client, the local address of its
	// NameNode connection (IPAddr and Hostname are ignored): the DataNode
	// listens on every address, and the one the client reached the
	// NameNode at reaches the DataNode too.
	FromConn bool
	UUID     string
	XferPort int
	InfoPort int
	IPCPort  int
}

// Options configure a NameNode server.
type Options struct {
	// Namespace applies the HDFS rules (required); the server registers
	// with it and never closes it.
	Namespace *dfs.Namespace
	Logger    *slog.Logger

	DataNode DataNode

	// Blocks is the block map shared with the DataNode. Nil: the server
	// makes its own from PoolID and MaxReadBlocks (see Server.Blocks).
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
	// CallTimeout bounds one call's work (default 15 min): a call is also
	// cancelled when its connection ends.
	CallTimeout time.Duration
	// MaxCallsPerConn bounds the calls in flight on one connection (32).
	MaxCallsPerConn int
	// MaxConns bounds the connections open at once (default 4096); more
	// are closed at accept.
	MaxConns int
	// MaxReadBlocks bounds the table of blocks handed out for reading
	// (default 65536) when the server makes its own.
	MaxReadBlocks int

	// Metrics, when set, receives emrfsd_namenode_rpc_calls_total,
	// emrfsd_namenode_rpc_duration_seconds and emrfsd_namenode_connections.
	Metrics prometheus.Registerer
}

func (o *Options) setDefaults() error {
	if o.Namespace == nil {
		return errors.New("namenode: Options.Namespace is required")
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
	if o.CallTimeout <= 0 {
		o.CallTimeout = 15 * time.Minute
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 4096
	}
	if o.MaxCallsPerConn <= 0 {
		o.MaxCallsPerConn = 32
	}
	if o.MaxReadBlocks <= 0 {
		o.MaxReadBlocks = 65536
	}
	return nil
}
