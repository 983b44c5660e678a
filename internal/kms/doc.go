// Package kms holds emrfsd's key-service layer: an adapter over AWS KMS
// (aws-sdk-go-v2), an audit decorator that records every call as one JSON
// line (the CloudTrail-equivalent trail the seed asks for), and the error
// classification shared by every implementation. The embedded no-AWS
// implementation lives in internal/kms/embedded and the behaviour suite that
// every implementation must pass in internal/kms/kmstest.
//
// Consumers declare their own narrow interfaces (providers/cse declares
// GenerateDataKey + Decrypt); the types here satisfy them structurally.
//
// Imports: internal/errs only. Imported by providers/cse, internal/localdisk
// and cmd/emrfsd.
package kms
