package fs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/s3api"
	"github.com/emrfsd/emrfsd/providers"
)

// rangeS3 serves ranged GETs of one in-memory object and records them.
type rangeS3 struct {
	s3api.API
	data []byte

	mu     sync.Mutex
	gets   []string // Range headers, in order
	bodies []*trackedBody
}

type trackedBody struct {
	s3     *rangeS3
	r      *bytes.Reader
	closed bool
}

func (b *trackedBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *trackedBody) Close() error {
	b.s3.mu.Lock()
	defer b.s3.mu.Unlock()
	b.closed = true
	return nil
}

func (f *rangeS3) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	var a, b int64
	if _, err := fmt.Sscanf(aws.ToString(in.Range), "bytes=%d-%d", &a, &b); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, aws.ToString(in.Range))
	body := &trackedBody{s3: f, r: bytes.NewReader(f.data[a : b+1])}
	f.bodies = append(f.bodies, body)
	return &s3.GetObjectOutput{Body: body}, nil
}

// state reports the GETs seen, the bytes left unread in the most recent
// body and how many bodies are still open.
func (f *rangeS3) state() (gets int, lastUnread int, open int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.bodies {
		if !b.closed {
			open++
		}
	}
	if n := len(f.bodies); n > 0 {
		lastUnread = f.bodies[n-1].r.Len()
	}
	return len(f.gets), lastUnread, open
}

func rangeSource(size int) (*source, *rangeS3) {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i>>16)
	}
	f := &rangeS3{data: data}
	return &source{fs: &FS{opts: Options{S3: f}}, obj: providers.Object{Bucket: "b", Key: "k"}, size: int64(size)}, f
}

// waitGets waits until f has seen n GETs.
func waitGets(t *testing.T, f *rangeS3, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if gets, _, _ := f.state(); gets >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %d was never sent", n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A sequential read returns exactly the object's bytes in growing windows,
// the next window's GET sent while the current one still has bytes to read.
func TestWindowPrefetch(t *testing.T) {
	const size = 40<<20 + 12345
	src, f := rangeSource(size)
	rc, err := src.Range(context.Background(), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 3<<20)
	if _, err := io.ReadFull(rc, got); err != nil {
		t.Fatal(err)
	}
	waitGets(t, f, 2) // past half of the 4 MiB first window
	if _, unread, _ := f.state(); unread != 8<<20 {
		t.Fatalf("the GET sent ahead has %d bytes unread, want its whole 8 MiB window", unread)
	}
	f.mu.Lock()
	firstLeft := f.bodies[0].r.Len()
	f.mu.Unlock()
	if firstLeft != 1<<20 {
		t.Fatalf("first window has %d bytes unread, want 1 MiB", firstLeft)
	}
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if got = append(got, rest...); !bytes.Equal(got, f.data) {
		t.Fatalf("read %d bytes, not the object's %d", len(got), size)
	}
	want := []string{"bytes=0-4194303", "bytes=4194304-12582911", "bytes=12582912-29360127", fmt.Sprintf("bytes=29360128-%d", size-1)}
	if fmt.Sprint(f.gets) != fmt.Sprint(want) {
		t.Fatalf("GETs %v, want %v", f.gets, want)
	}
	if _, _, open := f.state(); open != 0 {
		t.Fatalf("%d bodies left open", open)
	}
}

// A reader that stops early closes the GET sent ahead; a short positioned
// read never sends one.
func TestWindowPrefetchStopEarly(t *testing.T) {
	src, f := rangeSource(40 << 20)
	rc, err := src.Range(context.Background(), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 3<<20)); err != nil {
		t.Fatal(err)
	}
	waitGets(t, f, 2)
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	if gets, _, open := f.state(); gets != 2 || open != 0 {
		t.Fatalf("%d GETs, %d bodies left open after Close, want 2 and 0", gets, open)
	}

	src, f = rangeSource(40 << 20)
	rc, err = src.Range(context.Background(), 5<<20, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(b, f.data[5<<20:5<<20+64<<10]) {
		t.Fatalf("positioned read: %d bytes, %v", len(b), err)
	}
	rc.Close()
	if gets, _, open := f.state(); gets != 1 || open != 0 {
		t.Fatalf("positioned read: %d GETs, %d open, want 1 and 0", gets, open)
	}
}
