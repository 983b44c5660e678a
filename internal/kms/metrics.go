package kms

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the key-service figures (emrfsd_kms_*), shared by every
// Metered service of a daemon (one per KMS region).
type Metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics makes the figures and registers them with reg (nil: kept
// unregistered, for tests and tools that need none).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emrfsd_kms_requests_total",
			Help: "Key-service calls by operation (GenerateDataKey, Decrypt, DescribeKey) and outcome (ok, the service's error code, or KeyUnavailable, KeyMismatch, Error).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "emrfsd_kms_request_duration_seconds",
			Help:    "Key-service call latency by operation, SDK retries included.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.calls, m.duration} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("kms metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Wrap returns inner with every call counted and timed.
func (m *Metrics) Wrap(inner Service) *Metered { return &Metered{inner: inner, m: m} }

// Metered is a Service decorator that counts and times every call, like
// Audited records them. It keeps inner's ARNDecrypter.
type Metered struct {
	inner Service
	m     *Metrics
}

var (
	_ Service      = (*Metered)(nil)
	_ ARNDecrypter = (*Metered)(nil)
)

func (x *Metered) observe(op string, start time.Time, err error) {
	x.m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	x.m.calls.WithLabelValues(op, Outcome(err)).Inc()
}

// GenerateDataKey calls the wrapped service and counts the call.
func (x *Metered) GenerateDataKey(ctx context.Context, keyID string, encCtx map[string]string) ([]byte, []byte, error) {
	start := time.Now()
	pt, wrapped, err := x.inner.GenerateDataKey(ctx, keyID, encCtx)
	x.observe("GenerateDataKey", start, err)
	return pt, wrapped, err
}

// Decrypt calls the wrapped service and counts the call.
func (x *Metered) Decrypt(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, error) {
	pt, _, err := x.DecryptARN(ctx, keyID, wrapped, encCtx)
	return pt, err
}

// DecryptARN is Decrypt that also returns the key ARN when the wrapped
// service reports it ("" otherwise).
func (x *Metered) DecryptARN(ctx context.Context, keyID string, wrapped []byte, encCtx map[string]string) ([]byte, string, error) {
	start := time.Now()
	var (
		pt  []byte
		arn string
		err error
	)
	if d, ok := x.inner.(ARNDecrypter); ok {
		pt, arn, err = d.DecryptARN(ctx, keyID, wrapped, encCtx)
	} else {
		pt, err = x.inner.Decrypt(ctx, keyID, wrapped, encCtx)
	}
	x.observe("Decrypt", start, err)
	return pt, arn, err
}

// DescribeKey calls the wrapped service and counts the call.
func (x *Metered) DescribeKey(ctx context.Context, keyID string) (KeyInfo, error) {
	start := time.Now()
	info, err := x.inner.DescribeKey(ctx, keyID)
	x.observe("DescribeKey", start, err)
	return info, err
}
