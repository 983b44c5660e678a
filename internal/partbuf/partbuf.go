// Package partbuf holds the buffers one part of a multipart upload waits in
// while it is filled and uploaded: the interface the namespace writes
// through, and the in-memory pool used when parts are not staged on disk
// (internal/localdisk stages them in sealed files). It is a leaf.
package partbuf

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// Buffer holds one part of a multipart upload while it is filled and
// uploaded. Writers fill it with at most the part size, then read it back
// (possibly several times: retries rewind the body) and release it.
type Buffer interface {
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

// Pool supplies part buffers. An implementation staging parts on disk
// (encrypted local files) can replace the in-memory default.
type Pool interface {
	// New returns an empty buffer able to hold one part.
	New(ctx context.Context) (Buffer, error)
}

// Memory is the default Pool: in-memory buffers of a fixed
// capacity, recycled through a bounded free list so a stream of parts
// reuses the same few allocations.
type Memory struct {
	size int64
	free chan []byte
}

// NewMemory returns a pool of size-byte buffers keeping at most
// keep released buffers for reuse.
func NewMemory(size int64, keep int) *Memory {
	return &Memory{size: size, free: make(chan []byte, max(keep, 0))}
}

// New returns a recycled or freshly allocated buffer.
func (m *Memory) New(ctx context.Context) (Buffer, error) {
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

var errBufferFull = errors.New("partbuf: part buffer full")

type memBuffer struct {
	pool *Memory
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
var _ Pool = (*Memory)(nil)
