package cases

import (
	"fmt"
	"time"

	"github.com/emrfsd/emrfsd/bench/report"
)

// GiB is a gibibyte.
const GiB = 1 << 30

// cpuMeter adds up the daemon's user+system CPU time over the timed parts
// of one side of a case, and the bytes those parts moved.
type cpuMeter struct {
	d     *Daemon
	cpu   time.Duration
	bytes int64
	err   error
}

// around runs f, charging the daemon's CPU time meanwhile to n bytes.
func (m *cpuMeter) around(n int64, f func() error) error {
	before, err0 := m.d.CPU()
	ferr := f()
	after, err1 := m.d.CPU()
	if m.err == nil {
		if m.err = err0; m.err == nil {
			m.err = err1
		}
	}
	if ferr == nil {
		m.cpu += after - before
		m.bytes += n
	}
	return ferr
}

// addCPU records the meter as CPU seconds per GiB (goal: ≤ 1.0 plain,
// ≤ 1.5 cse-kms; issue 12).
func (s *suite) addCPU(c, provider string, m *cpuMeter, rowErr error) {
	me := report.Measure{Case: c, Provider: provider, Metric: "daemon CPU (user+system, /proc/PID/stat) per GiB", Unit: "CPU-s/GiB",
		Target: map[string]*report.Target{Plain: le(1.0), CSEKMS: le(1.5)}[provider]}
	err := m.err
	switch {
	case rowErr != nil:
		err = rowErr
	case err == nil && m.bytes == 0:
		err = fmt.Errorf("bench: no bytes measured")
	}
	if err == nil {
		me.Value = m.cpu.Seconds() / (float64(m.bytes) / GiB)
		me.Note = fmt.Sprintf("%.2f CPU-s over %.2f GiB", m.cpu.Seconds(), float64(m.bytes)/GiB)
	}
	s.addMeasure(me, err)
}
