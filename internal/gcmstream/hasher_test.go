package gcmstream

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

// TestMulKnownAnswer checks the field multiply against NIST GCM test case 2:
// H = 66e94bd4ef8a2c3b884cfa59ca342b2e, C = 0388dace60b6a392f328c2b971b2fe78,
// GHASH(C) with the length block [0 || 128] = f38cbb1ad69223dcc3457ae5b6b0f885.
func TestMulKnownAnswer(t *testing.T) {
	h := load(mustHex("66e94bd4ef8a2c3b884cfa59ca342b2e"))
	c := load(mustHex("0388dace60b6a392f328c2b971b2fe78"))
	x := mul(c, h)
	x = mul(x.xor(elem{lo: 128}), h)
	if got := x.bytes(); !bytes.Equal(got[:], mustHex("f38cbb1ad69223dcc3457ae5b6b0f885")) {
		t.Fatalf("GHASH = %x", got)
	}
}

func mustHex(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'a') + 10
			}
		}
		b[i] = v
	}
	return b
}

func TestFieldProperties(t *testing.T) {
	h, _ := NewHasher(testKey(20))
	r := rand.New(rand.NewPCG(20, 20))
	one := elem{hi: 1 << 63}
	for range 200 {
		a := elem{r.Uint64(), r.Uint64()}
		b := elem{r.Uint64(), r.Uint64()}
		c := elem{r.Uint64(), r.Uint64()}
		if mul(a, b) != mul(b, a) {
			t.Fatal("not commutative")
		}
		if mul(a, b.xor(c)) != mul(a, b).xor(mul(a, c)) {
			t.Fatal("not distributive")
		}
		if mul(a, one) != a {
			t.Fatal("1 is not the identity")
		}
		m, n := r.Int64N(1<<40), r.Int64N(1<<40)
		if mul(h.hpow(m), h.hpow(n)) != h.hpow(m+n) {
			t.Fatalf("H^%d·H^%d != H^%d", m, n, m+n)
		}
	}
	if h.hpow(5) != mul(h.h, mul(h.h, mul(h.h, mul(h.h, h.h)))) {
		t.Fatal("H^5 wrong")
	}
	if h.hpow(0) != one || h.hpow(1) != h.h {
		t.Fatal("H^0 or H^1 wrong")
	}
}

// TestSegmentsComposeToTag splits a stored object at HDFS-block-like
// boundaries, hashes the pieces independently, and rebuilds the tag.
func TestSegmentsComposeToTag(t *testing.T) {
	key, iv := testKey(21), testIV(21)
	h, err := NewHasher(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 16, 100, 300<<10 + 7, 1<<20 + 16} {
		pt := testData(uint64(size), size)
		stored := seal(t, key, iv, pt)
		ct, tag := stored[:size], stored[size:]
		for _, blockLen := range []int{16, 4096, 65536, 100000 &^ 15, 1 << 20} {
			var whole [16]byte
			first := true
			for off := 0; off < len(ct) || first; off += blockLen {
				piece := ct[off:min(off+blockLen, len(ct))]
				a := h.Segment(piece)
				if first {
					whole, first = a, false
				} else {
					whole = h.Combine(whole, a, Blocks(int64(len(piece))))
				}
			}
			if got := h.Tag(iv, whole, int64(size)); !bytes.Equal(got[:], tag) {
				t.Fatalf("size %d block %d: tag %x want %x", size, blockLen, got, tag)
			}
			if err := h.Verify(iv, whole, int64(size), tag); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := h.Verify(iv, whole, int64(size)+1, tag); !isAuth(err) {
				t.Fatalf("Verify with wrong length: %v", err)
			}
		}
		if size == 0 {
			continue
		}
		// A tampered piece is detected.
		bad := bytes.Clone(ct)
		bad[size/2] ^= 4
		half := (size / 2) &^ 15
		whole := h.Combine(h.Segment(bad[:half]), h.Segment(bad[half:]), Blocks(int64(size-half)))
		if err := h.Verify(iv, whole, int64(size), tag); !isAuth(err) {
			t.Fatalf("size %d: tampered segment verified: %v", size, err)
		}
		// Combining with the wrong block count is detected.
		if size > 32 {
			whole = h.Combine(h.Segment(ct[:half]), h.Segment(ct[half:]), Blocks(int64(size-half))+1)
			if err := h.Verify(iv, whole, int64(size), tag); !isAuth(err) {
				t.Fatalf("size %d: wrong block count verified", size)
			}
		}
	}
}

func TestSegmentWriter(t *testing.T) {
	h, _ := NewHasher(testKey(22))
	r := rand.New(rand.NewPCG(22, 22))
	for _, size := range []int{0, 1, 15, 16, 17, ChunkSize - 1, ChunkSize, ChunkSize + 1, 5*ChunkSize + 9} {
		data := testData(uint64(size), size)
		want := h.Segment(data)
		for _, mode := range []string{"one", "random", "big"} {
			w := h.NewSegment()
			for p := data; len(p) > 0; {
				k := len(p)
				switch mode {
				case "random":
					k = min(len(p), 1+r.IntN(3*ChunkSize/2))
				case "big":
					k = min(len(p), 2*ChunkSize+3)
				}
				if n, err := w.Write(p[:k]); n != k || err != nil {
					t.Fatal(n, err)
				}
				p = p[k:]
				if len(p) > 0 && len(p)%7 == 0 {
					_ = w.Sum() // must not disturb the state
				}
			}
			if w.Len() != int64(size) {
				t.Fatalf("Len %d", w.Len())
			}
			if got := w.Sum(); got != want {
				t.Fatalf("size %d mode %s: Sum %x want %x", size, mode, got, want)
			}
			if got := w.Sum(); got != want {
				t.Fatal("second Sum differs")
			}
		}
	}
}

// TestTagOtherNonceSizes checks Tag's general J0 against Go's GCM with
// non-standard nonce sizes.
func TestTagOtherNonceSizes(t *testing.T) {
	key := testKey(23)
	b, _ := aes.NewCipher(key)
	h, _ := NewHasherFromBlock(b)
	pt := testData(23, 1000)
	for _, ns := range []int{1, 8, 16, 17, 60} {
		aead, err := cipher.NewGCMWithNonceSize(b, ns)
		if err != nil {
			t.Fatal(err)
		}
		nonce := testData(uint64(ns), ns)
		stored := aead.Seal(nil, nonce, pt, nil)
		got := h.Tag(nonce, h.Segment(stored[:len(pt)]), int64(len(pt)))
		if !bytes.Equal(got[:], stored[len(pt):]) {
			t.Fatalf("nonce size %d: tag %x want %x", ns, got, stored[len(pt):])
		}
	}
}
