package gcmstream

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/emrfsd/emrfsd/internal/errs"
)

const (
	// TagSize is the GCM tag length in bytes (the only one S3EC uses).
	TagSize = 16
	// NonceSize is the IV length in bytes.
	NonceSize = 12
	// MaxPlaintext is the largest plaintext one GCM message may carry:
	// 2^39-256 bits = 2^36-32 bytes (NIST SP 800-38D). Writing more fails.
	MaxPlaintext int64 = 1<<36 - 32
	// ChunkSize is the size of the internal ciphertext buffer of an
	// Encrypter or Decrypter, and the granularity at which GHASH is run.
	// It is a multiple of the 16-byte block size.
	ChunkSize = blockSize << chunkPow
	// MemoryBound is the most heap an Encrypter or Decrypter allocates over
	// its whole life, including construction, whatever the message length
	// (ChunkSize plus cipher state and small fixed structures).
	MemoryBound = 128 << 10

	blockSize   = 16
	chunkPow    = 12 // ChunkSize is 2^chunkPow blocks, so H^blocks is a table entry
	chunkBlocks = 1 << chunkPow
)

var (
	// ErrAuth reports a tag mismatch or a ciphertext that is shorter or
	// longer than expected. It wraps errs.ErrIntegrity.
	ErrAuth = fmt.Errorf("gcmstream: message authentication failed: %w", errs.ErrIntegrity)
	// ErrNonceSize reports an IV that is not NonceSize bytes long. It wraps
	// errs.ErrIntegrity, since the IV usually comes from object metadata.
	ErrNonceSize = fmt.Errorf("gcmstream: IV must be %d bytes: %w", NonceSize, errs.ErrIntegrity)
	// ErrKeySize reports a key that is not 16, 24 or 32 bytes long.
	ErrKeySize = errors.New("gcmstream: key must be 16, 24 or 32 bytes")
	// ErrTooLarge reports plaintext beyond MaxPlaintext.
	ErrTooLarge = errors.New("gcmstream: message exceeds the GCM plaintext limit")
	// ErrClosed reports a Write after Close.
	ErrClosed = errors.New("gcmstream: write after close")
	// ErrRange reports a negative or out-of-limit range.
	ErrRange = errors.New("gcmstream: invalid range")
)

// newBlock builds the AES cipher without retaining key.
func newBlock(key []byte) (cipher.Block, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, ErrKeySize
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("gcmstream: %w", err)
	}
	return b, nil
}

func checkIV(iv []byte) error {
	if len(iv) != NonceSize {
		return ErrNonceSize
	}
	return nil
}

// ctrStream returns AES-CTR positioned at the GCM counter for plaintext block
// index blk (0-based): IV || uint32(2+blk). Callers guarantee
// blk <= 2^32-3, so the 32-bit field never wraps for any block they use
// (see the package comment on counter wrap).
func ctrStream(b cipher.Block, iv []byte, blk int64) cipher.Stream {
	var ctr [blockSize]byte
	copy(ctr[:], iv)
	c := uint32(2 + blk)
	ctr[12], ctr[13], ctr[14], ctr[15] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	return cipher.NewCTR(b, ctr[:])
}

// Blocks returns the number of 16-byte GHASH blocks n bytes occupy
// (the last one zero-padded).
func Blocks(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return (n + blockSize - 1) / blockSize
}
