//go:build unix

package gcmstream

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time. The machine this runs on
// is shared, so wall-clock MB/s is noisy; benchmarks also report throughput
// per CPU-second ("cpu-MB/s"), which contention affects much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
