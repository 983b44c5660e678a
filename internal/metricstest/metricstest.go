// Package metricstest reads a Prometheus registry back in tests: every
// series as one number, keyed "name" for an unlabelled series and
// "name{v1,v2}" otherwise (label values in label-name order, as the
// exposition sorts them). Counters and gauges give their value, histograms
// and summaries their sample count.
//
// Imports: nothing from this module (test support, a leaf).
package metricstest

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Values gathers g and returns every series' number (see the package doc).
func Values(t testing.TB, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			if ls := m.GetLabel(); len(ls) > 0 {
				vs := make([]string, len(ls))
				for i, l := range ls {
					vs[i] = l.GetValue()
				}
				key += "{" + strings.Join(vs, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			case m.Summary != nil:
				out[key] = float64(m.GetSummary().GetSampleCount())
			case m.Untyped != nil:
				out[key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}
