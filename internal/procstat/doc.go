// Package procstat reads a process's memory figures from /proc, for the
// tests and benchmarks that measure emrfsd's resident set (never from a
// timing or an estimate).
//
// Imports: nothing from this module (a leaf).
package procstat
