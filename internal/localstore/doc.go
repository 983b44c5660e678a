// Package localstore is the embedded object store behind emrfsd's no-AWS
// default: a small S3-compatible HTTP server over a local data directory,
// so the daemon talks to it through the same aws-sdk-go-v2 S3 client and
// code path it uses against AWS S3 or MinIO.
//
// It serves the subset of the S3 REST API that package fs uses (path-style
// addressing): ListBuckets, Create/HeadBucket, Put/Get/Head/Delete/CopyObject,
// DeleteObjects, ListObjectsV2, multipart uploads (create, upload part,
// complete, abort, list) and conditional writes (If-None-Match: *). Bodies
// stream to and from disk; nothing buffers a whole object.
//
// It does not verify request signatures: it listens on loopback only, and
// its data directory is protected by file permissions (0700). Server-side
// encryption requests are refused (NotImplemented): buckets in the embedded
// default are plain or client-side encrypted.
//
// Imports: nothing from this module (a leaf; cmd/emrfsd serves it on loopback
// in embedded mode).
package localstore
