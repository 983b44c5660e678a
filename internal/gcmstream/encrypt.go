package gcmstream

import (
	"crypto/cipher"
	"io"
)

// Encrypter turns plaintext written to it into a GCM ciphertext on an
// underlying writer, identical to cipher.AEAD.Seal(nil, iv, plaintext, nil).
// Each Write emits its ciphertext to dst before returning; Close appends the
// tag. An Encrypter is not safe for concurrent use.
type Encrypter struct {
	dst     io.Writer
	ctr     cipher.Stream
	g       ghash
	iv      [NonceSize]byte
	buf     []byte // ciphertext of the current chunk, len == bytes in it
	written int64
	err     error
	closed  bool
}

// NewEncrypter returns an Encrypter writing to dst. key must be 16, 24 or 32
// bytes (S3EC uses 32) and is not retained; iv must be NonceSize bytes and
// must never be reused with the same key.
func NewEncrypter(key []byte, iv []byte, dst io.Writer) (*Encrypter, error) {
	if err := checkIV(iv); err != nil {
		return nil, err
	}
	b, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	h, err := NewHasherFromBlock(b)
	if err != nil {
		return nil, err
	}
	e := &Encrypter{
		dst: dst,
		ctr: ctrStream(b, iv, 0),
		g:   ghash{h: h},
		buf: make([]byte, 0, ChunkSize),
	}
	copy(e.iv[:], iv)
	return e, nil
}

// Write encrypts p and writes the ciphertext to dst. Writing past
// MaxPlaintext fails with ErrTooLarge and, like any dst error, leaves the
// Encrypter failed: later calls (including Close) return the same error, so
// no tag is ever written for an incomplete message.
func (e *Encrypter) Write(p []byte) (int, error) {
	if e.closed {
		return 0, ErrClosed
	}
	if e.err != nil {
		return 0, e.err
	}
	if int64(len(p)) > MaxPlaintext-e.written {
		e.err = ErrTooLarge
		return 0, e.err
	}
	done := 0
	for len(p) > 0 {
		k := min(len(p), ChunkSize-len(e.buf))
		ct := e.buf[len(e.buf) : len(e.buf)+k]
		e.ctr.XORKeyStream(ct, p[:k])
		if _, err := e.dst.Write(ct); err != nil {
			e.err = err
			return done, err
		}
		e.buf = e.buf[:len(e.buf)+k]
		e.written += int64(k)
		done += k
		p = p[k:]
		if len(e.buf) == ChunkSize {
			e.g.absorb(e.buf)
			e.buf = e.buf[:0]
		}
	}
	return done, nil
}

// Close writes the 16-byte tag to dst. It does not close dst. Calling Close
// again after a successful Close does nothing.
func (e *Encrypter) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	if e.err != nil {
		return e.err
	}
	e.g.absorb(e.buf)
	e.buf = e.buf[:0]
	tag := e.g.h.Tag(e.iv[:], e.g.acc.bytes(), e.written)
	if _, err := e.dst.Write(tag[:]); err != nil {
		e.err = err
		return err
	}
	return nil
}

// Written reports the plaintext bytes accepted so far.
func (e *Encrypter) Written() int64 { return e.written }
