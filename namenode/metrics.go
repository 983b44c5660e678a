package namenode

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// outcomeOK is the outcome label of a call answered without an exception.
const outcomeOK = "ok"

// methodUnknown labels calls to methods (or protocols) this server does not
// serve: the method label never takes a client's arbitrary string.
const methodUnknown = "unknown"

// metrics are the NameNode's figures.
type metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func (s *Server) newMetrics(reg prometheus.Registerer) error {
	s.metrics = metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emrfsd_namenode_rpc_calls_total",
			Help: "ClientNamenodeProtocol calls by method and outcome: ok, or the Hadoop exception class the client was sent.",
		}, []string{"method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "emrfsd_namenode_rpc_duration_seconds",
			Help:    "ClientNamenodeProtocol call latency by method, from dispatch until the response is ready to send.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method"}),
	}
	if reg == nil {
		return nil
	}
	conns := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "emrfsd_namenode_connections",
		Help: "Open client connections to the NameNode RPC server.",
	}, func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(len(s.conns))
	})
	for _, c := range []prometheus.Collector{s.metrics.calls, s.metrics.duration, conns} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("namenode: metrics: %w", err)
		}
	}
	return nil
}

// observe records one answered call; class is "" when it succeeded.
func (m *metrics) observe(method, class string, took time.Duration) {
	if class == "" {
		class = outcomeOK
	}
	m.calls.WithLabelValues(method, class).Inc()
	m.duration.WithLabelValues(method).Observe(took.Seconds())
}
