// Package providers defines how one bucket's objects are encoded at rest.
//
// A Provider makes only the crypto-specific decisions: which request
// parameters and metadata a new object carries, how plaintext becomes stored
// bytes, and how stored bytes become plaintext again. Everything else (paths,
// listings, multipart uploads, retries, error classification) lives once in
// package fs, which calls providers through this small interface.
//
// Providers never talk to S3 themselves: fs hands them a Source to read the
// stored object (and its instruction file, if any) and a writer to encode into.
//
// Imports: internal/errs only. Imported by the provider packages below it, fs
// and cmd/emrfsd.
package providers
