// Package data generates the benchmark's file contents: a deterministic
// pseudo-random byte stream (ChaCha8) that can be produced from any offset
// without holding the file in memory, so both sides of a case write the same
// bytes and readers can check what they got.
//
// Imports: nothing from this module.
package data
