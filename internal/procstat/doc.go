// Package procstat reads a process's memory and CPU figures from /proc, for the
// tests and benchmarks that measure emrfsd's resident set and CPU time
// (never from a timing or an estimate).
//
// Imports: nothing from this module (a leaf).
package procstat
