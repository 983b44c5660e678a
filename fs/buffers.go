package fs

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// PartBuffer holds one part of a multipart upload while it is filled and
// uploaded. Writers fill it with at most the part size, then read it back
// (possibly several times: retries rewind the body) and release it.
type PartBuffer interface {
	io.Writer
	// Len is the number of bytes written.
	Len() int64
	// Reader returns a seekable reader over the bytes written, valid until
	// Release. No Write may follow.
	Reader() (io.ReadSeeker, error)
	// Release discards the contents and returns resources. It must be
	// called exactly once.
	Release()
}

// Buffers supplies part buffers. An implementation staging parts on disk
// (encrypted local files) can replace the in-memory default.
type Buffers interface {
	// New returns an empty buffer able to hold one part.
	New(ctx context.Context) (PartBuffer, error)
}

// MemoryBuffers is the default Buffers: in-memory buffers of a fixed
// capacity, recycled through a bounded free list so a stream of parts
// reuses the same few allocations.
type MemoryBuffers struct {
	size int64
	free chan []byte
}

// NewMemoryBuffers returns a pool of size-byte buffers keeping at most
// keep released buffers for reuse.
func NewMemoryBuffers(size int64, keep int) *MemoryBuffers {
	return &MemoryBuffers{size: size, free: make(chan []byte, max(keep, 0))}
}

// New returns a recycled or freshly allocated buffer.
func (m *MemoryBuffers) New(ctx context.Context) (PartBuffer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case b := <-m.free:
		return &memBuffer{pool: m, buf: b[:0]}, nil
	default:
		return &memBuffer{pool: m, buf: make([]byte, 0, m.size)}, nil
	}
}

var errBufferFull = errors.New("fs: part buffer full")

type memBuffer struct {
	pool *MemoryBuffers
	buf  []byte
}

func (b *memBuffer) Write(p []byte) (int, error) {
	if int64(len(b.buf)+len(p)) > int64(cap(b.buf)) {
		return 0, errBufferFull
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *memBuffer) Len() int64 { return int64(len(b.buf)) }

func (b *memBuffer) Reader() (io.ReadSeeker, error) { return bytes.NewReader(b.buf), nil }

func (b *memBuffer) Release() {
	if b.buf == nil {
		return
	}
	buf := b.buf
	b.buf = nil
	if int64(cap(buf)) != b.pool.size {
		return
	}
	select {
	case b.pool.free <- buf[:0]:
	default:
	}
}

// Interface guards.
var _ Buffers = (*MemoryBuffers)(nil)
