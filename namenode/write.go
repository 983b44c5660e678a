package namenode

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/dfs"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

const (
	flagCreate    = uint32(hdfspb.CreateFlagProto_CREATE)
	flagOverwrite = uint32(hdfspb.CreateFlagProto_OVERWRITE)
	flagAppend    = uint32(hdfspb.CreateFlagProto_APPEND)
)

// fileBlocks is the block pipeline state of one file being written over
// RPC: the blocks addBlock allocated, in order. The bytes themselves go
// through the dfs.OpenFile.
type fileBlocks struct {
	f *dfs.OpenFile

	mu       sync.Mutex // guards everything below and the blocks' fields
	blocks   []*writeBlock
	finished bool // the file's data ended (a short block was the last)
}

// writes tracks the fileBlocks of the files open through this server.
type writes struct {
	mu sync.Mutex
	m  map[*dfs.OpenFile]*fileBlocks
}

func (w *writes) add(f *dfs.OpenFile) *fileBlocks {
	w.mu.Lock()
	defer w.mu.Unlock()
	fb := &fileBlocks{f: f}
	w.m[f] = fb
	return fb
}

func (w *writes) get(f *dfs.OpenFile) *fileBlocks {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.m[f]
}

func (w *writes) remove(f *dfs.OpenFile) *fileBlocks {
	w.mu.Lock()
	defer w.mu.Unlock()
	fb := w.m[f]
	delete(w.m, f)
	return fb
}

// released drops the block state of a file that completed or was aborted
// (registered with dfs.Namespace.OnRelease).
func (s *Server) released(f *dfs.OpenFile) {
	fb := s.writes.remove(f)
	if fb == nil {
		return
	}
	fb.mu.Lock()
	bs := fb.blocks
	fb.mu.Unlock()
	s.dropWrites(bs)
}

func (s *Server) create(ctx context.Context, c *dfs.Caller, req *hdfspb.CreateRequestProto) (*hdfspb.CreateResponseProto, error) {
	flag := req.GetCreateFlag()
	f, err := s.ns.Create(ctx, c, req.GetSrc(), dfs.CreateRequest{
		Holder:       req.GetClientName(),
		Perm:         req.GetMasked().GetPerm(),
		Create:       flag&flagCreate != 0,
		Overwrite:    flag&flagOverwrite != 0,
		Append:       flag&flagAppend != 0,
		CreateParent: req.GetCreateParent(),
		BlockSize:    int64(req.GetBlockSize()),
		Replication:  int(req.GetReplication()),
	})
	if err != nil {
		return nil, err
	}
	s.writes.add(f)
	return &hdfspb.CreateResponseProto{Fs: s.status(f.Status(), nil)}, nil
}

func (s *Server) append(ctx context.Context, c *dfs.Caller, req *hdfspb.AppendRequestProto) (*hdfspb.AppendResponseProto, error) {
	return nil, s.ns.Append(ctx, c, req.GetSrc())
}

// leaseFor finds the file src open by holder, and its block state.
func (s *Server) leaseFor(src, holder string, id uint64) (*fileBlocks, error) {
	f, err := s.ns.Lease(src, holder, id)
	if err != nil {
		return nil, err
	}
	fb := s.writes.get(f)
	if fb == nil {
		return nil, dfs.Failf(dfs.ErrLeaseExpired, "No lease on %s: file is no longer open for writing", f.Path)
	}
	return fb, nil
}

func (s *Server) addBlock(ctx context.Context, c *dfs.Caller, req *hdfspb.AddBlockRequestProto) (*hdfspb.AddBlockResponseProto, error) {
	fb, err := s.leaseFor(req.GetSrc(), req.GetClientName(), req.GetFileId())
	if err != nil {
		return nil, err
	}
	f := fb.f
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if f.Done() {
		return nil, dfs.Failf(dfs.ErrLeaseExpired, "No lease on %s: file is no longer open for writing", f.Path)
	}
	prev := req.GetPrevious()
	var off int64
	if n := len(fb.blocks); n > 0 {
		last := fb.blocks[n-1]
		// A retried addBlock: the last block was allocated, never written.
		if !last.ended && last.written == 0 && !last.busy &&
			((n == 1 && prev == nil) || (n > 1 && prev != nil && int64(prev.GetBlockId()) == fb.blocks[n-2].id)) {
			return &hdfspb.AddBlockResponseProto{Block: s.locatedBlock(ctx, last.id, last.gs, last.off, 0, s.blocks.WriteToken(c.User(), last.id))}, nil
		}
		switch {
		case prev == nil || int64(prev.GetBlockId()) != last.id:
			return nil, fmt.Errorf("addBlock on %s: previous block %d is not the last block %d", f.Path, prev.GetBlockId(), last.id)
		case !last.ended:
			return nil, fmt.Errorf("addBlock on %s: previous block %d was not finalized by the DataNode", f.Path, last.id)
		case last.written != f.BlockSize || fb.finished:
			return nil, fmt.Errorf("addBlock on %s: previous block %d is short (%d of %d bytes), so it must be the last", f.Path, last.id, last.written, f.BlockSize)
		case prev.NumBytes != nil && int64(prev.GetNumBytes()) != last.written:
			return nil, fmt.Errorf("addBlock on %s: previous block %d has %d bytes, client reports %d", f.Path, last.id, last.written, prev.GetNumBytes())
		}
		off = last.off + last.written
	} else if prev != nil {
		return nil, fmt.Errorf("addBlock on %s: previous block %d given, but the file has no blocks", f.Path, prev.GetBlockId())
	}
	b := &writeBlock{s: s, fb: fb, gs: blocks.FirstGenStamp, off: off}
	if b.id, err = s.blocks.AddWrite(b); err != nil {
		return nil, err
	}
	fb.blocks = append(fb.blocks, b)
	return &hdfspb.AddBlockResponseProto{Block: s.locatedBlock(ctx, b.id, b.gs, b.off, 0, s.blocks.WriteToken(c.User(), b.id))}, nil
}

func (s *Server) abandonBlock(ctx context.Context, c *dfs.Caller, req *hdfspb.AbandonBlockRequestProto) (*hdfspb.AbandonBlockResponseProto, error) {
	fb, err := s.leaseFor(req.GetSrc(), req.GetHolder(), req.GetFileId())
	if err != nil {
		return nil, err
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	n := len(fb.blocks)
	if n == 0 || fb.blocks[n-1].id != int64(req.GetB().GetBlockId()) {
		// Hadoop ignores abandoning a block that is not the last.
		return &hdfspb.AbandonBlockResponseProto{}, nil
	}
	last := fb.blocks[n-1]
	if last.written > 0 || last.busy || last.ended {
		return nil, fmt.Errorf("cannot abandon block %d of %s: it already holds %d bytes and S3 uploads cannot be rewound", last.id, fb.f.Path, last.written)
	}
	fb.blocks = fb.blocks[:n-1]
	s.dropWrites([]*writeBlock{last})
	return &hdfspb.AbandonBlockResponseProto{}, nil
}

func (s *Server) complete(ctx context.Context, c *dfs.Caller, req *hdfspb.CompleteRequestProto) (*hdfspb.CompleteResponseProto, error) {
	fb, err := s.leaseFor(req.GetSrc(), req.GetClientName(), req.GetFileId())
	if err != nil {
		return nil, err
	}
	f := fb.f
	notYet := &hdfspb.CompleteResponseProto{Result: proto.Bool(false)}
	fb.mu.Lock()
	if f.Done() {
		fb.mu.Unlock()
		return nil, dfs.Failf(dfs.ErrLeaseExpired, "No lease on %s: file is no longer open for writing", f.Path)
	}
	if n := len(fb.blocks); n > 0 {
		last := fb.blocks[n-1]
		if last.busy {
			fb.mu.Unlock()
			return notYet, nil
		}
		if !last.ended && last.written == 0 {
			// Allocated, never used.
			fb.blocks = fb.blocks[:n-1]
			s.dropWrites([]*writeBlock{last})
		} else if !last.ended {
			fb.mu.Unlock()
			return notYet, nil
		}
	}
	want := req.GetLast()
	if n := len(fb.blocks); n > 0 && want != nil {
		last := fb.blocks[n-1]
		if int64(want.GetBlockId()) != last.id || int64(want.GetNumBytes()) != last.written {
			fb.mu.Unlock()
			return nil, fmt.Errorf("complete %s: last block %d (%d bytes) does not match the client's %d (%d bytes)",
				f.Path, last.id, last.written, want.GetBlockId(), want.GetNumBytes())
		}
	} else if n == 0 && want.GetNumBytes() > 0 {
		fb.mu.Unlock()
		return nil, fmt.Errorf("complete %s: client reports block %d with %d bytes, none were received", f.Path, want.GetBlockId(), want.GetNumBytes())
	}
	fb.mu.Unlock()
	if err := s.ns.Complete(ctx, f); err != nil {
		return nil, err
	}
	return &hdfspb.CompleteResponseProto{Result: proto.Bool(true)}, nil
}

func (s *Server) renewLease(ctx context.Context, c *dfs.Caller, req *hdfspb.RenewLeaseRequestProto) (*hdfspb.RenewLeaseResponseProto, error) {
	s.ns.RenewLease(req.GetClientName())
	return &hdfspb.RenewLeaseResponseProto{}, nil
}

func (s *Server) recoverLease(ctx context.Context, c *dfs.Caller, req *hdfspb.RecoverLeaseRequestProto) (*hdfspb.RecoverLeaseResponseProto, error) {
	ok, err := s.ns.RecoverLease(ctx, c, req.GetSrc(), req.GetClientName())
	if err != nil {
		return nil, err
	}
	return &hdfspb.RecoverLeaseResponseProto{Result: proto.Bool(ok)}, nil
}

func (s *Server) isFileClosed(ctx context.Context, c *dfs.Caller, req *hdfspb.IsFileClosedRequestProto) (*hdfspb.IsFileClosedResponseProto, error) {
	ok, err := s.ns.IsFileClosed(ctx, c, req.GetSrc())
	if err != nil {
		return nil, err
	}
	return &hdfspb.IsFileClosedResponseProto{Result: proto.Bool(ok)}, nil
}

// pipelineBlock finds a block being written by holder.
func (s *Server) pipelineBlock(id uint64, holder string) (*writeBlock, error) {
	w, _ := s.blocks.Writing(int64(id))
	b, ok := w.(*writeBlock)
	if !ok {
		return nil, fmt.Errorf("block %d is not under construction", id)
	}
	if b.fb.f.Holder != holder {
		return nil, dfs.Failf(dfs.ErrLeaseExpired, "block %d of %s is written by %s, not %s", id, b.fb.f.Path, b.fb.f.Holder, holder)
	}
	s.ns.RenewLease(holder)
	return b, nil
}

func (s *Server) updateBlockForPipeline(ctx context.Context, c *dfs.Caller, req *hdfspb.UpdateBlockForPipelineRequestProto) (*hdfspb.UpdateBlockForPipelineResponseProto, error) {
	b, err := s.pipelineBlock(req.GetBlock().GetBlockId(), req.GetClientName())
	if err != nil {
		return nil, err
	}
	b.fb.mu.Lock()
	defer b.fb.mu.Unlock()
	b.gs++
	return &hdfspb.UpdateBlockForPipelineResponseProto{Block: s.locatedBlock(ctx, b.id, b.gs, b.off, b.written, s.blocks.WriteToken(c.User(), b.id))}, nil
}

func (s *Server) updatePipeline(ctx context.Context, c *dfs.Caller, req *hdfspb.UpdatePipelineRequestProto) (*hdfspb.UpdatePipelineResponseProto, error) {
	if req.GetOldBlock().GetBlockId() != req.GetNewBlock().GetBlockId() {
		return nil, dfs.Failf(dfs.ErrIllegalArgument, "updatePipeline: block ids differ (%d, %d)", req.GetOldBlock().GetBlockId(), req.GetNewBlock().GetBlockId())
	}
	b, err := s.pipelineBlock(req.GetOldBlock().GetBlockId(), req.GetClientName())
	if err != nil {
		return nil, err
	}
	b.fb.mu.Lock()
	defer b.fb.mu.Unlock()
	if gs := int64(req.GetNewBlock().GetGenerationStamp()); gs > b.gs {
		b.gs = gs
	}
	return &hdfspb.UpdatePipelineResponseProto{}, nil
}

func (s *Server) fsync(ctx context.Context, c *dfs.Caller, req *hdfspb.FsyncRequestProto) (*hdfspb.FsyncResponseProto, error) {
	// hflush/hsync: the DataNode already made the bytes durable per packet
	// policy; S3 shows nothing before complete, so there is nothing to do
	// beyond checking the lease.
	if _, err := s.ns.Lease(req.GetSrc(), req.GetClient(), req.GetFileId()); err != nil {
		return nil, err
	}
	return &hdfspb.FsyncResponseProto{}, nil
}

func (s *Server) reportBadBlocks(ctx context.Context, c *dfs.Caller, req *hdfspb.ReportBadBlocksRequestProto) (*hdfspb.ReportBadBlocksResponseProto, error) {
	for _, b := range req.GetBlocks() {
		s.log.Warn("client reported a bad block", "user", c.User(), "block", b.GetB().GetBlockId())
	}
	return &hdfspb.ReportBadBlocksResponseProto{}, nil
}

func (s *Server) truncate(ctx context.Context, c *dfs.Caller, req *hdfspb.TruncateRequestProto) (*hdfspb.TruncateResponseProto, error) {
	ok, err := s.ns.Truncate(ctx, c, req.GetSrc(), int64(req.GetNewLength()), req.GetClientName())
	if err != nil {
		return nil, err
	}
	return &hdfspb.TruncateResponseProto{Result: proto.Bool(ok)}, nil
}
