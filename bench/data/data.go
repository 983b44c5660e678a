package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
)

// BlockSize is the granularity of the generator: the bytes of block i of a
// stream are the ChaCha8 output for the seed (stream seed, i).
const BlockSize = 1 << 20

// ErrOffset reports a seek or read position outside the stream.
var ErrOffset = errors.New("data: offset out of range")

// castagnoli is the CRC table readers use to check content cheaply.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C returns the Castagnoli CRC of b updated from crc.
func CRC32C(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }

// Stream is a deterministic byte stream of a fixed size. It implements
// io.Reader, io.ReaderAt and io.Seeker. A Stream is not safe for concurrent
// use; ReadAt is, because it keeps no state.
type Stream struct {
	seed uint64
	size int64
	off  int64
	// cache of the block the sequential reader is in
	blk    []byte
	blkIdx int64
}

// New returns a stream of size bytes identified by seed.
func New(seed uint64, size int64) *Stream {
	return &Stream{seed: seed, size: size, blkIdx: -1}
}

// Size returns the stream length.
func (s *Stream) Size() int64 { return s.size }

func fillBlock(seed uint64, idx int64, dst []byte) {
	var k [32]byte
	binary.LittleEndian.PutUint64(k[0:], seed)
	binary.LittleEndian.PutUint64(k[8:], uint64(idx))
	copy(k[16:], "emrfsd-bench-gen")
	r := rand.NewChaCha8(k)
	_, _ = r.Read(dst) // ChaCha8.Read never fails
}

// ReadAt fills p with the bytes at off.
func (s *Stream) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, ErrOffset
	}
	if off >= s.size {
		return 0, io.EOF
	}
	n := 0
	var blk []byte
	for n < len(p) && off < s.size {
		idx := off / BlockSize
		if blk == nil {
			blk = make([]byte, BlockSize)
		}
		fillBlock(s.seed, idx, blk)
		in := off - idx*BlockSize
		end := min(int64(BlockSize), s.size-idx*BlockSize)
		c := copy(p[n:], blk[in:end])
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Read reads sequentially from the current offset.
func (s *Stream) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && s.off < s.size {
		idx := s.off / BlockSize
		if idx != s.blkIdx {
			if s.blk == nil {
				s.blk = make([]byte, BlockSize)
			}
			fillBlock(s.seed, idx, s.blk)
			s.blkIdx = idx
		}
		in := s.off - idx*BlockSize
		end := min(int64(BlockSize), s.size-idx*BlockSize)
		c := copy(p[n:], s.blk[in:end])
		n += c
		s.off += int64(c)
	}
	return n, nil
}

// Seek sets the offset for the next Read.
func (s *Stream) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = s.off + offset
	case io.SeekEnd:
		abs = s.size + offset
	default:
		return 0, fmt.Errorf("data: bad whence %d", whence)
	}
	if abs < 0 {
		return 0, ErrOffset
	}
	s.off = abs
	return abs, nil
}

// CRC returns the CRC32C of the whole stream, computed block by block.
func CRC(seed uint64, size int64) uint32 {
	s := New(seed, size)
	buf := make([]byte, BlockSize)
	var crc uint32
	for {
		n, err := s.Read(buf)
		crc = CRC32C(crc, buf[:n])
		if err != nil {
			return crc
		}
	}
}
