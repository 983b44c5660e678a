// Package limits measures what this CPU can do per byte, as the yardstick
// for the daemon's costs in docs/bench/analysis.md: memory copy, CRC32C
// (per 512-byte chunk as HDFS checksums it, and whole), AES-256-GCM, MD5,
// SHA-256, and TCP over loopback. It has only benchmarks:
//
//	go test -run '^$' -bench . -benchtime 2s ./bench/limits/
//
// Imports: nothing from this module.
package limits
