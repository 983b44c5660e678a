package gcmstream

import (
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
)

// numPow is how many powers H^(2^k) a Hasher precomputes: enough for any
// block count below 2^33, which covers every valid GCM message (at most
// 2^32-2 blocks). Larger exponents are handled by squaring on the fly.
const numPow = 33

// Hasher computes GHASH pieces of ciphertext under one key so that a GCM tag
// can be assembled from separately read parts of an object (for example the
// HDFS blocks of a file read by different clients).
//
// For a run of ciphertext X that starts at a 16-byte aligned offset of the
// object, its hash value is A(X) = GHASH_H(X)·H, where GHASH_H(X) =
// Σ X_i·H^(n−i+1) over X's blocks (the last one zero-padded). The values
// compose: A(X || Y) = A(X)·H^blocks(Y) ⊕ A(Y) when len(X) is a multiple of
// 16, and the tag of a whole object with plaintext length L is
// T = A(C) ⊕ [0^64 || 8L]·H ⊕ E_K(J0).
//
// A Hasher is immutable after construction and safe for concurrent use.
type Hasher struct {
	block   cipher.Block
	aead    cipher.AEAD
	h       elem
	pow     [numPow]elem // pow[k] = H^(2^k)
	mask0   elem         // E_K(n0 || 0x00000001)
	chunkLH elem         // [8·ChunkSize || 0^64]·H
	n0      [NonceSize]byte
}

// NewHasher builds a Hasher for an AES key of 16, 24 or 32 bytes. The key is
// not retained.
func NewHasher(key []byte) (*Hasher, error) {
	b, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	return NewHasherFromBlock(b)
}

// NewHasherFromBlock builds a Hasher on an existing 128-bit block cipher.
func NewHasherFromBlock(b cipher.Block) (*Hasher, error) {
	if b == nil || b.BlockSize() != blockSize {
		return nil, fmt.Errorf("gcmstream: GHASH needs a 128-bit block cipher")
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("gcmstream: %w", err)
	}
	h := &Hasher{block: b, aead: aead}
	var buf [blockSize]byte
	b.Encrypt(buf[:], buf[:])
	h.h = load(buf[:])
	h.pow[0] = h.h
	for k := 1; k < numPow; k++ {
		h.pow[k] = mul(h.pow[k-1], h.pow[k-1])
	}
	buf = [blockSize]byte{}
	buf[blockSize-1] = 1 // n0 (all zero) || 0x00000001
	b.Encrypt(buf[:], buf[:])
	h.mask0 = load(buf[:])
	h.chunkLH = mul(elem{hi: 8 * ChunkSize}, h.h)
	return h, nil
}

// hpow returns H^n for n >= 1 (n <= 0 gives the identity).
func (h *Hasher) hpow(n int64) elem {
	if n <= 0 {
		return elem{hi: 1 << 63} // the field's 1
	}
	var r elem
	have := false
	p := h.pow[0]
	for k := 0; n > 0; k++ {
		switch {
		case k < numPow:
			p = h.pow[k]
		default:
			p = mul(p, p)
		}
		if n&1 == 1 {
			if have {
				r = mul(r, p)
			} else {
				r, have = p, true
			}
		}
		n >>= 1
	}
	return r
}

// seg returns A(chunk) = GHASH_H(chunk)·H using the accelerated GCM: sealing
// an empty plaintext with chunk as additional data under nonce n0 gives
// T0 = (GHASH_H(chunk) ⊕ [8·len || 0^64])·H ⊕ E_K(n0||1). The tag is never
// released, so reusing n0 is harmless. scratch must have capacity 16.
func (h *Hasher) seg(scratch []byte, chunk []byte) elem {
	if len(chunk) == 0 {
		return elem{}
	}
	t := h.aead.Seal(scratch[:0], h.n0[:], nil, chunk)
	lh := h.chunkLH
	if len(chunk) != ChunkSize {
		lh = mul(elem{hi: 8 * uint64(len(chunk))}, h.h)
	}
	return load(t).xor(h.mask0).xor(lh)
}

// Segment returns A(ciphertext) for a run of ciphertext that starts at a
// 16-byte aligned offset of the object. Only the run that ends the object may
// have a length that is not a multiple of 16.
func (h *Hasher) Segment(ciphertext []byte) [16]byte {
	var scratch [blockSize]byte
	return h.seg(scratch[:], ciphertext).bytes()
}

// Combine returns A(X || Y) from a = A(X) and b = A(Y), where X is a whole
// number of blocks and Y is blocksB blocks long (Blocks(len(Y))). A negative
// blocksB is treated as 0.
func (h *Hasher) Combine(a, b [16]byte, blocksB int64) [16]byte {
	return mul(load(a[:]), h.hpow(blocksB)).xor(load(b[:])).bytes()
}

// j0 returns the pre-counter block for iv: IV || 0x00000001 for a 12-byte
// IV, otherwise GHASH_H(IV padded || [0]_64 || [8·len(IV)]_64) as GCM defines
// it for other IV lengths.
func (h *Hasher) j0(iv []byte) [16]byte {
	if len(iv) == NonceSize {
		var j [16]byte
		copy(j[:], iv)
		j[15] = 1
		return j
	}
	var scratch [blockSize]byte
	a := h.seg(scratch[:], iv)
	return a.xor(mul(elem{lo: 8 * uint64(len(iv))}, h.h)).bytes()
}

// Tag finishes a GCM tag (no additional data) from whole = A(C) of the
// complete ciphertext and the plaintext length:
// T = whole ⊕ [0^64 || 8·plainLen]·H ⊕ E_K(J0). Any IV length gives the
// value GCM would produce for that nonce size; S3EC objects use 12 bytes.
func (h *Hasher) Tag(iv []byte, whole [16]byte, plainLen int64) [16]byte {
	j := h.j0(iv)
	var ek [16]byte
	h.block.Encrypt(ek[:], j[:])
	t := load(whole[:]).xor(mul(elem{lo: 8 * uint64(plainLen)}, h.h)).xor(load(ek[:]))
	return t.bytes()
}

// Verify checks tag against the tag computed from whole = A(C) in constant
// time. It returns nil on a match, ErrNonceSize for a bad IV and ErrAuth for
// a mismatch, a tag of the wrong size or an impossible length.
func (h *Hasher) Verify(iv []byte, whole [16]byte, plainLen int64, tag []byte) error {
	if err := checkIV(iv); err != nil {
		return err
	}
	if len(tag) != TagSize || plainLen < 0 || plainLen > MaxPlaintext {
		return ErrAuth
	}
	want := h.Tag(iv, whole, plainLen)
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		return ErrAuth
	}
	return nil
}

// ghash is a running A(·) over a stream absorbed in whole-block chunks (the
// last may be partial).
type ghash struct {
	h       *Hasher
	acc     elem
	n       int64 // bytes absorbed
	scratch [blockSize]byte
}

// absorb adds chunk; every chunk but the last must be a multiple of 16 bytes.
func (g *ghash) absorb(chunk []byte) {
	if len(chunk) == 0 {
		return
	}
	s := g.h.seg(g.scratch[:], chunk)
	if g.n > 0 {
		nb := Blocks(int64(len(chunk)))
		var p elem
		if nb == chunkBlocks {
			p = g.h.pow[chunkPow]
		} else {
			p = g.h.hpow(nb)
		}
		g.acc = mul(g.acc, p)
	}
	g.acc = g.acc.xor(s)
	g.n += int64(len(chunk))
}

// SegmentWriter is the streaming form of Hasher.Segment: write a run of
// ciphertext to it in pieces of any size and call Sum.
type SegmentWriter struct {
	g   ghash
	buf []byte
}

// NewSegment starts a streaming segment hash. It buffers at most ChunkSize
// bytes.
func (h *Hasher) NewSegment() *SegmentWriter {
	return &SegmentWriter{g: ghash{h: h}}
}

// Write adds ciphertext; it never fails.
func (s *SegmentWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(s.buf) > 0 {
		k := min(len(p), ChunkSize-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		if len(s.buf) == ChunkSize {
			s.g.absorb(s.buf)
			s.buf = s.buf[:0]
		}
	}
	if len(s.buf) == 0 {
		if whole := len(p) &^ (ChunkSize - 1); whole > 0 {
			s.g.absorb(p[:whole])
			p = p[whole:]
		}
	}
	if len(p) > 0 {
		if s.buf == nil {
			s.buf = make([]byte, 0, ChunkSize)
		}
		s.buf = append(s.buf, p...)
	}
	return n, nil
}

// Len reports the number of bytes written so far.
func (s *SegmentWriter) Len() int64 { return s.g.n + int64(len(s.buf)) }

// Sum returns A(bytes written so far); it does not change the state.
func (s *SegmentWriter) Sum() [16]byte {
	if len(s.buf) == 0 {
		return s.g.acc.bytes()
	}
	var scratch [blockSize]byte
	tail := s.g.h.seg(scratch[:], s.buf)
	acc := s.g.acc
	if s.g.n > 0 {
		acc = mul(acc, s.g.h.hpow(Blocks(int64(len(s.buf)))))
	}
	return acc.xor(tail).bytes()
}
