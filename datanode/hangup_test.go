package datanode

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/blocks"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

// stallBlocks serves one block whose reader gives one packet's worth of
// bytes and then waits for its context, as a window GET still to come
// would: only a cancellation ends it.
type stallBlocks struct {
	*memBlocks
	n         int64
	cancelled chan struct{}
	once      sync.Once
}

func (b *stallBlocks) OpenRead(ctx context.Context, ref blocks.Ref) (blocks.ReadTarget, error) {
	return b, nil
}

func (b *stallBlocks) Len() int64 { return b.n }

func (b *stallBlocks) Range(ctx context.Context, off, n int64) (io.ReadCloser, error) {
	return io.NopCloser(&stallReader{ctx: ctx, left: maxPacketData, b: b}), nil
}

type stallReader struct {
	ctx  context.Context
	left int
	b    *stallBlocks
}

func (r *stallReader) Read(p []byte) (int, error) {
	if r.left > 0 {
		n := min(len(p), r.left)
		clear(p[:n])
		r.left -= n
		return n, nil
	}
	<-r.ctx.Done()
	r.b.once.Do(func() { close(r.b.cancelled) })
	return 0, r.ctx.Err()
}

// TestReadStopsWhenClientHangsUp: a client that reads the first packet of
// a long READ_BLOCK and closes the connection cancels the reads behind
// the stream at once (a window GET in flight), instead of the DataNode
// fetching on until a write fails.
func TestReadStopsWhenClientHangsUp(t *testing.T) {
	const id = 9
	sb := &stallBlocks{memBlocks: newMemBlocks(), n: 4 * maxPacketData, cancelled: make(chan struct{})}
	_, addr := startServer(t, sb, Options{})
	tc := dial(t, addr)
	tc.op(opReadBlock, readReq(id, sb.n, 0, uint64(sb.n)))
	if r := tc.response(); r.GetStatus() != hdfspb.Status_SUCCESS {
		t.Fatalf("read response %v", r)
	}
	if p := tc.packet(); len(p.data) != maxPacketData {
		t.Fatalf("first packet carries %d bytes, want %d", len(p.data), maxPacketData)
	}
	tc.nc.Close()
	select {
	case <-sb.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the block's reads were not cancelled 5s after the client hung up")
	}
}
