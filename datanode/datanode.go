// Package datanode serves the HDFS DataTransferProtocol (version 28) on the
// DataNode transfer port: READ_BLOCK, WRITE_BLOCK and BLOCK_CHECKSUM over
// blocks whose bytes live elsewhere (S3 objects), resolved through the block map
// of package blocks, which the NameNode fills.
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

	"github.com/emrfsd/emrfsd/blocks"
)

// Blocks gives the DataNode access to block contents: *blocks.Table, the
// block map the NameNode fills. Errors that satisfy
// errors.Is(err, io/fs.ErrNotExist) are reported to clients as
// ERROR_INVALID, io/fs.ErrPermission as ERROR_ACCESS_TOKEN, anything else as
// ERROR.
type Blocks interface {
	OpenRead(ctx context.Context, b blocks.Ref) (blocks.ReadTarget, error)
	OpenWrite(ctx context.Context, b blocks.Ref) (blocks.WriteTarget, error)
}
