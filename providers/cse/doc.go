// Package cse implements emrfsd's client-side-encryption providers,
// "cse-kms" and "cse-custom", which store objects in the AWS S3 Encryption
// Client (S3EC) format that EMRFS, S3A and the AWS SDKs read and write.
//
// # Wire format
//
// Every object written here is one AES-256-GCM message (S3EC V2 format):
//
//	K   = fresh 32-byte data key (cse-kms: KMS GenerateDataKey; cse-custom: crypto/rand)
//	IV  = 12 random bytes
//	C   = AES-GCM-Seal(K, IV, plaintext, no AAD)      // ciphertext || 16-byte tag
//	W   = Wrap(K)                                     // KMS blob, or a keyring's AES/GCM wrap
//	stored object body = C                            // size = plaintext + 16
//
// and its envelope, stored as user metadata (x-amz-meta-*) or, in
// InstructionFile mode, as the JSON body of KEY.instruction:
//
//	x-amz-key-v2   base64(W)
//	x-amz-iv       base64(IV)
//	x-amz-matdesc  JSON object of strings (the material description)
//	x-amz-wrap-alg "kms" | "kms+context" | "AES/GCM"
//	x-amz-cek-alg  "AES/GCM/NoPadding"
//	x-amz-tag-len  "128"
//
// x-amz-unencrypted-content-length is not written: the length is unknown
// until the stream ends, and S3EC-Java does not write it for V2 objects
// either. Readers never rely on it for GCM (plaintext = stored − 16).
//
// Wrap algorithm "kms" (the default, the seed's and EMRFS's form) uses the
// KMS encryption context {"kms_cmk_id": KEY-ARN}; "kms+context" uses
// {"aws:x-amz-cek-alg": "AES/GCM/NoPadding"}. In both, the encryption
// context equals the stored material description, so Decrypt presents the
// parsed x-amz-matdesc.
//
// # Key pinning
//
// Decrypt always names the key (KeyId): the bucket's configured key (its
// ARN, resolved at start) or one of its alternates (KMSOptions.Alternates,
// fs.s3.cse.kms.alternateKeyIds), never "whatever key the blob refers to",
// so a key the daemon's credentials can use but the bucket does not name
// never unwraps one of its objects. A "kms" object names its key in
// kms_cmk_id: if that is an allowed key (by ARN, by the key id in the ARN,
// or by the id exactly as configured) only that key is tried, otherwise the
// object is refused with errs.ErrKeyMismatch before any KMS call, the error
// naming the key. A kms+context object names no key: the allowed keys are
// tried in order, the configured key first (an object under an alternate
// costs one failing Decrypt more per cache miss). KMS answers a wrong key
// with IncorrectKeyException (local-kms: InvalidCiphertextException); both
// are errs.ErrKeyMismatch. Cached data keys are scoped to the set of keys
// Decrypt may name.
//
// # Legacy formats
//
// Reads accept V2 objects with AES/GCM content under the kms, kms+context or
// AES/GCM wraps (and whatever other wrap a Materials reads). Legacy forms —
// AES/CBC/PKCS5Padding content (S3EC-Java v1 EncryptionOnly, V1 clients),
// V1 envelopes (x-amz-key) and the legacy wraps AESWrap, AES, RSA and
// RSA-OAEP with SHA-256 — are read only with KMSOptions.LegacyRead /
// CustomOptions.LegacyRead (fs.s3.cse.legacyRead.enabled, per bucket, off by
// default), as the AWS S3 Encryption Client V2 reads them only with its
// legacy modes enabled. Off, every legacy envelope is refused with one
// error wrapping errs.ErrIntegrity, identical whatever the cause and
// decided from the algorithm names alone, before any key-service call, body
// read or other check: a GCM object whose x-amz-cek-alg an attacker
// rewrote to CBC (the "kms" wrap does not bind it, CVE-2020-8912) cannot
// be turned into a padding oracle (CVE-2020-8911). The "kms" wrap with GCM,
// which EMRFS writes by default, stays readable: CBC, the only weaker
// content algorithm it could be switched to, is refused. On, each legacy
// read is recorded by the LegacyAudit (the daemon's audit log, op
// LegacyRead) before its data key is unwrapped, and a read that cannot be
// recorded is refused. Legacy forms are never written.
//
// S3EC V3 (key-committing, x-amz-3/x-amz-c) is refused with
// errs.ErrUnsupportedAlgorithm. The envelope is parsed and validated
// completely before any key-service call or cryptographic operation; hostile
// metadata yields an error wrapping errs.ErrIntegrity or
// errs.ErrUnsupportedAlgorithm, never a panic.
//
// # Authentication
//
// A read that covers a whole GCM object is authenticated: the tag is checked
// as the last ciphertext bytes arrive, and a mismatch is reported as an
// error wrapping errs.ErrIntegrity instead of io.EOF. Plaintext is
// released in whole 64 KiB ciphertext chunks and the last chunk only after
// the tag verified: an object of up to 64 KiB yields no byte at all unless it
// authenticates; for larger objects the chunks before the last are handed
// out unauthenticated, and only a read that ends with io.EOF is authentic.
//
// Ranged reads (any read that does not cover the whole object) decrypt with
// AES-CTR from the GCM counter and are NOT authenticated — the tag covers the
// whole object. This matches the S3EC "legacy unauthenticated ranged get"
// behaviour.
//
// # Authentication of objects read in pieces (HDFS blocks)
//
// HDFS clients read a file block by block, each block with its own request,
// so no single Decode covers a multi-block file. Provider therefore also
// implements providers.SegmentDecoder: DecodeSegment decrypts a 16-byte
// aligned piece (unauthenticated, AES-CTR) while computing the GHASH value of
// its ciphertext, and VerifySegments composes the values of pieces that tile
// the object (GHASH composes over concatenation), reads only the stored
// 16-byte tag, and compares in constant time: a mismatch is
// errs.ErrIntegrity. Both get the data key through the same unwrap path
// as Decode, so with a key cache configured they cost no extra KMS call.
// The NameNode uses them as follows (namenode/verify.go):
//
//   - A file read from start to end — every block served whole (READ_BLOCK
//     from offset 0 for the block's full length), by any client, before the
//     final block is served whole — is authenticated: the last 64 KiB of the
//     final block are held back until the whole-object tag verifies, and on a
//     mismatch that read fails and the final packet is never sent. The
//     earlier blocks were handed out before the check (unauthenticated, as
//     in any streaming GCM reader): only a read that completes is authentic.
//   - A one-block file read whole is authenticated by Decode itself.
//   - After a failed check, every later block read of that object version
//     fails too, until the object changes.
//   - Everything else is NOT authenticated, as every S3EC ranged read:
//     reading part of a file, reading blocks from an offset other than 0,
//     reading the final block when the digests of some earlier block are
//     not on record (never read whole, read through another emrfsd process,
//     before a restart, or evicted from the bounded in-memory record).
//
// Legacy CBC objects (read only with legacy reads on) carry no MAC at all:
// a CBC read is never authenticated (DecodeSegment and VerifySegments return
// errs.ErrNoSegments for them). PKCS#5 padding is validated at the end of
// the object and a bad padding is reported as errs.ErrIntegrity, but that is
// not an integrity check: with legacy reads on, a bucket whose objects an
// attacker can rewrite offers the padding oracle of CVE-2020-8911, which is
// why they are off by default.
//
// # Key handling
//
// Plaintext data keys live in []byte values of an unexported type whose
// String, GoString and LogValue methods print "[REDACTED]". They are zeroed
// (clear) as soon as the cipher is built — on writes right after the stream
// encrypter is constructed, on reads right after the decrypter is — and on
// every error path. They never appear in errors, logs or metadata. With a
// cache.Cache configured, unwrapped keys are cached by the cache (keyed by
// key ARN, encryption context and wrapped key, never by plaintext) and each
// use gets a fresh copy that is zeroed here.
//
// # Configuration
//
// Options are built by package config (internal/config) from Hadoop
// properties, per bucket:
//
//	fs.s3.cse.kms.keyId                 → KMSOptions.KeyID (resolved to KeyARN by DescribeKey at start)
//	fs.s3.cse.kms.alternateKeyIds       → KMSOptions.Alternates (each resolved likewise)
//	fs.s3.cse.legacyRead.enabled        → KMSOptions.LegacyRead, CustomOptions.LegacyRead (default false)
//	fs.s3.cse.encryptionV2.enabled      → KMSOptions.WrapAlg "kms+context" (default "kms")
//	fs.s3.cse.cryptoStorageMode         → StorageMode: ObjectMetadata (default) | InstructionFile
//	fs.s3.cse.encryptionMaterialsProvider → a Materials name for cse-custom (see MaterialsNames)
//	fs.s3.cse.custom.<x>                → NewMaterials args keyed by <x> (e.g. keyring.file)
//
// cse-custom's built-in Materials is KeyringFile ("keyring-file"), a local
// JSON file of AES-256 key-encryption keys that wraps data keys with the
// S3EC "AES/GCM" wrap algorithm (as S3EC-Java's AesKeyring does) and records
// the KEK name in the material description, so rotated KEKs still unwrap.
//
// Imports: providers, internal/errs, cache (wrapped data keys),
// internal/gcmstream, internal/kms.
package cse
