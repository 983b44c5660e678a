package namenode

import (
	"context"
	"errors"
	iofs "io/fs"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/dfs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// The namespace handlers decode a request, call the HDFS rules (package
// dfs) and encode the answer; no rule lives here.

func (s *Server) lookup(ctx context.Context, c *dfs.Caller, src string, locate bool) (*hdfspb.HdfsFileStatusProto, error) {
	st, err := s.ns.GetFileInfo(ctx, c, src)
	if err != nil || st == nil {
		return nil, err
	}
	out := s.status(*st, nil)
	if locate && !st.IsDir {
		out.Locations = s.locatedBlocks(ctx, c.User(), *st, 0, st.Size)
	}
	return out, nil
}

func (s *Server) getFileInfo(ctx context.Context, c *dfs.Caller, req *hdfspb.GetFileInfoRequestProto) (*hdfspb.GetFileInfoResponseProto, error) {
	st, err := s.lookup(ctx, c, req.GetSrc(), false)
	return &hdfspb.GetFileInfoResponseProto{Fs: st}, err
}

func (s *Server) getFileLinkInfo(ctx context.Context, c *dfs.Caller, req *hdfspb.GetFileLinkInfoRequestProto) (*hdfspb.GetFileLinkInfoResponseProto, error) {
	st, err := s.lookup(ctx, c, req.GetSrc(), false)
	return &hdfspb.GetFileLinkInfoResponseProto{Fs: st}, err
}

func (s *Server) getLocatedFileInfo(ctx context.Context, c *dfs.Caller, req *hdfspb.GetLocatedFileInfoRequestProto) (*hdfspb.GetLocatedFileInfoResponseProto, error) {
	st, err := s.lookup(ctx, c, req.GetSrc(), true)
	return &hdfspb.GetLocatedFileInfoResponseProto{Fs: st}, err
}

func (s *Server) getListing(ctx context.Context, c *dfs.Caller, req *hdfspb.GetListingRequestProto) (*hdfspb.GetListingResponseProto, error) {
	entries, more, err := s.ns.List(ctx, c, req.GetSrc(), string(req.GetStartAfter()))
	if errors.Is(err, iofs.ErrNotExist) {
		// HDFS answers a missing directory with no listing at all.
		return &hdfspb.GetListingResponseProto{}, nil
	}
	if err != nil {
		return nil, err
	}
	need := req.GetNeedLocation()
	dl := &hdfspb.DirectoryListingProto{PartialListing: make([]*hdfspb.HdfsFileStatusProto, 0, len(entries)), RemainingEntries: proto.Uint32(0)}
	for _, e := range entries {
		st := s.status(e, []byte(e.Name))
		if need && !e.IsDir {
			st.Locations = s.locatedBlocks(ctx, c.User(), e, 0, e.Size)
		}
		dl.PartialListing = append(dl.PartialListing, st)
	}
	if more {
		// The exact count is unknown without listing everything; clients
		// only test for non-zero.
		dl.RemainingEntries = proto.Uint32(1)
	}
	return &hdfspb.GetListingResponseProto{DirList: dl}, nil
}

func (s *Server) getBlockLocations(ctx context.Context, c *dfs.Caller, req *hdfspb.GetBlockLocationsRequestProto) (*hdfspb.GetBlockLocationsResponseProto, error) {
	st, err := s.ns.OpenRead(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	off, length := int64(req.GetOffset()), int64(req.GetLength())
	if off < 0 || length < 0 {
		return nil, dfs.Failf(dfs.ErrIllegalArgument, "Negative offset or length is not supported. File: %s", st.Path)
	}
	return &hdfspb.GetBlockLocationsResponseProto{Locations: s.locatedBlocks(ctx, c.User(), st, off, length)}, nil
}

func (s *Server) getServerDefaults(ctx context.Context, c *dfs.Caller, req *hdfspb.GetServerDefaultsRequestProto) (*hdfspb.GetServerDefaultsResponseProto, error) {
	o := s.ns.Options()
	return &hdfspb.GetServerDefaultsResponseProto{ServerDefaults: &hdfspb.FsServerDefaultsProto{
		BlockSize:           proto.Uint64(uint64(o.BlockSize)),
		BytesPerChecksum:    proto.Uint32(512),
		WritePacketSize:     proto.Uint32(64 << 10),
		Replication:         proto.Uint32(uint32(o.Replication)),
		FileBufferSize:      proto.Uint32(4096),
		EncryptDataTransfer: proto.Bool(false),
		TrashInterval:       proto.Uint64(uint64(o.TrashInterval / time.Minute)),
		ChecksumType:        hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C.Enum(),
		KeyProviderUri:      proto.String(""),
		PolicyId:            proto.Uint32(0),
		// Trash of a file in a bucket stays in that bucket (dfs/trash.go).
		SnapshotTrashRootEnabled: proto.Bool(true),
	}}, nil
}

// getSnapshottableDirListing reports the bucket roots: with
// snapshotTrashRootEnabled the client then keeps a file's trash in its
// bucket (/BUCKET/.Trash/USER). emrfsd takes no snapshots.
func (s *Server) getSnapshottableDirListing(ctx context.Context, c *dfs.Caller, req *hdfspb.GetSnapshottableDirListingRequestProto) (*hdfspb.GetSnapshottableDirListingResponseProto, error) {
	roots, err := s.ns.BucketRoots(ctx, c)
	if err != nil {
		return nil, err
	}
	l := &hdfspb.SnapshottableDirectoryListingProto{}
	for _, r := range roots {
		l.SnapshottableDirListing = append(l.SnapshottableDirListing, &hdfspb.SnapshottableDirectoryStatusProto{
			DirStatus:      s.status(r, []byte(r.Name)),
			SnapshotQuota:  proto.Uint32(0),
			SnapshotNumber: proto.Uint32(0),
			ParentFullpath: []byte("/"),
		})
	}
	if len(l.SnapshottableDirListing) == 0 {
		return &hdfspb.GetSnapshottableDirListingResponseProto{}, nil
	}
	return &hdfspb.GetSnapshottableDirListingResponseProto{SnapshottableDirList: l}, nil
}

func (s *Server) mkdirs(ctx context.Context, c *dfs.Caller, req *hdfspb.MkdirsRequestProto) (*hdfspb.MkdirsResponseProto, error) {
	if err := s.ns.Mkdirs(ctx, c, req.GetSrc(), req.GetMasked().GetPerm(), req.GetCreateParent()); err != nil {
		return nil, err
	}
	return &hdfspb.MkdirsResponseProto{Result: proto.Bool(true)}, nil
}

func (s *Server) delete(ctx context.Context, c *dfs.Caller, req *hdfspb.DeleteRequestProto) (*hdfspb.DeleteResponseProto, error) {
	ok, err := s.ns.Delete(ctx, c, req.GetSrc(), req.GetRecursive())
	if err != nil {
		return nil, err
	}
	return &hdfspb.DeleteResponseProto{Result: proto.Bool(ok)}, nil
}

func (s *Server) rename(ctx context.Context, c *dfs.Caller, req *hdfspb.RenameRequestProto) (*hdfspb.RenameResponseProto, error) {
	ok, err := s.ns.Rename(ctx, c, req.GetSrc(), req.GetDst())
	if err != nil {
		return nil, err
	}
	return &hdfspb.RenameResponseProto{Result: proto.Bool(ok)}, nil
}

func (s *Server) rename2(ctx context.Context, c *dfs.Caller, req *hdfspb.Rename2RequestProto) (*hdfspb.Rename2ResponseProto, error) {
	if err := s.ns.Rename2(ctx, c, req.GetSrc(), req.GetDst(), req.GetOverwriteDest()); err != nil {
		return nil, err
	}
	return &hdfspb.Rename2ResponseProto{}, nil
}

func (s *Server) getContentSummary(ctx context.Context, c *dfs.Caller, req *hdfspb.GetContentSummaryRequestProto) (*hdfspb.GetContentSummaryResponseProto, error) {
	sum, err := s.ns.ContentSummary(ctx, c, req.GetPath())
	if err != nil {
		return nil, err
	}
	repl := uint64(s.ns.Options().Replication)
	return &hdfspb.GetContentSummaryResponseProto{Summary: &hdfspb.ContentSummaryProto{
		Length:         proto.Uint64(uint64(sum.Length)),
		FileCount:      proto.Uint64(uint64(sum.Files)),
		DirectoryCount: proto.Uint64(uint64(sum.Directories)),
		Quota:          proto.Uint64(unlimited),
		SpaceConsumed:  proto.Uint64(uint64(sum.Length) * repl),
		SpaceQuota:     proto.Uint64(unlimited),
	}}, nil
}

func (s *Server) getQuotaUsage(ctx context.Context, c *dfs.Caller, req *hdfspb.GetQuotaUsageRequestProto) (*hdfspb.GetQuotaUsageResponseProto, error) {
	sum, err := s.ns.ContentSummary(ctx, c, req.GetPath())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetQuotaUsageResponseProto{Usage: &hdfspb.QuotaUsageProto{
		FileAndDirectoryCount: proto.Uint64(uint64(sum.Files + sum.Directories)),
		Quota:                 proto.Uint64(unlimited),
		SpaceConsumed:         proto.Uint64(uint64(sum.Length) * uint64(s.ns.Options().Replication)),
		SpaceQuota:            proto.Uint64(unlimited),
	}}, nil
}

func (s *Server) getFsStats(ctx context.Context, c *dfs.Caller, req *hdfspb.GetFsStatusRequestProto) (*hdfspb.GetFsStatsResponseProto, error) {
	capacity := uint64(s.opts.Capacity)
	return &hdfspb.GetFsStatsResponseProto{
		Capacity: proto.Uint64(capacity), Used: proto.Uint64(0), Remaining: proto.Uint64(capacity),
		UnderReplicated: proto.Uint64(0), CorruptBlocks: proto.Uint64(0), MissingBlocks: proto.Uint64(0),
	}, nil
}

func (s *Server) getPreferredBlockSize(ctx context.Context, c *dfs.Caller, req *hdfspb.GetPreferredBlockSizeRequestProto) (*hdfspb.GetPreferredBlockSizeResponseProto, error) {
	bs, err := s.ns.PreferredBlockSize(ctx, c, req.GetFilename())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetPreferredBlockSizeResponseProto{Bsize: proto.Uint64(uint64(bs))}, nil
}

func (s *Server) setPermission(ctx context.Context, c *dfs.Caller, req *hdfspb.SetPermissionRequestProto) (*hdfspb.SetPermissionResponseProto, error) {
	if err := s.ns.SetPermission(ctx, c, req.GetSrc(), req.GetPermission().GetPerm()); err != nil {
		return nil, err
	}
	return &hdfspb.SetPermissionResponseProto{}, nil
}

func (s *Server) setOwner(ctx context.Context, c *dfs.Caller, req *hdfspb.SetOwnerRequestProto) (*hdfspb.SetOwnerResponseProto, error) {
	if err := s.ns.SetOwner(ctx, c, req.GetSrc(), req.GetUsername(), req.GetGroupname()); err != nil {
		return nil, err
	}
	return &hdfspb.SetOwnerResponseProto{}, nil
}

func (s *Server) setTimes(ctx context.Context, c *dfs.Caller, req *hdfspb.SetTimesRequestProto) (*hdfspb.SetTimesResponseProto, error) {
	// -1 (all bits set) leaves a time unchanged.
	if err := s.ns.SetTimes(ctx, c, req.GetSrc(), int64(req.GetMtime()), int64(req.GetAtime())); err != nil {
		return nil, err
	}
	return &hdfspb.SetTimesResponseProto{}, nil
}

func (s *Server) setReplication(ctx context.Context, c *dfs.Caller, req *hdfspb.SetReplicationRequestProto) (*hdfspb.SetReplicationResponseProto, error) {
	ok, err := s.ns.SetReplication(ctx, c, req.GetSrc(), int(req.GetReplication()))
	if err != nil {
		return nil, err
	}
	return &hdfspb.SetReplicationResponseProto{Result: proto.Bool(ok)}, nil
}

func (s *Server) checkAccess(ctx context.Context, c *dfs.Caller, req *hdfspb.CheckAccessRequestProto) (*hdfspb.CheckAccessResponseProto, error) {
	if err := s.ns.CheckAccess(ctx, c, req.GetPath(), int(req.GetMode())); err != nil {
		return nil, err
	}
	return &hdfspb.CheckAccessResponseProto{}, nil
}

func (s *Server) getAclStatus(ctx context.Context, c *dfs.Caller, req *hdfspb.GetAclStatusRequestProto) (*hdfspb.GetAclStatusResponseProto, error) {
	st, err := s.ns.Stat(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetAclStatusResponseProto{Result: &hdfspb.AclStatusProto{
		Owner:      proto.String(st.Owner),
		Group:      proto.String(st.Group),
		Sticky:     proto.Bool(st.Perm&01000 != 0),
		Permission: &hdfspb.FsPermissionProto{Perm: proto.Uint32(st.Perm & 07777)},
	}}, nil
}

func (s *Server) setSafeMode(ctx context.Context, c *dfs.Caller, req *hdfspb.SetSafeModeRequestProto) (*hdfspb.SetSafeModeResponseProto, error) {
	switch req.GetAction() {
	case hdfspb.SafeModeActionProto_SAFEMODE_GET:
	case hdfspb.SafeModeActionProto_SAFEMODE_ENTER:
		if err := c.CheckSuper(); err != nil {
			return nil, err
		}
		return nil, dfs.Failf(errors.ErrUnsupported, "emrfsd has no safe mode")
	default:
		if err := c.CheckSuper(); err != nil {
			return nil, err
		}
	}
	return &hdfspb.SetSafeModeResponseProto{Result: proto.Bool(false)}, nil
}

func (s *Server) getDelegationToken(ctx context.Context, c *dfs.Caller, req *commonpb.GetDelegationTokenRequestProto) (*commonpb.GetDelegationTokenResponseProto, error) {
	// Security is off: no token, as Hadoop answers in that case.
	return &commonpb.GetDelegationTokenResponseProto{}, nil
}

func (s *Server) getEZForPath(ctx context.Context, c *dfs.Caller, req *hdfspb.GetEZForPathRequestProto) (*hdfspb.GetEZForPathResponseProto, error) {
	if _, err := s.ns.Stat(ctx, c, req.GetSrc()); err != nil {
		return nil, err
	}
	return &hdfspb.GetEZForPathResponseProto{}, nil
}

// getEnclosingRoot answers the bucket root for a path in a bucket, "/"
// otherwise (dfs.Namespace.EnclosingRoot).
func (s *Server) getEnclosingRoot(ctx context.Context, c *dfs.Caller, req *hdfspb.GetEnclosingRootRequestProto) (*hdfspb.GetEnclosingRootResponseProto, error) {
	root, err := s.ns.EnclosingRoot(ctx, c, req.GetFilename())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetEnclosingRootResponseProto{EnclosingRootPath: proto.String(root)}, nil
}

func (s *Server) getErasureCodingPolicy(ctx context.Context, c *dfs.Caller, req *hdfspb.GetErasureCodingPolicyRequestProto) (*hdfspb.GetErasureCodingPolicyResponseProto, error) {
	if _, err := s.ns.Stat(ctx, c, req.GetSrc()); err != nil {
		return nil, err
	}
	return &hdfspb.GetErasureCodingPolicyResponseProto{}, nil
}

// hotPolicy is HDFS's default storage policy.
func hotPolicy() *hdfspb.BlockStoragePolicyProto {
	return &hdfspb.BlockStoragePolicyProto{
		PolicyId:                  proto.Uint32(7),
		Name:                      proto.String("HOT"),
		CreationPolicy:            &hdfspb.StorageTypesProto{StorageTypes: []hdfspb.StorageTypeProto{hdfspb.StorageTypeProto_DISK}},
		CreationFallbackPolicy:    &hdfspb.StorageTypesProto{},
		ReplicationFallbackPolicy: &hdfspb.StorageTypesProto{StorageTypes: []hdfspb.StorageTypeProto{hdfspb.StorageTypeProto_ARCHIVE}},
	}
}

func (s *Server) getStoragePolicy(ctx context.Context, c *dfs.Caller, req *hdfspb.GetStoragePolicyRequestProto) (*hdfspb.GetStoragePolicyResponseProto, error) {
	if _, err := s.ns.Stat(ctx, c, req.GetPath()); err != nil {
		return nil, err
	}
	return &hdfspb.GetStoragePolicyResponseProto{StoragePolicy: hotPolicy()}, nil
}

func (s *Server) getStoragePolicies(ctx context.Context, c *dfs.Caller, req *hdfspb.GetStoragePoliciesRequestProto) (*hdfspb.GetStoragePoliciesResponseProto, error) {
	return &hdfspb.GetStoragePoliciesResponseProto{Policies: []*hdfspb.BlockStoragePolicyProto{hotPolicy()}}, nil
}

func (s *Server) msync(ctx context.Context, c *dfs.Caller, req *hdfspb.MsyncRequestProto) (*hdfspb.MsyncResponseProto, error) {
	return &hdfspb.MsyncResponseProto{}, nil
}

func (s *Server) getHAServiceState(ctx context.Context, c *dfs.Caller, req *hdfspb.HAServiceStateRequestProto) (*hdfspb.HAServiceStateResponseProto, error) {
	return &hdfspb.HAServiceStateResponseProto{State: commonpb.HAServiceStateProto_ACTIVE.Enum()}, nil
}
