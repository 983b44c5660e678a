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
//
// Imports: blocks (the block map the NameNode fills),
// internal/errs and the generated protobuf package. It never imports namenode
// or dfs.
package datanode
