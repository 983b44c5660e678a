package datanode

import (
	"encoding/binary"
	"hash/crc32"
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
