package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/config"
	"github.com/emrfsd/emrfsd/internal/kms"
)

// Readiness: /readyz answers 200 when the daemon's dependencies answer a
// cheap request, 503 naming the ones that do not. A result is reused for
// readyTTL, and concurrent requests share one check, so a scrape storm
// costs S3 and KMS at most one round of probes per readyTTL.
const (
	readyTTL     = 5 * time.Second
	probeTimeout = 3 * time.Second // each probe, SDK retries included
)

// probe checks one dependency.
type probe struct {
	name   string // "s3", "kms"
	target string // what it asks, for the page: "HeadBucket plain, logs", "DescribeKey alias/x"
	check  func(ctx context.Context) error
}

// depResult is one probe's latest answer.
type depResult struct {
	Name, Target string
	Err          error
	Took         time.Duration
}

type readyResult struct {
	At   time.Time // zero: never checked
	Deps []depResult
}

// Failing names the dependencies that failed ("" when ready).
func (r readyResult) Failing() string {
	var bad []string
	for _, d := range r.Deps {
		if d.Err != nil {
			bad = append(bad, d.Name)
		}
	}
	return strings.Join(bad, ", ")
}

type readiness struct {
	probes []probe
	now    func() time.Time

	mu      sync.Mutex
	last    readyResult
	running chan struct{} // closed when the check in progress ends; nil when none
}

// get returns a result no older than readyTTL, running the probes (once,
// for every concurrent caller) when the last one is older.
func (r *readiness) get(ctx context.Context) readyResult {
	r.mu.Lock()
	if !r.last.At.IsZero() && r.now().Sub(r.last.At) < readyTTL {
		defer r.mu.Unlock()
		return r.last
	}
	wait := r.running
	if wait == nil {
		wait = make(chan struct{})
		r.running = wait
		go r.run(wait)
	}
	r.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// peek returns the latest result without checking.
func (r *readiness) peek() readyResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// run probes every dependency in parallel, each bounded by probeTimeout
// (not by any one caller's context: others share the result).
func (r *readiness) run(done chan struct{}) {
	res := readyResult{Deps: make([]depResult, len(r.probes))}
	var wg sync.WaitGroup
	for i, p := range r.probes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			defer cancel()
			start := time.Now()
			err := p.check(ctx)
			res.Deps[i] = depResult{Name: p.name, Target: p.target, Err: err, Took: time.Since(start)}
		})
	}
	wg.Wait()
	res.At = r.now()
	r.mu.Lock()
	r.last = res
	r.running = nil
	r.mu.Unlock()
	close(done)
}

// newReadiness builds the probes from the configuration:
//   - s3: HeadBucket of every served bucket and the default bucket (the
//     permission emrfsd needs anyway), or ListBuckets when buckets are
//     discovered by listing; through the SDK client directly, so the probes
//     do not count in emrfsd_s3_requests_total;
//   - kms: DescribeKey of one key emrfsd itself uses (the first CSE-KMS
//     bucket's key, else the local-disk key), through the daemon's audited
//     and metered key service: it is a KMS call like any other. No probe
//     when emrfsd uses no KMS key (plain, SSE-S3 and SSE-KMS buckets only:
//     S3 calls KMS for SSE-KMS itself).
func (d *daemon) newReadiness() *readiness {
	r := &readiness{now: time.Now}
	var buckets []string
	for _, m := range d.opts.Buckets {
		buckets = append(buckets, m.Bucket)
	}
	if d.opts.DefaultBucket != "" {
		buckets = append(buckets, d.opts.DefaultBucket)
	}
	s3c := d.s3
	if len(d.opts.Buckets) == 0 {
		r.probes = append(r.probes, probe{name: "s3", target: "ListBuckets", check: func(ctx context.Context) error {
			_, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
			return err
		}})
	} else {
		r.probes = append(r.probes, probe{name: "s3", target: "HeadBucket " + strings.Join(buckets, ", "), check: func(ctx context.Context) error {
			errs := make([]error, len(buckets))
			var wg sync.WaitGroup
			for i, b := range buckets {
				wg.Go(func() {
					if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
						errs[i] = fmt.Errorf("bucket %s: %w", b, err)
					}
				})
			}
			wg.Wait()
			return errors.Join(errs...)
		}})
	}
	if keyID, svc := d.probeKey(buckets); keyID != "" {
		r.probes = append(r.probes, probe{name: "kms", target: "DescribeKey " + keyID, check: func(ctx context.Context) error {
			_, err := svc.DescribeKey(ctx, keyID)
			return err
		}})
	}
	return r
}

// probeKey picks the KMS key the readiness check describes, and the key
// service of its region.
func (d *daemon) probeKey(buckets []string) (string, kms.Service) {
	keyID, region := "", ""
	sorted := append([]string(nil), buckets...)
	sort.Strings(sorted)
	for _, b := range sorted {
		if p, err := d.opts.Policy(b); err == nil && p.Provider == config.ProviderCSEKMS && p.KMSKeyID != "" {
			keyID, region = p.KMSKeyID, keyRegion(p)
			break
		}
	}
	if keyID == "" {
		keyID, region = d.opts.LocalKMSKeyID, arnRegion(d.opts.LocalKMSKeyID)
	}
	if region != "" && d.kmsIn != nil {
		return keyID, d.kmsIn(region)
	}
	return keyID, d.kmsSvc
}

// handleReadyz answers 200 "ready" or 503 "not ready: NAMES", then one
// line per dependency.
func (d *daemon) handleReadyz(w http.ResponseWriter, req *http.Request) {
	res := d.ready.get(req.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	status := http.StatusOK
	if bad := res.Failing(); bad != "" || res.At.IsZero() {
		status = http.StatusServiceUnavailable
		if bad == "" {
			bad = "check did not finish"
		}
		fmt.Fprintf(&b, "not ready: %s\n", bad)
	} else {
		b.WriteString("ready\n")
	}
	for _, dep := range res.Deps {
		if dep.Err != nil {
			fmt.Fprintf(&b, "%s: FAIL (%s, %v): %v\n", dep.Name, dep.Target, dep.Took.Round(time.Millisecond), oneLine(dep.Err))
		} else {
			fmt.Fprintf(&b, "%s: ok (%s, %v)\n", dep.Name, dep.Target, dep.Took.Round(time.Millisecond))
		}
	}
	if !res.At.IsZero() {
		fmt.Fprintf(&b, "checked %s\n", res.At.UTC().Format(time.RFC3339))
	}
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
