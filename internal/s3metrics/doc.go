// Package s3metrics is an s3api.API decorator that counts every S3 request
// emrfsd makes (emrfsd_s3_*): calls, latency and errors by operation, and
// the retries the AWS SDK made inside each call, counted by a middleware
// placed after the SDK's retry middleware (so it sees every attempt).
//
// Imports: internal/s3api only. cmd/emrfsd wraps the daemon's S3 client
// with it.
package s3metrics
