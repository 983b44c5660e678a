// Package sse provides the server-side-encryption providers: S3 encrypts
// every object at rest (SSE-S3 or SSE-KMS) and the bytes pass through
// emrfsd unchanged.
//
// # Configuration
//
// EMRFS selects these with emrfs-site properties that package config
// resolves per bucket: fs.s3.enableServerSideEncryption=true alone gives
// SSE-S3 (NewS3); fs.s3.serverSideEncryption.kms.keyId=ID gives SSE-KMS
// with that key (NewKMS(ID)). An empty key id asks S3 for the AWS-managed
// key (aws/s3). NewKMSWithContext adds an encryption context; by default
// none is sent, and S3 applies its own {"aws:s3:arn": ...}.
//
// # Key handling
//
// emrfsd never sees a key: S3 generates and wraps the data keys. What the
// provider controls is the request and the check of S3's answer:
//
//	write/copy:  x-amz-server-side-encryption: AES256 | aws:kms
//	             x-amz-server-side-encryption-aws-kms-key-id: ID (as configured, if set)
//	             x-amz-server-side-encryption-context: base64(JSON) (if configured)
//
// Every copy (rename, metadata change) re-sends the same headers (SSE()):
// MinIO corrupts some SSE-KMS copies made without them, and a copy without
// them would lose the encryption on S3 without a bucket default.
//
// Confirm accepts a write only if S3 reports the requested algorithm and,
// for SSE-KMS with a key id, the requested key. S3 reports key ARNs, MinIO
// "arn:aws:kms:<name>", so the reported id matches when it equals the
// configured one or ends with ":<id>" or ":key/<id>". An alias
// ("alias/NAME" or an alias ARN) cannot be resolved to its key without
// calling KMS, so for an alias any aws:kms key is accepted; configure a key
// id or key ARN to have the key itself confirmed. A mismatch is
// errs.ErrSSENotConfirmed, and fs deletes the object.
//
// # Wire format
//
// Stored bytes = plaintext (S3 decrypts on GET); no user metadata, no
// instruction file; PlainSize = ListedSize = stored size.
//
// Imports: providers, internal/errs.
package sse
