package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// kmsMode is what the proxy does with each KMS request.
type kmsMode int32

const (
	kmsPass      kmsMode = iota
	kmsThrottle          // HTTP 400 {"__type":"ThrottlingException"}, as AWS answers
	kmsRefuse            // close the connection without an answer
	kmsBlackhole         // keep the connection, never answer
	kmsDelay             // answer after proxy.delay
)

// kmsProxy sits between emrfsd and local-kms.
type kmsProxy struct {
	mode   atomic.Int32
	delay  time.Duration
	srv    *http.Server
	addr   string
	mu     sync.Mutex
	counts map[string]int // "mode/op" → requests
	hold   chan struct{}  // closed when the test ends: releases blackholed requests
}

func startKMSProxy(t testing.TB, target string) *kmsProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &kmsProxy{counts: map[string]int{}, hold: make(chan struct{}), delay: 300 * time.Millisecond}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
		m := kmsMode(p.mode.Load())
		p.mu.Lock()
		p.counts[fmt.Sprintf("%d/%s", m, op)]++
		p.mu.Unlock()
		switch m {
		case kmsThrottle:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amzn-ErrorType", "ThrottlingException")
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		case kmsRefuse:
			if hj, ok := w.(http.Hijacker); ok {
				c, _, err := hj.Hijack()
				if err == nil {
					c.Close()
				}
			}
		case kmsBlackhole:
			select {
			case <-r.Context().Done():
			case <-p.hold:
			}
		case kmsDelay:
			time.Sleep(p.delay)
			rp.ServeHTTP(w, r)
		default:
			rp.ServeHTTP(w, r)
		}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	go p.srv.Serve(l)
	t.Cleanup(func() { close(p.hold); p.srv.Close() })
	return p
}

func (p *kmsProxy) set(m kmsMode) { p.mode.Store(int32(m)) }

func (p *kmsProxy) count(m kmsMode, op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[fmt.Sprintf("%d/%s", m, op)]
}

// TestKMSFaults: KMS throttling, refusing connections, never answering and
// answering slowly, through a proxy in front of local-kms. A CSE write
// while KMS fails gets an error naming KMS after a bounded number of
// attempts, and leaves nothing in S3 (no object, no upload); a file whose
// data key is cached still reads; the audit log records every failed call;
// the daemon recovers without a restart.
func TestKMSFaults(t *testing.T) {
	e := testenv.Get(t)
	px := startKMSProxy(t, e.KMSEndpoint)
	const attempts = 4
	g := newGateway(t, endpoints{KMS: "http://" + px.addr}, map[string]string{
		"emrfsd.kms.retry.max.attempts": fmt.Sprint(attempts),
		"emrfsd.kms.retry.max.backoff":  "500ms",
		"emrfsd.kms.timeout":            "1s",
	})
	c := g.client(t)
	ctx := context.Background()
	if err := c.MkdirAll("/csekms/k", 0o755); err != nil {
		t.Fatal(err)
	}
	// A file written and read while KMS is healthy: its data key is cached.
	cached := "/csekms/k/cached"
	if err := writeAll(c, cached, 3*mib); err != nil {
		t.Fatal(err)
	}
	readBack := func(p string, n int64) error {
		r, err := c.Open(p)
		if err != nil {
			return err
		}
		defer r.Close()
		bad, _, err := compare(r, p, n)
		if err != nil {
			return err
		}
		if bad >= 0 {
			t.Fatalf("%s: WRONG BYTES at %d", p, bad)
		}
		return nil
	}
	if err := readBack(cached, 3*mib); err != nil {
		t.Fatal(err)
	}
	// A file written but never read through this daemon: no cached key.
	uncached := "/csekms/k/uncached"
	if err := writeAll(c, uncached, 1*mib); err != nil {
		t.Fatal(err)
	}

	faults := 0
	for _, tc := range []struct {
		name string
		mode kmsMode
	}{{"throttling", kmsThrottle}, {"refused", kmsRefuse}, {"unanswered", kmsBlackhole}} {
		px.set(tc.mode)
		faults++
		p := "/csekms/k/during-" + tc.name
		t0 := time.Now()
		err := writeAll(c, p, 2*mib)
		took := time.Since(t0)
		if err == nil {
			t.Fatalf("%s: a CSE write succeeded while KMS was failing", tc.name)
		}
		msg := remoteMessage(err)
		if !strings.Contains(msg, "kms GenerateDataKey") {
			t.Errorf("%s: the client is not told that KMS failed: %q", tc.name, msg)
		}
		gdk := px.count(tc.mode, "GenerateDataKey")
		if gdk < 1 || gdk%attempts != 0 || gdk > 3*attempts {
			t.Errorf("%s: %d GenerateDataKey requests reached KMS; want a multiple of %d attempts (one call per client try)", tc.name, gdk, attempts)
		}
		// Bounded: attempts × (timeout + backoff) per call, the client's
		// own retries included.
		if took > 3*attempts*(time.Second+500*time.Millisecond)+10*time.Second {
			t.Errorf("%s: the failed write took %v", tc.name, took)
		}
		// Nothing in S3: no object, no upload left.
		key := strings.TrimPrefix(p, "/csekms/")
		if _, err := g.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(g.Buckets["csekms"]), Key: aws.String(key)}); err == nil {
			t.Errorf("%s: an object exists for a write that failed", tc.name)
		}
		if n := openUploads(t, g.S3, g.Buckets["csekms"]); n != 0 {
			t.Errorf("%s: %d multipart uploads left", tc.name, n)
		}
		// The cached key still serves reads; the uncached file fails
		// loudly, never with wrong bytes.
		if err := readBack(cached, 3*mib); err != nil {
			t.Errorf("%s: a file with a cached data key did not read: %v", tc.name, err)
		}
		if d := px.count(tc.mode, "Decrypt"); d != 0 && tc.mode != kmsPass {
			// Only the uncached read below may ask KMS.
			t.Errorf("%s: %d Decrypt requests before the uncached read", tc.name, d)
		}
		if err := readBack(uncached, 1*mib); err == nil {
			t.Errorf("%s: a file whose key is not cached read while KMS was failing", tc.name)
		} else if !strings.Contains(err.Error(), "kms Decrypt") {
			t.Errorf("%s: the failed read does not name KMS: %v", tc.name, err)
		}
		t.Logf("%s: write failed after %.1fs with %d GenerateDataKey requests; the client was told: %s", tc.name, took.Seconds(), gdk, msg)
	}
	// Slow KMS (300 ms per answer, under the timeout): writes succeed.
	px.set(kmsDelay)
	faults++
	slow := "/csekms/k/slow"
	t0 := time.Now()
	if err := writeAll(c, slow, 2*mib); err != nil {
		t.Fatalf("write with a slow KMS: %v", err)
	}
	slowTook := time.Since(t0)
	if err := readBack(slow, 2*mib); err != nil {
		t.Fatal(err)
	}
	// KMS back: the daemon recovers without a restart.
	px.set(kmsPass)
	back := time.Now()
	after := "/csekms/k/after"
	if err := writeAll(c, after, 2*mib); err != nil {
		t.Fatalf("write after KMS recovered: %v", err)
	}
	recovery := time.Since(back)
	if err := readBack(after, 2*mib); err != nil {
		t.Fatal(err)
	}
	if err := readBack(uncached, 1*mib); err != nil {
		t.Fatal(err)
	}
	// Every object in the CSE bucket is encrypted (envelope, ciphertext).
	objs := listAll(t, g.S3, g.Buckets["csekms"], "k/")
	checked := 0
	for _, o := range objs {
		k := aws.ToString(o.Key)
		if strings.HasSuffix(k, "/") {
			continue
		}
		h, err := g.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(g.Buckets["csekms"]), Key: o.Key})
		if err != nil || h.Metadata["x-amz-key-v2"] == "" {
			t.Errorf("%s stored without a CSE envelope (%v)", k, err)
		}
		r, err := g.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(g.Buckets["csekms"]), Key: o.Key, Range: aws.String("bytes=0-4095")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r.Body)
		r.Body.Close()
		want := make([]byte, len(got))
		newContent("/csekms/"+k, int64(len(got))).Read(want)
		if string(got) == string(want) {
			t.Errorf("%s stored in plaintext", k)
		}
		checked++
	}
	if checked != 4 {
		t.Errorf("%d objects in the CSE bucket, want 4 (cached, uncached, slow, after; none of the failed writes)", checked)
	}
	// The audit log recorded the failures.
	recs, err := kms.ReadAudit(g.Audit)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int{}
	for _, r := range recs {
		if r.Outcome != "ok" {
			outcomes[r.Op+":"+r.Outcome]++
			if r.Bucket != g.Buckets["csekms"] || r.Key == "" {
				t.Errorf("failed KMS call recorded without its object: %+v", r)
			}
		}
	}
	if outcomes["GenerateDataKey:ThrottlingException"] == 0 {
		t.Errorf("audit log has no throttled GenerateDataKey: %v", outcomes)
	}
	failedGDK := 0
	for k, n := range outcomes {
		if strings.HasPrefix(k, "GenerateDataKey:") {
			failedGDK += n
		}
	}
	if failedGDK < 3 {
		t.Errorf("audit log records %d failed GenerateDataKey calls for 3 failed writes: %v", failedGDK, outcomes)
	}
	t.Logf("audit outcomes of failed calls: %v", outcomes)
	figure(t, "faults injected %d (KMS throttling, connections refused, no answer, 300 ms answers); CSE writes during KMS failure: 3 failed, 0 reached S3 (objects 0, uploads 0); attempts per KMS call %d (SDK standard retryer, full jitter, backoff ≤ 500 ms, 1 s per attempt); cached-key reads during failure 3 of 3; slow-KMS write %.1fs; recovery without restart %.1fs; objects checked encrypted %d; failed KMS calls in the audit log %d; daemon peak RSS %d MiB",
		faults, attempts, slowTook.Seconds(), recovery.Seconds(), checked, failedGDK, g.PeakRSS()/mib)
}

// remoteMessage returns the NameNode's exception message from a Go client
// error (its Error() names only the exception class).
func remoteMessage(err error) string {
	var ne interface{ Message() string }
	if errors.As(err, &ne) {
		return ne.Message()
	}
	return err.Error()
}
