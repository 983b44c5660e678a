package namenode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/dfs"
)

// Regression (fault tier, hostile clients): readFrame allocated the whole
// announced length before reading, so each connection that sent a 16 MiB
// length prefix and stalled made the daemon reserve 16 MiB; a thousand of
// them asked for 16 GiB. Memory must follow the bytes that arrive.
func TestReadFrameAllocatesAsBytesArrive(t *testing.T) {
	const announced = 16 << 20
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], announced)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 20; i++ {
		in := io.MultiReader(bytes.NewReader(hdr[:]), bytes.NewReader(make([]byte, 100)))
		if _, err := readFrame(in, announced); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("half a frame: %v, want io.ErrUnexpectedEOF", err)
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 20*2*frameChunk {
		t.Fatalf("20 half frames of 100 bytes allocated %d bytes (announced %d each)", got, announced)
	}
	// A whole frame still reads exactly, across many short reads.
	body := bytes.Repeat([]byte("0123456789"), 50000)
	binary.BigEndian.PutUint32(hdr[:], uint32(len(body)))
	got, err := readFrame(io.MultiReader(bytes.NewReader(hdr[:]), &oneByteChunks{r: bytes.NewReader(body)}), len(body))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("whole frame: %v, %d bytes", err, len(got))
	}
}

type oneByteChunks struct{ r io.Reader }

func (o *oneByteChunks) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), 977)]) }

// MaxConns: connections past the limit are closed at accept, the ones
// inside it keep being served.
func TestMaxConnsClosesExtraConnections(t *testing.T) {
	_, addr := startServer(t, Options{MaxConns: 3, IdleTimeout: time.Minute}, dfs.Options{})
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server register them
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = extra.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the 4th connection was not closed: %v", err)
	}
	// One of the held connections still works: it gets the HTTP notice.
	held[0].Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	held[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(held[0])
	if !bytes.Contains(b, []byte("Hadoop IPC port")) {
		t.Fatalf("a connection within the limit got %q", b)
	}
}
