package cse

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// Legacy AES/CBC/PKCS5Padding objects (decrypt-only).
//
// CBC decrypts block i as P_i = D_K(C_i) ⊕ C_{i−1} with C_{−1} = IV, so a
// read may start at any block by fetching the block before it as the IV.
// Only the last block carries padding (1..16 bytes, each equal to the pad
// length); a read that reaches the end validates and strips it. CBC has no
// MAC: nothing here authenticates the data.

const cbcChunk = 64 << 10 // ciphertext read per step, a multiple of 16

var errCBCPadding = fmt.Errorf("cse: legacy CBC object has invalid PKCS#5 padding (CBC is unauthenticated; the object is corrupt or was tampered with): %w", errs.ErrIntegrity)

// checkPad returns the PKCS#5 pad length of a final plaintext block, or 0
// when the padding is invalid. It does not branch on the block contents.
func checkPad(last []byte) int {
	pad := int(last[len(last)-1])
	ok := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, cbcBlockSize)
	for i := range cbcBlockSize {
		// Byte i (from the end) must equal pad when i < pad.
		in := subtle.ConstantTimeLessOrEq(i+1, pad)
		eq := subtle.ConstantTimeByteEq(last[len(last)-1-i], byte(pad))
		ok &= eq | (in ^ 1)
	}
	return subtle.ConstantTimeSelect(ok, pad, 0)
}

// cbcReader decrypts a CBC ciphertext stream. With toEnd, the stream runs
// to the end of the object: the last block is held back until EOF and its
// padding validated and stripped.
type cbcReader struct {
	src    io.Reader
	mode   cipher.BlockMode
	toEnd  bool
	skip   int64 // plaintext bytes to drop first
	expect int64 // total plaintext bytes the stream must yield (before skip), or -1

	ct   []byte // ciphertext buffer
	pt   []byte // plaintext buffer: held block, then the decrypted chunk
	out  []byte // plaintext ready to hand out (a window of pt)
	hold [cbcBlockSize]byte
	held bool  // hold is the previous chunk's last block, not yet handed out
	seen int64 // plaintext bytes produced so far (before skip)
	err  error // terminal error to report once out is drained (io.EOF at the end)
}

func newCBCReader(src io.Reader, mode cipher.BlockMode, toEnd bool, skip, expect int64) *cbcReader {
	return &cbcReader{
		src: src, mode: mode, toEnd: toEnd, skip: skip, expect: expect,
		ct: make([]byte, cbcChunk), pt: make([]byte, cbcChunk+cbcBlockSize),
	}
}

func (r *cbcReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.fill()
		if r.skip > 0 {
			d := min(r.skip, int64(len(r.out)))
			r.out = r.out[d:]
			r.skip -= d
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// fill decrypts the next chunk into r.out (which is drained) and returns
// the error to report once r.out is drained again: nil, io.EOF or a failure.
func (r *cbcReader) fill() error {
	n, err := io.ReadFull(r.src, r.ct)
	eof := false
	switch {
	case err == nil:
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		eof = true
	default:
		return err
	}
	if n%cbcBlockSize != 0 {
		return fmt.Errorf("cse: legacy CBC object is truncated (not a whole number of blocks): %w", errs.ErrIntegrity)
	}
	h := 0
	if r.held {
		copy(r.pt, r.hold[:])
		h = cbcBlockSize
	}
	r.mode.CryptBlocks(r.pt[h:h+n], r.ct[:n])
	t := h + n
	switch {
	case !r.toEnd:
		r.out = r.pt[:t]
	case !eof:
		// Hold the last block back: it may be the padded one.
		copy(r.hold[:], r.pt[t-cbcBlockSize:t])
		r.held = true
		r.out = r.pt[:t-cbcBlockSize]
	default:
		if t == 0 {
			return fmt.Errorf("cse: legacy CBC object has no blocks: %w", errs.ErrIntegrity)
		}
		pad := checkPad(r.pt[t-cbcBlockSize : t])
		if pad == 0 {
			return errCBCPadding
		}
		r.out = r.pt[:t-pad]
	}
	r.seen += int64(len(r.out))
	if !eof {
		return nil
	}
	if r.expect >= 0 && r.seen != r.expect {
		return fmt.Errorf("cse: legacy CBC object yielded %d plaintext bytes, want %d (truncated, or %s is wrong): %w",
			r.seen, r.expect, MetaPlainLen, errs.ErrIntegrity)
	}
	return io.EOF
}

// decodeCBC returns plaintext [off, off+n) of a legacy CBC object.
func (p *Provider) decodeCBC(ctx context.Context, env *envelope, stored int64, src providers.Source, off, n int64) (io.ReadCloser, error) {
	known, err := env.plainSize(stored) // validates the stored size; -1 if unknown
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	if n == 0 || off >= stored || (known >= 0 && off >= known && off > 0) {
		return io.NopCloser(strings.NewReader("")), nil
	}
	lastBlock := stored - cbcBlockSize
	// A range that ends before the final (padded) block needs no padding
	// handling; otherwise read to the end and strip it.
	toEnd := n < 0 || n > lastBlock-off
	startBlk := off / cbcBlockSize
	storedOff, storedN := int64(0), int64(-1)
	if startBlk > 0 {
		storedOff = (startBlk - 1) * cbcBlockSize // the previous block is the IV
	}
	if !toEnd {
		endBlk := (off + n - 1) / cbcBlockSize
		storedN = (endBlk+1)*cbcBlockSize - storedOff
	}
	expect := int64(-1)
	switch {
	case !toEnd:
		expect = storedN // the IV block, when fetched, is read separately below
		if startBlk > 0 {
			expect -= cbcBlockSize
		}
	case known >= 0:
		expect = known - startBlk*cbcBlockSize
	}

	key, err := p.unwrapKey(ctx, env)
	if err != nil {
		return nil, err
	}
	defer key.zero()
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.name, err)
	}
	rc, err := src.Range(ctx, storedOff, storedN)
	if err != nil {
		return nil, err
	}
	iv := env.iv
	if startBlk > 0 {
		iv = make([]byte, cbcBlockSize)
		if _, err := io.ReadFull(rc, iv); err != nil {
			rc.Close()
			return nil, cbcShort(p.name, err)
		}
	}
	var r io.Reader = newCBCReader(rc, cipher.NewCBCDecrypter(block, iv), toEnd, off-startBlk*cbcBlockSize, expect)
	if n >= 0 {
		r = io.LimitReader(r, n)
	}
	return &readCloser{Reader: r, c: rc}, nil
}

// cbcPlainSize finds a CBC object's plaintext length by decrypting its last
// block and reading the padding.
func (p *Provider) cbcPlainSize(ctx context.Context, env *envelope, stored int64, src providers.Source) (int64, error) {
	key, err := p.unwrapKey(ctx, env)
	if err != nil {
		return 0, err
	}
	defer key.zero()
	block, err := aes.NewCipher(key)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.name, err)
	}
	off := max(stored-2*cbcBlockSize, 0)
	rc, err := src.Range(ctx, off, stored-off)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var buf [2 * cbcBlockSize]byte
	tail := buf[:stored-off]
	if _, err := io.ReadFull(rc, tail); err != nil {
		return 0, cbcShort(p.name, err)
	}
	iv := env.iv
	if len(tail) == 2*cbcBlockSize {
		iv, tail = tail[:cbcBlockSize], tail[cbcBlockSize:]
	}
	var last [cbcBlockSize]byte
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(last[:], tail)
	pad := checkPad(last[:])
	clear(last[:])
	if pad == 0 {
		return 0, errCBCPadding
	}
	return stored - int64(pad), nil
}

func cbcShort(name string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: legacy CBC object is shorter than its size: %w", name, errs.ErrIntegrity)
	}
	return err
}
