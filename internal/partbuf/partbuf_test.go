package partbuf

import (
	"context"
	"errors"
	"io"
	"testing"
)

func TestMemory(t *testing.T) {
	pool := NewMemory(8, 1)
	ctx := context.Background()
	b, err := pool.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("12345678")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("9")); err == nil {
		t.Fatal("overfull buffer accepted a write")
	}
	r, _ := b.Reader()
	got, _ := io.ReadAll(r)
	if string(got) != "12345678" || b.Len() != 8 {
		t.Fatalf("buffer holds %q", got)
	}
	b.Release()
	b2, _ := pool.New(ctx)
	if b2.Len() != 0 {
		t.Fatal("recycled buffer not empty")
	}
	if mb := b2.(*memBuffer); cap(mb.buf) != 8 {
		t.Fatalf("recycled cap %d", cap(mb.buf))
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := pool.New(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled New: %v", err)
	}
}
