package partbuf

import (
	"context"
	"sync/atomic"
)

// Spill is a Pool that keeps parts in memory while the parts held in
// memory by all streams together stay within a byte limit, and takes
// every further part from a second pool (sealed disk staging): memory
// first, disk only above the limit. A part stays where it started.
//
// A part in memory costs one copy into the buffer; a staged part costs
// the copy, an AES-GCM seal, a file write, a read back and an open, for
// every byte, which is why the disk is only the overflow.
type Spill struct {
	mem     *Memory
	disk    Pool
	limit   int64
	inMem   atomic.Int64 // bytes of memory parts live (counted at capacity)
	spilled atomic.Int64 // parts taken from disk so far
}

// NewSpill returns a pool giving out mem's buffers while at most limit
// bytes of them are live, and disk's beyond. limit ≤ 0 sends every part
// to disk.
func NewSpill(mem *Memory, disk Pool, limit int64) *Spill {
	return &Spill{mem: mem, disk: disk, limit: limit}
}

// New implements Pool.
func (s *Spill) New(ctx context.Context) (Buffer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.inMem.Add(s.mem.size) <= s.limit {
		b, err := s.mem.New(ctx)
		if err != nil {
			s.inMem.Add(-s.mem.size)
			return nil, err
		}
		return &spillMem{Buffer: b, s: s}, nil
	}
	s.inMem.Add(-s.mem.size)
	s.spilled.Add(1)
	return s.disk.New(ctx)
}

// InMemory is the number of bytes reserved by memory parts now live.
func (s *Spill) InMemory() int64 { return s.inMem.Load() }

// Spilled is the number of parts given out from the disk pool so far.
func (s *Spill) Spilled() int64 { return s.spilled.Load() }

// spillMem returns its reservation on Release.
type spillMem struct {
	Buffer
	s        *Spill
	released bool
}

func (b *spillMem) Release() {
	if b.released {
		return
	}
	b.released = true
	b.Buffer.Release()
	b.s.inMem.Add(-b.s.mem.size)
}

// Interface guards.
var _ Pool = (*Spill)(nil)
