// Command flamegraph renders a flame graph as a self-contained SVG from the
// text of `go tool pprof -traces` (CPU or allocation profiles), for the
// profiles kept under docs/bench/profiles:
//
//	go tool pprof -traces emrfsd prof.pb.gz | go run ./bench/flamegraph -title "W1 CPU" > W1-cpu.svg
//
// Each stack's value (its time or bytes) is the width of its frames; the
// root is at the bottom, callees above callers; hovering a frame shows its
// name, value and share.
//
// Imports: nothing from this module.
package main
