package datanode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// readBlock serves READ_BLOCK: a response with the checksum info, data
// packets (seqno 0, 1, ...) covering [chunkOffset, endOffset), then an empty
// packet with lastPacketInBlock=true, then an optional ClientReadStatusProto.
func (s *Server) readBlock(ctx context.Context, c *conn, req *hdfspb.OpReadBlockProto) error {
	ref, err := blockRef(req.GetHeader().GetBaseHeader())
	if err != nil {
		return err
	}
	log := c.log.With("op", "READ_BLOCK", "block", ref.ID)
	rt, err := s.blocks.OpenRead(ctx, ref)
	if err != nil {
		log.Info("datanode: open for read failed", "err", err)
		return s.respondErr(c, err)
	}
	blockLen := rt.Len()
	off, n := req.GetOffset(), req.GetLen()
	if blockLen < 0 || off > uint64(blockLen) || n > uint64(blockLen)-off {
		return s.respond(c, &hdfspb.BlockOpResponseProto{
			Status: hdfspb.Status_ERROR_INVALID.Enum(),
			Message: proto.String(fmt.Sprintf("emrfsd datanode: offset %d and length %d don't match block %d of length %d",
				off, n, ref.ID, blockLen)),
		})
	}
	start := int64(off) - int64(off)%bytesPerChecksum
	end := min(roundUpChunk(int64(off+n)), blockLen)
	sendSums := req.SendChecksums == nil || req.GetSendChecksums()

	// The S3 reads behind the stream stop as soon as the client hangs up
	// (see watchHangup), not only at the next failed write.
	rctx, cancelRead := context.WithCancel(ctx)
	defer cancelRead()
	var body io.ReadCloser
	if end > start {
		body, err = rt.Range(rctx, start, end-start)
		if err != nil {
			log.Info("datanode: range open failed", "err", err, "off", start, "len", end-start)
			return s.respondErr(c, err)
		}
		defer body.Close()
	}

	ctype := hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C
	if !sendSums {
		ctype = hdfspb.ChecksumTypeProto_CHECKSUM_NULL
	}
	if err := s.respond(c, &hdfspb.BlockOpResponseProto{
		Status: hdfspb.Status_SUCCESS.Enum(),
		ReadOpChecksumInfo: &hdfspb.ReadOpChecksumInfoProto{
			Checksum: &hdfspb.ChecksumProto{
				Type:             ctype.Enum(),
				BytesPerChecksum: proto.Uint32(bytesPerChecksum),
			},
			ChunkOffset: proto.Uint64(uint64(start)),
		},
	}); err != nil {
		return err
	}

	// Packets carry up to maxPacketData (256 KiB) of data, not the 64 KiB
	// Java DataNodes send: clients accept packets up to 16 MiB, and larger
	// ones cost a client (colinmarc reads its connection unbuffered, a
	// few reads per packet) and the DataNode fewer calls per byte.
	pb := newPacketBuf(end - start)
	gone, stopWatch := s.watchHangup(c, cancelRead)
	defer stopWatch()
	seqno := int64(0)
	for pos := start; pos < end; seqno++ {
		k := int(min(end-pos, maxPacketData))
		if _, err := io.ReadFull(body, pb.data(k)); err != nil {
			if herr := gone(); herr != nil {
				return herr // the client left: nothing more to send
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			// The stream is cut short; the client detects the truncation.
			return fmt.Errorf("reading block %d at %d: %w", ref.ID, pos, err)
		}
		pkt, err := pb.frame(packetHeader{Offset: pos, Seqno: seqno}, k, sendSums)
		if err != nil {
			return err
		}
		if err := s.write(c, pkt); err != nil {
			return err
		}
		pos += int64(k)
	}
	pkt, err := pb.frame(packetHeader{Offset: end, Seqno: seqno, Last: true}, 0, sendSums)
	if err != nil {
		return err
	}
	if err := s.write(c, pkt); err != nil {
		return err
	}
	c.statusDue = true // a Java client follows up with its read status
	return nil
}

// watchHangup watches c for the client closing it while READ_BLOCK
// streams (nothing else reads c meanwhile). HDFS clients ask for the rest
// of the block and hang up once they have their bytes (a positioned read
// of colinmarc's: 64 KiB of a 128 MiB request); the packets already sent
// sit in socket buffers, so without the watch the next window's GET
// (and the drain of its body) runs to completion for nobody. On a hang-up
// it calls hangup (cancelling the S3 reads); gone then reports the
// connection's error. stop ends the watch and must be called before c is
// read again: it unblocks the watcher with a past read deadline, which
// the next op's read replaces. Bytes that arrive instead (a Java client's
// read status) stay buffered for that next read.
func (s *Server) watchHangup(c *conn, hangup context.CancelFunc) (gone func() error, stop func()) {
	c.nc.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	var hungUp error
	go func() {
		defer close(done)
		if _, err := c.r.Peek(1); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			hungUp = err
			hangup()
		}
	}()
	gone = func() error {
		select {
		case <-done:
			return hungUp
		default:
			return nil
		}
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			c.nc.SetReadDeadline(time.Now())
			<-done
		}
	}
	return gone, stop
}

func roundUpChunk(n int64) int64 {
	return (n + bytesPerChecksum - 1) / bytesPerChecksum * bytesPerChecksum
}

// readClientStatus consumes the varint-delimited ClientReadStatusProto that
// Java clients send after a complete read. It is called once the next bytes
// have arrived and do not start an op (ops start with the 0x00 of the
// version; colinmarc never sends a status).
func (s *Server) readClientStatus(c *conn) error {
	var st hdfspb.ClientReadStatusProto
	if err := readDelimited(c.r, maxReadStatusMessage, &st); err != nil {
		return err
	}
	switch st.GetStatus() {
	case hdfspb.Status_SUCCESS, hdfspb.Status_CHECKSUM_OK:
		c.log.Debug("datanode: client read status", "status", st.GetStatus().String())
	default:
		c.log.Warn("datanode: client reported a failed read", "status", st.GetStatus().String())
	}
	return nil
}
