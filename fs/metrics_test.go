package fs

import (
	"bytes"
	"testing"

	"github.com/emrfsd/emrfsd/internal/metricstest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsCountPlaintextBytes: written and read bytes move by exactly
// the plaintext a client wrote and read (not the stored size, which the
// provider's trailer makes larger), labelled with the bucket and provider.
func TestMetricsCountPlaintextBytes(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := newRig(t, &testProvider{trailer: 16}, func(o *Options) { o.Metrics = reg })
	data := bytes.Repeat([]byte("0123456789"), 1000) // 10,000 bytes
	r.write("/t/a", data, CreateOptions{})
	r.write("/t/b", data[:1234], CreateOptions{})
	wKey := "emrfsd_fs_written_bytes_total{" + r.bucket + ",test-pass}"
	rKey := "emrfsd_fs_read_bytes_total{" + r.bucket + ",test-pass}"
	if got := metricstest.Values(t, reg); got[wKey] != 11234 || len(got) != 1 {
		t.Fatalf("after writing 11234 bytes: %v", got)
	}
	if b := r.read("/t/a"); !bytes.Equal(b, data) {
		t.Fatal("read back differs")
	}
	// A partial range counts only the bytes it returned.
	f, err := r.fs.Open(ctxT(t), "/t/b")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.Range(ctxT(t), 100, 200)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := bytes.NewBuffer(nil).ReadFrom(rc); err != nil || n != 200 {
		t.Fatalf("range read %d bytes, %v", n, err)
	}
	rc.Close()
	if got := metricstest.Values(t, reg); got[rKey] != 10200 || got[wKey] != 11234 || len(got) != 2 {
		t.Fatalf("after reading 10,000 + 200 bytes: %v", got)
	}
	// One registry takes one namespace's figures.
	if _, err := New(ctxT(t), Options{S3: r.s3, Provider: r.fs.opts.Provider, Metrics: reg}); err == nil {
		t.Fatal("registering the fs figures twice on one registry succeeded")
	}
}
