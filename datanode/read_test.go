package datanode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

func readReq(id, blockLen int64, off, n uint64) *hdfspb.OpReadBlockProto {
	return &hdfspb.OpReadBlockProto{
		Header: clientHeader(id, blockLen),
		Offset: proto.Uint64(off),
		Len:    proto.Uint64(n),
	}
}

// readBlock sends READ_BLOCK and checks the whole reply stream the way the
// Java BlockReaderRemote + PacketHeader.sanityCheck do, plus CRCs. It
// returns the chunk offset and the data from it.
func (tc *tclient) readBlock(req *hdfspb.OpReadBlockProto, blockLen int64) (int64, []byte) {
	t := tc.t
	t.Helper()
	tc.op(opReadBlock, req)
	resp := tc.response()
	if resp.GetStatus() != hdfspb.Status_SUCCESS {
		t.Fatalf("status %v (%s)", resp.GetStatus(), resp.GetMessage())
	}
	wantSums := req.SendChecksums == nil || req.GetSendChecksums()
	ci := resp.GetReadOpChecksumInfo()
	wantType := hdfspb.ChecksumTypeProto_CHECKSUM_CRC32C
	if !wantSums {
		wantType = hdfspb.ChecksumTypeProto_CHECKSUM_NULL
	}
	if ci.GetChecksum().GetType() != wantType || ci.GetChecksum().GetBytesPerChecksum() != 512 {
		t.Fatalf("checksum info %v", ci)
	}
	off := int64(req.GetOffset())
	chunkOff := int64(ci.GetChunkOffset())
	if chunkOff != off-off%512 {
		t.Fatalf("chunkOffset %d for offset %d", chunkOff, off)
	}
	end := min((off+int64(req.GetLen())+511)/512*512, blockLen)

	var data []byte
	lastSeq := int64(-1)
	shortSeen := false
	for {
		p := tc.packet()
		h := p.hdr
		if h.GetSeqno() != lastSeq+1 {
			t.Fatalf("seqno %d after %d", h.GetSeqno(), lastSeq)
		}
		lastSeq = h.GetSeqno()
		if h.GetOffsetInBlock() != chunkOff+int64(len(data)) {
			t.Fatalf("packet %d offsetInBlock %d, want %d", lastSeq, h.GetOffsetInBlock(), chunkOff+int64(len(data)))
		}
		if h.GetLastPacketInBlock() {
			if len(p.data) != 0 || len(p.sums) != 0 {
				t.Fatalf("trailing packet has %d data and %d checksum bytes", len(p.data), len(p.sums))
			}
			break
		}
		if len(p.data) == 0 || len(p.data) > maxPacketData {
			t.Fatalf("data packet %d has %d bytes", lastSeq, len(p.data))
		}
		if shortSeen {
			t.Fatalf("packet %d follows a packet that was not whole chunks", lastSeq)
		}
		shortSeen = len(p.data)%512 != 0
		if wantSums {
			if !bytes.Equal(p.sums, clientCRCs(p.data)) {
				t.Fatalf("packet %d: CRC32C mismatch", lastSeq)
			}
		} else if len(p.sums) != 0 {
			t.Fatalf("packet %d: %d checksum bytes with CHECKSUM_NULL", lastSeq, len(p.sums))
		}
		data = append(data, p.data...)
	}
	if chunkOff+int64(len(data)) != end {
		t.Fatalf("data ends at %d, want %d", chunkOff+int64(len(data)), end)
	}
	return chunkOff, data
}

func TestReadOffsets(t *testing.T) {
	const id = 7
	blockLen := int64(3*maxPacketData + 3000)
	block := randBytes(1, int(blockLen))
	mb := newMemBlocks()
	mb.put(id, block)
	_, addr := startServer(t, mb, Options{})

	cases := []struct{ off, n int64 }{
		{0, blockLen},               // whole block
		{0, 1},                      // first byte
		{1, blockLen - 1},           // colinmarc style: to the end
		{511, 2},                    // straddles the first chunk boundary
		{512, 512},                  // exactly the second chunk
		{513, 100},                  // inside the second chunk
		{maxPacketData + 700, 5000}, // mid-packet
		{maxPacketData - 1, 2},      // straddles a packet boundary
		{blockLen - 1, 1},           // last byte
		{blockLen, 0},               // empty range at the end
		{1024, 0},                   // empty range, aligned
		{100, 0},                    // empty range, unaligned
		{2*maxPacketData + 512, maxPacketData + 10}, // several packets, unaligned end
	}
	// Java style: one connection, a read status after each read.
	tc := dial(t, addr)
	for _, c := range cases {
		t.Run(fmt.Sprintf("off=%d,len=%d", c.off, c.n), func(t *testing.T) {
			tc.t = t
			chunkOff, data := tc.readBlock(readReq(id, blockLen, uint64(c.off), uint64(c.n)), blockLen)
			if !bytes.Equal(data, block[chunkOff:chunkOff+int64(len(data))]) {
				t.Fatal("data differs from the block")
			}
			if got := data[c.off-chunkOff:][:c.n]; !bytes.Equal(got, block[c.off:c.off+c.n]) {
				t.Fatal("requested range differs")
			}
			tc.send(delimited(t, &hdfspb.ClientReadStatusProto{Status: hdfspb.Status_CHECKSUM_OK.Enum()}))
		})
	}
	tc.t = t

	// Every Range covered exactly the chunk-aligned span that was sent.
	mb.mu.Lock()
	ranges := append([][2]int64(nil), mb.ranges...)
	mb.mu.Unlock()
	var want [][2]int64
	for _, c := range cases {
		start := c.off - c.off%512
		end := min((c.off+c.n+511)/512*512, blockLen)
		if end > start {
			want = append(want, [2]int64{start, end - start})
		}
	}
	if fmt.Sprint(ranges) != fmt.Sprint(want) {
		t.Fatalf("Range calls %v, want %v", ranges, want)
	}
}

// colinmarc never reads the trailing packet or sends a status: it reads
// numBytes and closes. Java may also go straight to its next op.
func TestReadClientStyles(t *testing.T) {
	const id = 8
	block := randBytes(2, 70000)
	mb := newMemBlocks()
	mb.put(id, block)
	_, addr := startServer(t, mb, Options{IdleTimeout: 5 * time.Second})

	t.Run("colinmarc closes early", func(t *testing.T) {
		for range 3 {
			tc := dial(t, addr)
			tc.op(opReadBlock, readReq(id, int64(len(block)), 1000, uint64(len(block)-1000)))
			if r := tc.response(); r.GetStatus() != hdfspb.Status_SUCCESS {
				t.Fatal(r)
			}
			tc.packet()
			tc.nc.Close()
		}
	})
	t.Run("next op without status", func(t *testing.T) {
		tc := dial(t, addr)
		start := time.Now()
		for range 3 {
			_, data := tc.readBlock(readReq(id, int64(len(block)), 0, 10), int64(len(block)))
			if !bytes.Equal(data, block[:512]) {
				t.Fatal("data differs")
			}
		}
		// The server must not have waited for a status.
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("three reads took %v", d)
		}
	})
	t.Run("no checksums", func(t *testing.T) {
		tc := dial(t, addr)
		req := readReq(id, int64(len(block)), 700, 66000)
		req.SendChecksums = proto.Bool(false)
		chunkOff, data := tc.readBlock(req, int64(len(block)))
		if !bytes.Equal(data, block[chunkOff:chunkOff+int64(len(data))]) {
			t.Fatal("data differs")
		}
	})
}

func TestReadErrors(t *testing.T) {
	const id = 9
	block := randBytes(3, 5000)
	mb := newMemBlocks()
	mb.put(id, block)
	_, addr := startServer(t, mb, Options{})

	tc := dial(t, addr)
	check := func(req *hdfspb.OpReadBlockProto, want hdfspb.Status) {
		t.Helper()
		tc.op(opReadBlock, req)
		raw, _ := tc.rawMessage()
		var r hdfspb.BlockOpResponseProto
		if err := proto.Unmarshal(raw[1:], &r); err != nil {
			t.Fatal(err)
		}
		if r.GetStatus() != want || r.GetMessage() == "" {
			t.Fatalf("got %v %q, want %v with a message", r.GetStatus(), r.GetMessage(), want)
		}
		if len(raw) < 5 {
			t.Fatalf("error reply is %d bytes; colinmarc needs 5", len(raw))
		}
	}
	check(readReq(404, 10, 0, 10), hdfspb.Status_ERROR_INVALID)       // no such block
	check(readReq(id, 5000, 5001, 0), hdfspb.Status_ERROR_INVALID)    // offset past the end
	check(readReq(id, 5000, 4000, 1001), hdfspb.Status_ERROR_INVALID) // length past the end
	check(readReq(id, 5000, 1<<63, 1<<63), hdfspb.Status_ERROR_INVALID)

	mb.mu.Lock()
	mb.rangeErr = errors.New("s3 unavailable")
	mb.mu.Unlock()
	check(readReq(id, 5000, 0, 10), hdfspb.Status_ERROR)
	mb.mu.Lock()
	mb.rangeErr = nil
	mb.mu.Unlock()

	// The connection survived the errors.
	_, data := tc.readBlock(readReq(id, 5000, 0, 5000), 5000)
	if !bytes.Equal(data, block) {
		t.Fatal("data differs")
	}
}

// gatedReader yields the first n bytes, then blocks until gate closes.
type gatedReader struct {
	r    io.Reader
	n    int
	gate chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.n <= 0 {
		<-g.gate
		return g.r.Read(p)
	}
	if len(p) > g.n {
		p = p[:g.n]
	}
	k, err := g.r.Read(p)
	g.n -= k
	return k, err
}

// The server streams: packets go out while the block's reader has not yet
// produced the rest of the block.
func TestReadStreams(t *testing.T) {
	const id = 10
	block := randBytes(4, 8<<20)
	mb := newMemBlocks()
	mb.put(id, block)
	gate := make(chan struct{})
	mb.wrap = func(off int64, r io.Reader) io.Reader { return &gatedReader{r: r, n: 2 * maxPacketData, gate: gate} }
	_, addr := startServer(t, mb, Options{})

	tc := dial(t, addr)
	tc.op(opReadBlock, readReq(id, int64(len(block)), 0, uint64(len(block))))
	if r := tc.response(); r.GetStatus() != hdfspb.Status_SUCCESS {
		t.Fatal(r)
	}
	for i := range 2 {
		p := tc.packet()
		if p.hdr.GetSeqno() != int64(i) || len(p.data) != maxPacketData {
			t.Fatalf("packet %d: seqno %d, %d bytes", i, p.hdr.GetSeqno(), len(p.data))
		}
	}
	close(gate)
	got := 2 * maxPacketData
	for {
		p := tc.packet()
		if p.hdr.GetLastPacketInBlock() {
			break
		}
		got += len(p.data)
	}
	if got != len(block) {
		t.Fatalf("got %d bytes", got)
	}
}

// BenchmarkReadBlock measures READ_BLOCK throughput over loopback from an
// in-memory block (server-side CRC32C included, client-side parsing only).
func BenchmarkReadBlock(b *testing.B) {
	const size = 16 << 20
	mb := newMemBlocks()
	mb.put(1, randBytes(18, size))
	_, addr := startServer(b, mb, Options{Logger: slogDiscard()})
	tc := dial(b, addr)
	b.SetBytes(size)
	for b.Loop() {
		tc.op(opReadBlock, readReq(1, size, 0, size))
		tc.response()
		for !tc.packet().hdr.GetLastPacketInBlock() {
		}
	}
}

// BenchmarkWriteBlock measures WRITE_BLOCK throughput (CRC32C verification
// and acks included) into an in-memory block.
func BenchmarkWriteBlock(b *testing.B) {
	const size = 16 << 20
	data := randBytes(19, size)
	var pkts []byte
	for off := 0; off < size; off += 65536 {
		pkts = append(pkts, packetBytes(b, int64(off), int64(off/65536), false, data[off:off+65536], clientCRCs(data[off:off+65536]))...)
	}
	pkts = append(pkts, packetBytes(b, size, size/65536, true, nil, nil)...)
	mb := newMemBlocks()
	_, addr := startServer(b, mb, Options{Logger: slogDiscard()})
	b.SetBytes(size)
	for b.Loop() {
		tc := dial(b, addr)
		tc.op(opWriteBlock, writeReq(2, 0, 0))
		tc.response()
		go tc.nc.Write(pkts)
		for range size/65536 + 1 {
			tc.ack()
		}
		tc.nc.Close()
		mb.mu.Lock()
		delete(mb.blocks, 2)
		mb.mu.Unlock()
	}
}
