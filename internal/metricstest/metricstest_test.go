package metricstest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestValues(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total"}, []string{"op", "code"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds"})
	reg.MustRegister(c, g, h)
	c.WithLabelValues("Get", "404").Add(3)
	g.Set(7)
	h.Observe(1)
	h.Observe(2)
	got := Values(t, reg)
	want := map[string]float64{"c_total{404,Get}": 3, "g": 7, "h_seconds": 2}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}
