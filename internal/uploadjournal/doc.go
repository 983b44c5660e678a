// Package uploadjournal remembers which multipart uploads this daemon has
// open, so that after a crash (kill -9, power loss) the next start aborts
// the orphans instead of leaving invisible, billed parts in S3 forever.
//
// It wraps the S3 client the namespace uses: a successful
// CreateMultipartUpload appends a "start" record, Complete/Abort append an
// "end" record. Recover reads the journal, aborts every upload that started
// and never ended, and starts a fresh journal. Upload ids, bucket and key
// names are not secret; no object data is ever journaled.
//
// Imports: internal/s3api only.
package uploadjournal
