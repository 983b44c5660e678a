// Package testenv connects tests and benchmarks to the real MinIO and
// local-kms servers that scripts/test.sh (via scripts/services.sh) starts on
// loopback. A missing server is a test failure, never a skip: run the suite
// through ./scripts/test.sh.
//
// Imports: nothing from this module (test support).
package testenv
