package datanode

import (
	"errors"
	"io"
	"testing"
	"time"

	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// failAtEnd yields all of r but its last byte, then fails: what a block
// reader does whose data failed authentication after the last byte arrived.
type failAtEnd struct {
	r    io.Reader
	left int
	err  error
}

func (f *failAtEnd) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, f.err
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= n
	return n, err
}

// A block reader that fails at the very end of the block makes the server
// abort the stream: the packet holding the last bytes and the trailing
// lastPacketInBlock packet are never sent, so the client sees a failed read.
func TestReadFailsAtEnd(t *testing.T) {
	const id = 11
	block := randBytes(5, 3*maxPacketData+3392)
	mb := newMemBlocks()
	mb.put(id, block)
	errAuth := errors.New("integrity check failed")
	mb.wrap = func(off int64, r io.Reader) io.Reader {
		return &failAtEnd{r: r, left: len(block) - int(off) - 1, err: errAuth}
	}
	_, addr := startServer(t, mb, Options{})

	tc := dial(t, addr)
	tc.op(opReadBlock, readReq(id, int64(len(block)), 0, uint64(len(block))))
	if r := tc.response(); r.GetStatus() != hdfspb.Status_SUCCESS {
		t.Fatal(r)
	}
	for i := range 3 {
		p := tc.packet()
		if p.hdr.GetSeqno() != int64(i) || len(p.data) != maxPacketData || p.hdr.GetLastPacketInBlock() {
			t.Fatalf("packet %d: seqno %d, %d bytes, last %v", i, p.hdr.GetSeqno(), len(p.data), p.hdr.GetLastPacketInBlock())
		}
	}
	tc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(tc.r)
	if err != nil {
		t.Fatalf("want the server to close the connection, got %v", err)
	}
	if len(rest) != 0 {
		t.Fatalf("%d more bytes after the reader failed: the final packet was sent", len(rest))
	}
}
