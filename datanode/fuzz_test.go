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
)

func FuzzReadPacket(f *testing.F) {
	f.Add(packetBytes(f, 0, 0, false, []byte("hello"), clientCRCs([]byte("hello"))))
	f.Add(packetBytes(f, 1<<40, -1, false, nil, nil))
	f.Add(packetBytes(f, 512, 7, true, nil, nil))
	f.Add(packetBytes(f, 0, 1, false, make([]byte, 1500), clientCRCs(make([]byte, 1500))))
	f.Add([]byte{0, 0, 0, 4, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		pkt, buf, err := readPacket(bytes.NewReader(in), nil)
		if cap(buf) > maxPacketLen {
			t.Fatalf("buffer grew to %d", cap(buf))
		}
		if err != nil {
			if !errors.Is(err, errMalformed) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		plen := int(binary.BigEndian.Uint32(in))
		hlen := int(binary.BigEndian.Uint16(in[4:]))
		if int(pkt.DataLen) != len(pkt.Data) || len(pkt.Sums)+len(pkt.Data) != plen-4 {
			t.Fatalf("dataLen %d, %d data + %d sum bytes for PLEN %d", pkt.DataLen, len(pkt.Data), len(pkt.Sums), plen)
		}
		if !bytes.Equal(pkt.Data, in[6+hlen+len(pkt.Sums):6+hlen+plen-4]) {
			t.Fatal("data is not the packet's tail")
		}
		// Round trip through the writer.
		out, err := appendPacket(nil, pkt.packetHeader, pkt.Sums, pkt.Data)
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := readPacket(bytes.NewReader(out), nil)
		if err != nil || again.packetHeader != pkt.packetHeader || !bytes.Equal(again.Sums, pkt.Sums) || !bytes.Equal(again.Data, pkt.Data) {
			t.Fatalf("round trip: %v %+v vs %+v", err, again.packetHeader, pkt.packetHeader)
		}
	})
}

// pipeListener hands out in-memory connections.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.closed) }); return nil }

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// FuzzServe feeds arbitrary client bytes to a connection: the server must
// answer or close, never panic, never hang.
func FuzzServe(f *testing.F) {
	block := randBytes(17, 2000)
	op := func(code byte, m []byte) []byte { return append([]byte{0x00, transferVersion, code}, m...) }
	f.Add(op(opReadBlock, delimited(f, readReq(1, 2000, 3, 1500))))
	w := op(opWriteBlock, delimited(f, writeReq(2, 0, 0)))
	w = append(w, packetBytes(f, 0, 1, false, block[:700], clientCRCs(block[:700]))...)
	w = append(w, packetBytes(f, 0, -1, false, nil, nil)...)
	w = append(w, packetBytes(f, 700, 2, true, nil, nil)...)
	f.Add(w)
	f.Add(op(opBlockChecksum, delimited(f, checksumReq(1, 2000))))
	f.Add(op(0x54, []byte{0x02, 0x08, 0x00}))
	f.Add([]byte{0xde, 0xad, 0xbe, 0xef})

	f.Fuzz(func(t *testing.T, in []byte) {
		mb := newMemBlocks()
		mb.put(1, block)
		logs := &syncBuf{}
		srv := New(Options{
			Blocks:      mb,
			Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError})),
			ReadTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second,
		})
		ln := &pipeListener{conns: make(chan net.Conn, 1), closed: make(chan struct{})}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(context.Background(), ln) }()
		client, server := net.Pipe()
		ln.conns <- server
		drained := make(chan struct{})
		go func() { io.Copy(io.Discard, client); close(drained) }()
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		client.Write(in) // returns early if the server closes
		client.Close()
		<-drained
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatalf("connection handler did not finish: %v", err)
		}
		<-served
		if s := logs.String(); strings.Contains(s, "panic") {
			t.Fatalf("server panicked:\n%s", s)
		}
	})
}
