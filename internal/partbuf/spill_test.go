package partbuf

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// countPool stands in for disk staging: memory buffers it counts.
type countPool struct {
	m   *Memory
	got int
}

func (c *countPool) New(ctx context.Context) (Buffer, error) { c.got++; return c.m.New(ctx) }

func TestSpillMemoryFirstThenDisk(t *testing.T) {
	ctx := context.Background()
	disk := &countPool{m: NewMemory(16, 0)}
	s := NewSpill(NewMemory(16, 2), disk, 32) // two 16-byte parts fit in memory
	a, err := s.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.New(ctx)
	if disk.got != 0 || s.InMemory() != 32 {
		t.Fatalf("within the limit: %d disk parts, %d bytes in memory", disk.got, s.InMemory())
	}
	c, _ := s.New(ctx) // over the limit: disk
	if disk.got != 1 || s.Spilled() != 1 || s.InMemory() != 32 {
		t.Fatalf("over the limit: %d disk parts, %d spilled, %d bytes in memory", disk.got, s.Spilled(), s.InMemory())
	}
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	r, err := a.Reader()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); !bytes.Equal(got, []byte("hello")) {
		t.Fatalf("read back %q", got)
	}
	a.Release()
	a.Release() // a second Release must not return the reservation twice
	if s.InMemory() != 16 {
		t.Fatalf("after one release: %d bytes in memory, want 16", s.InMemory())
	}
	d, _ := s.New(ctx) // room again: memory
	if disk.got != 1 {
		t.Fatalf("after a release the next part went to disk")
	}
	for _, x := range []Buffer{b, c, d} {
		x.Release()
	}
	if s.InMemory() != 0 {
		t.Fatalf("all released: %d bytes in memory", s.InMemory())
	}
}

func TestSpillZeroLimitIsDisk(t *testing.T) {
	disk := &countPool{m: NewMemory(16, 0)}
	s := NewSpill(NewMemory(16, 2), disk, 0)
	b, err := s.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	if disk.got != 1 || s.InMemory() != 0 {
		t.Fatalf("limit 0: %d disk parts, %d bytes in memory", disk.got, s.InMemory())
	}
}
