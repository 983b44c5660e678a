package localdisk

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/emrfsd/emrfsd/internal/metricstest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestStagingMetrics: parts in use, files and bytes on disk follow a part
// being staged, released (its file kept for reuse) and the area closed.
func TestStagingMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "staging")
	st, _, err := NewStaging(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := st.Register(reg); err != nil {
		t.Fatal(err)
	}
	want := func(step string, parts, files, bytes float64) {
		t.Helper()
		got := metricstest.Values(t, reg)
		if got["emrfsd_staging_parts"] != parts || got["emrfsd_staging_files"] != files || got["emrfsd_staging_disk_bytes"] != bytes || len(got) != 3 {
			t.Fatalf("%s: %v, want %v parts, %v files, %v bytes", step, got, parts, files, bytes)
		}
	}
	want("empty", 0, 0, 0)
	p, err := st.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3*chunkSize+100)
	if _, err := p.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reader(); err != nil { // seals the last chunk
		t.Fatal(err)
	}
	fi, err := os.Stat(p.(*diskPart).path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != int64(headerSize+len(data)+4*tagSize) {
		t.Fatalf("staged file is %d bytes, want header + data + 4 tags = %d", fi.Size(), headerSize+len(data)+4*tagSize)
	}
	want("one part staged", 1, 1, float64(fi.Size()))
	p.Release()
	want("released, file kept for reuse", 0, 1, float64(fi.Size()))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	want("closed", 0, 0, 0)
}
