// Package kmstest is the behaviour suite every key service in emrfsd must
// pass: the AWS adapter against local-kms, and the embedded key service.
//
// Imports: internal/kms, internal/errs (test support).
package kmstest
