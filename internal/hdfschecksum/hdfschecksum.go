// Package hdfschecksum computes HDFS's checksums of stored bytes the way a
// DataNode does for BLOCK_CHECKSUM and a client combines them for
// getFileChecksum: the MD5 of a block's chunk CRC32Cs (MD5CRC), a block's
// composite CRC32Cs (COMPOSITE_CRC), and the file checksum MD5-of-MD5s
// (Hadoop's MD5MD5CRC32FileChecksum). The DataNode and WebHDFS both use it,
// so `hdfs checksum` over RPC and GETFILECHECKSUM over HTTP agree.
//
// Imports nothing of the module (a leaf).
package hdfschecksum

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// BytesPerChecksum is the chunk size every checksum here uses (HDFS's
// dfs.bytes-per-checksum default, the only one emrfsd serves).
const BytesPerChecksum = 512

const crcSize = 4

// readSize is how much of a block is read at a time.
const readSize = 256 << 10

// castagnoli is the CRC32C table; read-only after package initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ChunksIn is the number of BytesPerChecksum chunks (the last may be short)
// in n bytes: a block's crcPerBlock.
func ChunksIn(n int64) int64 { return (n + BytesPerChecksum - 1) / BytesPerChecksum }

func ended(n int64) error { return fmt.Errorf("hdfschecksum: block data ended %d bytes early", n) }

// BlockMD5 streams n bytes from r and returns MD5 over the concatenated
// big-endian CRC32C of each 512-byte chunk: the MD5CRC block checksum that
// BLOCK_CHECKSUM reports (Java keeps those CRCs in the block's .meta file
// and digests them).
func BlockMD5(ctx context.Context, r io.Reader, n int64) ([md5.Size]byte, error) {
	h := md5.New()
	buf := make([]byte, readSize)
	var crcs [readSize / BytesPerChecksum * crcSize]byte
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return [md5.Size]byte{}, err
		}
		want := int(min(n, int64(len(buf))))
		if _, err := io.ReadFull(r, buf[:want]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return [md5.Size]byte{}, ended(n)
			}
			return [md5.Size]byte{}, err
		}
		k := 0
		for data := buf[:want]; len(data) > 0; k += crcSize {
			c := min(BytesPerChecksum, len(data))
			binary.BigEndian.PutUint32(crcs[k:], crc32.Checksum(data[:c], castagnoli))
			data = data[c:]
		}
		h.Write(crcs[:k])
		n -= int64(want)
	}
	var out [md5.Size]byte
	h.Sum(out[:0])
	return out, nil
}

// CompositeCRCs streams n bytes from r and returns the COMPOSITE_CRC block
// checksum: the big-endian CRC32C of each stripe of stripe bytes (the last
// may be short), concatenated. Hadoop composes the per-chunk CRCs of its
// .meta file (CrcComposer); composing CRC32Cs of consecutive pieces gives
// the CRC32C of their concatenation, so hashing the bytes directly is the
// same value.
func CompositeCRCs(ctx context.Context, r io.Reader, n, stripe int64) ([]byte, error) {
	if stripe <= 0 || stripe > n {
		stripe = n
	}
	var out []byte
	buf := make([]byte, readSize)
	var crc uint32
	var inStripe int64
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		want := int(min(n, int64(len(buf)), stripe-inStripe))
		if _, err := io.ReadFull(r, buf[:want]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, ended(n)
			}
			return nil, err
		}
		crc = crc32.Update(crc, castagnoli, buf[:want])
		inStripe += int64(want)
		n -= int64(want)
		if inStripe == stripe || n == 0 {
			out = binary.BigEndian.AppendUint32(out, crc)
			crc, inStripe = 0, 0
		}
	}
	return out, nil
}

// FileChecksum is Hadoop's MD5MD5CRC32FileChecksum: what
// DFSClient.getFileChecksum returns and WebHDFS's GETFILECHECKSUM sends.
type FileChecksum struct {
	// BytesPerCRC is the chunk size (512; 0 for an empty file).
	BytesPerCRC int32
	// CRCPerBlock is the chunk count of the first block when the file has
	// more than one block, else 0 (as the client records it).
	CRCPerBlock int64
	// MD5 is the MD5 over the blocks' MD5s.
	MD5 [md5.Size]byte
	// CRC32C: the chunk CRCs are CRC32C (Castagnoli); false only for the
	// empty-file value, which Hadoop reports as CRC32.
	CRC32C bool
}

// Algorithm is the checksum's algorithm name, e.g.
// "MD5-of-262144MD5-of-512CRC32C".
func (c FileChecksum) Algorithm() string {
	crc := "CRC32"
	if c.CRC32C {
		crc = "CRC32C"
	}
	return fmt.Sprintf("MD5-of-%dMD5-of-%d%s", c.CRCPerBlock, c.BytesPerCRC, crc)
}

// Bytes is the checksum as Hadoop serialises it (Writable): bytesPerCRC
// (int32), crcPerBlock (int64), the MD5, all big-endian: 28 bytes.
func (c FileChecksum) Bytes() []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(c.BytesPerCRC))
	out = binary.BigEndian.AppendUint64(out, uint64(c.CRCPerBlock))
	return append(out, c.MD5[:]...)
}

// FileMD5 combines block MD5s into the file's MD5 as Hadoop's client does:
// MD5 over the concatenated block MD5s written into a DataOutputBuffer,
// whose whole backing array (32 bytes, doubling as needed, zero-filled) is
// digested.
func FileMD5(blockMD5s [][md5.Size]byte) [md5.Size]byte {
	size := 32
	for size < len(blockMD5s)*md5.Size {
		size *= 2
	}
	buf := make([]byte, size)
	for i, b := range blockMD5s {
		copy(buf[i*md5.Size:], b[:])
	}
	return md5.Sum(buf)
}

// OfFile streams a whole file of size bytes from r, cut into blocks of
// blockSize bytes, and returns its MD5MD5CRC32C file checksum, exactly what
// a Hadoop client computes from the DataNode's BLOCK_CHECKSUM answers for
// those blocks. An empty file has Hadoop's fixed value (no blocks: MD5 of
// 32 zero bytes, reported as CRC32 with zero sizes).
func OfFile(ctx context.Context, r io.Reader, size, blockSize int64) (FileChecksum, error) {
	if size <= 0 {
		return FileChecksum{MD5: FileMD5(nil)}, nil
	}
	if blockSize <= 0 {
		return FileChecksum{}, fmt.Errorf("hdfschecksum: block size %d", blockSize)
	}
	var md5s [][md5.Size]byte
	for off := int64(0); off < size; off += blockSize {
		n := min(blockSize, size-off)
		m, err := BlockMD5(ctx, r, n)
		if err != nil {
			return FileChecksum{}, err
		}
		md5s = append(md5s, m)
	}
	c := FileChecksum{BytesPerCRC: BytesPerChecksum, MD5: FileMD5(md5s), CRC32C: true}
	if len(md5s) > 1 {
		c.CRCPerBlock = ChunksIn(blockSize)
	}
	return c, nil
}
