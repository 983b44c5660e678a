package datanode

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// writeBlock serves WRITE_BLOCK: the BlockOpResponseProto, then packets in
// and a pipeline ack out for each, in packet order, until the last packet,
// which is acked once blocks.WriteTarget.End has returned.
func (s *Server) writeBlock(ctx context.Context, c *conn, req *hdfspb.OpWriteBlockProto) error {
	ref, err := blockRef(req.GetHeader().GetBaseHeader())
	if err != nil {
		return err
	}
	log := c.log.With("op", "WRITE_BLOCK", "block", ref.ID)

	switch st := req.GetStage(); st {
	case hdfspb.OpWriteBlockProto_TRANSFER_RBW, hdfspb.OpWriteBlockProto_TRANSFER_FINALIZED:
		return s.respond(c, &hdfspb.BlockOpResponseProto{
			Status:  hdfspb.Status_ERROR_UNSUPPORTED.Enum(),
			Message: proto.String(fmt.Sprintf("emrfsd datanode does not support write stage %s", st)),
		})
	}
	tab, csize, bpc, err := requestedChecksum(req.GetRequestedChecksum())
	if err != nil {
		return s.respond(c, &hdfspb.BlockOpResponseProto{
			Status:  hdfspb.Status_ERROR_UNSUPPORTED.Enum(),
			Message: proto.String("emrfsd datanode: " + err.Error()),
		})
	}

	wt, err := s.blocks.OpenWrite(ctx, ref)
	if err != nil {
		log.Info("datanode: open for write failed", "err", err)
		return s.respondErr(c, err)
	}
	// firstBadLink must be set: the reply is then at least 5 bytes on the
	// wire, which colinmarc's response reader needs.
	if err := s.respond(c, &hdfspb.BlockOpResponseProto{
		Status:       hdfspb.Status_SUCCESS.Enum(),
		FirstBadLink: proto.String(""),
	}); err != nil {
		wt.Fail(err)
		return err
	}
	rc := &receiver{
		s: s, c: c, log: log, wt: wt,
		tab: tab, csize: csize, bpc: bpc,
		replies: 1 + len(req.GetTargets()),
	}
	return rc.run(ctx)
}

// requestedChecksum validates the client's checksum choice.
func requestedChecksum(cs *hdfspb.ChecksumProto) (tab *crc32.Table, size, bpc int, err error) {
	if cs == nil {
		return castagnoli, crcSize, bytesPerChecksum, nil
	}
	bpc = int(cs.GetBytesPerChecksum())
	if bpc <= 0 || bpc > maxBytesPerChecksumAccept {
		return nil, 0, 0, fmt.Errorf("bytesPerChecksum %d out of range", cs.GetBytesPerChecksum())
	}
	switch cs.GetType() {
	case hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C:
		return castagnoli, crcSize, bpc, nil
	case hdfspb.ChecksumTypeProto_CHECKSUM_CRC32:
		return crc32.IEEETable, crcSize, bpc, nil
	case hdfspb.ChecksumTypeProto_CHECKSUM_NULL:
		return nil, 0, bpc, nil
	}
	return nil, 0, 0, fmt.Errorf("unsupported checksum type %d", cs.GetType())
}

// receiver runs one WRITE_BLOCK after the op response.
type receiver struct {
	s       *Server
	c       *conn
	log     *slog.Logger
	wt      blocks.WriteTarget
	tab     *crc32.Table // nil: CHECKSUM_NULL
	csize   int
	bpc     int
	replies int
	ackBuf  []byte
}

type ack struct {
	seqno  int64
	status hdfspb.Status
}

func (rc *receiver) run(ctx context.Context) error {
	// fail abandons the block: ack the offending packet with status (if
	// any) and close the connection.
	fail := func(seqno int64, status hdfspb.Status, err error, sendAck bool) error {
		rc.wt.Fail(err)
		if sendAck {
			rc.sendAck(ack{seqno, status})
			rc.c.lingerClose()
		}
		return err
	}

	pos := rc.wt.Received()
	var buf []byte
	for {
		rc.c.nc.SetReadDeadline(time.Now().Add(rc.s.readTimeout))
		var pkt packet
		var err error
		pkt, buf, err = readPacket(rc.c.r, buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("client closed the connection mid-block: %w", io.ErrUnexpectedEOF)
			}
			return fail(0, 0, err, false)
		}
		if pkt.Seqno == heartbeatSeqno && !pkt.Last && pkt.DataLen == 0 {
			if err := rc.sendAck(ack{heartbeatSeqno, hdfspb.Status_SUCCESS}); err != nil {
				return fail(0, 0, err, false)
			}
			continue
		}
		if want := numChunks(len(pkt.Data), rc.bpc) * rc.csize; len(pkt.Sums) != want {
			err := fmt.Errorf("%w: packet %d has %d checksum bytes for %d data bytes (want %d)",
				errMalformed, pkt.Seqno, len(pkt.Sums), len(pkt.Data), want)
			return fail(pkt.Seqno, hdfspb.Status_ERROR, err, true)
		}
		if rc.tab != nil {
			if i := badChunk(pkt.Sums, pkt.Data, rc.bpc, rc.tab); i >= 0 {
				err := fmt.Errorf("%w: packet %d chunk %d (block offset %d)", errChecksum, pkt.Seqno, i, pkt.Offset+int64(i*rc.bpc))
				return fail(pkt.Seqno, hdfspb.Status_ERROR_CHECKSUM, err, true)
			}
		}
		if pkt.Offset < 0 || pkt.Offset > pos {
			err := fmt.Errorf("%w: packet %d starts at block offset %d but the block has %d bytes", errMalformed, pkt.Seqno, pkt.Offset, pos)
			return fail(pkt.Seqno, hdfspb.Status_ERROR, err, true)
		}
		// After an hflush the client resends the partial last chunk: write
		// only the bytes past what the block already has.
		if skip := pos - pkt.Offset; skip < int64(len(pkt.Data)) {
			p := pkt.Data[skip:]
			n, err := rc.wt.Write(p)
			pos += int64(n)
			if err == nil && n < len(p) {
				err = io.ErrShortWrite
			}
			if err != nil {
				return fail(pkt.Seqno, statusOf(err), fmt.Errorf("writing block at %d: %w", pos, err), true)
			}
		}
		if pkt.Last {
			err := rc.wt.End(ctx)
			status := hdfspb.Status_SUCCESS
			if err != nil {
				status = statusOf(err)
				rc.log.Warn("datanode: block could not be made durable", "err", err, "bytes", pos)
			} else {
				rc.log.Debug("datanode: block complete", "bytes", pos)
			}
			aerr := rc.sendAck(ack{pkt.Seqno, status})
			if err != nil {
				return fmt.Errorf("ending block: %w", err)
			}
			return aerr
		}
		if err := rc.sendAck(ack{pkt.Seqno, hdfspb.Status_SUCCESS}); err != nil {
			return fail(0, 0, err, false)
		}
	}
}

// sendAck writes one pipeline ack, from the goroutine receiving packets.
// Acks are a few bytes; a client that does not read them blocks this
// write only once the socket's buffer is full (hundreds of thousands of
// acks), and then for at most the write timeout. Writing them here rather
// than from a goroutine of their own saves two goroutine hand-offs per
// packet (16,384 per GiB at 64 KiB packets: 17% of the daemon's CPU under
// W1 went to the scheduler) and never leaves a received packet unacked
// while this goroutine waits for the next one.
func (rc *receiver) sendAck(a ack) error {
	var err error
	if rc.ackBuf, err = rc.appendAck(rc.ackBuf[:0], a); err != nil {
		return err
	}
	if err := rc.s.write(rc.c, rc.ackBuf); err != nil {
		return fmt.Errorf("sending acks: %w", err)
	}
	return nil
}

// appendAck appends PipelineAckProto{seqno, reply: status per pipeline node,
// flag: the same status per node (no ECN / SLOW bits)}.
func (rc *receiver) appendAck(dst []byte, a ack) ([]byte, error) {
	m := &hdfspb.PipelineAckProto{
		Seqno:                  proto.Int64(a.seqno),
		Reply:                  make([]hdfspb.Status, rc.replies),
		DownstreamAckTimeNanos: proto.Uint64(0),
		Flag:                   make([]uint32, rc.replies),
	}
	for i := range m.Reply {
		m.Reply[i] = a.status
		m.Flag[i] = uint32(a.status)
	}
	return appendDelimited(dst, m)
}

// Bounds of lingerClose.
const (
	lingerTime  = 2 * time.Second
	lingerBytes = 64 << 20
)

// lingerClose runs before a connection is closed after an error ack: the
// client is usually still sending the packets after the failed one, and
// closing with them unread makes the kernel reset the connection, so the
// client reports "connection reset by peer" (its write fails before it
// reads the ack) instead of the error status. Half-close, then discard
// what it still sends, for a bounded time and size.
func (c *conn) lingerClose() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(lingerTime))
	io.CopyN(io.Discard, c.r, lingerBytes)
}
