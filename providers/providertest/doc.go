// Package providertest is the conformance suite every encryption provider
// runs against the real test MinIO (and, for CSE, local-kms).
//
// A provider package calls Run once from its conformance_test.go:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, func(t *testing.T) *providertest.Harness {
//			env := testenv.Get(t)
//			return &providertest.Harness{Provider: plain.New(), Bucket: env.NewBucket(t, "plain"), S3: env.S3Client()}
//		})
//	}
//
// Run calls newHarness once per topic (round trips, sizes, ranges, copies,
// confirmation, concurrency, segments, and for encrypting providers
// tampering and key leaks), so every topic gets a fresh bucket and a fresh
// Keys record.
//
// # Optional capabilities
//
// A provider implements the four methods of providers.Provider and any of
// the optional interfaces. The suite reaches them only through the
// providers helpers, exactly as fs does, so a provider without one is
// tested with the default: ListedSize (stored size), CopySSE (none),
// Confirm (no check unless SSE was asked for), DecodeSegment and
// VerifySegments (errs.ErrNoSegments). When a capability is present it is
// checked: a provider whose writes ask S3 for encryption must be a
// ServerSideEncrypter whose SSE equals what Encode asks for, and a
// Confirmer that refuses wrong answers; a SegmentDecoder must decode
// pieces exactly, verify pieces that tile the object and refuse forged or
// non-tiling ones and objects altered at rest.
//
// The suite stores and reads objects itself, the way package fs does: Put
// encodes into a buffer that becomes one PutObject, or a multipart upload
// once the stored bytes exceed PartSize, with Upload.Metadata as user
// metadata and Upload.SSE as request headers; the instruction file (if any)
// is stored first; Provider.Confirm sees S3's answer. Get reads with HEAD
// and a Source that issues ranged GETs pinned to the HEAD's ETag.
//
// The same helpers are exported for provider packages' own tests: Put, Get,
// Open, HeadObject, NewSource, CopyObject.
//
// MinIO leaves the SSE headers out of its CompleteMultipartUpload and
// CopyObject answers (AWS sends them; PutObject and HEAD answers carry them
// on both). Put and CopyObject then take the report from a HEAD of the new
// object, which is what fs has to do too before calling Confirm.
//
// # Decode contract exercised
//
// The suite calls Decode only with 0 <= off <= PlainSize and, for n >= 0,
// off+n <= PlainSize (fs clamps ranges before calling a provider). The
// Source it hands over refuses stored ranges outside the object (a provider
// asking for them fails its test), answers n == 0 and off == size with an
// empty body without a request (S3 cannot express either), and reports a
// missing instruction file with an error satisfying errors.Is(err,
// io/fs.ErrNotExist).
//
// # Failure classes accepted
//
// A tampered or truncated object must fail a full read with ErrIntegrity or
// ErrKeyMismatch; an altered algorithm name may also fail with
// ErrUnsupportedAlgorithm. An altered Harness.OpaqueFields field (a key
// service's wrapped key with parts the service ignores) may instead read
// exactly the original plaintext. Confirm must answer a mismatching SSE report with
// ErrSSENotConfirmed.
//
// Imports: providers, internal/errs (a test-support package; the provider
// packages' tests import it).
package providertest
