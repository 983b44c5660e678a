package namenode

import (
	"context"
	"fmt"
	iofs "io/fs"

	"github.com/emrfsd/emrfsd/blocks"
)

// writeBlock is a block of a file being written. Its fields other than s,
// f, id and off are guarded by the file's mutex.
type writeBlock struct {
	s       *Server
	f       *openFile
	id, gs  int64
	off     int64 // offset of the block in the file
	written int64
	ended   bool
	busy    bool // a DataNode is streaming into it
}

// WriteBlock is a block opened for writing by the DataNode.
type WriteBlock struct {
	s *Server
	b *writeBlock
}

// OpenWrite opens the block for writing (blocks.Writable). Only the last
// block of an open file can be written, by one DataNode stream at a time.
func (b *writeBlock) OpenWrite(ctx context.Context) (blocks.WriteTarget, error) {
	s, id := b.s, b.id
	f := b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.done:
		return nil, fmt.Errorf("%w: %s is no longer open for writing", errLeaseExpired, f.path)
	case f.blocks[len(f.blocks)-1] != b:
		return nil, fmt.Errorf("block %d is not the last block of %s", id, f.path)
	case b.ended:
		return nil, fmt.Errorf("block %d of %s is already finalized", id, f.path)
	case b.busy:
		return nil, fmt.Errorf("block %d of %s is already being written", id, f.path)
	}
	b.busy = true
	s.leases.touch(f.holder)
	return &WriteBlock{s: s, b: b}, nil
}

// dropWrites unregisters blocks of a file that closed or was aborted.
func (s *Server) dropWrites(bs []*writeBlock) {
	ids := make([]int64, len(bs))
	for i, b := range bs {
		ids[i] = b.id
	}
	s.blocks.DropWrites(ids...)
}

// Received is the number of bytes of the block already written.
func (w *WriteBlock) Received() int64 {
	w.b.f.mu.Lock()
	defer w.b.f.mu.Unlock()
	return w.b.written
}

// Write appends to the block (at Received()).
func (w *WriteBlock) Write(p []byte) (int, error) {
	b, f := w.b, w.b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.done:
		return 0, fmt.Errorf("%w: %s is no longer open for writing", errLeaseExpired, f.path)
	case b.ended:
		return 0, fmt.Errorf("block %d is already finalized", b.id)
	case int64(len(p)) > f.blockSize-b.written:
		return 0, fmt.Errorf("%w: write past the end of block %d (block size %d)", iofs.ErrInvalid, b.id, f.blockSize)
	}
	n, err := f.w.Write(p)
	b.written += int64(n)
	return n, err
}

// End makes the block's bytes durable: a full block's parts are uploaded;
// a short block is the file's last, so the file's data is finished
// (uploaded, still invisible until complete).
func (w *WriteBlock) End(ctx context.Context) error {
	b, f := w.b, w.b.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return fmt.Errorf("%w: %s is no longer open for writing", errLeaseExpired, f.path)
	}
	var err error
	if b.written == f.blockSize {
		err = f.w.Flush(ctx)
	} else {
		err = f.w.Finish(ctx)
		f.finished = true
	}
	b.busy = false
	if err != nil {
		return err
	}
	b.ended = true
	w.s.leases.touch(f.holder)
	return nil
}

// Fail records that the client went away mid-block. The bytes received so
// far stay: a recovering client resumes after Received().
func (w *WriteBlock) Fail(err error) {
	b, f := w.b, w.b.f
	f.mu.Lock()
	b.busy = false
	n := b.written
	f.mu.Unlock()
	w.s.log.Info("block write failed", "path", f.path, "block", b.id, "received", n, "err", err)
}

// Interface guards.
var (
	_ blocks.Writable    = (*writeBlock)(nil)
	_ blocks.WriteTarget = (*WriteBlock)(nil)
)
