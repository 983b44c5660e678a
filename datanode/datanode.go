// Package datanode serves the HDFS DataTransferProtocol (version 28) on the
// DataNode transfer port: READ_BLOCK, WRITE_BLOCK and BLOCK_CHECKSUM over
// blocks whose bytes live elsewhere (S3 objects, through the Blocks seam that
// the NameNode side implements).
//
// Wire summary (see docs/hdfs-protocol-notes.md §3):
//
//	op request   : int16 BE version (28) | uint8 op | varint length | Op*Proto
//	op response  : varint length | BlockOpResponseProto
//	packet       : uint32 BE PLEN | uint16 BE HLEN | PacketHeaderProto | checksums | data
//	               PLEN = 4 + len(checksums) + len(data) (the header is not counted)
//	pipeline ack : varint length | PipelineAckProto
//	read status  : varint length | ClientReadStatusProto (Java clients only)
//
// Checksums are CRC32C per 512-byte chunk, counted from the first byte of a
// packet's data; the last chunk of a packet may be short.
package datanode

import (
	"context"
	"io"
)

// BlockRef names one block as the client sent it in an op header.
type BlockRef struct {
	PoolID   string
	ID       int64
	GenStamp int64
	NumBytes int64
}

// Blocks gives the DataNode access to block contents. The NameNode side
// implements it. Errors that satisfy errors.Is(err, io/fs.ErrNotExist) are
// reported to clients as ERROR_INVALID, io/fs.ErrPermission as
// ERROR_ACCESS_TOKEN, anything else as ERROR.
type Blocks interface {
	OpenRead(ctx context.Context, b BlockRef) (ReadTarget, error)
	OpenWrite(ctx context.Context, b BlockRef) (WriteTarget, error)
}

// ReadTarget is a readable block.
type ReadTarget interface {
	// Len is the block length in bytes.
	Len() int64
	// Range returns the plaintext bytes [off, off+n) of the block.
	Range(ctx context.Context, off, n int64) (io.ReadCloser, error)
}

// WriteTarget is a block being written. The server calls Write for every
// new byte in order, then exactly one of End (the client finished the block)
// or Fail (the client went away, or sent bad data). Fail is not called after
// End, whatever End returns.
type WriteTarget interface {
	// Received is the number of bytes of this block already written.
	Received() int64
	// Write appends p at Received().
	Write(p []byte) (int, error)
	// End is called after the last packet and returns once the block's
	// bytes are durable.
	End(ctx context.Context) error
	// Fail abandons the block.
	Fail(err error)
}
