package kms

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/emrfsd/emrfsd/internal/errs"
)

func testClient(t *testing.T, url string, l ClientLimits) *AWS {
	t.Helper()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	return NewAWS(awskms.NewFromConfig(cfg, ClientOptions(l), func(o *awskms.Options) { o.BaseEndpoint = aws.String(url) }))
}

// A throttling KMS (HTTP 400, {"__type":"ThrottlingException"}, as AWS
// answers) is retried exactly MaxAttempts times with backoff, then the
// call fails as a throttle naming KMS.
func TestThrottlingIsRetriedBounded(t *testing.T) {
	var n atomic.Int32
	var mu sync.Mutex
	var times []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
	}))
	defer srv.Close()
	c := testClient(t, srv.URL, ClientLimits{MaxAttempts: 4, MaxBackoff: 300 * time.Millisecond, AttemptTimeout: time.Second})
	_, _, err := c.GenerateDataKey(context.Background(), "alias/k", nil)
	if got := n.Load(); got != 4 {
		t.Fatalf("%d attempts, want 4", got)
	}
	if !errors.Is(err, errs.ErrKeyUnavailable) || Outcome(err) != "ThrottlingException" {
		t.Fatalf("error %v (outcome %s)", err, Outcome(err))
	}
	mu.Lock()
	defer mu.Unlock()
	var waited time.Duration
	for i := 1; i < len(times); i++ {
		waited += times[i].Sub(times[i-1])
	}
	if waited > 3*300*time.Millisecond+time.Second {
		t.Fatalf("backoff between attempts %v exceeds the cap", waited)
	}
}

// A KMS that accepts connections and never answers fails each attempt
// after AttemptTimeout: the call ends in bounded time.
func TestUnansweredAttemptsTimeOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			defer c.Close() // held open, never answered
		}
	}()
	c := testClient(t, "http://"+l.Addr().String(), ClientLimits{MaxAttempts: 2, MaxBackoff: 100 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond})
	t0 := time.Now()
	_, err = c.Decrypt(context.Background(), "alias/k", []byte("blob"), nil)
	if took := time.Since(t0); took > 3*time.Second {
		t.Fatalf("call took %v", took)
	}
	if !errors.Is(err, errs.ErrKeyUnavailable) || conns.Load() < 1 {
		t.Fatalf("error %v after %d connections", err, conns.Load())
	}
	// Regression (fault tier): the attempt timeout surfaced as
	// context.DeadlineExceeded, which the namespace returns bare, so the
	// HDFS client was told "context deadline exceeded" without KMS named.
	if errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "kms Decrypt") || Outcome(err) != OutcomeKeyUnavailable {
		t.Fatalf("an unanswered KMS reads as %q (outcome %s)", err, Outcome(err))
	}
}
