package datanode

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/internal/hdfschecksum"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// blockChecksum serves BLOCK_CHECKSUM, computed by streaming the block: the
// MD5CRC checksum (MD5 over the CRC32C of every 512-byte chunk) or the
// COMPOSITE_CRC one (the CRC32C of each stripe; of the whole block when the
// request names no stripe length, which a replicated file's client does).
// As in Java, a request whose block.numBytes is below the block length
// covers only that prefix, while crcPerBlock always counts the whole block.
func (s *Server) blockChecksum(ctx context.Context, c *conn, req *hdfspb.OpBlockChecksumProto) error {
	ref, err := blockRef(req.GetHeader())
	if err != nil {
		return err
	}
	log := c.log.With("op", "BLOCK_CHECKSUM", "block", ref.ID)
	kind := hdfspb.BlockChecksumTypeProto_MD5CRC
	if opts := req.GetBlockChecksumOptions(); opts != nil {
		kind = opts.GetBlockChecksumType()
	}
	if kind != hdfspb.BlockChecksumTypeProto_MD5CRC && kind != hdfspb.BlockChecksumTypeProto_COMPOSITE_CRC {
		return s.respond(c, &hdfspb.BlockOpResponseProto{
			Status:  hdfspb.Status_ERROR_UNSUPPORTED.Enum(),
			Message: proto.String(fmt.Sprintf("emrfsd datanode does not support %s block checksums", kind)),
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
	var sum []byte
	body := io.ReadCloser(io.NopCloser(bytes.NewReader(nil)))
	if n > 0 {
		if body, err = rt.Range(ctx, 0, n); err != nil {
			log.Info("datanode: range open failed", "err", err)
			return s.respondErr(c, err)
		}
	}
	if kind == hdfspb.BlockChecksumTypeProto_COMPOSITE_CRC {
		sum, err = hdfschecksum.CompositeCRCs(ctx, body, n, int64(req.GetBlockChecksumOptions().GetStripeLength()))
	} else {
		var digest [md5.Size]byte
		digest, err = hdfschecksum.BlockMD5(ctx, body, n)
		sum = digest[:]
	}
	body.Close()
	if err != nil {
		log.Info("datanode: checksum computation failed", "err", err)
		return s.respondErr(c, err)
	}
	resp := &hdfspb.OpBlockChecksumResponseProto{
		BytesPerCrc:   proto.Uint32(bytesPerChecksum),
		CrcPerBlock:   proto.Uint64(uint64(hdfschecksum.ChunksIn(blockLen))),
		BlockChecksum: sum,
		CrcType:       hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C.Enum(),
	}
	if kind == hdfspb.BlockChecksumTypeProto_COMPOSITE_CRC {
		resp.BlockChecksumOptions = &hdfspb.BlockChecksumOptionsProto{BlockChecksumType: kind.Enum()}
	}
	return s.respond(c, &hdfspb.BlockOpResponseProto{Status: hdfspb.Status_SUCCESS.Enum(), ChecksumResponse: resp})
}
