package namenode

import (
	"context"
	"fmt"
	iofs "io/fs"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/dfs"
)

// writeBlock is a block of a file being written. Its fields other than s,
// fb, id and off are guarded by fb.mu.
type writeBlock struct {
	s       *Server
	fb      *fileBlocks
	id, gs  int64
	off     int64 // offset of the block in the file
	written int64
	ended   bool
	busy    bool // a DataNode is streaming into it
}

func noLonger(f *dfs.OpenFile) error {
	return dfs.Failf(dfs.ErrLeaseExpired, "%s is no longer open for writing", f.Path)
}

// OpenWrite opens the block for writing (blocks.Writable). Only the last
// block of an open file can be written, by one DataNode stream at a time.
func (b *writeBlock) OpenWrite(ctx context.Context) (blocks.WriteTarget, error) {
	fb, f := b.fb, b.fb.f
	fb.mu.Lock()
	defer fb.mu.Unlock()
	switch {
	case f.Done():
		return nil, noLonger(f)
	case fb.blocks[len(fb.blocks)-1] != b:
		return nil, fmt.Errorf("block %d is not the last block of %s", b.id, f.Path)
	case b.ended:
		return nil, fmt.Errorf("block %d of %s is already finalized", b.id, f.Path)
	case b.busy:
		return nil, fmt.Errorf("block %d of %s is already being written", b.id, f.Path)
	}
	b.busy = true
	b.s.ns.RenewLease(f.Holder)
	return &WriteBlock{s: b.s, b: b}, nil
}

// dropWrites unregisters blocks of a file that closed or was aborted.
func (s *Server) dropWrites(bs []*writeBlock) {
	ids := make([]int64, len(bs))
	for i, b := range bs {
		ids[i] = b.id
	}
	s.blocks.DropWrites(ids...)
}

// WriteBlock is a block opened for writing by the DataNode.
type WriteBlock struct {
	s *Server
	b *writeBlock
}

// Received is the number of bytes of the block already written.
func (w *WriteBlock) Received() int64 {
	w.b.fb.mu.Lock()
	defer w.b.fb.mu.Unlock()
	return w.b.written
}

// Write appends to the block (at Received()).
func (w *WriteBlock) Write(p []byte) (int, error) {
	b, fb := w.b, w.b.fb
	fb.mu.Lock()
	defer fb.mu.Unlock()
	switch {
	case fb.f.Done():
		return 0, noLonger(fb.f)
	case b.ended:
		return 0, fmt.Errorf("block %d is already finalized", b.id)
	case int64(len(p)) > fb.f.BlockSize-b.written:
		return 0, fmt.Errorf("%w: write past the end of block %d (block size %d)", iofs.ErrInvalid, b.id, fb.f.BlockSize)
	}
	n, err := fb.f.Write(p)
	b.written += int64(n)
	return n, err
}

// End makes the block's bytes durable: a full block's parts are uploaded;
// a short block is the file's last, so the file's data is finished
// (uploaded, still invisible until complete).
func (w *WriteBlock) End(ctx context.Context) error {
	b, fb := w.b, w.b.fb
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.f.Done() {
		return noLonger(fb.f)
	}
	var err error
	if b.written == fb.f.BlockSize {
		err = fb.f.Flush(ctx)
	} else {
		err = fb.f.Finish(ctx)
		fb.finished = true
	}
	b.busy = false
	if err != nil {
		return err
	}
	b.ended = true
	w.s.ns.RenewLease(fb.f.Holder)
	return nil
}

// Fail records that the client went away mid-block. The bytes received so
// far stay: a recovering client resumes after Received().
func (w *WriteBlock) Fail(err error) {
	b, fb := w.b, w.b.fb
	fb.mu.Lock()
	b.busy = false
	n := b.written
	fb.mu.Unlock()
	w.s.log.Info("block write failed", "path", fb.f.Path, "block", b.id, "received", n, "err", err)
}

// Interface guards.
var (
	_ blocks.Writable    = (*writeBlock)(nil)
	_ blocks.WriteTarget = (*WriteBlock)(nil)
)
