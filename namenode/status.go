package namenode

import (
	"hash/fnv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/fs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

const (
	rootFileID = 16385 // HDFS's root inode id
	storageID  = "DS-emrfsd-1"
	// unlimited is a quota of -1 in the unsigned proto fields.
	unlimited = ^uint64(0)
)

// fileID derives a stable inode id from a path: S3 has no inode numbers.
// Ids stay above HDFS's reserved range and below 2^62.
func fileID(p string) uint64 {
	if p == "/" {
		return rootFileID
	}
	h := fnv.New64a()
	h.Write([]byte(p))
	return (h.Sum64() & (1<<62 - 1)) | 1<<32
}

func millis(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixMilli())
}

// status converts a FileInfo. name is the local name in listings and empty
// for single-path answers.
func (s *Server) status(fi fs.FileInfo, name []byte) *hdfspb.HdfsFileStatusProto {
	if name == nil {
		name = []byte{}
	}
	st := &hdfspb.HdfsFileStatusProto{
		FileType:         hdfspb.HdfsFileStatusProto_IS_FILE.Enum(),
		Path:             name,
		Length:           proto.Uint64(uint64(max(fi.Size, 0))),
		Permission:       &hdfspb.FsPermissionProto{Perm: proto.Uint32(fi.Perm & 07777)},
		Owner:            proto.String(fi.Owner),
		Group:            proto.String(fi.Group),
		ModificationTime: proto.Uint64(millis(fi.ModTime)),
		AccessTime:       proto.Uint64(millis(fi.AccessTime)),
		FileId:           proto.Uint64(fileID(fi.Path)),
		StoragePolicy:    proto.Uint32(0),
		Flags:            proto.Uint32(0),
	}
	if fi.IsDir {
		st.FileType = hdfspb.HdfsFileStatusProto_IS_DIR.Enum()
		st.Length = proto.Uint64(0)
		st.BlockReplication = proto.Uint32(0)
		st.Blocksize = proto.Uint64(0)
	} else {
		st.BlockReplication = proto.Uint32(uint32(s.opts.Replication))
		st.Blocksize = proto.Uint64(uint64(s.opts.BlockSize))
	}
	return st
}

// datanodeInfo describes emrfsd's DataNode.
func (s *Server) datanodeInfo() *hdfspb.DatanodeInfoProto {
	d := s.opts.DataNode
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

// emptyToken is the block token sent with every block (security is off).
func emptyToken() *commonpb.TokenProto {
	return &commonpb.TokenProto{Identifier: []byte{}, Password: []byte{}, Kind: proto.String(""), Service: proto.String("")}
}

// locatedBlock describes one block on emrfsd's DataNode.
func (s *Server) locatedBlock(id, gs, fileOff, n int64) *hdfspb.LocatedBlockProto {
	return &hdfspb.LocatedBlockProto{
		B: &hdfspb.ExtendedBlockProto{
			PoolId:          proto.String(s.blocks.PoolID()),
			BlockId:         proto.Uint64(uint64(id)),
			GenerationStamp: proto.Uint64(uint64(gs)),
			NumBytes:        proto.Uint64(uint64(n)),
		},
		Offset:       proto.Uint64(uint64(fileOff)),
		Locs:         []*hdfspb.DatanodeInfoProto{s.datanodeInfo()},
		Corrupt:      proto.Bool(false),
		BlockToken:   emptyToken(),
		IsCached:     []bool{false},
		StorageTypes: []hdfspb.StorageTypeProto{hdfspb.StorageTypeProto_DISK},
		StorageIDs:   []string{storageID},
	}
}

// locatedBlocks lists the blocks of a closed file overlapping
// [off, off+length). Every file gets an answer, even an empty one.
func (s *Server) locatedBlocks(fi fs.FileInfo, off, length int64) *hdfspb.LocatedBlocksProto {
	bs := s.opts.BlockSize
	size := max(fi.Size, 0)
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
		id, gs := s.blocks.ReadID(fi.Path, fi.ETag, bs, i, start, n)
		return s.locatedBlock(id, gs, start, n)
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
