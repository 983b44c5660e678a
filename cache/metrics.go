package cache

import "github.com/prometheus/client_golang/prometheus"

// The key cache's figures, read from Stats at each scrape.
var (
	descHits = prometheus.NewDesc("emrfsd_keycache_hits_total",
		"Data-key unwraps served from the key cache.", nil, nil)
	descMisses = prometheus.NewDesc("emrfsd_keycache_misses_total",
		"Data-key unwraps that found no usable cache entry (including those that joined another caller's KMS Decrypt).", nil, nil)
	descJoins = prometheus.NewDesc("emrfsd_keycache_singleflight_joins_total",
		"Cache misses that waited for a KMS Decrypt already in flight for the same key instead of making their own.", nil, nil)
	descLoads = prometheus.NewDesc("emrfsd_keycache_loads_total",
		"KMS Decrypt calls the key cache made on misses.", nil, nil)
	descEvictions = prometheus.NewDesc("emrfsd_keycache_evictions_total",
		"Cache entries dropped for capacity, age or use count (not by a purge).", nil, nil)
	descEntries = prometheus.NewDesc("emrfsd_keycache_entries",
		"Data keys held (sealed) in the key cache now.", nil, nil)
)

// collector exports a Cache's Stats.
type collector struct{ c *Cache }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHits, descMisses, descJoins, descLoads, descEvictions, descEntries} {
		ch <- d
	}
}

func (x collector) Collect(ch chan<- prometheus.Metric) {
	s := x.c.Stats()
	ch <- prometheus.MustNewConstMetric(descHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(descMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(descJoins, prometheus.CounterValue, float64(s.Joins))
	ch <- prometheus.MustNewConstMetric(descLoads, prometheus.CounterValue, float64(s.Loads))
	ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(descEntries, prometheus.GaugeValue, float64(s.Entries))
}
