package s3metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/emrfsd/emrfsd/internal/s3api"
)

// Error codes for errors that carry no S3 error code.
const (
	CodeCanceled = "Canceled"         // the caller's context was cancelled
	CodeDeadline = "DeadlineExceeded" // the caller's deadline passed
	CodeNetwork  = "NetworkError"     // no HTTP response (connection refused, reset, ...)
	CodeOther    = "Error"
)

// API is the instrumented decorator.
type API struct {
	inner    s3api.API
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	retries  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var _ s3api.API = (*API)(nil)

// New wraps inner and registers the figures with reg (nil: unregistered).
func New(inner s3api.API, reg prometheus.Registerer) (*API, error) {
	a := &API{
		inner: inner,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emrfsd_s3_requests_total",
			Help: "S3 API calls by operation (one call may be several HTTP attempts: see emrfsd_s3_retries_total).",
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emrfsd_s3_request_errors_total",
			Help: "S3 API calls that failed, by operation and S3 error code (NoSuchKey, NotFound, PreconditionFailed, SlowDown, ...) or Canceled, DeadlineExceeded, NetworkError, Error.",
		}, []string{"operation", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emrfsd_s3_retries_total",
			Help: "HTTP attempts the AWS SDK retried within S3 API calls, by operation.",
		}, []string{"operation"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "emrfsd_s3_request_duration_seconds",
			Help:    "S3 API call latency by operation, retries included (GetObject: until the response headers).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"operation"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{a.requests, a.errors, a.retries, a.duration} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("s3metrics: %w", err)
			}
		}
	}
	return a, nil
}

// Code classifies an S3 call's error for emrfsd_s3_request_errors_total.
func Code(err error) string {
	var api smithy.APIError
	switch {
	case errors.As(err, &api) && api.ErrorCode() != "":
		return api.ErrorCode()
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadline
	}
	var send *smithyhttp.RequestSendError
	var ne net.Error
	if errors.As(err, &send) || errors.As(err, &ne) {
		return CodeNetwork
	}
	return CodeOther
}

// attempts counts the HTTP attempts of one call. It sits in the Finalize
// step right after the SDK's "Retry" middleware, which runs it once per
// attempt.
type attempts struct{ n atomic.Int32 }

func (*attempts) ID() string { return "emrfsd.s3metrics.Attempts" }

func (a *attempts) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	a.n.Add(1)
	return next.HandleFinalize(ctx, in)
}

// call runs one S3 call with the attempt counter added to its options
// (after the caller's, which stay untouched) and records its figures.
func call[T any](a *API, op string, opts []func(*s3.Options), fn func(opts []func(*s3.Options)) (T, error)) (T, error) {
	var n attempts
	opts = append(opts[:len(opts):len(opts)], func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			if _, ok := st.Finalize.Get("Retry"); !ok {
				return st.Finalize.Add(&n, middleware.After)
			}
			return st.Finalize.Insert(&n, "Retry", middleware.After)
		})
	})
	start := time.Now()
	out, err := fn(opts)
	a.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	a.requests.WithLabelValues(op).Inc()
	if r := n.n.Load(); r > 1 {
		a.retries.WithLabelValues(op).Add(float64(r - 1))
	}
	if err != nil {
		a.errors.WithLabelValues(op, Code(err)).Inc()
	}
	return out, err
}

func (a *API) HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return call(a, "HeadObject", opts, func(o []func(*s3.Options)) (*s3.HeadObjectOutput, error) { return a.inner.HeadObject(ctx, in, o...) })
}

func (a *API) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return call(a, "GetObject", opts, func(o []func(*s3.Options)) (*s3.GetObjectOutput, error) { return a.inner.GetObject(ctx, in, o...) })
}

func (a *API) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return call(a, "PutObject", opts, func(o []func(*s3.Options)) (*s3.PutObjectOutput, error) { return a.inner.PutObject(ctx, in, o...) })
}

func (a *API) CopyObject(ctx context.Context, in *s3.CopyObjectInput, opts ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	return call(a, "CopyObject", opts, func(o []func(*s3.Options)) (*s3.CopyObjectOutput, error) { return a.inner.CopyObject(ctx, in, o...) })
}

func (a *API) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	return call(a, "DeleteObject", opts, func(o []func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
		return a.inner.DeleteObject(ctx, in, o...)
	})
}

func (a *API) DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	return call(a, "DeleteObjects", opts, func(o []func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
		return a.inner.DeleteObjects(ctx, in, o...)
	})
}

func (a *API) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return call(a, "ListObjectsV2", opts, func(o []func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
		return a.inner.ListObjectsV2(ctx, in, o...)
	})
}

func (a *API) ListBuckets(ctx context.Context, in *s3.ListBucketsInput, opts ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	return call(a, "ListBuckets", opts, func(o []func(*s3.Options)) (*s3.ListBucketsOutput, error) { return a.inner.ListBuckets(ctx, in, o...) })
}

func (a *API) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return call(a, "CreateMultipartUpload", opts, func(o []func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
		return a.inner.CreateMultipartUpload(ctx, in, o...)
	})
}

func (a *API) UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	return call(a, "UploadPart", opts, func(o []func(*s3.Options)) (*s3.UploadPartOutput, error) { return a.inner.UploadPart(ctx, in, o...) })
}

func (a *API) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, opts ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	return call(a, "UploadPartCopy", opts, func(o []func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
		return a.inner.UploadPartCopy(ctx, in, o...)
	})
}

func (a *API) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return call(a, "CompleteMultipartUpload", opts, func(o []func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
		return a.inner.CompleteMultipartUpload(ctx, in, o...)
	})
}

func (a *API) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return call(a, "AbortMultipartUpload", opts, func(o []func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
		return a.inner.AbortMultipartUpload(ctx, in, o...)
	})
}

func (a *API) ListMultipartUploads(ctx context.Context, in *s3.ListMultipartUploadsInput, opts ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
	return call(a, "ListMultipartUploads", opts, func(o []func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
		return a.inner.ListMultipartUploads(ctx, in, o...)
	})
}
