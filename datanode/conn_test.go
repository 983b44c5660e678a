package datanode

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// syncBuf collects log output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stillServes checks that a fresh connection can read block id.
func stillServes(t *testing.T, addr string, id int64, block []byte) {
	t.Helper()
	tc := dial(t, addr)
	_, data := tc.readBlock(readReq(id, int64(len(block)), 0, uint64(len(block))), int64(len(block)))
	if !bytes.Equal(data, block) {
		t.Fatal("data differs")
	}
}

func TestUnsupportedOp(t *testing.T) {
	mb := newMemBlocks()
	block := randBytes(13, 1000)
	mb.put(50, block)
	_, addr := startServer(t, mb, Options{})
	tc := dial(t, addr)
	for _, op := range []byte{opCopyBlock, opReplaceBlock, opTransferBlock, opRequestShortCircuitFds, opBlockGroupChecksum, 0x33} {
		tc.op(op, checksumReq(50, 1000)) // any delimited message
		raw, _ := tc.rawMessage()
		var resp hdfspb.BlockOpResponseProto
		if err := proto.Unmarshal(raw[1:], &resp); err != nil {
			t.Fatal(err)
		}
		if resp.GetStatus() != hdfspb.Status_ERROR_UNSUPPORTED || resp.GetMessage() == "" || len(raw) < 5 {
			t.Fatalf("op %#x: %v (%d bytes)", op, &resp, len(raw))
		}
	}
	// Same connection, next op.
	_, data := tc.readBlock(readReq(50, 1000, 0, 1000), 1000)
	if !bytes.Equal(data, block) {
		t.Fatal("data differs")
	}
}

// Bad input closes only its own connection; the server keeps serving and
// never panics.
func TestBadInputClosesConnection(t *testing.T) {
	mb := newMemBlocks()
	block := randBytes(14, 3000)
	mb.put(51, block)
	logs := &syncBuf{}
	_, addr := startServer(t, mb, Options{
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ReadTimeout: 2 * time.Second,
	})

	validRead := append([]byte{0x00, transferVersion, opReadBlock}, delimited(t, readReq(51, 3000, 0, 3000))...)
	badDataLen := packetBytes(t, 0, 0, false, make([]byte, 10), nil)
	binary.BigEndian.PutUint32(badDataLen, 4) // PLEN leaves no room for the 10 data bytes
	badDataLen = badDataLen[:len(badDataLen)-10]
	writeHdr := append([]byte{0x00, transferVersion, opWriteBlock}, delimited(t, writeReq(52, 0, 0))...)
	cases := []struct {
		name    string
		in      []byte
		isWrite bool // the bytes after a WRITE_BLOCK op (the 5-byte reply comes first)
		log     string
	}{
		{name: "garbage", in: randBytes(15, 200), log: "unsupported data transfer version"},
		{name: "old version", in: []byte{0x00, 27, opReadBlock, 0x00}, log: "unsupported data transfer version: 27"},
		{name: "SASL", in: []byte{0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00}, log: "SASL"},
		{name: "truncated op message", in: validRead[:len(validRead)-5]},
		{name: "huge op message", in: append([]byte{0x00, transferVersion, opReadBlock}, protowire.AppendVarint(nil, 1<<40)...), log: "exceeds"},
		{name: "op message not a proto", in: []byte{0x00, transferVersion, opReadBlock, 0x03, 0xff, 0xff, 0xff}, log: "malformed"},
		{name: "op without block", in: []byte{0x00, transferVersion, opBlockChecksum, 0x00}, log: "no block"},
		{name: "packet too long", isWrite: true, in: []byte{0x7f, 0xff, 0xff, 0xff, 0x00, 0x19}, log: "out of range"},
		{name: "packet length below 4", isWrite: true, in: []byte{0x00, 0x00, 0x00, 0x03, 0x00, 0x19}, log: "out of range"},
		{name: "packet header garbage", isWrite: true, in: append([]byte{0x00, 0x00, 0x00, 0x04, 0x00, 0x05}, 0xff, 0xff, 0xff, 0xff, 0xff), log: "packet header"},
		{name: "dataLen beyond packet", isWrite: true, in: badDataLen, log: "dataLen"},
		{name: "truncated packet", isWrite: true, in: packetBytes(t, 0, 0, false, make([]byte, 1000), clientCRCs(make([]byte, 1000)))[:500]},
		{name: "missing checksums", isWrite: true, in: packetBytes(t, 0, 0, false, make([]byte, 1000), nil), log: "checksum bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tc := dial(t, addr)
			if c.isWrite {
				tc.send(writeHdr)
				if raw, _ := tc.rawMessage(); len(raw) != 5 {
					t.Fatalf("write reply % x", raw)
				}
			}
			tc.send(c.in)
			if strings.HasPrefix(c.name, "truncated") {
				tc.nc.(*net.TCPConn).CloseWrite()
			}
			tc.expectClosed()
			// Hang up as a real client does on a failed write; the server
			// lingers (lingerTime, 2 s) for the client's close before it
			// logs, which is as long as the wait for the log line below.
			tc.nc.Close()
			if c.isWrite {
				w := mb.write(52)
				w.finished(t)
				if w.failErr == nil {
					t.Fatal("write not failed")
				}
			}
			if c.log != "" {
				deadline := time.Now().Add(5 * time.Second)
				for !strings.Contains(logs.String(), c.log) {
					if time.Now().After(deadline) {
						t.Fatalf("log lacks %q:\n%s", c.log, logs.String())
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			stillServes(t, addr, 51, block)
		})
	}
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("server panicked:\n%s", logs.String())
	}
}

// A panic in Blocks is contained to its connection.
func TestPanicRecovered(t *testing.T) {
	mb := newMemBlocks()
	block := randBytes(16, 100)
	mb.put(53, block)
	mb.wrap = func(off int64, r io.Reader) io.Reader {
		if off == 0 {
			panic("boom")
		}
		return r
	}
	logs := &syncBuf{}
	_, addr := startServer(t, mb, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	tc := dial(t, addr)
	tc.op(opReadBlock, readReq(53, 100, 0, 100))
	tc.expectClosed()
	if !strings.Contains(logs.String(), "boom") {
		t.Fatalf("panic not logged:\n%s", logs.String())
	}
	mb.mu.Lock()
	mb.wrap = nil
	mb.mu.Unlock()
	stillServes(t, addr, 53, block)
}

func TestIdleTimeout(t *testing.T) {
	mb := newMemBlocks()
	mb.put(54, []byte("x"))
	_, addr := startServer(t, mb, Options{IdleTimeout: 100 * time.Millisecond})
	tc := dial(t, addr)
	tc.readBlock(readReq(54, 1, 0, 1), 1)
	start := time.Now()
	tc.expectClosed()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed after %v", d)
	}
}

func TestShutdownGraceful(t *testing.T) {
	mb := newMemBlocks()
	gate := make(chan struct{})
	mb.endGate = gate
	mb.put(55, []byte("idle"))
	srv := New(Options{Blocks: mb, Logger: slog.New(slog.NewTextHandler(tlogWriter{t}, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	addr := ln.Addr().String()

	idle := dial(t, addr)
	idle.readBlock(readReq(55, 4, 0, 4), 4)
	busy := dial(t, addr)
	busy.startWrite(writeReq(56, 0, 0))
	busy.sendPacket(0, 0, false, []byte("in flight"))
	busy.expectAck(0, hdfspb.Status_SUCCESS, 1)
	busy.sendPacket(9, 1, true, nil) // End now blocks on gate

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	idle.expectClosed() // idle connections go at once
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a write in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(gate)
	busy.expectAck(1, hdfspb.Status_SUCCESS, 1)
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got, _ := mb.get(56); string(got) != "in flight" {
		t.Fatalf("stored %q", got)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("still accepting")
	}
}

func TestShutdownDeadline(t *testing.T) {
	mb := newMemBlocks()
	srv := New(Options{Blocks: mb, Logger: slog.New(slog.NewTextHandler(tlogWriter{t}, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(context.Background(), ln)
	tc := dial(t, ln.Addr().String())
	tc.startWrite(writeReq(57, 0, 0))
	tc.sendPacket(0, 0, false, []byte("abandoned"))
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	// The client stalls mid-block.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	w := mb.write(57)
	w.finished(t)
	if w.failErr == nil || w.ended {
		t.Fatalf("Fail(%v), ended %v", w.failErr, w.ended)
	}
}

// Cancelling Serve's context stops accepting; accepted connections carry on
// until Shutdown drains them (the daemon's signal handling relies on this).
func TestServeContextCancel(t *testing.T) {
	mb := newMemBlocks()
	srv := New(Options{Blocks: mb, Logger: slog.New(slog.NewTextHandler(tlogWriter{t}, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	tc := dial(t, ln.Addr().String())
	tc.startWrite(writeReq(58, 0, 0))
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	// The listener itself must be closed. (Dialing its address could reach
	// another test's listener that reused the port on a busy machine.)
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("listener still open after cancel: %v", err)
	}
	tc.sendPacket(0, 0, false, []byte("after cancel"))
	tc.sendPacket(12, 1, true, nil)
	tc.expectAck(0, hdfspb.Status_SUCCESS, 1)
	tc.expectAck(1, hdfspb.Status_SUCCESS, 1)
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := mb.get(58); string(got) != "after cancel" {
		t.Fatalf("stored %q", got)
	}
}

func TestMaxConns(t *testing.T) {
	mb := newMemBlocks()
	block := []byte("limited")
	mb.put(59, block)
	_, addr := startServer(t, mb, Options{MaxConns: 2})
	a, b := dial(t, addr), dial(t, addr)
	a.readBlock(readReq(59, 7, 0, 7), 7) // both registered before the third dial
	b.readBlock(readReq(59, 7, 0, 7), 7)
	dial(t, addr).expectClosed()
	a.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tc := dial(t, addr)
		tc.op(opReadBlock, readReq(59, 7, 0, 7))
		tc.nc.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := tc.r.Peek(1); err == nil {
			break // served once a slot freed up
		}
		if time.Now().After(deadline) {
			t.Fatal("no slot freed after a connection closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
