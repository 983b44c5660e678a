// Package gcmstream is a streaming AES-GCM engine built only on the standard
// library.
//
// crypto/cipher's AEAD is one-shot: Seal and Open take the whole message.
// The S3 Encryption Client format stores one GCM message per object
// (ciphertext || 16-byte tag, no additional data), so reading or writing an
// object through cipher.AEAD would hold the whole object in memory. This
// package splits GCM into its two parts and runs both at hardware speed:
//
//   - Confidentiality is AES-CTR starting at counter block J0+1, where
//     J0 = IV || 0x00000001 (cipher.NewCTR, which is accelerated).
//   - Authentication is GHASH over the ciphertext. GHASH of a chunk is
//     obtained from the accelerated GCM implementation by sealing an empty
//     plaintext with the chunk as additional data and removing the known
//     terms; chunks are chained with a constant-time GF(2^128) multiply by
//     H^(blocks in chunk).
//
// Output of an Encrypter is byte-identical to cipher.NewGCM(aes).Seal(nil,
// iv, plaintext, nil), and a Decrypter accepts exactly what Open accepts.
//
// # Memory bound
//
// Encrypter and Decrypter keep one ChunkSize (64 KiB) buffer of ciphertext
// plus O(1) state; the heap they allocate over their whole life does not grow
// with the message length. MemoryBound is the documented ceiling (checked by
// TestMemoryBound for 64 MiB streams). Neither ever holds plaintext in its
// own buffers: an Encrypter encrypts the caller's bytes straight into its
// ciphertext buffer, and a Decrypter decrypts straight into the caller's
// slice.
//
// # Counter wrap
//
// GCM increments only the low 32 bits of the counter block (inc32), while
// cipher.NewCTR increments the whole 128-bit block. They differ only when the
// low word passes 0xFFFFFFFF. A GCM message of at most MaxPlaintext bytes uses
// counters 2 .. 2^32-1, so inside that limit (which every constructor here
// enforces) the two are identical and no wrap can occur. TestCounterAtLimit
// checks the last block of a maximal message against E_K(IV||0xFFFFFFFF).
//
// # Keys
//
// Key bytes passed to the constructors are used to build an AES cipher.Block
// and are not retained; callers may zero them as soon as a constructor
// returns. (The expanded key schedule lives inside the cipher.Block until the
// stream is garbage.) Key material never appears in errors.
//
// Imports: internal/errs only.
package gcmstream
