package fs

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the namespace's figures: plaintext bytes by bucket and
// provider, known only here.
type metrics struct {
	read, written *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		read: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emrfsd_fs_read_bytes_total",
			Help: "Plaintext bytes read from files, by S3 bucket and encryption provider.",
		}, []string{"bucket", "provider"}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emrfsd_fs_written_bytes_total",
			Help: "Plaintext bytes written to files (including writes later aborted), by S3 bucket and encryption provider.",
		}, []string{"bucket", "provider"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.read, m.written} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("fs: metrics: %w", err)
			}
		}
	}
	return m, nil
}
