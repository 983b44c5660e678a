// Package s3ec runs the AWS S3 Encryption Client (aws-sdk-go v1
// service/s3/s3crypto, EncryptionClientV2/DecryptionClientV2 with
// KMS+context) as the P1 baseline. It runs in a child process of
// emrfsd-bench (hidden subcommands s3ec-put and s3ec-get) so that its peak
// RSS is a real process peak.
//
// Imports: bench/data, internal/testenv.
package s3ec
