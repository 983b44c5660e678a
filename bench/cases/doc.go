// Package cases holds the benchmark cases: each runs a direct S3 (or S3
// Encryption Client) side and an emrfsd side alternately and returns the
// figures the report package summarizes.
//
// Imports: bench/*, internal/* helpers (never the daemon's rooms: the
// benchmark drives the emrfsd binary).
package cases
