package datanode

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// castagnoli is the CRC32C table; read-only after package initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// numChunks is the number of bpc-byte chunks (the last may be short) in n bytes.
func numChunks(n, bpc int) int { return (n + bpc - 1) / bpc }

// putChunkCRCs writes the big-endian CRC of every bpc-byte chunk of data,
// counted from data[0], into dst (which holds numChunks(len(data), bpc)*4 bytes).
func putChunkCRCs(dst, data []byte, bpc int, tab *crc32.Table) {
	for i := 0; len(data) > 0; i++ {
		n := min(bpc, len(data))
		binary.BigEndian.PutUint32(dst[i*crcSize:], crc32.Checksum(data[:n], tab))
		data = data[n:]
	}
}

// badChunk returns the index of the first chunk of data whose CRC differs
// from sums, or -1 if all match. len(sums) must be numChunks(len(data))*4.
func badChunk(sums, data []byte, bpc int, tab *crc32.Table) int {
	for i := 0; len(data) > 0; i++ {
		n := min(bpc, len(data))
		if binary.BigEndian.Uint32(sums[i*crcSize:]) != crc32.Checksum(data[:n], tab) {
			return i
		}
		data = data[n:]
	}
	return -1
}

// md5OfChunkCRCs streams n bytes from r and returns MD5 over the concatenated
// big-endian CRC32C of each 512-byte chunk: the MD5CRC block checksum that
// BLOCK_CHECKSUM reports (Java keeps those CRCs in the block's .meta file and
// digests them).
func md5OfChunkCRCs(ctx context.Context, r io.Reader, n int64) ([md5.Size]byte, error) {
	h := md5.New()
	buf := make([]byte, maxPacketData)
	var crcs [maxPacketData / bytesPerChecksum * crcSize]byte
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return [md5.Size]byte{}, err
		}
		want := int(min(n, int64(len(buf))))
		if _, err := io.ReadFull(r, buf[:want]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return [md5.Size]byte{}, fmt.Errorf("datanode: block data ended %d bytes early", n)
			}
			return [md5.Size]byte{}, err
		}
		k := numChunks(want, bytesPerChecksum) * crcSize
		putChunkCRCs(crcs[:k], buf[:want], bytesPerChecksum, castagnoli)
		h.Write(crcs[:k])
		n -= int64(want)
	}
	var out [md5.Size]byte
	h.Sum(out[:0])
	return out, nil
}

// compositeCRCs streams n bytes from r and returns the COMPOSITE_CRC block
// checksum: the big-endian CRC32C of each stripe of stripe bytes (the last
// may be short), concatenated. Hadoop composes the per-chunk CRCs of its
// .meta file (CrcComposer); composing CRC32Cs of consecutive pieces gives
// the CRC32C of their concatenation, so hashing the bytes directly is the
// same value.
func compositeCRCs(ctx context.Context, r io.Reader, n, stripe int64) ([]byte, error) {
	if stripe <= 0 || stripe > n {
		stripe = n
	}
	var out []byte
	buf := make([]byte, maxPacketData)
	var crc uint32
	var inStripe int64
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		want := int(min(n, int64(len(buf)), stripe-inStripe))
		if _, err := io.ReadFull(r, buf[:want]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("datanode: block data ended %d bytes early", n)
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
