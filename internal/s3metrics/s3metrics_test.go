package s3metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/emrfsd/emrfsd/internal/metricstest"
	"github.com/prometheus/client_golang/prometheus"
)

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// fakeS3 answers HEAD /b/flaky with 503 SlowDown twice and then 200,
// HEAD /b/missing with 404, GET /b/missing with NoSuchKey, and anything
// else with 200.
func fakeS3(t *testing.T) (*s3.Client, *atomic.Int32) {
	var flaky atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/b/flaky" && flaky.Add(1) <= 2:
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<Error><Code>SlowDown</Code><Message>slow down</Message></Error>`))
		case r.URL.Path == "/b/missing" && r.Method == http.MethodHead:
			w.WriteHeader(http.StatusNotFound)
		case r.URL.Path == "/b/missing":
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>`))
		default:
			w.Header().Set("Content-Length", "2")
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				w.Write([]byte("ok"))
			}
		}
	}))
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		Retryer:     retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff{} }),
	})
	return c, &flaky
}

func TestCountsRequestsErrorsAndSDKRetries(t *testing.T) {
	c, flaky := fakeS3(t)
	reg := prometheus.NewRegistry()
	a, err := New(c, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := aws.String("b")
	// The caller's own options still apply (and are not appended to).
	called := 0
	opts := make([]func(*s3.Options), 1, 4)
	opts[0] = func(*s3.Options) { called++ }
	if _, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("flaky")}, opts...); err != nil {
		t.Fatalf("flaky HEAD after SDK retries: %v", err)
	}
	if called != 1 || flaky.Load() != 3 || len(opts) != 1 || opts[:2][1] != nil {
		t.Fatalf("caller option ran %d times, server saw %d attempts, caller's slice touched: %v", called, flaky.Load(), opts[:2][1] != nil)
	}
	if _, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("missing")}); Code(err) != "NotFound" {
		t.Fatalf("HEAD missing: %v (%s)", err, Code(err))
	}
	if _, err := a.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("missing")}); Code(err) != "NoSuchKey" {
		t.Fatalf("GET missing: %v (%s)", err, Code(err))
	}
	out, err := a.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.PutObject(cctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x")}); Code(err) != CodeCanceled {
		t.Fatalf("cancelled PUT: %v (%s)", err, Code(err))
	}
	dead := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1})
	da, err := New(dead, nil) // unregistered figures work too
	if err != nil {
		t.Fatal(err)
	}
	if _, err := da.ListBuckets(ctx, &s3.ListBucketsInput{}); Code(err) != CodeNetwork {
		t.Fatalf("unreachable: %v (%s)", err, Code(err))
	}

	got := metricstest.Values(t, reg)
	want := map[string]float64{
		"emrfsd_s3_requests_total{HeadObject}":                2,
		"emrfsd_s3_requests_total{GetObject}":                 2,
		"emrfsd_s3_requests_total{PutObject}":                 1,
		"emrfsd_s3_retries_total{HeadObject}":                 2,
		"emrfsd_s3_request_errors_total{NotFound,HeadObject}": 1,
		"emrfsd_s3_request_errors_total{NoSuchKey,GetObject}": 1,
		"emrfsd_s3_request_errors_total{Canceled,PutObject}":  1,
		"emrfsd_s3_request_duration_seconds{HeadObject}":      2,
		"emrfsd_s3_request_duration_seconds{GetObject}":       2,
		"emrfsd_s3_request_duration_seconds{PutObject}":       1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d series, want %d: %v", len(got), len(want), got)
	}
	if _, err := New(c, reg); err == nil {
		t.Error("registering twice on one registry succeeded")
	}
}
