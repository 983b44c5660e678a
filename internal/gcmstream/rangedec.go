package gcmstream

import (
	"crypto/cipher"
	"fmt"
	"io"
)

// rangeReader decrypts a plaintext range with AES-CTR, unauthenticated.
type rangeReader struct {
	src       io.Reader
	ctr       cipher.Stream
	skip      int   // bytes of the first block before the range
	remaining int64 // plaintext bytes still to return
	err       error
}

// NewRangeDecrypter decrypts plaintext bytes [off, off+n) WITHOUT
// authentication (the tag covers the whole object), as S3EC and S3A ranged
// reads do: AES-CTR with counter block J0 + 1 + off/16, J0 = IV||0x00000001.
//
// src must yield the stored object's bytes from offset off-off%16 on (see
// AlignedRange); bytes after the range are not read. A src that ends before
// the range is complete yields ErrAuth (the object is shorter than its
// recorded length). off+n must not exceed MaxPlaintext.
func NewRangeDecrypter(key []byte, iv []byte, src io.Reader, off, n int64) (io.Reader, error) {
	if err := checkIV(iv); err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off > MaxPlaintext || n > MaxPlaintext-off {
		return nil, fmt.Errorf("%w: offset %d length %d", ErrRange, off, n)
	}
	b, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	r := &rangeReader{src: src, remaining: n}
	if n == 0 {
		return r, nil
	}
	// off < MaxPlaintext here, so off/16 <= 2^32-3 and every counter used
	// (up to the block holding byte off+n-1 <= MaxPlaintext-1) is at most
	// 2^32-1: the 32-bit field cannot wrap.
	r.ctr = ctrStream(b, iv, off/blockSize)
	r.skip = int(off % blockSize)
	return r, nil
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.remaining == 0 {
		return 0, io.EOF
	}
	if r.skip > 0 {
		var lead [blockSize]byte
		if err := readFull(r.src, lead[:r.skip]); err != nil {
			r.err = r.srcErr(err)
			return 0, r.err
		}
		r.ctr.XORKeyStream(lead[:r.skip], lead[:r.skip])
		r.skip = 0
	}
	if len(p) == 0 {
		return 0, nil
	}
	k := min(int64(len(p)), r.remaining)
	m, err := r.src.Read(p[:k])
	if m < 0 || int64(m) > k {
		r.err = fmt.Errorf("gcmstream: source returned an invalid count")
		return 0, r.err
	}
	r.ctr.XORKeyStream(p[:m], p[:m])
	r.remaining -= int64(m)
	if err != nil {
		if err == io.EOF && r.remaining == 0 {
			return m, nil
		}
		r.err = r.srcErr(err)
		return m, r.err
	}
	return m, nil
}

func (r *rangeReader) srcErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: ciphertext range ends early", ErrAuth)
	}
	return err
}

// AlignedRange returns which stored bytes [storedOff, storedOff+storedN) a
// ranged read of plaintext [off, off+n) needs from an object whose plaintext
// is plainLen bytes long. The range is clamped to the plaintext (the tag is
// never needed); storedOff is off rounded down to a 16-byte block, as
// NewRangeDecrypter requires. CTR needs no extra block before or after (the
// ±16 widening in S3EC's RangedGetUtils exists for CBC). storedN == 0 means
// nothing is to be read; negative arguments give (0, 0).
func AlignedRange(off, n, plainLen int64) (storedOff, storedN int64) {
	if off < 0 || n <= 0 || plainLen <= 0 || off >= plainLen {
		return 0, 0
	}
	end := plainLen
	if n < plainLen-off {
		end = off + n
	}
	storedOff = off - off%blockSize
	return storedOff, end - storedOff
}
