//go:build !unix

package gcmstream

import "time"

// cpuTime is unavailable here; benchmarks then omit cpu-MB/s.
func cpuTime() time.Duration { return 0 }
