package namenode

import (
	"context"
	"errors"
	iofs "io/fs"
	"path"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// cleanPath validates and normalises an absolute HDFS path.
func cleanPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", failf(errInvalidPath, "Invalid path name Invalid file name: %s", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." || strings.ContainsRune(el, 0) {
			return "", failf(errInvalidPath, "Invalid path name Invalid file name: %s", p)
		}
	}
	return path.Clean(p), nil
}

// missing reports errors meaning "no such path" (including a file used as
// a directory along the way).
func missing(err error) bool {
	return errors.Is(err, iofs.ErrNotExist) || errors.Is(err, errs.ErrNotDir)
}

// fileStat stats a path that must be an existing file.
func (s *Server) fileStat(ctx context.Context, c *caller, p string) (fs.FileInfo, error) {
	fi, err := c.stat(ctx, p)
	switch {
	case missing(err):
		return fi, failf(iofs.ErrNotExist, "File does not exist: %s", p)
	case err != nil:
		return fi, err
	case fi.IsDir:
		return fi, failf(iofs.ErrNotExist, "Path is not a file: %s", p)
	}
	return fi, nil
}

// anyStat stats a path that must exist.
func (s *Server) anyStat(ctx context.Context, c *caller, p string) (fs.FileInfo, error) {
	fi, err := c.stat(ctx, p)
	if missing(err) {
		return fi, failf(iofs.ErrNotExist, "File does not exist: %s", p)
	}
	return fi, err
}

// checkedPath cleans src and checks that the caller has access want on it.
func (s *Server) checkedPath(ctx context.Context, c *caller, src string, want int) (string, error) {
	p, err := cleanPath(src)
	if err != nil {
		return "", err
	}
	if err := c.checkOn(ctx, p, want); err != nil {
		return "", err
	}
	return p, nil
}

// existingPath cleans src and stats it: the path must exist (and its
// ancestors be traversable by the caller).
func (s *Server) existingPath(ctx context.Context, c *caller, src string) (string, error) {
	p, err := cleanPath(src)
	if err != nil {
		return "", err
	}
	if _, err := s.anyStat(ctx, c, p); err != nil {
		return "", err
	}
	return p, nil
}

// lookup answers getFileInfo and friends: nil status when missing. A file
// being written but not yet visible is shown with its bytes so far.
func (s *Server) lookup(ctx context.Context, c *caller, src string, locate bool) (*hdfspb.HdfsFileStatusProto, error) {
	p, err := cleanPath(src)
	if err != nil {
		return nil, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return nil, err
	}
	fi, err := c.stat(ctx, p)
	if missing(err) {
		if f := s.leases.get(p); f != nil {
			f.mu.Lock()
			info, bs := f.info, f.blockSize
			if f.w != nil {
				info.Size = f.w.Written()
			}
			f.mu.Unlock()
			st := s.status(info, nil)
			st.Blocksize = proto.Uint64(uint64(bs))
			if locate {
				st.Locations = &hdfspb.LocatedBlocksProto{FileLength: proto.Uint64(0), UnderConstruction: proto.Bool(true),
					IsLastBlockComplete: proto.Bool(false)}
			}
			return st, nil
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := s.status(fi, nil)
	if locate && !fi.IsDir {
		st.Locations = s.locatedBlocks(fi, 0, fi.Size)
	}
	return st, nil
}

func (s *Server) getFileInfo(ctx context.Context, c *caller, req *hdfspb.GetFileInfoRequestProto) (*hdfspb.GetFileInfoResponseProto, error) {
	st, err := s.lookup(ctx, c, req.GetSrc(), false)
	return &hdfspb.GetFileInfoResponseProto{Fs: st}, err
}

func (s *Server) getFileLinkInfo(ctx context.Context, c *caller, req *hdfspb.GetFileLinkInfoRequestProto) (*hdfspb.GetFileLinkInfoResponseProto, error) {
	st, err := s.lookup(ctx, c, req.GetSrc(), false)
	return &hdfspb.GetFileLinkInfoResponseProto{Fs: st}, err
}

func (s *Server) getLocatedFileInfo(ctx context.Context, c *caller, req *hdfspb.GetLocatedFileInfoRequestProto) (*hdfspb.GetLocatedFileInfoResponseProto, error) {
	st, err := s.lookup(ctx, c, req.GetSrc(), true)
	return &hdfspb.GetLocatedFileInfoResponseProto{Fs: st}, err
}

func (s *Server) getListing(ctx context.Context, c *caller, req *hdfspb.GetListingRequestProto) (*hdfspb.GetListingResponseProto, error) {
	p, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	// A client continuing a listing it was allowed to start a moment ago
	// is not made to pay for the directory's stat and permission checks
	// again on every batch (S3 requests, not table lookups, here).
	fi, cont := s.listings.get(c.user, p, len(req.GetStartAfter()) > 0)
	if !cont {
		if err := c.traverse(ctx, p); err != nil {
			return nil, err
		}
		fi, err = c.stat(ctx, p)
		if missing(err) {
			return &hdfspb.GetListingResponseProto{}, nil
		}
		if err != nil {
			return nil, err
		}
	}
	need := req.GetNeedLocation()
	if !fi.IsDir {
		st := s.status(fi, nil)
		if need {
			st.Locations = s.locatedBlocks(fi, 0, fi.Size)
		}
		return &hdfspb.GetListingResponseProto{DirList: &hdfspb.DirectoryListingProto{
			PartialListing: []*hdfspb.HdfsFileStatusProto{st}, RemainingEntries: proto.Uint32(0)}}, nil
	}
	if !cont && c.checking() && !c.allowed(fi, permRead|permExec) {
		return nil, c.denied(p, fi, permRead|permExec)
	}
	children, more, err := s.opts.FS.List(ctx, p, string(req.GetStartAfter()), s.opts.ListLimit)
	if err != nil {
		if missing(err) {
			return &hdfspb.GetListingResponseProto{}, nil
		}
		return nil, err
	}
	dl := &hdfspb.DirectoryListingProto{PartialListing: make([]*hdfspb.HdfsFileStatusProto, 0, len(children)), RemainingEntries: proto.Uint32(0)}
	for _, ch := range children {
		st := s.status(ch, []byte(ch.Name))
		if need && !ch.IsDir {
			st.Locations = s.locatedBlocks(ch, 0, ch.Size)
		}
		dl.PartialListing = append(dl.PartialListing, st)
	}
	if more {
		// The exact count is unknown without listing everything; clients
		// only test for non-zero.
		dl.RemainingEntries = proto.Uint32(1)
		s.listings.put(c.user, p, fi)
	}
	return &hdfspb.GetListingResponseProto{DirList: dl}, nil
}

func (s *Server) getBlockLocations(ctx context.Context, c *caller, req *hdfspb.GetBlockLocationsRequestProto) (*hdfspb.GetBlockLocationsResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permRead)
	if err != nil {
		return nil, err
	}
	fi, err := s.fileStat(ctx, c, p)
	if err != nil {
		return nil, err
	}
	off, length := int64(req.GetOffset()), int64(req.GetLength())
	if off < 0 || length < 0 {
		return nil, failf(errIllegalArgument, "Negative offset or length is not supported. File: %s", p)
	}
	return &hdfspb.GetBlockLocationsResponseProto{Locations: s.locatedBlocks(fi, off, length)}, nil
}

func (s *Server) getServerDefaults(ctx context.Context, c *caller, req *hdfspb.GetServerDefaultsRequestProto) (*hdfspb.GetServerDefaultsResponseProto, error) {
	return &hdfspb.GetServerDefaultsResponseProto{ServerDefaults: &hdfspb.FsServerDefaultsProto{
		BlockSize:                proto.Uint64(uint64(s.opts.BlockSize)),
		BytesPerChecksum:         proto.Uint32(512),
		WritePacketSize:          proto.Uint32(64 << 10),
		Replication:              proto.Uint32(uint32(s.opts.Replication)),
		FileBufferSize:           proto.Uint32(4096),
		EncryptDataTransfer:      proto.Bool(false),
		TrashInterval:            proto.Uint64(0),
		ChecksumType:             hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C.Enum(),
		KeyProviderUri:           proto.String(""),
		PolicyId:                 proto.Uint32(0),
		SnapshotTrashRootEnabled: proto.Bool(false),
	}}, nil
}

func (s *Server) mkdirs(ctx context.Context, c *caller, req *hdfspb.MkdirsRequestProto) (*hdfspb.MkdirsResponseProto, error) {
	ok := &hdfspb.MkdirsResponseProto{Result: proto.Bool(true)}
	p, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	if err := c.checkAncestor(ctx, p); err != nil {
		return nil, err
	}
	fi, err := c.stat(ctx, p)
	switch {
	case err == nil && fi.IsDir:
		return ok, nil
	case err == nil:
		return nil, failf(iofs.ErrExist, "Path is not a directory: %s", p)
	case !missing(err):
		return nil, err
	}
	group := c.primaryGroup()
	parent := path.Dir(p)
	pfi, err := c.stat(ctx, parent)
	switch {
	case err == nil && !pfi.IsDir:
		return nil, failf(errs.ErrNotDir, "%s (is not a directory)", parent)
	case err == nil:
		group = pfi.Group
	case missing(err) && !req.GetCreateParent():
		return nil, failf(iofs.ErrNotExist, "Parent directory doesn't exist: %s", parent)
	case !missing(err):
		return nil, err
	}
	if err := s.opts.FS.Mkdirs(ctx, p, req.GetMasked().GetPerm()&07777, c.user, group, req.GetCreateParent()); err != nil {
		return nil, err
	}
	return ok, nil
}

func (s *Server) delete(ctx context.Context, c *caller, req *hdfspb.DeleteRequestProto) (*hdfspb.DeleteResponseProto, error) {
	p, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	if p == "/" {
		// HDFS never deletes the root.
		return &hdfspb.DeleteResponseProto{Result: proto.Bool(false)}, nil
	}
	if err := c.checkRemove(ctx, p); err != nil {
		return nil, err
	}
	deleted, err := s.opts.FS.Delete(ctx, p, req.GetRecursive())
	if err != nil {
		if errors.Is(err, errs.ErrNotEmpty) {
			return nil, failf(errs.ErrNotEmpty, "`%s is non empty': Directory is not empty", p)
		}
		return nil, err
	}
	// Files being written below p are deleted too (their writers get
	// LeaseExpiredException), as in HDFS.
	for _, f := range s.leases.under(p) {
		if f.path == p || req.GetRecursive() || deleted {
			s.abort(ctx, f, "deleted")
			deleted = true
		}
	}
	return &hdfspb.DeleteResponseProto{Result: proto.Bool(deleted)}, nil
}

// busy refuses renames involving files being written (their uploads are
// bound to their keys).
func (s *Server) busy(p string) error {
	if fs := s.leases.under(p); len(fs) > 0 {
		return failf(errIOMessage, "cannot rename %s: %s is being written", p, fs[0].path)
	}
	return nil
}

func (s *Server) rename(ctx context.Context, c *caller, req *hdfspb.RenameRequestProto) (*hdfspb.RenameResponseProto, error) {
	no := &hdfspb.RenameResponseProto{Result: proto.Bool(false)}
	yes := &hdfspb.RenameResponseProto{Result: proto.Bool(true)}
	src, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	dst, err := cleanPath(req.GetDst())
	if err != nil {
		return nil, err
	}
	if src == "/" {
		return no, nil
	}
	if err := c.checkRemove(ctx, src); err != nil {
		return nil, err
	}
	if _, err := c.stat(ctx, src); err != nil {
		if missing(err) {
			return no, nil
		}
		return nil, err
	}
	if src == dst {
		return yes, nil
	}
	if err := s.busy(src); err != nil {
		return nil, err
	}
	target := dst
	if dfi, err := c.stat(ctx, dst); err == nil && dfi.IsDir {
		target = path.Join(dst, path.Base(src))
	} else if err != nil && !missing(err) {
		return nil, err
	}
	if target == src {
		return yes, nil
	}
	if strings.HasPrefix(target, src+"/") {
		return no, nil
	}
	if _, err := c.stat(ctx, target); err == nil {
		return no, nil
	} else if !missing(err) {
		return nil, err
	}
	if pfi, err := c.stat(ctx, path.Dir(target)); missing(err) || (err == nil && !pfi.IsDir) {
		return no, nil
	} else if err != nil {
		return nil, err
	}
	if err := c.checkAncestor(ctx, target); err != nil {
		return nil, err
	}
	if err := s.opts.FS.Rename(ctx, src, target, false); err != nil {
		if missing(err) || errors.Is(err, iofs.ErrExist) {
			s.log.Info("rename refused", "src", src, "dst", target, "err", err)
			return no, nil
		}
		return nil, err
	}
	return yes, nil
}

func (s *Server) rename2(ctx context.Context, c *caller, req *hdfspb.Rename2RequestProto) (*hdfspb.Rename2ResponseProto, error) {
	src, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	dst, err := cleanPath(req.GetDst())
	if err != nil {
		return nil, err
	}
	switch {
	case src == dst:
		return nil, failf(iofs.ErrExist, "The source %s and destination %s are the same", src, dst)
	case src == "/":
		return nil, failf(errIOMessage, "Rename source / is the root")
	case dst == "/":
		return nil, failf(errIOMessage, "Rename destination / is the root")
	case strings.HasPrefix(dst, src+"/"):
		return nil, failf(errIOMessage, "Rename destination %s is a directory or file under source %s", dst, src)
	}
	if err := c.checkRemove(ctx, src); err != nil {
		return nil, err
	}
	sfi, err := c.stat(ctx, src)
	if missing(err) {
		return nil, failf(iofs.ErrNotExist, "rename source %s is not found.", src)
	} else if err != nil {
		return nil, err
	}
	if err := s.busy(src); err != nil {
		return nil, err
	}
	overwrite := req.GetOverwriteDest()
	dfi, err := c.stat(ctx, dst)
	switch {
	case err == nil:
		if !overwrite {
			return nil, failf(iofs.ErrExist, "rename destination %s already exists", dst)
		}
		if dfi.IsDir != sfi.IsDir {
			kind := "files"
			if sfi.IsDir {
				kind = "directories"
			}
			return nil, failf(errIOMessage, "Source %s and destination %s must both be %s", src, dst, kind)
		}
		if dfi.IsDir {
			children, _, err := s.opts.FS.List(ctx, dst, "", 1)
			if err != nil {
				return nil, err
			}
			if len(children) > 0 {
				return nil, failf(errIOMessage, "rename destination directory is not empty: %s", dst)
			}
		}
		if err := c.checkRemove(ctx, dst); err != nil {
			return nil, err
		}
		if err := s.busy(dst); err != nil {
			return nil, err
		}
	case missing(err):
		parent := path.Dir(dst)
		pfi, err := c.stat(ctx, parent)
		switch {
		case missing(err):
			return nil, failf(iofs.ErrNotExist, "rename destination parent %s not found.", parent)
		case err != nil:
			return nil, err
		case !pfi.IsDir:
			return nil, failf(errs.ErrNotDir, "rename destination parent %s is a file.", parent)
		}
	default:
		return nil, err
	}
	if err := c.checkAncestor(ctx, dst); err != nil {
		return nil, err
	}
	if err := s.opts.FS.Rename(ctx, src, dst, overwrite); err != nil {
		return nil, err
	}
	return &hdfspb.Rename2ResponseProto{}, nil
}

func (s *Server) summary(ctx context.Context, c *caller, src string) (fs.Summary, error) {
	p, err := cleanPath(src)
	if err != nil {
		return fs.Summary{}, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return fs.Summary{}, err
	}
	fi, err := s.anyStat(ctx, c, p)
	if err != nil {
		return fs.Summary{}, err
	}
	if fi.IsDir && c.checking() && !c.allowed(fi, permRead|permExec) {
		return fs.Summary{}, c.denied(p, fi, permRead|permExec)
	}
	return s.opts.FS.ContentSummary(ctx, p)
}

func (s *Server) getContentSummary(ctx context.Context, c *caller, req *hdfspb.GetContentSummaryRequestProto) (*hdfspb.GetContentSummaryResponseProto, error) {
	sum, err := s.summary(ctx, c, req.GetPath())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetContentSummaryResponseProto{Summary: &hdfspb.ContentSummaryProto{
		Length:         proto.Uint64(uint64(sum.Length)),
		FileCount:      proto.Uint64(uint64(sum.Files)),
		DirectoryCount: proto.Uint64(uint64(sum.Directories)),
		Quota:          proto.Uint64(unlimited),
		SpaceConsumed:  proto.Uint64(uint64(sum.Length) * uint64(s.opts.Replication)),
		SpaceQuota:     proto.Uint64(unlimited),
	}}, nil
}

func (s *Server) getQuotaUsage(ctx context.Context, c *caller, req *hdfspb.GetQuotaUsageRequestProto) (*hdfspb.GetQuotaUsageResponseProto, error) {
	sum, err := s.summary(ctx, c, req.GetPath())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetQuotaUsageResponseProto{Usage: &hdfspb.QuotaUsageProto{
		FileAndDirectoryCount: proto.Uint64(uint64(sum.Files + sum.Directories)),
		Quota:                 proto.Uint64(unlimited),
		SpaceConsumed:         proto.Uint64(uint64(sum.Length) * uint64(s.opts.Replication)),
		SpaceQuota:            proto.Uint64(unlimited),
	}}, nil
}

func (s *Server) getFsStats(ctx context.Context, c *caller, req *hdfspb.GetFsStatusRequestProto) (*hdfspb.GetFsStatsResponseProto, error) {
	capacity := uint64(s.opts.Capacity)
	return &hdfspb.GetFsStatsResponseProto{
		Capacity: proto.Uint64(capacity), Used: proto.Uint64(0), Remaining: proto.Uint64(capacity),
		UnderReplicated: proto.Uint64(0), CorruptBlocks: proto.Uint64(0), MissingBlocks: proto.Uint64(0),
	}, nil
}

func (s *Server) getPreferredBlockSize(ctx context.Context, c *caller, req *hdfspb.GetPreferredBlockSizeRequestProto) (*hdfspb.GetPreferredBlockSizeResponseProto, error) {
	p, err := cleanPath(req.GetFilename())
	if err != nil {
		return nil, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return nil, err
	}
	if f := s.leases.get(p); f != nil {
		return &hdfspb.GetPreferredBlockSizeResponseProto{Bsize: proto.Uint64(uint64(f.blockSize))}, nil
	}
	if _, err := s.fileStat(ctx, c, p); err != nil {
		return nil, err
	}
	return &hdfspb.GetPreferredBlockSizeResponseProto{Bsize: proto.Uint64(uint64(s.opts.BlockSize))}, nil
}

func (s *Server) setPermission(ctx context.Context, c *caller, req *hdfspb.SetPermissionRequestProto) (*hdfspb.SetPermissionResponseProto, error) {
	p, err := s.existingPath(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	if err := c.checkOwner(ctx, p); err != nil {
		return nil, err
	}
	perm := req.GetPermission().GetPerm() & 07777
	if err := s.opts.FS.SetAttrs(ctx, p, fs.Attrs{Perm: &perm}); err != nil {
		return nil, err
	}
	s.listings.forget(p)
	return &hdfspb.SetPermissionResponseProto{}, nil
}

func (s *Server) setOwner(ctx context.Context, c *caller, req *hdfspb.SetOwnerRequestProto) (*hdfspb.SetOwnerResponseProto, error) {
	p, err := s.existingPath(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	var a fs.Attrs
	if u := req.GetUsername(); u != "" {
		a.Owner = &u
	}
	if g := req.GetGroupname(); g != "" {
		a.Group = &g
	}
	if a.Owner == nil && a.Group == nil {
		return nil, failf(errIllegalArgument, "User name or group name must be specified to set the owner of %s", p)
	}
	if err := c.checkOwner(ctx, p); err != nil {
		return nil, err
	}
	if c.checking() {
		if a.Owner != nil && *a.Owner != c.user {
			return nil, failf(errDenied, "User %s is not a super user (non-super user cannot change owner).", c.user)
		}
		if a.Group != nil && !c.inGroup(*a.Group) {
			return nil, failf(errDenied, "User %s does not belong to %s", c.user, *a.Group)
		}
	}
	if err := s.opts.FS.SetAttrs(ctx, p, a); err != nil {
		return nil, err
	}
	s.listings.forget(p)
	return &hdfspb.SetOwnerResponseProto{}, nil
}

func (s *Server) setTimes(ctx context.Context, c *caller, req *hdfspb.SetTimesRequestProto) (*hdfspb.SetTimesResponseProto, error) {
	p, err := s.existingPath(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	if err := c.checkOn(ctx, p, permWrite); err != nil {
		return nil, err
	}
	var a fs.Attrs
	// -1 (all bits set) leaves a time unchanged.
	if m := int64(req.GetMtime()); m >= 0 {
		t := time.UnixMilli(m)
		a.ModTime = &t
	}
	if at := int64(req.GetAtime()); at >= 0 {
		t := time.UnixMilli(at)
		a.AccessTime = &t
	}
	if a.ModTime == nil && a.AccessTime == nil {
		return &hdfspb.SetTimesResponseProto{}, nil
	}
	if err := s.opts.FS.SetAttrs(ctx, p, a); err != nil {
		return nil, err
	}
	return &hdfspb.SetTimesResponseProto{}, nil
}

func (s *Server) setReplication(ctx context.Context, c *caller, req *hdfspb.SetReplicationRequestProto) (*hdfspb.SetReplicationResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permWrite)
	if err != nil {
		return nil, err
	}
	// S3 manages redundancy; the call succeeds for files and changes
	// nothing (HDFS answers false for directories and missing paths).
	fi, err := c.stat(ctx, p)
	if missing(err) || (err == nil && fi.IsDir) {
		return &hdfspb.SetReplicationResponseProto{Result: proto.Bool(false)}, nil
	}
	if err != nil {
		return nil, err
	}
	return &hdfspb.SetReplicationResponseProto{Result: proto.Bool(true)}, nil
}

func (s *Server) checkAccess(ctx context.Context, c *caller, req *hdfspb.CheckAccessRequestProto) (*hdfspb.CheckAccessResponseProto, error) {
	p, err := s.existingPath(ctx, c, req.GetPath())
	if err != nil {
		return nil, err
	}
	if err := c.checkOn(ctx, p, int(req.GetMode())&7); err != nil {
		return nil, err
	}
	return &hdfspb.CheckAccessResponseProto{}, nil
}

func (s *Server) getAclStatus(ctx context.Context, c *caller, req *hdfspb.GetAclStatusRequestProto) (*hdfspb.GetAclStatusResponseProto, error) {
	p, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return nil, err
	}
	fi, err := s.anyStat(ctx, c, p)
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetAclStatusResponseProto{Result: &hdfspb.AclStatusProto{
		Owner:      proto.String(fi.Owner),
		Group:      proto.String(fi.Group),
		Sticky:     proto.Bool(fi.Perm&01000 != 0),
		Permission: &hdfspb.FsPermissionProto{Perm: proto.Uint32(fi.Perm & 07777)},
	}}, nil
}

func (s *Server) setSafeMode(ctx context.Context, c *caller, req *hdfspb.SetSafeModeRequestProto) (*hdfspb.SetSafeModeResponseProto, error) {
	switch req.GetAction() {
	case hdfspb.SafeModeActionProto_SAFEMODE_GET:
	case hdfspb.SafeModeActionProto_SAFEMODE_ENTER:
		if err := c.checkSuper(); err != nil {
			return nil, err
		}
		return nil, failf(errors.ErrUnsupported, "emrfsd has no safe mode")
	default:
		if err := c.checkSuper(); err != nil {
			return nil, err
		}
	}
	return &hdfspb.SetSafeModeResponseProto{Result: proto.Bool(false)}, nil
}

func (s *Server) getDelegationToken(ctx context.Context, c *caller, req *commonpb.GetDelegationTokenRequestProto) (*commonpb.GetDelegationTokenResponseProto, error) {
	// Security is off: no token, as Hadoop answers in that case.
	return &commonpb.GetDelegationTokenResponseProto{}, nil
}

func (s *Server) getEZForPath(ctx context.Context, c *caller, req *hdfspb.GetEZForPathRequestProto) (*hdfspb.GetEZForPathResponseProto, error) {
	_, err := s.existingPath(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetEZForPathResponseProto{}, nil
}

func (s *Server) getErasureCodingPolicy(ctx context.Context, c *caller, req *hdfspb.GetErasureCodingPolicyRequestProto) (*hdfspb.GetErasureCodingPolicyResponseProto, error) {
	_, err := s.existingPath(ctx, c, req.GetSrc())
	if err != nil {
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

func (s *Server) getStoragePolicy(ctx context.Context, c *caller, req *hdfspb.GetStoragePolicyRequestProto) (*hdfspb.GetStoragePolicyResponseProto, error) {
	_, err := s.existingPath(ctx, c, req.GetPath())
	if err != nil {
		return nil, err
	}
	return &hdfspb.GetStoragePolicyResponseProto{StoragePolicy: hotPolicy()}, nil
}

func (s *Server) getStoragePolicies(ctx context.Context, c *caller, req *hdfspb.GetStoragePoliciesRequestProto) (*hdfspb.GetStoragePoliciesResponseProto, error) {
	return &hdfspb.GetStoragePoliciesResponseProto{Policies: []*hdfspb.BlockStoragePolicyProto{hotPolicy()}}, nil
}

func (s *Server) msync(ctx context.Context, c *caller, req *hdfspb.MsyncRequestProto) (*hdfspb.MsyncResponseProto, error) {
	return &hdfspb.MsyncResponseProto{}, nil
}

func (s *Server) getHAServiceState(ctx context.Context, c *caller, req *hdfspb.HAServiceStateRequestProto) (*hdfspb.HAServiceStateResponseProto, error) {
	return &hdfspb.HAServiceStateResponseProto{State: commonpb.HAServiceStateProto_ACTIVE.Enum()}, nil
}
