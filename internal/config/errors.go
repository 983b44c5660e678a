package config

import "errors"

// Classes of configuration problems. The errors Load, Policy and Validate
// return are *hadoopconf.Error values (naming file and property) whose Err
// is, or wraps, one of these; test with errors.Is.
var (
	// ErrInvalid: a malformed or out-of-range value.
	ErrInvalid = errors.New("invalid value")
	// ErrConflict: settings that contradict each other for one bucket
	// (SSE and CSE both on, EMRFS and S3A names disagreeing).
	ErrConflict = errors.New("conflicting encryption settings")
	// ErrUnknownAlgorithm: an encryption algorithm or storage mode emrfsd
	// does not know.
	ErrUnknownAlgorithm = errors.New("unknown algorithm")
	// ErrNotSupported: a known algorithm emrfsd does not implement yet
	// (SSE-C, DSSE-KMS).
	ErrNotSupported = errors.New("not supported yet")
	// ErrUnknownMaterials: a CSE-Custom materials provider not compiled in.
	ErrUnknownMaterials = errors.New("unknown materials provider")
	// ErrKeyRequired: client-side KMS encryption without a key id.
	ErrKeyRequired = errors.New("KMS key id required")
	// ErrAWSManagedKey: an AWS-managed key (alias/aws/s3) where a
	// customer-managed key is required.
	ErrAWSManagedKey = errors.New("AWS-managed KMS key not allowed")
	// ErrKeyRefused: DescribeKey failed, or the key is not an enabled,
	// customer-managed, symmetric ENCRYPT_DECRYPT key.
	ErrKeyRefused = errors.New("KMS key refused")
)
