// Package attrindex is the daemon's persistent attribute index: a bounded
// key-value cache (fs.AttrIndex) kept in a bbolt file in the data
// directory behind an in-memory LRU, so listings after a restart still
// know the attributes of the objects seen before it.
//
// It is a cache, never the source of truth (S3 metadata is), and is
// treated as one:
//
//   - Put and Delete never wait for the disk: they update the in-memory
//     LRU and a pending batch that a background goroutine writes every
//     FlushInterval (or when it grows large) in one transaction, one fsync.
//     A crash loses at most the last batch.
//   - A file that cannot be opened as a bbolt database, has another
//     format version, or fails (bbolt panics on a corrupt page) while in
//     use is deleted and started afresh; a file locked by another process
//     (two daemons on one data dir) leaves this one memory-only.
//   - Its size is bounded by MaxEntries: when a batch takes it past the
//     bound, everything on disk is dropped and refilled as objects are seen
//     again.
//
// Imports: internal/errs only. Imported by fs (through an interface fs
// declares) and cmd/emrfsd.
package attrindex
