package cases

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/emrfsd/emrfsd/bench/report"
	"github.com/emrfsd/emrfsd/internal/kms"
)

type objRef struct{ bucket, key string }

type readSpan struct{ first, last time.Time }

// k1State collects, while the other cases run, which cse-kms objects the
// main daemon wrote and read, to be checked against its KMS audit log.
type k1State struct {
	audit   string
	written []objRef
	reads   map[objRef]readSpan
}

func (k *k1State) wrote(bucket, key string) { k.written = append(k.written, objRef{bucket, key}) }

func (k *k1State) read(bucket, key string, from, to time.Time) {
	if k.reads == nil {
		k.reads = map[objRef]readSpan{}
	}
	o := objRef{bucket, key}
	sp, ok := k.reads[o]
	if !ok || from.Before(sp.first) {
		sp.first = from
	}
	if to.After(sp.last) {
		sp.last = to
	}
	k.reads[o] = sp
}

// caseK1 opens one small cse-kms object Reopens times (within the key cache
// TTL), then checks the main daemon's audit log: GenerateDataKey calls per
// file written and Decrypt calls per object read per TTL.
func (s *suite) caseK1(ctx context.Context) {
	z := s.cfg.Sizes
	bucket := s.env.Buckets[CSEKMS]
	key := "bench/k1/reopen"
	p := s.hdfsPath(CSEKMS, key)
	err := s.hc.MkdirAll(s.hdfsPath(CSEKMS, "bench/k1"), 0o755)
	if err == nil {
		err = hdfsWriteSmall(s.hc, p, make([]byte, z.SmallFile))
	}
	if err == nil {
		s.k1.wrote(bucket, key)
		start := time.Now()
		buf := make([]byte, MiB)
		for range z.Reopens {
			var n int64
			if n, _, err = hdfsRead(s.hc, p, buf); err != nil {
				break
			}
			if n != int64(z.SmallFile) {
				err = fmt.Errorf("%w: read %d bytes, want %d", errContent, n, z.SmallFile)
				break
			}
		}
		s.k1.read(bucket, key, start, time.Now())
	}
	if err != nil {
		s.addMeasure(report.Measure{Case: "K1", Provider: CSEKMS, Metric: "repeated opens"}, err)
		return
	}
	recs, err := kms.ReadAudit(s.k1.audit)
	if err != nil {
		s.addMeasure(report.Measure{Case: "K1", Provider: CSEKMS, Metric: "audit log"}, err)
		return
	}
	gdk, dec := map[objRef]int{}, map[objRef]int{}
	for _, r := range recs {
		o := objRef{r.Bucket, r.Key}
		switch r.Op {
		case "GenerateDataKey":
			gdk[o]++
		case "Decrypt":
			dec[o]++
		}
	}
	counts := kms.CountOps(recs)
	s.rep.Notes = append(s.rep.Notes, fmt.Sprintf("K1: the main daemon's audit log has %d records: %v.", len(recs), counts))

	// GenerateDataKey: exactly one per file written.
	if len(s.k1.written) == 0 {
		s.addMeasure(report.Measure{Case: "K1", Provider: CSEKMS, Metric: "GenerateDataKey per file written"}, errors.New("no cse-kms file was written"))
	} else {
		total, off := 0, 0
		for _, o := range s.k1.written {
			total += gdk[o]
			if gdk[o] != 1 {
				off++
			}
		}
		s.addMeasure(report.Measure{Case: "K1", Provider: CSEKMS, Metric: "GenerateDataKey calls per file written (mean)",
			Value: float64(total) / float64(len(s.k1.written)), Note: fmt.Sprintf("%d files written by W1, R1, S1, K1", len(s.k1.written))}, nil)
		s.addMeasure(report.Measure{Case: "K1", Provider: CSEKMS, Metric: "files written whose GenerateDataKey count ≠ 1",
			Value: float64(off), Target: le(0), Note: "target: exactly 1 GenerateDataKey per file written"}, nil)
	}
	// Decrypt: at most one per object per TTL.
	worst, worstNote := 0.0, ""
	for o, sp := range s.k1.reads {
		periods := math.Max(1, math.Ceil(sp.last.Sub(sp.first).Seconds()/KeyCacheTTL.Seconds()))
		v := float64(dec[o]) / periods
		if v >= worst {
			worst = v
			worstNote = fmt.Sprintf("worst object %s: %d Decrypt over %.0fs of reads (TTL %s); %d objects read by R1, R2, K1", o.key, dec[o], sp.last.Sub(sp.first).Seconds(), KeyCacheTTL, len(s.k1.reads))
		}
	}
	s.addMeasure(report.Measure{Case: "K1", Provider: CSEKMS, Metric: "Decrypt calls per object read per TTL (max)",
		Value: worst, Target: le(1), Note: worstNote}, nil)
}
