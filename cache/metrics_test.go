package cache

import (
	"context"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/metricstest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsFollowStats: the collector exports exactly what Stats says,
// and each figure moves by the expected amount after hits, a miss, a
// load, joins and an eviction.
func TestMetricsFollowStats(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := newCache(t, Options{MaxEntries: 1, TTL: time.Hour, Metrics: reg})
	ctx := context.Background()
	want := map[string]float64{"emrfsd_keycache_hits_total": 0, "emrfsd_keycache_misses_total": 0,
		"emrfsd_keycache_singleflight_joins_total": 0, "emrfsd_keycache_loads_total": 0,
		"emrfsd_keycache_evictions_total": 0, "emrfsd_keycache_entries": 0}
	check := func(step string) {
		t.Helper()
		got := metricstest.Values(t, reg)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v (all: %v)", step, k, got[k], v, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: exported %d metrics, want %d: %v", step, len(got), len(want), got)
		}
	}
	check("empty")

	dec, _ := counter(randKey(t))
	for range 3 {
		if _, err := c.Unwrap(ctx, arn, ec, []byte("a"), dec); err != nil {
			t.Fatal(err)
		}
	}
	want["emrfsd_keycache_misses_total"], want["emrfsd_keycache_loads_total"] = 1, 1
	want["emrfsd_keycache_hits_total"], want["emrfsd_keycache_entries"] = 2, 1
	check("one miss, two hits")

	// Three callers miss "b" while its decrypt is held: one load, two joins.
	release := make(chan struct{})
	started := make(chan struct{})
	slow := func(context.Context) ([]byte, error) {
		close(started)
		<-release
		return randKey(t), nil
	}
	done := make(chan error, 3)
	go func() { _, err := c.Unwrap(ctx, arn, ec, []byte("b"), slow); done <- err }()
	<-started
	for range 2 {
		go func() { _, err := c.Unwrap(ctx, arn, ec, []byte("b"), slow); done <- err }()
	}
	waitFor(t, "two joins", func() bool { return c.Stats().Joins == 2 })
	close(release)
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// "b" displaced "a" (one entry allowed): an eviction.
	want["emrfsd_keycache_misses_total"], want["emrfsd_keycache_loads_total"] = 4, 2
	want["emrfsd_keycache_singleflight_joins_total"], want["emrfsd_keycache_evictions_total"] = 2, 1
	check("joins and an eviction")

	if s := c.Stats(); s.Joins != 2 || s.Misses != 4 || s.Loads != 2 || s.Hits != 2 || s.Evictions != 1 {
		t.Fatalf("Stats %+v disagrees with the metrics", s)
	}
	// A second cache cannot register the same figures on one registry.
	if _, err := New(Options{MaxEntries: 1, TTL: time.Hour, Metrics: reg}); err == nil {
		t.Fatal("a second cache registered the same metrics")
	}
}
