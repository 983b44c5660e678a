package dfs

import (
	"context"
	"testing"

	"github.com/emrfsd/emrfsd/internal/metricstest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestOpenFileAndLeaseGauges: the gauges follow files opened, completed
// and aborted, and the clients holding their leases.
func TestOpenFileAndLeaseGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	n, b := newTestNamespace(t, Options{Metrics: reg})
	ctx := context.Background()
	want := func(step string, files, leases float64) {
		t.Helper()
		g := metricstest.Values(t, reg)
		if g["emrfsd_dfs_open_files"] != files || g["emrfsd_dfs_leases"] != leases || len(g) != 2 {
			t.Fatalf("%s: %v, want %v open files and %v leases", step, g, files, leases)
		}
	}
	want("start", 0, 0)
	open := func(holder, p string) *OpenFile {
		t.Helper()
		f, err := n.Create(ctx, n.Caller("root"), b+p, CreateRequest{Holder: holder, Perm: 0o644, Create: true, CreateParent: true})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a1 := open("client-a", "/a1")
	a2 := open("client-a", "/a2")
	b1 := open("client-b", "/b1")
	want("three files, two clients", 3, 2)
	if err := n.Complete(ctx, a1); err != nil {
		t.Fatal(err)
	}
	want("one completed", 2, 2)
	n.Abort(ctx, b1, "test")
	want("client-b's only file aborted", 1, 1)
	if err := n.Complete(ctx, a2); err != nil {
		t.Fatal(err)
	}
	want("all closed", 0, 0)
}
