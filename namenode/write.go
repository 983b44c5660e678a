package namenode

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/errs"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

const (
	flagCreate    = uint32(hdfspb.CreateFlagProto_CREATE)
	flagOverwrite = uint32(hdfspb.CreateFlagProto_OVERWRITE)
	flagAppend    = uint32(hdfspb.CreateFlagProto_APPEND)
)

func (s *Server) create(ctx context.Context, c *caller, req *hdfspb.CreateRequestProto) (*hdfspb.CreateResponseProto, error) {
	p, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	if p == "/" {
		return nil, failf(iofs.ErrExist, "/ already exists as a directory")
	}
	holder := req.GetClientName()
	flag := req.GetCreateFlag()
	overwrite := flag&flagOverwrite != 0
	if err := c.checkAncestor(ctx, p); err != nil {
		return nil, err
	}
	fi, err := c.stat(ctx, p)
	switch {
	case err == nil && fi.IsDir:
		return nil, failf(iofs.ErrExist, "%s already exists as a directory", p)
	case err == nil && flag&flagAppend != 0:
		return nil, appendUnsupported(p)
	case err == nil && !overwrite:
		return nil, failf(iofs.ErrExist, "%s for client %s already exists", p, holder)
	case err == nil:
		if err := c.checkOn(ctx, p, permWrite); err != nil {
			return nil, err
		}
	case errors.Is(err, iofs.ErrNotExist) || errors.Is(err, errs.ErrNotDir):
		if flag&(flagCreate|flagAppend) == 0 {
			return nil, failf(iofs.ErrNotExist, "File does not exist: %s", p)
		}
	default:
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
	case errors.Is(err, iofs.ErrNotExist) && !req.GetCreateParent():
		return nil, failf(iofs.ErrNotExist, "Parent directory doesn't exist: %s", parent)
	case errors.Is(err, iofs.ErrNotExist), errors.Is(err, errs.ErrNotDir):
	default:
		return nil, err
	}
	blockSize := int64(req.GetBlockSize())
	if blockSize <= 0 {
		blockSize = s.opts.BlockSize
	}
	if blockSize%512 != 0 {
		return nil, failf(errIllegalArgument, "block size %d is not a multiple of 512", blockSize)
	}
	now := time.Now()
	f := &openFile{path: p, id: fileID(p), holder: holder, blockSize: blockSize,
		info: fs.FileInfo{Path: p, Name: path.Base(p), ModTime: now, AccessTime: now,
			Owner: c.user, Group: group, Perm: req.GetMasked().GetPerm() & 07777}}
	for tries := 0; ; tries++ {
		existing, full := s.leases.reserve(f, s.opts.MaxOpenFiles)
		if full {
			return nil, fmt.Errorf("cannot create %s: too many files open for writing (limit %d)", p, s.opts.MaxOpenFiles)
		}
		if existing == nil {
			break
		}
		if existing.holder == holder {
			return nil, failf(errAlreadyBeingCreated,
				"failed to create file %s for %s for client %s because current leaseholder is trying to recreate file.", p, holder, c.user)
		}
		if tries > 0 || time.Since(s.leases.renewedAt(existing.holder)) < s.opts.LeaseSoftLimit {
			return nil, failf(errAlreadyBeingCreated,
				"Failed to CREATE_FILE %s for %s because this file lease is currently owned by %s", p, holder, existing.holder)
		}
		s.abort(ctx, existing, "lease soft limit expired and "+holder+" creates the file")
	}
	f.mu.Lock()
	w, err := s.opts.FS.Create(ctx, p, fs.CreateOptions{Overwrite: overwrite, CreateParent: req.GetCreateParent(), Checked: true,
		Perm: f.info.Perm, Owner: f.info.Owner, Group: f.info.Group})
	if err != nil {
		f.done = true
		f.mu.Unlock()
		s.leases.release(f)
		return nil, err
	}
	f.w = w
	f.mu.Unlock()
	c.forget()
	st := s.status(f.info, nil)
	st.Blocksize = proto.Uint64(uint64(blockSize))
	return &hdfspb.CreateResponseProto{Fs: st}, nil
}

func appendUnsupported(p string) error {
	return failf(errors.ErrUnsupported, "append to %s is not supported: S3 objects are immutable", p)
}

func (s *Server) append(ctx context.Context, c *caller, req *hdfspb.AppendRequestProto) (*hdfspb.AppendResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permWrite)
	if err != nil {
		return nil, err
	}
	if _, err := s.fileStat(ctx, c, p); err != nil {
		return nil, err
	}
	return nil, appendUnsupported(p)
}

// leaseFor finds the file src open by holder.
func (s *Server) leaseFor(src, holder string, id uint64) (*openFile, error) {
	p, err := cleanPath(src)
	if err != nil {
		return nil, err
	}
	f := s.leases.get(p)
	switch {
	case f == nil:
		return nil, failf(errLeaseExpired, "No lease on %s: File is not open for writing. Holder %s does not have any open files.", p, holder)
	case f.holder != holder:
		return nil, failf(errLeaseExpired, "No lease on %s: lease is held by %s, not %s", p, f.holder, holder)
	case id != 0 && id != f.id:
		return nil, failf(errLeaseExpired, "No lease on %s (inode %d): File does not exist. Holder %s does not have any open files.", p, id, holder)
	}
	s.leases.touch(holder)
	return f, nil
}

func (s *Server) addBlock(ctx context.Context, c *caller, req *hdfspb.AddBlockRequestProto) (*hdfspb.AddBlockResponseProto, error) {
	f, err := s.leaseFor(req.GetSrc(), req.GetClientName(), req.GetFileId())
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done || f.w == nil {
		return nil, failf(errLeaseExpired, "No lease on %s: file is no longer open for writing", f.path)
	}
	prev := req.GetPrevious()
	var off int64
	if n := len(f.blocks); n > 0 {
		last := f.blocks[n-1]
		// A retried addBlock: the last block was allocated, never written.
		if !last.ended && last.written == 0 && !last.busy &&
			((n == 1 && prev == nil) || (n > 1 && prev != nil && int64(prev.GetBlockId()) == f.blocks[n-2].id)) {
			return &hdfspb.AddBlockResponseProto{Block: s.locatedBlock(last.id, last.gs, last.off, 0)}, nil
		}
		switch {
		case prev == nil || int64(prev.GetBlockId()) != last.id:
			return nil, fmt.Errorf("addBlock on %s: previous block %d is not the last block %d", f.path, prev.GetBlockId(), last.id)
		case !last.ended:
			return nil, fmt.Errorf("addBlock on %s: previous block %d was not finalized by the DataNode", f.path, last.id)
		case last.written != f.blockSize || f.finished:
			return nil, fmt.Errorf("addBlock on %s: previous block %d is short (%d of %d bytes), so it must be the last", f.path, last.id, last.written, f.blockSize)
		case prev.NumBytes != nil && int64(prev.GetNumBytes()) != last.written:
			return nil, fmt.Errorf("addBlock on %s: previous block %d has %d bytes, client reports %d", f.path, last.id, last.written, prev.GetNumBytes())
		}
		off = last.off + last.written
	} else if prev != nil {
		return nil, fmt.Errorf("addBlock on %s: previous block %d given, but the file has no blocks", f.path, prev.GetBlockId())
	}
	b := &writeBlock{s: s, f: f, gs: blocks.FirstGenStamp, off: off}
	b.id = s.blocks.AddWrite(b)
	f.blocks = append(f.blocks, b)
	return &hdfspb.AddBlockResponseProto{Block: s.locatedBlock(b.id, b.gs, b.off, 0)}, nil
}

func (s *Server) abandonBlock(ctx context.Context, c *caller, req *hdfspb.AbandonBlockRequestProto) (*hdfspb.AbandonBlockResponseProto, error) {
	f, err := s.leaseFor(req.GetSrc(), req.GetHolder(), req.GetFileId())
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.blocks)
	if n == 0 || f.blocks[n-1].id != int64(req.GetB().GetBlockId()) {
		// Hadoop ignores abandoning a block that is not the last.
		return &hdfspb.AbandonBlockResponseProto{}, nil
	}
	last := f.blocks[n-1]
	if last.written > 0 || last.busy || last.ended {
		return nil, fmt.Errorf("cannot abandon block %d of %s: it already holds %d bytes and S3 uploads cannot be rewound", last.id, f.path, last.written)
	}
	f.blocks = f.blocks[:n-1]
	s.dropWrites([]*writeBlock{last})
	return &hdfspb.AbandonBlockResponseProto{}, nil
}

func (s *Server) complete(ctx context.Context, c *caller, req *hdfspb.CompleteRequestProto) (*hdfspb.CompleteResponseProto, error) {
	f, err := s.leaseFor(req.GetSrc(), req.GetClientName(), req.GetFileId())
	if err != nil {
		return nil, err
	}
	notYet := &hdfspb.CompleteResponseProto{Result: proto.Bool(false)}
	f.mu.Lock()
	if f.done || f.w == nil {
		f.mu.Unlock()
		return nil, failf(errLeaseExpired, "No lease on %s: file is no longer open for writing", f.path)
	}
	if n := len(f.blocks); n > 0 {
		last := f.blocks[n-1]
		if last.busy {
			f.mu.Unlock()
			return notYet, nil
		}
		if !last.ended && last.written == 0 {
			// Allocated, never used.
			f.blocks = f.blocks[:n-1]
			s.dropWrites([]*writeBlock{last})
		} else if !last.ended {
			f.mu.Unlock()
			return notYet, nil
		}
	}
	want := req.GetLast()
	if n := len(f.blocks); n > 0 && want != nil {
		last := f.blocks[n-1]
		if int64(want.GetBlockId()) != last.id || int64(want.GetNumBytes()) != last.written {
			f.mu.Unlock()
			return nil, fmt.Errorf("complete %s: last block %d (%d bytes) does not match the client's %d (%d bytes)",
				f.path, last.id, last.written, want.GetBlockId(), want.GetNumBytes())
		}
	} else if n == 0 && want.GetNumBytes() > 0 {
		f.mu.Unlock()
		return nil, fmt.Errorf("complete %s: client reports block %d with %d bytes, none were received", f.path, want.GetBlockId(), want.GetNumBytes())
	}
	f.done = true
	w, blocks := f.w, f.blocks
	f.mu.Unlock()
	err = w.Close(ctx)
	s.leases.release(f)
	s.dropWrites(blocks)
	if err != nil {
		if aerr := w.Abort(context.WithoutCancel(ctx)); aerr != nil {
			s.log.Warn("abort after failed close", "path", f.path, "err", aerr)
		}
		return nil, err
	}
	return &hdfspb.CompleteResponseProto{Result: proto.Bool(true)}, nil
}

func (s *Server) renewLease(ctx context.Context, c *caller, req *hdfspb.RenewLeaseRequestProto) (*hdfspb.RenewLeaseResponseProto, error) {
	s.leases.touch(req.GetClientName())
	return &hdfspb.RenewLeaseResponseProto{}, nil
}

func (s *Server) recoverLease(ctx context.Context, c *caller, req *hdfspb.RecoverLeaseRequestProto) (*hdfspb.RecoverLeaseResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permWrite)
	if err != nil {
		return nil, err
	}
	if f := s.leases.get(p); f != nil {
		// Unlike HDFS, the partial data cannot be kept: S3 shows an object
		// only once its upload completes. The write is discarded.
		s.abort(ctx, f, "recoverLease by "+req.GetClientName())
		return &hdfspb.RecoverLeaseResponseProto{Result: proto.Bool(true)}, nil
	}
	if _, err := s.fileStat(ctx, c, p); err != nil {
		return nil, err
	}
	return &hdfspb.RecoverLeaseResponseProto{Result: proto.Bool(true)}, nil
}

func (s *Server) isFileClosed(ctx context.Context, c *caller, req *hdfspb.IsFileClosedRequestProto) (*hdfspb.IsFileClosedResponseProto, error) {
	p, err := cleanPath(req.GetSrc())
	if err != nil {
		return nil, err
	}
	if err := c.traverse(ctx, p); err != nil {
		return nil, err
	}
	if s.leases.get(p) != nil {
		return &hdfspb.IsFileClosedResponseProto{Result: proto.Bool(false)}, nil
	}
	if _, err := s.fileStat(ctx, c, p); err != nil {
		return nil, err
	}
	return &hdfspb.IsFileClosedResponseProto{Result: proto.Bool(true)}, nil
}

// pipelineBlock finds a block being written by holder.
func (s *Server) pipelineBlock(id uint64, holder string) (*writeBlock, error) {
	w, _ := s.blocks.Writing(int64(id))
	b, ok := w.(*writeBlock)
	if !ok {
		return nil, fmt.Errorf("block %d is not under construction", id)
	}
	if b.f.holder != holder {
		return nil, failf(errLeaseExpired, "block %d of %s is written by %s, not %s", id, b.f.path, b.f.holder, holder)
	}
	s.leases.touch(holder)
	return b, nil
}

func (s *Server) updateBlockForPipeline(ctx context.Context, c *caller, req *hdfspb.UpdateBlockForPipelineRequestProto) (*hdfspb.UpdateBlockForPipelineResponseProto, error) {
	b, err := s.pipelineBlock(req.GetBlock().GetBlockId(), req.GetClientName())
	if err != nil {
		return nil, err
	}
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	b.gs++
	return &hdfspb.UpdateBlockForPipelineResponseProto{Block: s.locatedBlock(b.id, b.gs, b.off, b.written)}, nil
}

func (s *Server) updatePipeline(ctx context.Context, c *caller, req *hdfspb.UpdatePipelineRequestProto) (*hdfspb.UpdatePipelineResponseProto, error) {
	if req.GetOldBlock().GetBlockId() != req.GetNewBlock().GetBlockId() {
		return nil, failf(errIllegalArgument, "updatePipeline: block ids differ (%d, %d)", req.GetOldBlock().GetBlockId(), req.GetNewBlock().GetBlockId())
	}
	b, err := s.pipelineBlock(req.GetOldBlock().GetBlockId(), req.GetClientName())
	if err != nil {
		return nil, err
	}
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	if gs := int64(req.GetNewBlock().GetGenerationStamp()); gs > b.gs {
		b.gs = gs
	}
	return &hdfspb.UpdatePipelineResponseProto{}, nil
}

func (s *Server) fsync(ctx context.Context, c *caller, req *hdfspb.FsyncRequestProto) (*hdfspb.FsyncResponseProto, error) {
	// hflush/hsync: the DataNode already made the bytes durable per packet
	// policy; S3 shows nothing before complete, so there is nothing to do
	// beyond checking the lease.
	if _, err := s.leaseFor(req.GetSrc(), req.GetClient(), req.GetFileId()); err != nil {
		return nil, err
	}
	return &hdfspb.FsyncResponseProto{}, nil
}

func (s *Server) reportBadBlocks(ctx context.Context, c *caller, req *hdfspb.ReportBadBlocksRequestProto) (*hdfspb.ReportBadBlocksResponseProto, error) {
	for _, b := range req.GetBlocks() {
		s.log.Warn("client reported a bad block", "user", c.user, "block", b.GetB().GetBlockId())
	}
	return &hdfspb.ReportBadBlocksResponseProto{}, nil
}

func (s *Server) truncate(ctx context.Context, c *caller, req *hdfspb.TruncateRequestProto) (*hdfspb.TruncateResponseProto, error) {
	p, err := s.checkedPath(ctx, c, req.GetSrc(), permWrite)
	if err != nil {
		return nil, err
	}
	fi, err := s.fileStat(ctx, c, p)
	if err != nil {
		return nil, err
	}
	if s.leases.get(p) != nil {
		return nil, failf(errAlreadyBeingCreated, "Failed to TRUNCATE_FILE %s for %s: the file is being written", p, req.GetClientName())
	}
	n := int64(req.GetNewLength())
	switch {
	case req.GetNewLength() > uint64(fi.Size):
		return nil, failf(errIllegalArgument, "Cannot truncate to a larger file size. Current size: %d, truncate size: %d.", fi.Size, req.GetNewLength())
	case n == fi.Size:
	case n == 0:
		w, err := s.opts.FS.Create(ctx, p, fs.CreateOptions{Overwrite: true, Perm: fi.Perm, Owner: fi.Owner, Group: fi.Group})
		if err != nil {
			return nil, err
		}
		if err := w.Close(ctx); err != nil {
			w.Abort(context.WithoutCancel(ctx))
			return nil, err
		}
	default:
		return nil, failf(errors.ErrUnsupported, "truncate of %s to %d bytes is not supported: S3 objects are immutable (only truncation to 0 is)", p, n)
	}
	return &hdfspb.TruncateResponseProto{Result: proto.Bool(true)}, nil
}
