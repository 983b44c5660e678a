package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/bench/report"
)

// MiB is a mebibyte.
const MiB = 1 << 20

// Sizes are the workload sizes of a run.
type Sizes struct {
	Mode         string
	Reps         int
	BigFile      int64 // W1, R1, R2 file size
	RandomReads  int   // R2 reads per repetition
	RandomRead   int   // R2 read size
	SmallFiles   int   // S1 files per repetition
	SmallFile    int   // S1 file size
	ListObjects  int   // L1 objects
	P1Size       int64 // P1 object size
	M1Stream     int64 // M1 single stream
	M1Clients    int   // M1 concurrent writers
	M1ClientSize int64 // M1 bytes per writer
	Reopens      int   // K1 repeated opens of one object
	JReps        int   // JW1, JS1 repetitions per side
	JBigFile     int64 // JW1/JR1 file size
	JSmallFiles  int   // JS1 files (then listed: JL1, and renamed: JRN)
	SparkReps    int   // J1 repetitions per side
	SparkRows    int   // J1 DataFrame rows
	SparkSlices  int   // J1 input partitions (write tasks)
	SparkParts   int   // J1 values of the partition column
}

// Quick returns the smoke-test sizes (about two minutes on two cores).
func Quick() Sizes {
	return Sizes{Mode: "quick", Reps: 3, BigFile: 64 * MiB, RandomReads: 100, RandomRead: 64 << 10,
		SmallFiles: 100, SmallFile: 4 << 10, ListObjects: 1000, P1Size: 32 * MiB,
		M1Stream: 256 * MiB, M1Clients: 8, M1ClientSize: 16 * MiB, Reopens: 10,
		JReps: 3, JBigFile: 16 * MiB, JSmallFiles: 10, SparkReps: 2, SparkRows: 20_000, SparkSlices: 2, SparkParts: 4}
}

// Full returns the full-run sizes.
func Full() Sizes {
	return Sizes{Mode: "full", Reps: 5, BigFile: 1024 * MiB, RandomReads: 1000, RandomRead: 64 << 10,
		SmallFiles: 1000, SmallFile: 4 << 10, ListObjects: 10000, P1Size: 256 * MiB,
		M1Stream: 4096 * MiB, M1Clients: 32, M1ClientSize: 64 * MiB, Reopens: 20,
		JReps: 3, JBigFile: 1024 * MiB, JSmallFiles: 1000, SparkReps: 3, SparkRows: 2_000_000, SparkSlices: 4, SparkParts: 16}
}

// Case names in run order.
// JW1 also measures JR1; JS1 also JL1 and JRN (see jvm.go).
var AllCases = []string{"W1", "R1", "R2", "S1", "K1", "L1", "P1", "M1", "JW1", "JS1", "J1"}

// Config says what to run and where.
type Config struct {
	Servers Servers
	Emrfsd  string // path of the emrfsd binary
	Self    string // path of a binary implementing the s3ec-put/s3ec-get subcommands
	WorkDir string // parent of the daemons' data directories
	Sizes   Sizes
	Cases   []string // subset of AllCases; empty = all
	Tools   string   // the tools directory scripts/jvm.sh filled (J cases)
	JVMSrc  string   // bench/jvm: the J cases' Java sources and Spark job
	// ProfileDir, when set, receives CPU and allocation profiles of the
	// main daemon during ProfiledCases (see profiled).
	ProfileDir string
	Log        *slog.Logger
}

// suite is the state of one run.
type suite struct {
	cfg    Config
	log    *slog.Logger
	env    *Env
	d      *Daemon // the main daemon (W1, R1, R2, S1, K1)
	hc     *hdfs.Client
	rep    *report.Report
	k1     k1State
	bigCRC uint32 // CRC32C of the R1/R2 source file
	jvm    jvmState
}

func (s *suite) want(c string) bool { return len(s.cfg.Cases) == 0 || slices.Contains(s.cfg.Cases, c) }

// Run runs the selected cases and returns the report. A case that fails is
// reported as a failed row and the run goes on; Run itself fails only when
// the environment or the main daemon cannot be set up.
func Run(ctx context.Context, cfg Config) (rep *report.Report, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Sizes.Reps < 1 {
		return nil, errors.New("bench: Sizes.Reps must be at least 1")
	}
	for _, c := range cfg.Cases {
		if !slices.Contains(AllCases, c) {
			return nil, fmt.Errorf("bench: unknown case %q (have %v)", c, AllCases)
		}
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = os.TempDir()
	}
	s := &suite{cfg: cfg, log: cfg.Log}
	s.rep = &report.Report{
		Title:   "emrfsd benchmark",
		Date:    time.Now(),
		Machine: report.DetectMachine(),
		Mode:    cfg.Sizes.Mode,
		Reps:    cfg.Sizes.Reps,
	}
	s.env, err = NewEnv(ctx, cfg.Servers)
	if err != nil {
		return nil, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if cerr := s.env.Close(cctx); cerr != nil {
			s.log.Warn("bench: cleanup", "err", cerr)
		}
	}()
	needMain := false
	for _, c := range []string{"W1", "R1", "R2", "S1", "K1", "JW1", "JS1", "J1"} {
		needMain = needMain || s.want(c)
	}
	if needMain {
		s.d, err = s.env.StartDaemon(ctx, cfg.Emrfsd, cfg.WorkDir, cfg.Servers.S3Endpoint)
		if err != nil {
			return nil, err
		}
		defer s.d.Stop()
		s.hc, err = s.d.Client()
		if err != nil {
			return nil, err
		}
		defer s.hc.Close()
		s.k1.audit = s.d.Audit
	}
	steps := []struct {
		name string
		run  func(context.Context)
	}{
		{"W1", s.caseW1}, {"R1", s.caseR1}, {"R2", s.caseR2}, {"S1", s.caseS1}, {"K1", s.caseK1},
		{"L1", s.caseL1}, {"P1", s.caseP1}, {"M1", s.caseM1},
		{"JW1", s.caseJW1}, {"JS1", s.caseJS1}, {"J1", s.caseJ1},
	}
	defer s.jvm.close()
	for _, st := range steps {
		if !s.want(st.name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		s.log.Info("bench: case", "case", st.name)
		s.profiled(ctx, st.name, st.run)
		s.log.Info("bench: case done", "case", st.name, "seconds", time.Since(start).Seconds())
	}
	s.rep.Notes = append(s.rep.Notes, notes(cfg.Sizes)...)
	if s.jvm.tried {
		s.rep.Notes = append(s.rep.Notes, jNotes(cfg.Sizes)...)
	}
	return s.rep, nil
}

func notes(z Sizes) []string {
	return []string{
		"Sides alternate within each case: repetition i runs direct then emrfsd for even i and emrfsd then direct for odd i; each repetition uses fresh object names, deleted after the repetition (not timed).",
		"emrfsd side: the colinmarc/hdfs/v2 client in this process talking to an emrfsd daemon started by the tool (fs.s3a.multipart.size=8m, fs.s3a.fast.upload.active.blocks=4). Direct side: aws-sdk-go-v2 against MinIO (UNSIGNED-PAYLOAD over plain http, 8 MiB parts, 4 at a time).",
		"Direct baseline per provider: plain = unencrypted request; sse-kms = the same request with SSE-KMS headers (MinIO's key); cse-kms = the unencrypted request against the same bucket (raw S3 bytes; reads of cse objects fetch the ciphertext without decrypting), so the ratio includes the whole client-side encryption cost.",
		"Throughput units (MiB/s, reads/s, files/s): ratio ≥ 1 means emrfsd is faster. L1 is time in seconds: ratio ≤ 1 means emrfsd is faster.",
		"P1 baseline: aws-sdk-go v1.55.8 s3crypto EncryptionClientV2/DecryptionClientV2 (KMS+context) in a child process; its time covers the SDK call (and reading the body for GET), its RSS is the child's whole-process peak (rusage maxrss). emrfsd's RSS is the daemon's VmHWM, reset (clear_refs) before each phase.",
		fmt.Sprintf("Sizes (%s): file %d MiB, %d×%d KiB random reads, %d×%d KiB small files, %d listed objects, P1 %d MiB, M1 %d MiB stream and %d×%d MiB writers.",
			z.Mode, z.BigFile/MiB, z.RandomReads, z.RandomRead>>10, z.SmallFiles, z.SmallFile>>10, z.ListObjects, z.P1Size/MiB, z.M1Stream/MiB, z.M1Clients, z.M1ClientSize/MiB),
	}
}

// side measures one repetition of one side and returns its figure.
type side func(ctx context.Context, rep int) (float64, error)

// alternate runs the two sides reps times, swapping their order every
// repetition, and returns the figures of each side in repetition order.
func alternate(ctx context.Context, reps int, direct, emrfsd side) (d, e []float64, err error) {
	for i := range reps {
		first, second := direct, emrfsd
		if i%2 == 1 {
			first, second = emrfsd, direct
		}
		a, err := first(ctx, i)
		if err != nil {
			return nil, nil, err
		}
		b, err := second(ctx, i)
		if err != nil {
			return nil, nil, err
		}
		if i%2 == 1 {
			a, b = b, a
		}
		d, e = append(d, a), append(e, b)
	}
	return d, e, nil
}

// timed returns how long f took.
func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

func mibps(n int64, d time.Duration) float64 { return float64(n) / MiB / d.Seconds() }

func (s *suite) addRow(r report.Row, err error) {
	if err != nil {
		r.Err = err.Error()
		r.Direct, r.Emrfsd = nil, nil
		s.log.Error("bench: case failed", "case", r.Case, "provider", r.Provider, "err", err)
		if s.d != nil && (r.Case == "W1" || r.Case == "R1" || r.Case == "R2" || r.Case == "S1") {
			s.log.Error("bench: main emrfsd log tail", "log", s.d.Log())
		}
	}
	s.rep.Rows = append(s.rep.Rows, r)
}

func (s *suite) addMeasure(m report.Measure, err error) {
	if err != nil {
		m.Err = err.Error()
		s.log.Error("bench: measurement failed", "case", m.Case, "metric", m.Metric, "err", err)
	}
	s.rep.Measures = append(s.rep.Measures, m)
}

// logDaemon logs the tail of a case-specific daemon's output when the case
// failed.
func (s *suite) logDaemon(d *Daemon, err error) {
	if err != nil && d != nil {
		s.log.Error("bench: emrfsd log tail", "log", d.Log())
	}
}

func ge(v float64) *report.Target { return &report.Target{Op: ">=", Value: v} }
func le(v float64) *report.Target { return &report.Target{Op: "<=", Value: v} }
