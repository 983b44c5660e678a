// Package cache keeps unwrapped data keys for reuse without ever holding a
// plaintext key at rest in memory: each entry is the data key sealed
// (AES-256-GCM) under a random per-process key, bound to its entry key.
//
// Entries are keyed by SHA-256 over a length-prefixed encoding of the KMS
// key ARN, the canonical encryption context and the wrapped key bytes, so a
// different context or key never hits another's entry. Entries live in a
// golang-lru expirable.LRU: they expire Options.TTL after they were loaded
// (removed by the LRU's background sweep even when nobody asks for them
// again), the least recently used entry is evicted beyond
// Options.MaxEntries, and an entry is dropped after Options.MaxUses uses;
// every removed entry has its sealed bytes zeroed. Concurrent misses for one
// entry share one decrypt call. Errors are never cached.
//
// The expirable LRU of golang-lru v2.0.7 starts one sweeping goroutine per
// cache that never exits; the daemon makes one cache per process.
//
// Imports: nothing from this module (a leaf). Imported by providers/cse and
// cmd/emrfsd.
package cache
