package namenode

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/dfs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

const (
	// unlimited is a quota of -1 in the unsigned proto fields.
	unlimited = ^uint64(0)
)

func millis(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixMilli())
}

// status encodes a path's status. name is the local name in listings and
// empty for single-path answers.
func (s *Server) status(st dfs.Status, name []byte) *hdfspb.HdfsFileStatusProto {
	if name == nil {
		name = []byte{}
	}
	out := &hdfspb.HdfsFileStatusProto{
		FileType:         hdfspb.HdfsFileStatusProto_IS_FILE.Enum(),
		Path:             name,
		Length:           proto.Uint64(uint64(max(st.Size, 0))),
		Permission:       &hdfspb.FsPermissionProto{Perm: proto.Uint32(st.Perm & 07777)},
		Owner:            proto.String(st.Owner),
		Group:            proto.String(st.Group),
		ModificationTime: proto.Uint64(millis(st.ModTime)),
		AccessTime:       proto.Uint64(millis(st.AccessTime)),
		FileId:           proto.Uint64(st.FileID),
		StoragePolicy:    proto.Uint32(0),
		Flags:            proto.Uint32(0),
		BlockReplication: proto.Uint32(uint32(st.Replication)),
		Blocksize:        proto.Uint64(uint64(st.BlockSize)),
	}
	if st.IsDir {
		out.FileType = hdfspb.HdfsFileStatusProto_IS_DIR.Enum()
		out.Length = proto.Uint64(0)
	}
	return out
}

// connAddrKey carries the local IP of the call's connection in its context.
type connAddrKey struct{}

// datanodeInfo describes emrfsd's DataNode as the caller must reach it.
func (s *Server) datanodeInfo(ctx context.Context) *hdfspb.DatanodeInfoProto {
	d := s.opts.DataNode
	if ip, ok := ctx.Value(connAddrKey{}).(string); ok && d.FromConn {
		d.IPAddr, d.Hostname = ip, ip
	}
	capacity := uint64(s.opts.Capacity)
	return &hdfspb.DatanodeInfoProto{
		Id: &hdfspb.DatanodeIDProto{
			IpAddr:       proto.String(d.IPAddr),
			HostName:     proto.String(d.Hostname),
			DatanodeUuid: proto.String(d.UUID),
			XferPort:     proto.Uint32(uint32(d.XferPort)),
			InfoPort:     proto.Uint32(uint32(d.InfoPort)),
			IpcPort:      proto.Uint32(uint32(d.IPCPort)),
		},
		Capacity:      proto.Uint64(capacity),
		DfsUsed:       proto.Uint64(0),
		Remaining:     proto.Uint64(capacity),
		BlockPoolUsed: proto.Uint64(0),
		LastUpdate:    proto.Uint64(uint64(time.Now().UnixMilli())),
		XceiverCount:  proto.Uint32(0),
		Location:      proto.String("/default-rack"),
		AdminState:    hdfspb.DatanodeInfoProto_NORMAL.Enum(),
	}
}

// tokenProto encodes a block token (every field set, empty when tokens are
// off: the field is required).
func tokenProto(t blocks.Token) *commonpb.TokenProto {
	id, pw := t.Identifier, t.Password
	if id == nil {
		id = []byte{}
	}
	if pw == nil {
		pw = []byte{}
	}
	return &commonpb.TokenProto{Identifier: id, Password: pw, Kind: proto.String(t.Kind), Service: proto.String(t.Service)}
}

// locatedBlock describes one block on emrfsd's DataNode.
func (s *Server) locatedBlock(ctx context.Context, id, gs, fileOff, n int64, tok blocks.Token) *hdfspb.LocatedBlockProto {
	return &hdfspb.LocatedBlockProto{
		B: &hdfspb.ExtendedBlockProto{
			PoolId:          proto.String(s.blocks.PoolID()),
			BlockId:         proto.Uint64(uint64(id)),
			GenerationStamp: proto.Uint64(uint64(gs)),
			NumBytes:        proto.Uint64(uint64(n)),
		},
		Offset:       proto.Uint64(uint64(fileOff)),
		Locs:         []*hdfspb.DatanodeInfoProto{s.datanodeInfo(ctx)},
		Corrupt:      proto.Bool(false),
		BlockToken:   tokenProto(tok),
		IsCached:     []bool{false},
		StorageTypes: []hdfspb.StorageTypeProto{hdfspb.StorageTypeProto_DISK},
		StorageIDs:   []string{blocks.StorageID()},
	}
}

// locatedBlocks lists the blocks of a closed file overlapping
// [off, off+length). Every file gets an answer, even an empty one.
func (s *Server) locatedBlocks(ctx context.Context, user string, st dfs.Status, off, length int64) *hdfspb.LocatedBlocksProto {
	bs := st.BlockSize
	size := max(st.Size, 0)
	lb := &hdfspb.LocatedBlocksProto{
		FileLength:          proto.Uint64(uint64(size)),
		UnderConstruction:   proto.Bool(false),
		IsLastBlockComplete: proto.Bool(true),
	}
	if size == 0 {
		return lb
	}
	nblocks := (size + bs - 1) / bs
	block := func(i int64) *hdfspb.LocatedBlockProto {
		start := i * bs
		n := min(bs, size-start)
		id, gs := s.blocks.ReadID(st.Path, st.ETag, bs, i, start, n)
		return s.locatedBlock(ctx, id, gs, start, n, s.blocks.ReadToken(user, id, st.Path, st.ETag, start, n))
	}
	if off < 0 {
		off = 0
	}
	end := size
	if length >= 0 && off+length < size && off+length >= off {
		end = off + length
	}
	for i := off / bs; i < nblocks && i*bs < end; i++ {
		lb.Blocks = append(lb.Blocks, block(i))
	}
	// Java asks for at least one block even with length 0.
	if len(lb.Blocks) == 0 && off < size {
		lb.Blocks = append(lb.Blocks, block(off/bs))
	}
	if n := len(lb.Blocks); n > 0 && lb.Blocks[n-1].GetOffset()/uint64(bs) == uint64(nblocks-1) {
		lb.LastBlock = lb.Blocks[n-1]
	} else {
		lb.LastBlock = block(nblocks - 1)
	}
	return lb
}
