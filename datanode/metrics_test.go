package datanode

import (
	"net"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/metricstest"
	"github.com/prometheus/client_golang/prometheus"
)

func connGauge(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	v, ok := metricstest.Values(t, reg)["emrfsd_datanode_connections"]
	if !ok {
		t.Fatal("emrfsd_datanode_connections not exported")
	}
	return v
}

func waitGauge(t *testing.T, reg *prometheus.Registry, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for connGauge(t, reg) != want {
		if time.Now().After(deadline) {
			t.Fatalf("emrfsd_datanode_connections = %v, want %v", connGauge(t, reg), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestConnectionGauge: the gauge follows connections accepted and closed.
func TestConnectionGauge(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, addr := startServer(t, newMemBlocks(), Options{Metrics: reg})
	waitGauge(t, reg, 0)
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitGauge(t, reg, 2)
	conns[0].Close()
	waitGauge(t, reg, 1)
	conns[1].Close()
	waitGauge(t, reg, 0)
}
