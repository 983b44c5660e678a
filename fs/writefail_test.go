package fs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/emrfsd/emrfsd/internal/partbuf"
)

// fullPool hands out buffers whose writes fail with ENOSPC past limit
// bytes (a staging disk filling up) and counts buffers not released.
type fullPool struct {
	limit int64
	live  atomic.Int64
}

func (p *fullPool) New(context.Context) (partbuf.Buffer, error) {
	p.live.Add(1)
	return &fullBuf{p: p}, nil
}

type fullBuf struct {
	p   *fullPool
	buf bytes.Buffer
}

func (b *fullBuf) Write(d []byte) (int, error) {
	if int64(b.buf.Len()+len(d)) > b.p.limit {
		return 0, syscall.ENOSPC
	}
	return b.buf.Write(d)
}
func (b *fullBuf) Len() int64                     { return int64(b.buf.Len()) }
func (b *fullBuf) Reader() (io.ReadSeeker, error) { return bytes.NewReader(b.buf.Bytes()), nil }
func (b *fullBuf) Release()                       { b.p.live.Add(-1) }

// Regression (fault tier, staging disk full): a write that failed kept its
// half-filled part buffer (a staging file) until the file was aborted,
// which for an HDFS client that just goes away is the lease's end minutes
// later; the full disk stayed full. The failed write frees it at once.
func TestFailedWriteReleasesItsPart(t *testing.T) {
	pool := &fullPool{limit: 1 << 20}
	r := newRig(t, nil, func(o *Options) { o.Buffers = pool })
	ctx := ctxT(t)
	w, err := r.fs.Create(ctx, "/t/full", CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Write(make([]byte, 2<<20))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write past a full disk: %v", err)
	}
	if n := pool.live.Load(); n != 0 {
		t.Fatalf("%d part buffers still held after the write failed", n)
	}
	if err := w.Abort(ctx); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Logf("abort: %v", err)
	}
	if n := pool.live.Load(); n != 0 {
		t.Fatalf("%d part buffers after abort", n)
	}
}
