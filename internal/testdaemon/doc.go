// Package testdaemon runs the real emrfsd binary for the test tiers
// (integration, integration/faults, integration/webhdfs, integration/jvm):
// it builds cmd/emrfsd once per test binary, starts the daemon on loopback
// ports with a Hadoop XML configuration, waits for its ready file, and stops
// (SIGTERM) or crashes (SIGKILL) it. Each tier keeps only what is its own:
// which buckets and properties it starts with, and its clients.
//
// Imports: internal/hadoopconf, internal/procstat, internal/testenv (test support).
package testdaemon
