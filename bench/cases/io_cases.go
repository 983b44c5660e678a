package cases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"time"

	"github.com/emrfsd/emrfsd/bench/data"
	"github.com/emrfsd/emrfsd/bench/report"
)

// Seeds of the generated contents.
const (
	seedW1  = 1000
	seedBig = 7
	seedS1  = 3000
	seedR2  = 42
)

func (s *suite) hdfsPath(provider, key string) string { return "/" + path.Join(dirOf(provider), key) }

// caseW1 writes BigFile bytes: HDFS create/write/close vs a direct
// multipart upload.
func (s *suite) caseW1(ctx context.Context) {
	z := s.cfg.Sizes
	for _, p := range Providers {
		bucket := s.env.Buckets[p]
		buf := make([]byte, MiB)
		row := report.Row{Case: "W1", Provider: p, What: fmt.Sprintf("write %d MiB", z.BigFile/MiB), Unit: "MiB/s",
			Baseline: "multipart PUT", Target: map[string]*report.Target{Plain: ge(0.95), CSEKMS: ge(0.9)}[p]}
		cpu := &cpuMeter{d: s.d}
		err := s.hc.MkdirAll(s.hdfsPath(p, "bench/w1"), 0o755)
		if err == nil {
			row.Direct, row.Emrfsd, err = alternate(ctx, z.Reps,
				func(ctx context.Context, i int) (float64, error) {
					key := fmt.Sprintf("bench/w1/d-%d", i)
					d, err := timed(func() error { return directMultipartPut(ctx, s.env.S3, p, bucket, key, seedW1+uint64(i), z.BigFile) })
					if err != nil {
						return 0, err
					}
					return mibps(z.BigFile, d), s.env.deleteKey(ctx, bucket, key)
				},
				func(ctx context.Context, i int) (float64, error) {
					key := fmt.Sprintf("bench/w1/e-%d", i)
					var d time.Duration
					err := cpu.around(z.BigFile, func() (err error) {
						d, err = timed(func() error { return hdfsWrite(s.hc, s.hdfsPath(p, key), seedW1+uint64(i), z.BigFile, buf) })
						return err
					})
					if err != nil {
						return 0, err
					}
					if p == CSEKMS {
						s.k1.wrote(bucket, key)
					}
					return mibps(z.BigFile, d), hdfsRemove(s.hc, s.hdfsPath(p, key))
				})
		}
		s.addRow(row, err)
		s.addCPU("W1", p, cpu, err)
	}
}

// bigSource makes sure the R1/R2 source file exists on provider, written
// through emrfsd once.
func (s *suite) bigSource(ctx context.Context, p string) (string, error) {
	key := "bench/r/src"
	if s.bigCRC == 0 {
		s.bigCRC = data.CRC(seedBig, s.cfg.Sizes.BigFile)
	}
	fi, err := s.hc.Stat(s.hdfsPath(p, key))
	if err == nil && fi.Size() == s.cfg.Sizes.BigFile {
		return key, nil
	}
	if err := s.hc.MkdirAll(s.hdfsPath(p, "bench/r"), 0o755); err != nil {
		return "", err
	}
	if err := hdfsWrite(s.hc, s.hdfsPath(p, key), seedBig, s.cfg.Sizes.BigFile, make([]byte, MiB)); err != nil {
		return "", err
	}
	if p == CSEKMS {
		s.k1.wrote(s.env.Buckets[p], key)
	}
	return key, nil
}

// errContent reports data that does not match what was written.
var errContent = errors.New("bench: content mismatch")

// caseR1 reads the source file sequentially: HDFS vs a direct GET.
func (s *suite) caseR1(ctx context.Context) {
	z := s.cfg.Sizes
	for _, p := range Providers {
		bucket := s.env.Buckets[p]
		buf := make([]byte, MiB)
		row := report.Row{Case: "R1", Provider: p, What: fmt.Sprintf("sequential read %d MiB", z.BigFile/MiB), Unit: "MiB/s",
			Baseline: "GET", Target: map[string]*report.Target{Plain: ge(0.85), CSEKMS: ge(0.8)}[p]}
		cpu := &cpuMeter{d: s.d}
		key, err := s.bigSource(ctx, p)
		if err == nil {
			start := time.Now()
			row.Direct, row.Emrfsd, err = alternate(ctx, z.Reps,
				func(ctx context.Context, i int) (float64, error) {
					var (
						n   int64
						crc uint32
					)
					d, err := timed(func() (err error) { n, crc, err = directGet(ctx, s.env.S3, bucket, key, buf); return err })
					if err != nil {
						return 0, err
					}
					switch {
					case p == CSEKMS && n != z.BigFile+16:
						return 0, fmt.Errorf("%w: direct GET of the CSE object: %d bytes, want %d", errContent, n, z.BigFile+16)
					case p != CSEKMS && (n != z.BigFile || crc != s.bigCRC):
						return 0, fmt.Errorf("%w: direct GET: %d bytes crc %08x, want %d bytes crc %08x", errContent, n, crc, z.BigFile, s.bigCRC)
					}
					return mibps(n, d), nil
				},
				func(ctx context.Context, i int) (float64, error) {
					var (
						n   int64
						crc uint32
					)
					var d time.Duration
					err := cpu.around(z.BigFile, func() (err error) {
						d, err = timed(func() (err error) { n, crc, err = hdfsRead(s.hc, s.hdfsPath(p, key), buf); return err })
						return err
					})
					if err != nil {
						return 0, err
					}
					if n != z.BigFile || crc != s.bigCRC {
						return 0, fmt.Errorf("%w: emrfsd read: %d bytes crc %08x, want %d bytes crc %08x", errContent, n, crc, z.BigFile, s.bigCRC)
					}
					return mibps(n, d), nil
				})
			if p == CSEKMS {
				s.k1.read(bucket, key, start, time.Now())
			}
		}
		s.addRow(row, err)
		s.addCPU("R1", p, cpu, err)
	}
}

// caseR2 does RandomReads positioned reads of RandomRead bytes at random
// offsets (the same offsets for both sides of a repetition).
func (s *suite) caseR2(ctx context.Context) {
	z := s.cfg.Sizes
	for _, p := range Providers {
		bucket := s.env.Buckets[p]
		row := report.Row{Case: "R2", Provider: p, What: fmt.Sprintf("%d random %d KiB reads", z.RandomReads, z.RandomRead>>10), Unit: "reads/s",
			Baseline: "ranged GET"}
		key, err := s.bigSource(ctx, p)
		if err == nil {
			src := data.New(seedBig, z.BigFile)
			buf := make([]byte, z.RandomRead)
			offsets := func(i int) []int64 {
				r := rand.New(rand.NewPCG(seedR2, uint64(i)))
				o := make([]int64, z.RandomReads)
				for j := range o {
					o[j] = r.Int64N(z.BigFile - int64(z.RandomRead) + 1)
				}
				return o
			}
			// verify compares the CRC of each read with the generator's bytes.
			verify := func(offs []int64, crcs []uint32, who string) error {
				want := make([]byte, z.RandomRead)
				for j, off := range offs {
					if _, err := src.ReadAt(want, off); err != nil && !errors.Is(err, io.EOF) {
						return err
					}
					if data.CRC32C(0, want) != crcs[j] {
						return fmt.Errorf("%w: %s read at %d", errContent, who, off)
					}
				}
				return nil
			}
			start := time.Now()
			var (
				calls0, calls1 counters
				countErr       error
			)
			row.Direct, row.Emrfsd, err = alternate(ctx, z.Reps,
				func(ctx context.Context, i int) (float64, error) {
					offs := offsets(i)
					crcs := make([]uint32, len(offs))
					d, err := timed(func() error {
						for j, off := range offs {
							if err := directRangedGet(ctx, s.env.S3, bucket, key, buf, off); err != nil {
								return err
							}
							crcs[j] = data.CRC32C(0, buf)
						}
						return nil
					})
					if err != nil {
						return 0, err
					}
					if p != CSEKMS { // cse objects hold ciphertext: nothing to compare
						if err := verify(offs, crcs, "direct"); err != nil {
							return 0, err
						}
					}
					return float64(len(offs)) / d.Seconds(), nil
				},
				func(ctx context.Context, i int) (float64, error) {
					offs := offsets(i)
					crcs := make([]uint32, len(offs))
					if i == 0 { // call counts from the first repetition
						calls0, countErr = s.d.scrapeCounters(ctx)
					}
					d, err := timed(func() error {
						f, err := s.hc.Open(s.hdfsPath(p, key))
						if err != nil {
							return fmt.Errorf("emrfsd: open: %w", err)
						}
						defer f.Close()
						for j, off := range offs {
							if _, err := f.ReadAt(buf, off); err != nil {
								return fmt.Errorf("emrfsd: ReadAt %d: %w", off, err)
							}
							crcs[j] = data.CRC32C(0, buf)
						}
						return nil
					})
					if err != nil {
						return 0, err
					}
					if i == 0 && countErr == nil {
						calls1, countErr = s.d.scrapeCounters(ctx)
					}
					if err := verify(offs, crcs, "emrfsd"); err != nil {
						return 0, err
					}
					return float64(len(offs)) / d.Seconds(), nil
				})
			if p == CSEKMS {
				s.k1.read(bucket, key, start, time.Now())
			}
			if countErr == nil {
				countErr = err
			}
			s.addCallCounts("R2", p, calls0, calls1, z.RandomReads, countErr)
		}
		s.addRow(row, err)
		if key != "" {
			if err := hdfsRemove(s.hc, s.hdfsPath(p, key)); err != nil {
				s.log.Warn("bench: cleanup", "err", err)
			}
		}
	}
}

// caseS1 creates SmallFiles files of SmallFile bytes one after another.
func (s *suite) caseS1(ctx context.Context) {
	z := s.cfg.Sizes
	body := make([]byte, z.SmallFile)
	if _, err := data.New(seedS1, int64(z.SmallFile)).ReadAt(body, 0); err != nil && !errors.Is(err, io.EOF) {
		s.addRow(report.Row{Case: "S1"}, err)
		return
	}
	for _, p := range Providers {
		bucket := s.env.Buckets[p]
		row := report.Row{Case: "S1", Provider: p, What: fmt.Sprintf("%d × %d KiB create+write+close", z.SmallFiles, z.SmallFile>>10),
			Unit: "files/s", Baseline: "PutObject", Target: ge(0.5)}
		var (
			err            error
			calls0, calls1 counters
			counted        int
			countErr       error
		)
		row.Direct, row.Emrfsd, err = alternate(ctx, z.Reps,
			func(ctx context.Context, i int) (float64, error) {
				prefix := fmt.Sprintf("bench/s1/d-%d/", i)
				d, err := timed(func() error {
					for j := range z.SmallFiles {
						if err := directPut(ctx, s.env.S3, p, bucket, fmt.Sprintf("%sf-%05d", prefix, j), body); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return 0, err
				}
				return float64(z.SmallFiles) / d.Seconds(), s.env.deletePrefix(ctx, bucket, prefix)
			},
			func(ctx context.Context, i int) (float64, error) {
				prefix := fmt.Sprintf("bench/s1/e-%d", i)
				if err := s.hc.MkdirAll(s.hdfsPath(p, prefix), 0o755); err != nil {
					return 0, err
				}
				if i == 0 { // call counts from the first repetition
					calls0, countErr = s.d.scrapeCounters(ctx)
				}
				d, err := timed(func() error {
					for j := range z.SmallFiles {
						if err := hdfsWriteSmall(s.hc, s.hdfsPath(p, fmt.Sprintf("%s/f-%05d", prefix, j)), body); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return 0, err
				}
				if i == 0 && countErr == nil {
					calls1, countErr = s.d.scrapeCounters(ctx)
					counted = z.SmallFiles
				}
				if p == CSEKMS {
					for j := range z.SmallFiles {
						s.k1.wrote(bucket, fmt.Sprintf("%s/f-%05d", prefix, j))
					}
				}
				return float64(z.SmallFiles) / d.Seconds(), s.env.deletePrefix(ctx, bucket, prefix+"/")
			})
		s.addRow(row, err)
		if countErr == nil {
			countErr = err
		}
		s.addCallCounts("S1", p, calls0, calls1, counted, countErr)
	}
}
