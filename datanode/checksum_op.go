package datanode

import (
	"context"
	"crypto/md5"
	"fmt"

	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// blockChecksum serves BLOCK_CHECKSUM with the MD5CRC checksum: MD5 over the
// CRC32C of every 512-byte chunk, computed by streaming the block. As in
// Java, a request whose block.numBytes is below the block length covers only
// that prefix, while crcPerBlock always counts the whole block.
func (s *Server) blockChecksum(ctx context.Context, c *conn, req *hdfspb.OpBlockChecksumProto) error {
	ref, err := blockRef(req.GetHeader())
	if err != nil {
		return err
	}
	log := c.log.With("op", "BLOCK_CHECKSUM", "block", ref.ID)
	if opts := req.GetBlockChecksumOptions(); opts != nil && opts.GetBlockChecksumType() != hdfspb.BlockChecksumTypeProto_MD5CRC {
		return s.respond(c, &hdfspb.BlockOpResponseProto{
			Status:  hdfspb.Status_ERROR_UNSUPPORTED.Enum(),
			Message: proto.String(fmt.Sprintf("emrfsd datanode supports only MD5CRC block checksums, not %s", opts.GetBlockChecksumType())),
		})
	}
	rt, err := s.blocks.OpenRead(ctx, ref)
	if err != nil {
		log.Info("datanode: open for checksum failed", "err", err)
		return s.respondErr(c, err)
	}
	blockLen := rt.Len()
	n := blockLen
	if ref.NumBytes >= 0 && ref.NumBytes < n {
		n = ref.NumBytes
	}
	var digest [md5.Size]byte
	if n > 0 {
		body, err := rt.Range(ctx, 0, n)
		if err != nil {
			log.Info("datanode: range open failed", "err", err)
			return s.respondErr(c, err)
		}
		digest, err = md5OfChunkCRCs(ctx, body, n)
		body.Close()
		if err != nil {
			log.Info("datanode: checksum computation failed", "err", err)
			return s.respondErr(c, err)
		}
	} else {
		digest = md5.Sum(nil)
	}
	return s.respond(c, &hdfspb.BlockOpResponseProto{
		Status: hdfspb.Status_SUCCESS.Enum(),
		ChecksumResponse: &hdfspb.OpBlockChecksumResponseProto{
			BytesPerCrc:   proto.Uint32(bytesPerChecksum),
			CrcPerBlock:   proto.Uint64(uint64(numChunks64(blockLen))),
			BlockChecksum: digest[:],
			CrcType:       hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C.Enum(),
		},
	})
}

func numChunks64(n int64) int64 { return (n + bytesPerChecksum - 1) / bytesPerChecksum }
