package datanode

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	iofs "io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/blocks"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// ---------------------------------------------------------------- fake Blocks

// memBlocks is an in-memory Blocks.
type memBlocks struct {
	mu     sync.Mutex
	blocks map[int64][]byte
	ranges [][2]int64 // every Range call: {off, n}
	writes map[int64]*memWrite

	rangeErr error                                  // returned by Range when set
	wrap     func(off int64, r io.Reader) io.Reader // wraps Range readers when set
	endGate  chan struct{}                          // End waits for it when set
	endErr   error                                  // returned by End when set
}

func newMemBlocks() *memBlocks {
	return &memBlocks{blocks: make(map[int64][]byte), writes: make(map[int64]*memWrite)}
}

func (m *memBlocks) put(id int64, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blocks[id] = data
}

func (m *memBlocks) get(id int64) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blocks[id]
	return b, ok
}

func (m *memBlocks) OpenRead(ctx context.Context, b blocks.Ref) (blocks.ReadTarget, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.blocks[b.ID]
	if !ok {
		return nil, fmt.Errorf("block %d: %w", b.ID, iofs.ErrNotExist)
	}
	return &memRead{m: m, data: data}, nil
}

type memRead struct {
	m    *memBlocks
	data []byte
}

func (r *memRead) Len() int64 { return int64(len(r.data)) }

func (r *memRead) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	r.m.mu.Lock()
	r.m.ranges = append(r.m.ranges, [2]int64{off, n})
	err, wrap := r.m.rangeErr, r.m.wrap
	r.m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off+n > int64(len(r.data)) {
		return nil, fmt.Errorf("range [%d,+%d) outside block of %d: %w", off, n, len(r.data), iofs.ErrInvalid)
	}
	var rd io.Reader = bytes.NewReader(r.data[off : off+n])
	if wrap != nil {
		rd = wrap(off, rd)
	}
	return io.NopCloser(rd), nil
}

func (m *memBlocks) OpenWrite(ctx context.Context, b blocks.Ref) (blocks.WriteTarget, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := &memWrite{m: m, id: b.ID, done: make(chan struct{})}
	w.buf = append(w.buf, m.blocks[b.ID]...) // append to an existing block
	m.writes[b.ID] = w
	return w, nil
}

func (m *memBlocks) write(id int64) *memWrite {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes[id]
}

type memWrite struct {
	m    *memBlocks
	id   int64
	mu   sync.Mutex
	buf  []byte
	done chan struct{} // closed by End or Fail

	ended   bool
	failErr error
	calls   int // End + Fail calls
}

func (w *memWrite) Received() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int64(len(w.buf))
}

func (w *memWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *memWrite) End(ctx context.Context) error {
	w.m.mu.Lock()
	gate, endErr := w.m.endGate, w.m.endErr
	w.m.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w.mu.Lock()
	w.calls++
	w.ended = endErr == nil
	data := append([]byte(nil), w.buf...)
	w.mu.Unlock()
	if endErr == nil {
		w.m.put(w.id, data)
	}
	close(w.done)
	return endErr
}

func (w *memWrite) Fail(err error) {
	w.mu.Lock()
	w.calls++
	w.failErr = err
	w.mu.Unlock()
	close(w.done)
}

// finished waits for End or Fail.
func (w *memWrite) finished(t *testing.T) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("block %d: neither End nor Fail was called", w.id)
	}
}

// ---------------------------------------------------------------- server

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// startServer serves blocks on a loopback port until the test ends.
func startServer(t testing.TB, blocks Blocks, o Options) (*Server, string) {
	t.Helper()
	o.Blocks = blocks
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv := New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv, ln.Addr().String()
}

// ---------------------------------------------------------------- test client
//
// tclient speaks the wire format independently of the server's own framing
// code, checking what a strict (Java) client checks.

type tclient struct {
	t  testing.TB
	nc net.Conn
	r  *bufio.Reader
}

func dial(t testing.TB, addr string) *tclient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &tclient{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func delimited(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return append(protowire.AppendVarint(nil, uint64(len(b))), b...)
}

func (tc *tclient) send(b []byte) {
	tc.t.Helper()
	if _, err := tc.nc.Write(b); err != nil {
		tc.t.Fatalf("send: %v", err)
	}
}

func (tc *tclient) op(op byte, m proto.Message) {
	tc.t.Helper()
	tc.send(append([]byte{0x00, transferVersion, op}, delimited(tc.t, m)...))
}

// rawMessage reads one varint-delimited message's bytes (prefix included).
func (tc *tclient) rawMessage() (raw, body []byte) {
	tc.t.Helper()
	n, err := binary.ReadUvarint(tc.r)
	if err != nil {
		tc.t.Fatalf("reading length prefix: %v", err)
	}
	if n > 1<<20 {
		tc.t.Fatalf("message length %d", n)
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(tc.r, body); err != nil {
		tc.t.Fatalf("reading message: %v", err)
	}
	return append(protowire.AppendVarint(nil, n), body...), body
}

func (tc *tclient) response() *hdfspb.BlockOpResponseProto {
	tc.t.Helper()
	_, body := tc.rawMessage()
	var m hdfspb.BlockOpResponseProto
	if err := proto.Unmarshal(body, &m); err != nil {
		tc.t.Fatalf("BlockOpResponseProto: %v", err)
	}
	return &m
}

func (tc *tclient) ack() *hdfspb.PipelineAckProto {
	tc.t.Helper()
	_, body := tc.rawMessage()
	var m hdfspb.PipelineAckProto
	if err := proto.Unmarshal(body, &m); err != nil {
		tc.t.Fatalf("PipelineAckProto: %v", err)
	}
	return &m
}

type tpacket struct {
	hdr  *hdfspb.PacketHeaderProto
	sums []byte
	data []byte
}

func (tc *tclient) packet() tpacket {
	tc.t.Helper()
	var pre [6]byte
	if _, err := io.ReadFull(tc.r, pre[:]); err != nil {
		tc.t.Fatalf("packet prefix: %v", err)
	}
	plen := binary.BigEndian.Uint32(pre[:4])
	hlen := binary.BigEndian.Uint16(pre[4:])
	if plen < 4 || plen > 16<<20 {
		tc.t.Fatalf("packet length %d", plen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(tc.r, hb); err != nil {
		tc.t.Fatalf("packet header: %v", err)
	}
	var h hdfspb.PacketHeaderProto
	if err := proto.Unmarshal(hb, &h); err != nil {
		tc.t.Fatalf("PacketHeaderProto: %v", err)
	}
	body := make([]byte, plen-4)
	if _, err := io.ReadFull(tc.r, body); err != nil {
		tc.t.Fatalf("packet body: %v", err)
	}
	dl := int(h.GetDataLen())
	if dl < 0 || dl > len(body) {
		tc.t.Fatalf("dataLen %d with body %d", dl, len(body))
	}
	return tpacket{hdr: &h, sums: body[:len(body)-dl], data: body[len(body)-dl:]}
}

// clientCRCs computes CRC32C per 512-byte chunk the way clients do.
func clientCRCs(data []byte) []byte {
	tab := crc32.MakeTable(crc32.Castagnoli)
	var out []byte
	for len(data) > 0 {
		n := min(512, len(data))
		out = binary.BigEndian.AppendUint32(out, crc32.Checksum(data[:n], tab))
		data = data[n:]
	}
	return out
}

// sendPacket sends a write packet with correct CRC32C checksums.
func (tc *tclient) sendPacket(offset, seqno int64, last bool, data []byte) {
	tc.t.Helper()
	tc.sendPacketSums(offset, seqno, last, data, clientCRCs(data))
}

func (tc *tclient) sendPacketSums(offset, seqno int64, last bool, data, sums []byte) {
	tc.t.Helper()
	tc.send(packetBytes(tc.t, offset, seqno, last, data, sums))
}

func packetBytes(t testing.TB, offset, seqno int64, last bool, data, sums []byte) []byte {
	h, err := proto.Marshal(&hdfspb.PacketHeaderProto{
		OffsetInBlock:     proto.Int64(offset),
		Seqno:             proto.Int64(seqno),
		LastPacketInBlock: proto.Bool(last),
		DataLen:           proto.Int32(int32(len(data))),
	})
	if err != nil {
		t.Fatal(err)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(4+len(sums)+len(data)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(h)))
	b = append(b, h...)
	b = append(b, sums...)
	return append(b, data...)
}

// expectClosed asserts the server closes the connection (after any bytes
// still in flight).
func (tc *tclient) expectClosed() {
	tc.t.Helper()
	tc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, tc.r)
	// A close with unread client bytes in the server's buffer is a reset.
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		tc.t.Fatalf("want the server to close the connection, got %v", err)
	}
}

func extBlock(id int64, numBytes int64) *hdfspb.ExtendedBlockProto {
	return &hdfspb.ExtendedBlockProto{
		PoolId:          proto.String("BP-test"),
		BlockId:         proto.Uint64(uint64(id)),
		GenerationStamp: proto.Uint64(1001),
		NumBytes:        proto.Uint64(uint64(numBytes)),
	}
}

func clientHeader(id, numBytes int64) *hdfspb.ClientOperationHeaderProto {
	return &hdfspb.ClientOperationHeaderProto{
		BaseHeader: &hdfspb.BaseHeaderProto{Block: extBlock(id, numBytes)},
		ClientName: proto.String("DFSClient_test"),
	}
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
