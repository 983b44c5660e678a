package localdisk

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

const (
	magic       = "EMRFSDS\x01"
	version     = 1
	headerSize  = 8 + 1 + 1 + 32
	tagSize     = 16
	chunkLog    = 16 // 64 KiB chunks
	chunkSize   = 1 << chunkLog
	fileKeyInfo = "emrfsd sealed file v1"
)

// ErrIntegrity: a sealed file was modified, truncated, reordered or is not
// a sealed file of this node.
var ErrIntegrity = errors.New("localdisk: sealed file failed authentication")

func fileAEAD(nodeKey *[32]byte, fileID []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, nodeKey[:], fileID, fileKeyInfo, 32)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func nonce(i uint64, final bool) []byte {
	var n [12]byte
	binary.BigEndian.PutUint64(n[:8], i)
	if final {
		n[11] = 1
	}
	return n[:]
}

// Writer seals what is written to it into a file.
type Writer struct {
	f      *os.File
	aead   cipher.AEAD
	header []byte
	buf    []byte // plaintext of the current chunk
	out    []byte
	index  uint64
	size   int64
	// fileSize counts the sealed chunk bytes written after the header.
	fileSize int64
	err      error
	closed   bool
	reused   bool // the file held an earlier sealed file: cut its tail at Close
}

// Create creates (exclusively) a sealed file at path, mode 0600.
func (k *NodeKey) Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return k.newWriter(f, path, false)
}

// Rewrite seals a new file over the existing sealed file at path, reusing
// its allocated blocks and cached pages instead of creating a file (which
// costs the kernel allocating, zeroing and, on removal, freeing them). The
// new file gets a new file id (so a new key); what is left of the old
// contents past the new end is cut off at Close.
func (k *NodeKey) Rewrite(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return k.newWriter(f, path, true)
}

func (k *NodeKey) newWriter(f *os.File, path string, reused bool) (*Writer, error) {
	header := make([]byte, headerSize)
	copy(header, magic)
	header[8] = version
	header[9] = chunkLog
	if _, err := io.ReadFull(rand.Reader, header[10:]); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("localdisk: random file id: %w", err)
	}
	aead, err := fileAEAD(&k.key, header[10:])
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if _, err := f.Write(header); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return &Writer{f: f, aead: aead, header: header, buf: make([]byte, 0, chunkSize), out: make([]byte, 0, chunkSize+tagSize), reused: reused}, nil
}

func (w *Writer) flushChunk(final bool) error {
	w.out = w.aead.Seal(w.out[:0], nonce(w.index, final), w.buf, w.header)
	if _, err := w.f.Write(w.out); err != nil {
		return err
	}
	w.fileSize += int64(len(w.out))
	w.index++
	w.buf = w.buf[:0]
	return nil
}

// Write seals p. Full chunks go to disk as they fill.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("localdisk: write after close")
	}
	n := 0
	for len(p) > 0 {
		// A full chunk is flushed only when more data follows, so the
		// last chunk written is always the final one.
		if len(w.buf) == chunkSize {
			if err := w.flushChunk(false); err != nil {
				w.err = err
				return n, err
			}
		}
		c := copy(w.buf[len(w.buf):chunkSize], p)
		w.buf = w.buf[:len(w.buf)+c]
		p = p[c:]
		n += c
		w.size += int64(c)
	}
	return n, nil
}

// Size is the plaintext size written so far.
func (w *Writer) Size() int64 { return w.size }

// Close seals the final chunk and syncs the file.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		w.err = w.flushChunk(true)
	}
	if w.err == nil && w.reused {
		w.err = w.f.Truncate(headerSize + w.fileSize)
	}
	clear(w.buf)
	if err := w.f.Close(); w.err == nil {
		w.err = err
	}
	return w.err
}

// Abort closes and removes the file.
func (w *Writer) Abort() {
	w.closed = true
	w.f.Close()
	os.Remove(w.f.Name())
	clear(w.buf)
}

// Reader opens a sealed file for reading; it is an io.ReadSeeker over the
// plaintext, authenticating every chunk before returning any of its bytes
// and failing with ErrIntegrity on any tampering (including truncation).
type Reader struct {
	f       *os.File
	aead    cipher.AEAD
	header  []byte
	size    int64 // plaintext size
	nchunks uint64
	pos     int64
	cur     []byte // decrypted current chunk
	curIdx  uint64
	haveCur bool
	raw     []byte
}

// Open opens a sealed file written under this node key.
func (k *NodeKey) Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	header := make([]byte, headerSize)
	if _, err := io.ReadFull(f, header); err != nil || string(header[:8]) != magic || header[8] != version || header[9] != chunkLog {
		f.Close()
		return nil, fmt.Errorf("%w: %s: bad header", ErrIntegrity, path)
	}
	body := st.Size() - headerSize
	full := int64(chunkSize + tagSize)
	// Every file ends with a final chunk of 0..chunkSize plaintext bytes.
	nchunks := body / full
	rem := body % full
	var size int64
	switch {
	case rem >= tagSize:
		nchunks++
		size = (nchunks-1)*chunkSize + rem - tagSize
	case rem == 0 && nchunks > 0:
		size = nchunks * chunkSize
	default:
		f.Close()
		return nil, fmt.Errorf("%w: %s: truncated", ErrIntegrity, path)
	}
	aead, err := fileAEAD(&k.key, header[10:])
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &Reader{f: f, aead: aead, header: header, size: size, nchunks: uint64(nchunks), raw: make([]byte, full)}
	// Authenticate the final chunk up front so a truncated file fails at
	// Open, before any byte is used.
	if err := r.load(r.nchunks - 1); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) load(i uint64) error {
	if r.haveCur && r.curIdx == i {
		return nil
	}
	off := headerSize + int64(i)*(chunkSize+tagSize)
	n := chunkSize + tagSize
	final := i == r.nchunks-1
	if final {
		n = int(r.size-int64(i)*chunkSize) + tagSize
	}
	if _, err := r.f.ReadAt(r.raw[:n], off); err != nil {
		return fmt.Errorf("%w: %v", ErrIntegrity, err)
	}
	pt, err := r.aead.Open(r.cur[:0], nonce(i, final), r.raw[:n], r.header)
	if err != nil {
		r.haveCur = false
		return fmt.Errorf("%w: chunk %d of %s", ErrIntegrity, i, r.f.Name())
	}
	r.cur, r.curIdx, r.haveCur = pt, i, true
	return nil
}

// Size is the plaintext size.
func (r *Reader) Size() int64 { return r.size }

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	i := uint64(r.pos / chunkSize)
	if err := r.load(i); err != nil {
		return 0, err
	}
	n := copy(p, r.cur[r.pos-int64(i)*chunkSize:])
	r.pos += int64(n)
	return n, nil
}

// Seek implements io.Seeker.
func (r *Reader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.pos
	case io.SeekEnd:
		off += r.size
	default:
		return 0, errors.New("localdisk: bad whence")
	}
	if off < 0 {
		return 0, errors.New("localdisk: negative position")
	}
	r.pos = off
	return off, nil
}

// Close closes the file and drops decrypted bytes.
func (r *Reader) Close() error {
	clear(r.cur[:cap(r.cur)])
	return r.f.Close()
}
