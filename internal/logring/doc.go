// Package logring keeps the last N log records at or above a level (the
// daemon's recent warnings and errors, for its status page) through a
// slog.Handler that wraps the daemon's own: every record still goes to the
// wrapped handler unchanged. It is a leaf.
//
// Imports: nothing from this module (a leaf). Used by cmd/emrfsd.
package logring
