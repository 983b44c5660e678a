package data

import (
	"bytes"
	"io"
	"testing"
)

func TestStreamDeterministicAndSeekable(t *testing.T) {
	const size = 3*BlockSize + 12345
	a, err := io.ReadAll(New(7, size))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != size {
		t.Fatalf("len %d, want %d", len(a), size)
	}
	b, _ := io.ReadAll(New(7, size))
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different bytes")
	}
	c, _ := io.ReadAll(New(8, size))
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same bytes")
	}
	s := New(7, size)
	for _, off := range []int64{0, 1, BlockSize - 3, 2*BlockSize + 99, size - 10} {
		p := make([]byte, 70000)
		n, err := s.ReadAt(p, off)
		want := a[off:min(off+int64(len(p)), size)]
		if n != len(want) || !bytes.Equal(p[:n], want) {
			t.Fatalf("ReadAt(%d): n=%d mismatch", off, n)
		}
		if n < len(p) && err != io.EOF {
			t.Fatalf("short ReadAt without EOF: %v", err)
		}
	}
	if _, err := s.Seek(BlockSize+5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(s)
	if !bytes.Equal(rest, a[BlockSize+5:]) {
		t.Fatal("read after seek mismatch")
	}
	if got, want := CRC(7, size), CRC32C(0, a); got != want {
		t.Fatalf("CRC %x, want %x", got, want)
	}
	if _, err := s.ReadAt(p1(), -1); err == nil {
		t.Fatal("negative offset accepted")
	}
}

func p1() []byte { return make([]byte, 1) }
