package gcmstream

import (
	"bytes"
	"crypto/aes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

func TestRangeDecrypterExhaustiveSmall(t *testing.T) {
	key, iv := testKey(10), testIV(10)
	for _, size := range []int{1, 15, 16, 17, 33, 100} {
		pt := testData(uint64(size), size)
		stored := seal(t, key, iv, pt)
		for off := 0; off <= size; off++ {
			for n := 0; off+n <= size; n++ {
				so, sn := AlignedRange(int64(off), int64(n), int64(size))
				if n == 0 {
					if sn != 0 {
						t.Fatalf("AlignedRange(%d,0,%d) = %d,%d", off, size, so, sn)
					}
				}
				src := bytes.NewReader(stored[so : so+sn])
				r, err := NewRangeDecrypter(key, iv, src, int64(off), int64(n))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if err != nil || !bytes.Equal(got, pt[off:off+n]) {
					t.Fatalf("size %d off %d n %d: err=%v equal=%v", size, off, n, err, bytes.Equal(got, pt[off:off+n]))
				}
			}
		}
	}
}

func TestRangeDecrypterBoundaries(t *testing.T) {
	key, iv := testKey(11), testIV(11)
	size := 3*ChunkSize + 77
	pt := testData(11, size)
	stored := seal(t, key, iv, pt)
	var points []int
	for _, base := range []int{0, 16, 4096, ChunkSize, 2 * ChunkSize, size - 16, size} {
		for d := -17; d <= 17; d++ {
			if p := base + d; p >= 0 && p <= size {
				points = append(points, p)
			}
		}
	}
	for _, off := range points {
		for _, end := range points {
			if end < off {
				continue
			}
			n := end - off
			so, sn := AlignedRange(int64(off), int64(n), int64(size))
			if n > 0 && (so != int64(off-off%16) || so+sn != int64(end)) {
				t.Fatalf("AlignedRange(%d,%d) = %d,%d", off, n, so, sn)
			}
			// Feed the rest of the object (tag included): the reader must
			// stop at the range end.
			r, err := NewRangeDecrypter(key, iv, iotest.HalfReader(bytes.NewReader(stored[off-off%16:])), int64(off), int64(n))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, pt[off:end]) {
				t.Fatalf("off %d n %d: err=%v equal=%v", off, n, err, bytes.Equal(got, pt[off:end]))
			}
		}
	}
}

func TestRangeDecrypterShortSource(t *testing.T) {
	key, iv := testKey(12), testIV(12)
	pt := testData(12, 200)
	stored := seal(t, key, iv, pt)
	for _, tc := range []struct{ off, n, have int }{{0, 100, 99}, {37, 50, 32 + 4}, {37, 50, 3}, {37, 50, 0}} {
		base := tc.off - tc.off%16
		r, _ := NewRangeDecrypter(key, iv, bytes.NewReader(stored[base:base+tc.have]), int64(tc.off), int64(tc.n))
		got, err := io.ReadAll(r)
		if !isAuth(err) {
			t.Fatalf("%+v: err = %v", tc, err)
		}
		want := pt[tc.off:max(tc.off, base+tc.have)]
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v: partial output wrong", tc)
		}
	}
	r, _ := NewRangeDecrypter(key, iv, io.MultiReader(bytes.NewReader(stored[:20]), iotest.ErrReader(errNet)), 0, 100)
	if _, err := io.ReadAll(r); !errors.Is(err, errNet) || isAuth(err) {
		t.Fatalf("source error: %v", err)
	}
}

// TestCounterAtLimit checks the highest counters a GCM message can use: the
// last plaintext block of a MaxPlaintext message is encrypted with
// E_K(IV || 0xFFFFFFFF), the one before it with IV || 0xFFFFFFFE, and the
// range decrypter reaches them without a 32-bit wrap.
func TestCounterAtLimit(t *testing.T) {
	key, iv := testKey(13), testIV(13)
	b, _ := aes.NewCipher(key)
	ks := make([]byte, 32)
	for i, c := range []uint32{0xfffffffe, 0xffffffff} {
		var blk [16]byte
		copy(blk[:], iv)
		blk[12], blk[13], blk[14], blk[15] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
		b.Encrypt(ks[16*i:], blk[:])
	}
	pt := testData(13, 32)
	ct := make([]byte, 32)
	for i := range ct {
		ct[i] = pt[i] ^ ks[i]
	}
	start := MaxPlaintext - 32 // block index 2^32-4, counter 0xfffffffe
	if (start/16)+2 != 0xfffffffe {
		t.Fatalf("arithmetic: counter %x", start/16+2)
	}
	for _, tc := range []struct{ off, n int64 }{{start, 32}, {start + 5, 27}, {start + 16, 16}, {MaxPlaintext - 1, 1}, {start + 3, 20}} {
		base := tc.off - tc.off%16
		r, err := NewRangeDecrypter(key, iv, bytes.NewReader(ct[base-start:]), tc.off, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		want := pt[tc.off-start : tc.off-start+tc.n]
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("off %d n %d: err=%v equal=%v", tc.off, tc.n, err, bytes.Equal(got, want))
		}
	}
}

func TestAlignedRange(t *testing.T) {
	for _, tc := range []struct{ off, n, plain, so, sn int64 }{
		{0, 10, 100, 0, 10},
		{5, 10, 100, 0, 15},
		{16, 16, 100, 16, 16},
		{17, 1, 100, 16, 2},
		{31, 2, 100, 16, 17},
		{90, 50, 100, 80, 20},     // clamped to the plaintext, never the tag
		{99, 1 << 62, 100, 96, 4}, // huge n does not overflow
		{100, 1, 100, 0, 0},       // at or past the end
		{150, 1, 100, 0, 0},
		{0, 0, 100, 0, 0},
		{-1, 5, 100, 0, 0},
		{0, -5, 100, 0, 0},
		{0, 5, 0, 0, 0},
	} {
		so, sn := AlignedRange(tc.off, tc.n, tc.plain)
		if so != tc.so || sn != tc.sn {
			t.Errorf("AlignedRange(%d,%d,%d) = %d,%d want %d,%d", tc.off, tc.n, tc.plain, so, sn, tc.so, tc.sn)
		}
	}
}

func ExampleAlignedRange() {
	storedOff, storedN := AlignedRange(1000, 100, 5000)
	fmt.Println(storedOff, storedN)
	// Output: 992 108
}
