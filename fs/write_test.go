package fs

import (
	"bytes"
	"context"
	"errors"
	"io"
	iofs "io/fs"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/s3api"
)

func (r *rig) uploads(key string) int {
	r.t.Helper()
	out, err := r.s3.ListMultipartUploads(ctxT(r.t), &s3.ListMultipartUploadsInput{Bucket: aws.String(r.bucket), Prefix: aws.String(key)})
	if err != nil {
		r.t.Fatalf("list uploads: %v", err)
	}
	return len(out.Uploads)
}

func TestMultipartWriteAndFlush(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, func(o *Options) { o.ActiveParts = 2 })
	ctx := ctxT(t)
	data := pattern(3*MinPartSize+12345, 9)
	w, err := r.fs.Create(ctx, "/t/mp", CreateOptions{})
	mustOK(t, "create", err)
	for off := 0; off < len(data); off += 100000 {
		n, err := w.Write(data[off:min(off+100000, len(data))])
		mustOK(t, "write", err)
		if n != min(100000, len(data)-off) {
			t.Fatalf("short write %d", n)
		}
	}
	if w.Written() != int64(len(data)) {
		t.Fatalf("Written %d", w.Written())
	}
	mustOK(t, "flush", w.Flush(ctx))
	if r.exists("mp") {
		t.Fatal("object visible before Close")
	}
	if r.uploads("mp") != 1 {
		t.Fatal("no multipart upload in progress")
	}
	mustOK(t, "finish", w.Finish(ctx))
	if _, err := w.Write([]byte("x")); !errors.Is(err, iofs.ErrClosed) {
		t.Fatalf("write after finish: %v", err)
	}
	if r.exists("mp") {
		t.Fatal("object visible after Finish")
	}
	mustOK(t, "close", w.Close(ctx))
	if !bytes.Equal(r.read("/t/mp"), data) {
		t.Fatal("content differs")
	}
	fi, _ := r.fs.Stat(ctx, "/t/mp")
	if fi.Size != int64(len(data)) {
		t.Fatalf("size %d", fi.Size)
	}
	if r.uploads("mp") != 0 {
		t.Fatal("upload left behind")
	}
	if err := w.Close(ctx); err == nil {
		t.Fatal("second Close succeeded")
	}
}

func TestConditionalCreateRace(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{{"single put", 1000}, {"multipart", MinPartSize + 10}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, &testProvider{instruction: true}, nil)
			ctx := ctxT(t)
			// Both pass Create's existence check before either closes.
			w1, err := r.fs.Create(ctx, "/t/race", CreateOptions{})
			mustOK(t, "create 1", err)
			w2, err := r.fs.Create(ctx, "/t/race", CreateOptions{})
			mustOK(t, "create 2", err)
			d1, d2 := pattern(tc.size, 1), pattern(tc.size, 2)
			_, err = w1.Write(d1)
			mustOK(t, "write 1", err)
			_, err = w2.Write(d2)
			mustOK(t, "write 2", err)
			var wg sync.WaitGroup
			var e1, e2 error
			wg.Go(func() { e1 = w1.Close(ctx) })
			wg.Go(func() { e2 = w2.Close(ctx) })
			wg.Wait()
			if (e1 == nil) == (e2 == nil) {
				t.Fatalf("want exactly one winner: %v / %v", e1, e2)
			}
			winner, loser := d1, e2
			if e1 != nil {
				winner, loser = d2, e1
			}
			mustErrIs(t, "loser", loser, iofs.ErrExist)
			if !bytes.Equal(r.read("/t/race"), winner) {
				t.Fatal("content is not the winner's")
			}
			if !r.exists("race.instruction") {
				t.Fatal("winner's instruction file missing")
			}
			if r.uploads("race") != 0 {
				t.Fatal("loser's upload left behind")
			}
		})
	}
}

// gateS3 holds the first publish of one object key (PutObject or
// CompleteMultipartUpload) until release is closed.
type gateS3 struct {
	s3api.API
	key     string
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (g *gateS3) hold(key *string) {
	if aws.ToString(key) != g.key {
		return
	}
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.reached)
		<-g.release
	}
}

func (g *gateS3) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	g.hold(in.Key)
	return g.API.PutObject(ctx, in, opts...)
}

func (g *gateS3) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	g.hold(in.Key)
	return g.API.CompleteMultipartUpload(ctx, in, opts...)
}

// TestConditionalCreateRaceSidecar fixes the interleaving the race above
// only sometimes hits: the first creator has stored its sidecar but not
// yet published when the second closes. Whoever wins, the object must end
// up with its own sidecar (a CSE instruction file holds the object's data
// key), and the loser must not remove it.
func TestConditionalCreateRaceSidecar(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{{"single put", 1000}, {"multipart", MinPartSize + 10}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, &testProvider{instruction: true}, nil)
			g := &gateS3{API: r.s3, key: "race", reached: make(chan struct{}), release: make(chan struct{})}
			r.fs.opts.S3 = g
			ctx := ctxT(t)
			w1, err := r.fs.Create(ctx, "/t/race", CreateOptions{})
			mustOK(t, "create 1", err)
			w2, err := r.fs.Create(ctx, "/t/race", CreateOptions{})
			mustOK(t, "create 2", err)
			d1, d2 := pattern(tc.size, 1), pattern(tc.size, 2)
			_, err = w1.Write(d1)
			mustOK(t, "write 1", err)
			_, err = w2.Write(d2)
			mustOK(t, "write 2", err)
			e1 := make(chan error, 1)
			go func() { e1 <- w1.Close(ctx) }()
			select { // w1's sidecar is stored, its object held back
			case <-g.reached:
			case err := <-e1:
				close(g.release)
				t.Fatalf("first Close returned before publishing: %v", err)
			}
			e2 := w2.Close(ctx)
			close(g.release)
			err1 := <-e1
			if (err1 == nil) == (e2 == nil) {
				t.Fatalf("want exactly one winner: %v / %v", err1, e2)
			}
			winner, loser := d1, e2
			if err1 != nil {
				winner, loser = d2, err1
			}
			mustErrIs(t, "loser", loser, iofs.ErrExist)
			if !bytes.Equal(r.read("/t/race"), winner) {
				t.Fatal("content is not the winner's")
			}
			if r.uploads("race") != 0 {
				t.Fatal("loser's upload left behind")
			}
		})
	}
}
func TestAbortLeavesNothing(t *testing.T) {
	r := newRig(t, &testProvider{instruction: true}, nil)
	ctx := ctxT(t)
	w, err := r.fs.Create(ctx, "/t/ab", CreateOptions{})
	mustOK(t, "create", err)
	_, err = w.Write(pattern(2*MinPartSize+5, 3))
	mustOK(t, "write", err)
	mustOK(t, "flush", w.Flush(ctx))
	if r.uploads("ab") != 1 {
		t.Fatal("expected an upload in progress")
	}
	mustOK(t, "abort", w.Abort(ctx))
	if r.exists("ab") || r.exists("ab.instruction") || r.uploads("ab") != 0 {
		t.Fatalf("left behind: keys %v uploads %d", r.rawKeys("ab"), r.uploads("ab"))
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after abort succeeded")
	}
	if err := w.Close(ctx); err == nil {
		t.Fatal("close after abort succeeded")
	}
	mustOK(t, "abort twice", w.Abort(ctx))
}

func TestContextCancelAborts(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := r.fs.Create(ctx, "/t/cx", CreateOptions{})
	mustOK(t, "create", err)
	_, err = w.Write(pattern(MinPartSize+5, 3))
	mustOK(t, "write", err)
	mustOK(t, "flush", w.Flush(context.Background()))
	if r.uploads("cx") != 1 {
		t.Fatal("expected an upload in progress")
	}
	cancel()
	select { // the cancellation alone cleans up
	case <-w.cleaned:
	case <-time.After(time.Minute):
		t.Fatal("no cleanup after cancel")
	}
	if r.exists("cx") || r.uploads("cx") != 0 {
		t.Fatalf("left behind after cancel: uploads %d", r.uploads("cx"))
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("write after cancel: %v", err)
	}
	if err := w.Close(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("close after cancel: %v", err)
	}
	mustOK(t, "abort after cancel", w.Abort(context.Background()))
}

func TestConfirmFailureDeletes(t *testing.T) {
	for _, size := range []int{100, MinPartSize + 1} {
		r := newRig(t, &testProvider{instruction: true, confirmErr: errs.ErrSSENotConfirmed}, nil)
		err := r.tryWrite("/t/unconfirmed", pattern(size, 1), CreateOptions{})
		mustErrIs(t, "close", err, errs.ErrSSENotConfirmed)
		if r.exists("unconfirmed") || r.exists("unconfirmed.instruction") || r.uploads("unconfirmed") != 0 {
			t.Fatalf("size %d: object kept after failed Confirm: %v", size, r.rawKeys(""))
		}
	}
}

// TestStreamedWriteMemory writes 64 MiB through a writer with 5 MiB parts
// and 2 in flight, and checks the bytes allocated stay near the part
// buffers' size rather than the file's.
func TestStreamedWriteMemory(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, func(o *Options) { o.ActiveParts = 2 })
	ctx := ctxT(t)
	const total = 64 << 20
	chunk := make([]byte, 256<<10)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w, err := r.fs.Create(ctx, "/t/big", CreateOptions{})
	mustOK(t, "create", err)
	var peakHeap uint64
	for off := 0; off < total; off += len(chunk) {
		for i := range chunk {
			chunk[i] = byte(off>>18) + byte(i)
		}
		if _, err := w.Write(chunk); err != nil {
			t.Fatalf("write: %v", err)
		}
		if off%(8<<20) == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peakHeap = max(peakHeap, m.HeapInuse)
		}
	}
	mustOK(t, "close", w.Close(ctx))
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	heapGrowth := int64(peakHeap) - int64(before.HeapInuse)
	t.Logf("64 MiB streamed: %.1f MiB allocated, peak heap-in-use growth %.1f MiB (parts 5 MiB, 2 in flight)",
		float64(alloc)/(1<<20), float64(heapGrowth)/(1<<20))
	// (ActiveParts+1) part buffers are 15 MiB; allow SDK overhead, but far
	// below the 64 MiB a buffering writer would need.
	if alloc > 32<<20 {
		t.Fatalf("allocated %d bytes for a 64 MiB stream", alloc)
	}
	if heapGrowth > 32<<20 {
		t.Fatalf("heap grew by %d bytes", heapGrowth)
	}
	fi, err := r.fs.Stat(ctx, "/t/big")
	mustOK(t, "stat", err)
	if fi.Size != total {
		t.Fatalf("size %d", fi.Size)
	}
	// Spot-check the content at a few offsets.
	f, err := r.fs.Open(ctx, "/t/big")
	mustOK(t, "open", err)
	for _, off := range []int64{0, 5<<20 - 3, 40 << 20, total - 10} {
		rc, err := f.Range(ctx, off, 10)
		mustOK(t, "range", err)
		got, err := io.ReadAll(rc)
		rc.Close()
		mustOK(t, "read", err)
		for i, b := range got {
			o := off + int64(i)
			if want := byte(o>>18) + byte(o%int64(len(chunk))); b != want {
				t.Fatalf("byte at %d = %d, want %d", o, b, want)
			}
		}
		if len(got) != int(min(10, total-off)) {
			t.Fatalf("range at %d: %d bytes", off, len(got))
		}
	}
}

func TestRangeReads(t *testing.T) {
	r := newRig(t, &testProvider{trailer: 16}, nil)
	ctx := ctxT(t)
	data := pattern(10000, 5)
	r.write("/t/r", data, CreateOptions{})
	f, err := r.fs.Open(ctx, "/t/r")
	mustOK(t, "open", err)
	if f.Info.Size != 10000 || f.Info.Name != "r" {
		t.Fatalf("info %+v", f.Info)
	}
	for _, tc := range []struct{ off, n, want0, wantN int64 }{
		{0, -1, 0, 10000}, {0, 10000, 0, 10000}, {1, 10, 1, 10}, {9990, 100, 9990, 10},
		{9999, -1, 9999, 1}, {10000, 5, 0, 0}, {20000, -1, 0, 0}, {5, 0, 0, 0},
	} {
		rc, err := f.Range(ctx, tc.off, tc.n)
		mustOK(t, "range", err)
		got, err := io.ReadAll(rc)
		rc.Close()
		mustOK(t, "read", err)
		if int64(len(got)) != tc.wantN || (tc.wantN > 0 && !bytes.Equal(got, data[tc.want0:tc.want0+tc.wantN])) {
			t.Fatalf("Range(%d,%d) = %d bytes", tc.off, tc.n, len(got))
		}
	}
	_, err = f.Range(ctx, -1, 1)
	mustErrIs(t, "negative", err, iofs.ErrInvalid)
	// Replace the object: the open handle must not mix versions.
	time.Sleep(10 * time.Millisecond)
	r.write("/t/r", pattern(10000, 6), CreateOptions{Overwrite: true})
	rc, err := f.Range(ctx, 0, 100)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	mustErrIs(t, "read replaced", err, errs.ErrChanged)
}

// failingS3 fails UploadPart for one part number.
type failingS3 struct {
	s3api.API
	failPart int32
}

var errInjected = errors.New("injected part failure")

func (f failingS3) UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	if aws.ToInt32(in.PartNumber) == f.failPart {
		return nil, errInjected
	}
	return f.API.UploadPart(ctx, in, opts...)
}

func TestPartFailureAborts(t *testing.T) {
	r := newRig(t, nil, nil)
	r.fs.opts.S3 = failingS3{API: r.s3, failPart: 2}
	ctx := ctxT(t)
	w, err := r.fs.Create(ctx, "/t/pf", CreateOptions{})
	mustOK(t, "create", err)
	data := pattern(MinPartSize, 1)
	var werr error
	for i := 0; i < 4 && werr == nil; i++ {
		_, werr = w.Write(data)
	}
	cerr := w.Close(ctx)
	if !errors.Is(cerr, errInjected) && !errors.Is(werr, errInjected) {
		t.Fatalf("failure not reported: write %v, close %v", werr, cerr)
	}
	if cerr == nil {
		t.Fatal("Close succeeded after a failed part")
	}
	if r.exists("pf") || r.uploads("pf") != 0 {
		t.Fatalf("left behind: uploads %d", r.uploads("pf"))
	}
}
