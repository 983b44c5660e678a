package datanode

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

func writeReq(id, numBytes int64, targets int) *hdfspb.OpWriteBlockProto {
	req := &hdfspb.OpWriteBlockProto{
		Header:                clientHeader(id, numBytes),
		Stage:                 hdfspb.OpWriteBlockProto_PIPELINE_SETUP_CREATE.Enum(),
		PipelineSize:          proto.Uint32(uint32(targets)),
		MinBytesRcvd:          proto.Uint64(0),
		MaxBytesRcvd:          proto.Uint64(0),
		LatestGenerationStamp: proto.Uint64(0),
		RequestedChecksum: &hdfspb.ChecksumProto{
			Type:             hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C.Enum(),
			BytesPerChecksum: proto.Uint32(512),
		},
	}
	for i := range targets {
		req.Targets = append(req.Targets, &hdfspb.DatanodeInfoProto{Id: &hdfspb.DatanodeIDProto{
			IpAddr: proto.String("127.0.0.2"), HostName: proto.String("dn"), DatanodeUuid: proto.String("uuid"),
			XferPort: proto.Uint32(uint32(9866 + i)), InfoPort: proto.Uint32(9864), IpcPort: proto.Uint32(9867),
		}})
	}
	return req
}

// startWrite sends WRITE_BLOCK and checks the exact reply bytes.
func (tc *tclient) startWrite(req *hdfspb.OpWriteBlockProto) {
	tc.t.Helper()
	tc.op(opWriteBlock, req)
	raw, _ := tc.rawMessage()
	// BlockOpResponseProto{status: SUCCESS, firstBadLink: ""}: 5 bytes,
	// which colinmarc's io.ReadAtLeast(r, buf, 5) needs.
	if want := []byte{0x04, 0x08, 0x00, 0x12, 0x00}; !bytes.Equal(raw, want) {
		tc.t.Fatalf("WRITE_BLOCK reply % x, want % x", raw, want)
	}
}

func (tc *tclient) expectAck(seqno int64, status hdfspb.Status, nodes int) {
	tc.t.Helper()
	a := tc.ack()
	if a.GetSeqno() != seqno {
		tc.t.Fatalf("ack seqno %d, want %d", a.GetSeqno(), seqno)
	}
	if len(a.GetReply()) != nodes || len(a.GetFlag()) != nodes {
		tc.t.Fatalf("ack has %d replies and %d flags, want %d", len(a.GetReply()), len(a.GetFlag()), nodes)
	}
	for i := range nodes {
		if a.GetReply()[i] != status || a.GetFlag()[i] != uint32(status) {
			tc.t.Fatalf("ack %d reply %v flag %d, want %v", seqno, a.GetReply()[i], a.GetFlag()[i], status)
		}
	}
}

// writeBlock writes data in packets of size psize starting at seqno first,
// reading acks only at the end (up to 5 in flight would also do), and
// returns after the last packet's ack.
func (tc *tclient) writeBlock(data []byte, psize int, first int64, nodes int) {
	tc.t.Helper()
	seq := first
	for off := 0; off < len(data); off += psize {
		tc.sendPacket(int64(off), seq, false, data[off:min(off+psize, len(data))])
		seq++
	}
	tc.sendPacket(int64(len(data)), seq, true, nil)
	for s := first; s <= seq; s++ {
		tc.expectAck(s, hdfspb.Status_SUCCESS, nodes)
	}
}

func TestWriteColinmarcStyle(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	data := randBytes(5, 5*65536+1234)
	tc := dial(t, addr)
	tc.startWrite(writeReq(20, 0, 0))
	tc.writeBlock(data, 65536, 1, 1) // colinmarc: seqnos from 1, one reply
	got, ok := mb.get(20)
	if !ok || !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes, want the %d written", len(got), len(data))
	}
	if w := mb.write(20); w.calls != 1 || !w.ended {
		t.Fatalf("End/Fail calls %d, ended %v", w.calls, w.ended)
	}
}

func TestWriteJavaStyle(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	data := randBytes(6, 3*65536+7)
	tc := dial(t, addr)
	// Java: seqnos from 0, targets = downstream nodes, one reply per node.
	tc.startWrite(writeReq(21, 128<<20, 2))
	tc.writeBlock(data, 65024, 0, 3)
	if got, _ := mb.get(21); !bytes.Equal(got, data) {
		t.Fatal("stored data differs")
	}
	// The connection carries another op afterwards.
	_, rd := tc.readBlock(readReq(21, int64(len(data)), 0, uint64(len(data))), int64(len(data)))
	if !bytes.Equal(rd, data) {
		t.Fatal("read back differs")
	}
}

func TestWriteHeartbeat(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	tc := dial(t, addr)
	tc.startWrite(writeReq(22, 0, 0))
	tc.sendPacket(0, -1, false, nil) // before any data
	tc.expectAck(-1, hdfspb.Status_SUCCESS, 1)
	tc.sendPacket(0, 0, false, []byte("hello "))
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	tc.sendPacket(0, -1, false, nil)
	tc.expectAck(-1, hdfspb.Status_SUCCESS, 1)
	tc.sendPacket(6, 1, false, []byte("world"))
	tc.sendPacket(11, 2, true, nil)
	tc.expectAck(1, hdfspb.Status_SUCCESS, 1)
	tc.expectAck(2, hdfspb.Status_SUCCESS, 1)
	if got, _ := mb.get(22); string(got) != "hello world" {
		t.Fatalf("stored %q", got)
	}
}

// After hflush of a partial chunk Java resends from the chunk boundary.
func TestWriteOverlapResend(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	data := randBytes(7, 3000)
	tc := dial(t, addr)
	tc.startWrite(writeReq(23, 0, 0))
	tc.sendPacket(0, 0, false, data[:700]) // flushed: chunk 1 is partial
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	tc.sendPacket(512, 1, false, data[512:1800]) // resend chunk 1 whole and more
	tc.expectAck(1, hdfspb.Status_SUCCESS, 1)
	tc.sendPacket(1536, 2, false, data[1536:1800]) // wholly already received
	tc.expectAck(2, hdfspb.Status_SUCCESS, 1)
	tc.sendPacket(1536, 3, false, data[1536:3000])
	tc.sendPacket(3000, 4, true, nil)
	tc.expectAck(3, hdfspb.Status_SUCCESS, 1)
	tc.expectAck(4, hdfspb.Status_SUCCESS, 1)
	if got, _ := mb.get(23); !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes, differs from the %d written", len(got), len(data))
	}
}

// Append to an existing partial block: colinmarc first sends a short packet
// up to the next chunk boundary.
func TestWriteAppend(t *testing.T) {
	mb := newMemBlocks()
	old := randBytes(8, 1000)
	mb.put(24, old)
	_, addr := startServer(t, mb, Options{})
	more := randBytes(9, 2000)
	tc := dial(t, addr)
	req := writeReq(24, 1000, 0)
	req.Stage = hdfspb.OpWriteBlockProto_PIPELINE_SETUP_APPEND.Enum()
	tc.startWrite(req)
	tc.sendPacket(1000, 1, false, more[:24])
	tc.sendPacket(1024, 2, false, more[24:])
	tc.sendPacket(3000, 3, true, nil)
	for s := int64(1); s <= 3; s++ {
		tc.expectAck(s, hdfspb.Status_SUCCESS, 1)
	}
	if got, _ := mb.get(24); !bytes.Equal(got, append(append([]byte(nil), old...), more...)) {
		t.Fatal("appended block differs")
	}
}

func TestWriteChecksumMismatch(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	data := randBytes(10, 4096)
	tc := dial(t, addr)
	tc.startWrite(writeReq(25, 0, 0))
	tc.sendPacket(0, 0, false, data[:2048])
	sums := clientCRCs(data[2048:])
	sums[5] ^= 0x40 // chunk 1
	tc.sendPacketSums(2048, 1, false, data[2048:], sums)
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	tc.expectAck(1, hdfspb.Status_ERROR_CHECKSUM, 1)
	tc.expectClosed()
	w := mb.write(25)
	w.finished(t)
	if !errors.Is(w.failErr, errChecksum) || w.ended {
		t.Fatalf("Fail(%v), ended %v", w.failErr, w.ended)
	}
	if _, ok := mb.get(25); ok {
		t.Fatal("a failed block was stored")
	}
	// Another connection still works.
	tc2 := dial(t, addr)
	tc2.startWrite(writeReq(26, 0, 0))
	tc2.writeBlock(data, 1024, 1, 1)
}

func TestWriteGap(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	tc := dial(t, addr)
	tc.startWrite(writeReq(27, 0, 0))
	tc.sendPacket(0, 0, false, make([]byte, 512))
	tc.sendPacket(1024, 1, false, make([]byte, 512)) // bytes 512..1023 missing
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	tc.expectAck(1, hdfspb.Status_ERROR, 1)
	tc.expectClosed()
	w := mb.write(27)
	w.finished(t)
	if w.failErr == nil || w.ended {
		t.Fatalf("Fail(%v), ended %v", w.failErr, w.ended)
	}
}

// The last packet is acked only after End returns.
func TestWriteLastAckAfterEnd(t *testing.T) {
	mb := newMemBlocks()
	gate := make(chan struct{})
	mb.endGate = gate
	_, addr := startServer(t, mb, Options{})
	tc := dial(t, addr)
	tc.startWrite(writeReq(28, 0, 0))
	tc.sendPacket(0, 1, false, []byte("durable?"))
	tc.expectAck(1, hdfspb.Status_SUCCESS, 1)
	tc.sendPacket(8, 2, true, nil)

	tc.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := tc.r.Peek(1); err == nil {
		t.Fatal("an ack arrived before End returned")
	} else if !isTimeout(err) {
		t.Fatalf("waiting for no ack: %v", err)
	}
	if _, ok := mb.get(28); ok {
		t.Fatal("stored before End")
	}
	close(gate)
	tc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	tc.expectAck(2, hdfspb.Status_SUCCESS, 1)
	if got, _ := mb.get(28); string(got) != "durable?" {
		t.Fatalf("stored %q", got)
	}
}

func TestWriteEndFails(t *testing.T) {
	mb := newMemBlocks()
	mb.endErr = errors.New("multipart upload failed")
	_, addr := startServer(t, mb, Options{})
	tc := dial(t, addr)
	tc.startWrite(writeReq(29, 0, 0))
	tc.sendPacket(0, 0, false, []byte("x"))
	tc.sendPacket(1, 1, true, nil)
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	tc.expectAck(1, hdfspb.Status_ERROR, 1)
	tc.expectClosed()
	if w := mb.write(29); w.calls != 1 || w.failErr != nil {
		t.Fatalf("calls %d, Fail(%v): Fail must not follow End", w.calls, w.failErr)
	}
}

func TestWriteClientDisconnects(t *testing.T) {
	for _, cut := range []string{"between packets", "mid-packet"} {
		t.Run(cut, func(t *testing.T) {
			mb := newMemBlocks()
			_, addr := startServer(t, mb, Options{})
			tc := dial(t, addr)
			tc.startWrite(writeReq(30, 0, 0))
			tc.sendPacket(0, 0, false, make([]byte, 1000))
			tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
			if cut == "mid-packet" {
				p := packetBytes(t, 1000, 1, false, make([]byte, 3000), clientCRCs(make([]byte, 3000)))
				tc.send(p[:len(p)/2])
			}
			tc.nc.Close()
			w := mb.write(30)
			w.finished(t)
			if w.failErr == nil || w.ended {
				t.Fatalf("Fail(%v), ended %v", w.failErr, w.ended)
			}
		})
	}
}

func TestWriteRefusals(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	tc := dial(t, addr)
	req := writeReq(31, 0, 0)
	req.RequestedChecksum.Type = hdfspb.ChecksumTypeProto(9).Enum()
	tc.op(opWriteBlock, req)
	if r := tc.response(); r.GetStatus() != hdfspb.Status_ERROR_UNSUPPORTED || r.GetMessage() == "" {
		t.Fatal(r)
	}
	req = writeReq(31, 0, 0)
	req.Stage = hdfspb.OpWriteBlockProto_TRANSFER_RBW.Enum()
	tc.op(opWriteBlock, req)
	if r := tc.response(); r.GetStatus() != hdfspb.Status_ERROR_UNSUPPORTED {
		t.Fatal(r)
	}
	if mb.write(31) != nil {
		t.Fatal("refused write opened a block")
	}
}

// CRC32 (not C) and CHECKSUM_NULL writes, as a Java client configured with
// dfs.checksum.type would send.
func TestWriteOtherChecksums(t *testing.T) {
	mb := newMemBlocks()
	_, addr := startServer(t, mb, Options{})
	data := randBytes(11, 5000)

	tc := dial(t, addr)
	req := writeReq(32, 0, 0)
	req.RequestedChecksum.Type = hdfspb.ChecksumTypeProto_CHECKSUM_NULL.Enum()
	tc.startWrite(req)
	tc.sendPacketSums(0, 0, false, data, nil)
	tc.sendPacketSums(5000, 1, true, nil, nil)
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	tc.expectAck(1, hdfspb.Status_SUCCESS, 1)
	if got, _ := mb.get(32); !bytes.Equal(got, data) {
		t.Fatal("CHECKSUM_NULL data differs")
	}

	tc = dial(t, addr)
	req = writeReq(33, 0, 0)
	req.RequestedChecksum.Type = hdfspb.ChecksumTypeProto_CHECKSUM_CRC32.Enum()
	tc.startWrite(req)
	tc.sendPacket(0, 0, false, data) // CRC32C sums: wrong for CRC32
	tc.expectAck(0, hdfspb.Status_ERROR_CHECKSUM, 1)
}
