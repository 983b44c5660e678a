package gcmstream

import (
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
)

// maxEmptyReads bounds consecutive (0, nil) reads from a source.
const maxEmptyReads = 100

type decrypter struct {
	src       io.Reader
	ctr       cipher.Stream
	g         ghash
	iv        [NonceSize]byte
	plainLen  int64
	remaining int64  // ciphertext bytes not yet read from src
	buf       []byte // ciphertext of the current chunk, len == bytes read
	given     int    // bytes of buf already decrypted out
	verified  bool
	err       error
}

// NewDecrypter returns a reader of the plaintext of the GCM message
// ciphertext||tag read from src, which must hold exactly storedLen bytes.
//
// Plaintext is released as ciphertext arrives, and GHASH runs alongside. The
// final part of the plaintext (up to ChunkSize bytes, and always at least the
// last byte) is released only after the tag has been read and verified in
// constant time, so a caller that reads exactly plainLen bytes and stops still
// gets an error for any tampering. A tag mismatch, a source that ends early
// or holds bytes beyond storedLen, or a storedLen below TagSize yields ErrAuth;
// io.EOF is returned only after the tag has verified. Other errors from src
// are returned unchanged (they are not integrity failures). All errors are
// sticky.
func NewDecrypter(key []byte, iv []byte, src io.Reader, storedLen int64) (io.Reader, error) {
	if err := checkIV(iv); err != nil {
		return nil, err
	}
	if storedLen < TagSize || storedLen-TagSize > MaxPlaintext {
		return nil, fmt.Errorf("%w: stored length %d is impossible for a GCM message", ErrAuth, storedLen)
	}
	b, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	h, err := NewHasherFromBlock(b)
	if err != nil {
		return nil, err
	}
	d := &decrypter{
		src:       src,
		ctr:       ctrStream(b, iv, 0),
		g:         ghash{h: h},
		plainLen:  storedLen - TagSize,
		remaining: storedLen - TagSize,
	}
	copy(d.iv[:], iv)
	if d.plainLen > 0 {
		d.buf = make([]byte, 0, min(int64(ChunkSize), d.plainLen))
	}
	return d, nil
}

func (d *decrypter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, d.err
	}
	empty := 0
	for {
		if d.err != nil {
			return 0, d.err
		}
		if d.given < len(d.buf) && (d.remaining > 0 || d.verified) {
			n := min(len(p), len(d.buf)-d.given)
			d.ctr.XORKeyStream(p[:n], d.buf[d.given:d.given+n])
			d.given += n
			return n, nil
		}
		if d.verified {
			return 0, io.EOF
		}
		if d.remaining == 0 {
			// All ciphertext is in hand but the final part is not yet
			// released: finish GHASH and verify first.
			d.g.absorb(d.buf)
			d.err = d.finish()
			continue
		}
		if len(d.buf) == cap(d.buf) {
			d.g.absorb(d.buf)
			d.buf = d.buf[:0]
			d.given = 0
		}
		want := min(int64(cap(d.buf)-len(d.buf)), d.remaining)
		m, err := d.src.Read(d.buf[len(d.buf) : len(d.buf)+int(want)])
		if m < 0 || int64(m) > want {
			d.err = errors.New("gcmstream: source returned an invalid count")
			continue
		}
		d.buf = d.buf[:len(d.buf)+m]
		d.remaining -= int64(m)
		switch {
		case err == io.EOF:
			if d.remaining > 0 {
				d.err = fmt.Errorf("%w: ciphertext ends %d bytes early", ErrAuth, d.remaining+TagSize)
			} else {
				d.err = fmt.Errorf("%w: tag missing", ErrAuth)
			}
		case err != nil:
			d.err = err
		case m == 0:
			if empty++; empty >= maxEmptyReads {
				return 0, io.ErrNoProgress
			}
		}
	}
}

// finish reads the tag, checks that src has ended, and verifies.
func (d *decrypter) finish() error {
	var tag [TagSize]byte
	if err := readFull(d.src, tag[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%w: tag truncated", ErrAuth)
		}
		return err
	}
	var extra [1]byte
	for empty := 0; ; empty++ {
		n, err := d.src.Read(extra[:])
		if n > 0 {
			return fmt.Errorf("%w: data beyond the expected length", ErrAuth)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if empty >= maxEmptyReads {
			return io.ErrNoProgress
		}
	}
	want := d.g.h.Tag(d.iv[:], d.g.acc.bytes(), d.plainLen)
	if subtle.ConstantTimeCompare(want[:], tag[:]) != 1 {
		return ErrAuth
	}
	d.verified = true
	return nil
}

// readFull is io.ReadFull with a bound on consecutive empty reads.
func readFull(r io.Reader, p []byte) error {
	for got, empty := 0, 0; got < len(p); {
		n, err := r.Read(p[got:])
		got += n
		if got == len(p) {
			return nil
		}
		if err == io.EOF {
			if got == 0 {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty >= maxEmptyReads {
			return io.ErrNoProgress
		}
	}
	return nil
}
