package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/emrfsd/emrfsd/bench/data"
	"github.com/emrfsd/emrfsd/bench/report"
	"github.com/emrfsd/emrfsd/bench/s3ec"
)

const seedP1, seedM1 = 5000, 6000

// childResult is a finished S3EC child: its report and its peak RSS.
type childResult struct {
	s3ec.Result
	PeakRSS int64
}

// runS3EC runs the S3 Encryption Client subcommand in a child process (the
// benchmark binary itself, s.cfg.Self) and returns its result and rusage
// peak RSS.
func (s *suite) runS3EC(ctx context.Context, cmd string, req s3ec.Request) (childResult, error) {
	c := exec.CommandContext(ctx, s.cfg.Self, req.Args(cmd)...)
	// aws-sdk-go v1 refuses a CA bundle with a custom transport; the
	// endpoints are plain http.
	c.Env = append(os.Environ(), "AWS_CA_BUNDLE=", "AWS_EC2_METADATA_DISABLED=true")
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return childResult{}, fmt.Errorf("bench: %s child: %w: %s", cmd, err, tail(errb.String()))
	}
	var r childResult
	if err := json.Unmarshal(out.Bytes(), &r.Result); err != nil {
		return childResult{}, fmt.Errorf("bench: %s child output %q: %w", cmd, tail(out.String()), err)
	}
	ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return childResult{}, errors.New("bench: no rusage for the child")
	}
	r.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
	return r, nil
}

// phasePeak resets the daemon's VmHWM, runs f, and returns the peak RSS
// during f.
func phasePeak(d *Daemon, f func() error) (int64, error) {
	if err := d.ResetPeakRSS(); err != nil {
		return 0, fmt.Errorf("bench: reset VmHWM: %w", err)
	}
	if err := f(); err != nil {
		return 0, err
	}
	return d.PeakRSS()
}

// caseP1 compares CSE write and read of P1Size bytes through a fresh
// emrfsd with the S3 Encryption Client, in speed and peak RSS.
func (s *suite) caseP1(ctx context.Context) {
	z := s.cfg.Sizes
	bucket := s.env.Buckets[CSEKMS]
	wrow := report.Row{Case: "P1-write", Provider: CSEKMS, What: fmt.Sprintf("CSE write %d MiB", z.P1Size/MiB), Unit: "MiB/s", Baseline: "S3EC v1 put", Target: ge(3)}
	rrow := report.Row{Case: "P1-read", Provider: CSEKMS, What: fmt.Sprintf("CSE read %d MiB", z.P1Size/MiB), Unit: "MiB/s", Baseline: "S3EC v1 get", Target: ge(3)}
	var peaks struct{ ew, er, sw, sr int64 }
	err := func() (err error) {
		d, err := s.env.StartDaemon(ctx, s.cfg.Emrfsd, s.cfg.WorkDir, s.cfg.Servers.S3Endpoint)
		if err != nil {
			return err
		}
		defer d.Stop()
		defer func() { s.logDaemon(d, err) }()
		hc, err := d.Client()
		if err != nil {
			return err
		}
		defer hc.Close()
		if err := hc.MkdirAll(s.hdfsPath(CSEKMS, "bench/p1"), 0o755); err != nil {
			return err
		}
		want := data.CRC(seedP1, z.P1Size)
		buf := make([]byte, MiB)
		req := func(i int) s3ec.Request {
			return s3ec.Request{S3Endpoint: s.cfg.Servers.S3Endpoint, KMSEndpoint: s.cfg.Servers.KMSEndpoint, Bucket: bucket,
				Key: fmt.Sprintf("bench/p1/s3ec-%d", i), CMK: s.env.Alias, Seed: seedP1, Size: z.P1Size}
		}
		ekey := func(i int) string { return s.hdfsPath(CSEKMS, fmt.Sprintf("bench/p1/e-%d", i)) }
		wrow.Direct, wrow.Emrfsd, err = alternate(ctx, z.Reps,
			func(ctx context.Context, i int) (float64, error) {
				r, err := s.runS3EC(ctx, s3ec.CmdPut, req(i))
				if err != nil {
					return 0, err
				}
				peaks.sw = max(peaks.sw, r.PeakRSS)
				return float64(z.P1Size) / MiB / r.Seconds, nil
			},
			func(ctx context.Context, i int) (float64, error) {
				var t time.Duration
				pk, err := phasePeak(d, func() (err error) {
					t, err = timed(func() error { return hdfsWrite(hc, ekey(i), seedP1, z.P1Size, buf) })
					return err
				})
				if err != nil {
					return 0, err
				}
				peaks.ew = max(peaks.ew, pk)
				return mibps(z.P1Size, t), nil
			})
		if err != nil {
			return err
		}
		rrow.Direct, rrow.Emrfsd, err = alternate(ctx, z.Reps,
			func(ctx context.Context, i int) (float64, error) {
				r, err := s.runS3EC(ctx, s3ec.CmdGet, req(i))
				if err != nil {
					return 0, err
				}
				if r.Bytes != z.P1Size || r.CRC != want {
					return 0, fmt.Errorf("%w: S3EC get: %d bytes crc %08x", errContent, r.Bytes, r.CRC)
				}
				peaks.sr = max(peaks.sr, r.PeakRSS)
				return float64(z.P1Size) / MiB / r.Seconds, s.env.deleteKey(ctx, bucket, req(i).Key)
			},
			func(ctx context.Context, i int) (float64, error) {
				var (
					t   time.Duration
					n   int64
					crc uint32
				)
				pk, err := phasePeak(d, func() (err error) {
					t, err = timed(func() (err error) { n, crc, err = hdfsRead(hc, ekey(i), buf); return err })
					return err
				})
				if err != nil {
					return 0, err
				}
				if n != z.P1Size || crc != want {
					return 0, fmt.Errorf("%w: emrfsd read: %d bytes crc %08x", errContent, n, crc)
				}
				peaks.er = max(peaks.er, pk)
				return mibps(n, t), hdfsRemove(hc, ekey(i))
			})
		return err
	}()
	s.addRow(wrow, err)
	s.addRow(rrow, err)
	if err != nil {
		return
	}
	for _, m := range []struct {
		phase   string
		e, base int64
	}{{"write", peaks.ew, peaks.sw}, {"read", peaks.er, peaks.sr}} {
		s.addMeasure(report.Measure{Case: "P1-" + m.phase, Provider: CSEKMS, Metric: "emrfsd daemon peak RSS (VmHWM, max over reps)", Value: float64(m.e) / MiB, Unit: "MiB"}, nil)
		s.addMeasure(report.Measure{Case: "P1-" + m.phase, Provider: CSEKMS, Metric: "S3EC child peak RSS (maxrss, max over reps)", Value: float64(m.base) / MiB, Unit: "MiB"}, nil)
		s.addMeasure(report.Measure{Case: "P1-" + m.phase, Provider: CSEKMS, Metric: "peak RSS ratio emrfsd/S3EC", Value: float64(m.e) / float64(m.base), Target: le(0.2),
			Note: "target ≤ 1/5 (with ≥ 3× speed in the table above)"}, nil)
	}
}

// caseM1 measures a fresh daemon's peak RSS for one large stream (write,
// then read) and for concurrent writers, on cse-kms.
func (s *suite) caseM1(ctx context.Context) {
	z := s.cfg.Sizes
	bucket := s.env.Buckets[CSEKMS]
	metric := func(what string) report.Measure {
		return report.Measure{Case: "M1", Provider: CSEKMS, Metric: what, Unit: "MiB"}
	}
	wm := metric(fmt.Sprintf("daemon peak RSS writing one %d MiB file (fresh daemon, VmHWM)", z.M1Stream/MiB))
	wm.Target = le(256)
	rm := metric("daemon peak RSS reading it back (VmHWM reset before the read)")
	rm.Target = le(256)
	err := func() (err error) {
		d, err := s.env.StartDaemon(ctx, s.cfg.Emrfsd, s.cfg.WorkDir, s.cfg.Servers.S3Endpoint)
		if err != nil {
			return err
		}
		defer d.Stop()
		defer func() { s.logDaemon(d, err) }()
		hc, err := d.Client()
		if err != nil {
			return err
		}
		defer hc.Close()
		p := s.hdfsPath(CSEKMS, "bench/m1/stream")
		if err := hc.MkdirAll(s.hdfsPath(CSEKMS, "bench/m1"), 0o755); err != nil {
			return err
		}
		buf := make([]byte, MiB)
		t, err := timed(func() error { return hdfsWrite(hc, p, seedM1, z.M1Stream, buf) })
		if err != nil {
			return err
		}
		pk, err := d.PeakRSS()
		if err != nil {
			return err
		}
		wm.Value, wm.Note = float64(pk)/MiB, fmt.Sprintf("%.0f MiB/s", mibps(z.M1Stream, t))
		var (
			n   int64
			crc uint32
		)
		pk, err = phasePeak(d, func() (err error) {
			t, err = timed(func() (err error) { n, crc, err = hdfsRead(hc, p, buf); return err })
			return err
		})
		if err != nil {
			return err
		}
		if want := data.CRC(seedM1, z.M1Stream); n != z.M1Stream || crc != want {
			return fmt.Errorf("%w: emrfsd read: %d bytes crc %08x, want crc %08x", errContent, n, crc, want)
		}
		rm.Value, rm.Note = float64(pk)/MiB, fmt.Sprintf("%.0f MiB/s", mibps(n, t))
		return hdfsRemove(hc, p)
	}()
	if err != nil {
		s.addMeasure(wm, err)
		s.addMeasure(rm, errors.New("not measured"))
	} else {
		s.addMeasure(wm, nil)
		s.addMeasure(rm, nil)
	}
	cm := metric(fmt.Sprintf("daemon peak RSS, %d clients writing %d MiB each at once (fresh daemon, VmHWM)", z.M1Clients, z.M1ClientSize/MiB))
	err = s.m1Concurrent(ctx, &cm)
	s.addMeasure(cm, err)
	if err := s.env.deletePrefix(ctx, bucket, "bench/m1/"); err != nil {
		s.log.Warn("bench: cleanup", "err", err)
	}
}

func (s *suite) m1Concurrent(ctx context.Context, m *report.Measure) (err error) {
	z := s.cfg.Sizes
	d, err := s.env.StartDaemon(ctx, s.cfg.Emrfsd, s.cfg.WorkDir, s.cfg.Servers.S3Endpoint)
	if err != nil {
		return err
	}
	defer d.Stop()
	defer func() { s.logDaemon(d, err) }()
	setup, err := d.Client()
	if err != nil {
		return err
	}
	defer setup.Close()
	if err := setup.MkdirAll(s.hdfsPath(CSEKMS, "bench/m1/c"), 0o755); err != nil {
		return err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	start := time.Now()
	for j := range z.M1Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				hc, err := d.Client()
				if err != nil {
					return err
				}
				defer hc.Close()
				return hdfsWrite(hc, s.hdfsPath(CSEKMS, fmt.Sprintf("bench/m1/c/w-%02d", j)), seedM1+1+uint64(j), z.M1ClientSize, make([]byte, 256<<10))
			}()
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	pk, err := d.PeakRSS()
	if err != nil {
		return err
	}
	m.Value = float64(pk) / MiB
	m.Note = fmt.Sprintf("aggregate %.0f MiB/s", mibps(int64(z.M1Clients)*z.M1ClientSize, took))
	return nil
}
