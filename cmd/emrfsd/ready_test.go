package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadinessCachedAndShared: concurrent requests share one round of
// probes, a result is reused for readyTTL, and a failing dependency makes
// /readyz answer 503 naming it.
func TestReadinessCachedAndShared(t *testing.T) {
	var s3Calls, kmsCalls atomic.Int32
	var kmsDown atomic.Bool
	release := make(chan struct{})
	var mu sync.Mutex
	now := time.Unix(1_000_000, 0)
	r := &readiness{now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	r.probes = []probe{
		{name: "s3", target: "HeadBucket b", check: func(context.Context) error { s3Calls.Add(1); <-release; return nil }},
		{name: "kms", target: "DescribeKey alias/k", check: func(context.Context) error {
			kmsCalls.Add(1)
			if kmsDown.Load() {
				return errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
			}
			return nil
		}},
	}
	d := &daemon{ready: r}
	srv := httptest.NewServer(http.HandlerFunc(d.handleReadyz))
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// 20 concurrent scrapes while the S3 probe is held: one round.
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Go(func() { c, _ := get(); codes <- c })
	}
	for s3Calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the others arrive and wait
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("a concurrent scrape got %d", c)
		}
	}
	if s3Calls.Load() != 1 || kmsCalls.Load() != 1 {
		t.Fatalf("20 concurrent scrapes probed S3 %d and KMS %d times, want once each", s3Calls.Load(), kmsCalls.Load())
	}
	// Within readyTTL: cached, even though KMS is now down.
	kmsDown.Store(true)
	mu.Lock()
	now = now.Add(readyTTL - time.Millisecond)
	mu.Unlock()
	if c, body := get(); c != http.StatusOK || kmsCalls.Load() != 1 || !strings.HasPrefix(body, "ready\n") {
		t.Fatalf("within the TTL: %d %q after %d KMS probes", c, body, kmsCalls.Load())
	}
	// Past it: probed again; KMS is named.
	mu.Lock()
	now = now.Add(time.Millisecond)
	mu.Unlock()
	c, body := get()
	if c != http.StatusServiceUnavailable || kmsCalls.Load() != 2 || s3Calls.Load() != 2 {
		t.Fatalf("after the TTL: %d %q (S3 probes %d, KMS %d)", c, body, s3Calls.Load(), kmsCalls.Load())
	}
	if !strings.HasPrefix(body, "not ready: kms\n") || !strings.Contains(body, "kms: FAIL (DescribeKey alias/k") ||
		!strings.Contains(body, "connection refused") || !strings.Contains(body, "s3: ok (HeadBucket b") {
		t.Fatalf("503 body does not name the failing dependency:\n%s", body)
	}
}
