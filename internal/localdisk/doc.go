// Package localdisk encrypts emrfsd's own local disk: staging buffers for
// multipart uploads and any spill or cache files. It is the seed's third
// flow (EMR encrypts node volumes with LUKS under a KMS data key): a node
// key unlocked through KMS at start (nodekey.go) and a chunked AEAD file
// format under per-file keys derived from it (this file).
//
// Sealed file format, version 1:
//
//	+---------+---------+------------+--------------+
//	| magic 8 | ver 1   | chunkLog 1 | fileID 32    |   header, 42 bytes
//	+---------+---------+------------+--------------+
//	| chunk 0: AES-256-GCM(ciphertext of up to 2^chunkLog bytes) || tag 16 |
//	| chunk 1 ...                                                          |
//	| last chunk (possibly empty), marked final                           |
//
// The file key is HKDF-SHA256(node key, salt = fileID, info = "emrfsd
// sealed file v1"). Chunk i is sealed with nonce = uint64 BE(i) || uint32
// BE(final ? 1 : 0) and the header as additional data. So a chunk moved to
// another index or file fails to open; a file cut at a chunk boundary lacks
// its final chunk and fails; a flipped bit anywhere fails. Every file has
// a final chunk, so even an empty file is authenticated.
//
// Imports: internal/partbuf, internal/errs, internal/kms.
package localdisk
