package cases

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/bench/report"
	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/jvmtools"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// The JVM peer cases (JW1, JS1, J1) run the same Java client code (or the
// same Spark job) against emrfsd (hdfs://), Hadoop S3A (s3a://, the same
// MinIO and buckets) and HDFS itself (a MiniDFSCluster on local disk).
// Peer names, as they appear in the report's baseline column.
const (
	peerEmrfsd  = "emrfsd"
	peerS3A     = "S3A"
	peerMiniDFS = "MiniDFS"
)

// jProviders are the providers the peer cases run on: S3A does SSE-KMS
// against MinIO like emrfsd; CSE-KMS is probed (jvmState.probeS3ACSE).
var jProviders = []string{Plain, SSEKMS}

// jvmState is the run's JVM side, set up on first use.
type jvmState struct {
	tried   bool
	err     error
	tools   *jvmtools.Tools
	classes string
	confDir string // holds the clients' core-site.xml
	client  *lineProc
	mini    *lineProc
	miniURI string // hdfs://127.0.0.1:PORT
	spark   *lineProc
	cse     string // what the S3A CSE-KMS probe found
}

// close stops the JVM processes: each ends at EOF on its stdin.
func (j *jvmState) close() {
	for _, p := range []*lineProc{j.spark, j.client, j.mini} {
		if p != nil {
			p.close(60 * time.Second)
		}
	}
}

// s3aProps are the clients' Hadoop settings: S3A against MinIO (S3A's
// defaults otherwise), the SSE-KMS bucket with MinIO's key as emrfsd's
// daemon uses it, and the CSE-KMS bucket set up the way S3A documents CSE-KMS,
// for the probe.
func (e *Env) s3aProps() map[string]string {
	sb, cb := e.Buckets[SSEKMS], e.Buckets[CSEKMS]
	return map[string]string{
		"fs.s3a.endpoint":                               "" + e.S3Endpoint,
		"fs.s3a.endpoint.region":                        testenv.Region,
		"fs.s3a.path.style.access":                      "true",
		"fs.s3a.connection.ssl.enabled":                 "false",
		"fs.s3a.aws.credentials.provider":               "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
		"fs.s3a.access.key":                             testenv.AccessKey,
		"fs.s3a.secret.key":                             testenv.SecretKey,
		"fs.s3a.bucket." + sb + ".encryption.algorithm": "SSE-KMS",
		"fs.s3a.bucket." + sb + ".encryption.key":       testenv.MinIOKMSKey,
		"fs.s3a.bucket." + cb + ".encryption.algorithm": "CSE-KMS",
		"fs.s3a.bucket." + cb + ".encryption.key":       e.KeyARN,
		// A single-DataNode MiniDFSCluster: what HDFS on one node is set to.
		"dfs.replication": "1",
	}
}

// jvmSetup compiles the Java sources, writes the clients' configuration and
// starts the JVM client; MiniDFS and Spark start on first use.
func (s *suite) jvmSetup(ctx context.Context) error {
	j := &s.jvm
	if j.tried {
		return j.err
	}
	j.tried = true
	j.err = func() error {
		t, err := jvmtools.Locate(s.cfg.Tools, jvmtools.What{PySpark: true, Bench: true})
		if err != nil {
			return err
		}
		j.tools = t
		j.classes = filepath.Join(s.cfg.WorkDir, "jvm-classes")
		srcs, err := filepath.Glob(filepath.Join(s.cfg.JVMSrc, "java", "emrfsd", "jbench", "*.java"))
		if err != nil || len(srcs) == 0 {
			return fmt.Errorf("bench: no Java sources under %s/java (--jvm-src): %v", s.cfg.JVMSrc, err)
		}
		t0 := time.Now()
		if err := jvmtools.Javac(ctx, j.classes, s.classpath(), srcs); err != nil {
			return err
		}
		s.log.Info("bench: javac", "seconds", time.Since(t0).Seconds())
		j.confDir = filepath.Join(s.cfg.WorkDir, "jvm-conf")
		if err := os.MkdirAll(j.confDir, 0o755); err != nil {
			return err
		}
		if err := hadoopconf.WriteFile(filepath.Join(j.confDir, "core-site.xml"), s.env.s3aProps(), "emrfsd-bench JVM clients"); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, "java", append(jvmOpts("1g"), "-cp", s.classpath(), "emrfsd.jbench.JBench",
			filepath.Join(j.confDir, "core-site.xml"))...)
		cmd.Env = jvmtools.CleanEnv()
		j.client, _, err = startLineProc(ctx, "JVM client", cmd, "READY", 2*time.Minute)
		if err != nil {
			return err
		}
		j.cse = s.probeS3ACSE(ctx)
		return nil
	}()
	return j.err
}

func jvmOpts(heap string) []string {
	return []string{"-Xmx" + heap, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Djava.net.preferIPv4Stack=true"}
}

func (s *suite) classpath() string {
	t := s.jvm.tools
	return jvmtools.Classpath(s.jvm.classes, filepath.Join(t.HadoopLib, "*"), filepath.Join(t.BenchLib, "*"))
}

// miniDFS starts the MiniDFSCluster JVM on first use.
func (s *suite) miniDFS(ctx context.Context) (string, error) {
	j := &s.jvm
	if j.miniURI != "" {
		return j.miniURI, nil
	}
	base := filepath.Join(s.cfg.WorkDir, "minidfs")
	cmd := exec.CommandContext(ctx, "java", append(jvmOpts("1g"), "-cp", s.classpath(), "emrfsd.jbench.MiniDFS", base)...)
	cmd.Env = jvmtools.CleanEnv()
	t0 := time.Now()
	p, line, err := startLineProc(ctx, "MiniDFSCluster", cmd, "NAMENODE ", 3*time.Minute)
	if err != nil {
		return "", err
	}
	j.mini, j.miniURI = p, strings.TrimPrefix(line, "NAMENODE ")
	s.log.Info("bench: MiniDFSCluster up", "uri", j.miniURI, "seconds", time.Since(t0).Seconds())
	return j.miniURI, nil
}

// sparkProc starts the PySpark process on first use.
func (s *suite) sparkProc(ctx context.Context) (*lineProc, error) {
	j := &s.jvm
	if j.spark != nil {
		return j.spark, nil
	}
	script := filepath.Join(s.cfg.JVMSrc, "spark", "spark_bench.py")
	cmd := exec.CommandContext(ctx, j.tools.Python, script, "--extra-classpath", jvmtools.Classpath(j.tools.S3AJars()...))
	cmd.Env = append(jvmtools.CleanEnv(), "HADOOP_CONF_DIR="+j.confDir)
	t0 := time.Now()
	p, _, err := startLineProc(ctx, "PySpark", cmd, "READY", 5*time.Minute)
	if err != nil {
		return nil, err
	}
	j.spark = p
	s.log.Info("bench: PySpark up", "seconds", time.Since(t0).Seconds())
	return p, nil
}

// jSide is one filesystem of a peer case: uri maps a path relative to the
// provider's bucket to a URL.
type jSide struct {
	name string
	uri  func(rel string) string
}

// jSides returns emrfsd, S3A and (plain only) MiniDFS for provider p, each
// warmed up (its FileSystem initialised) in the JVM client.
func (s *suite) jSides(ctx context.Context, p string, mini bool) ([]jSide, error) {
	nn := "hdfs://" + s.d.NameNode
	sides := []jSide{
		{peerEmrfsd, func(rel string) string { return nn + "/" + dirOf(p) + "/" + rel }},
		{peerS3A, func(rel string) string { return "s3a://" + s.env.Buckets[p] + "/" + rel }},
	}
	if mini && p == Plain {
		m, err := s.miniDFS(ctx)
		if err != nil {
			return nil, err
		}
		sides = append(sides, jSide{peerMiniDFS, func(rel string) string { return m + "/" + dirOf(p) + "/" + rel }})
	}
	for _, sd := range sides {
		if _, err := s.jvm.client.call(ctx, time.Minute, "warm", sd.uri("")); err != nil && !strings.Contains(err.Error(), "FileNotFoundException") {
			return nil, fmt.Errorf("bench: warm %s: %w", sd.name, err)
		}
	}
	return sides, nil
}

// rotate runs n sides reps times, starting repetition i with side i mod n
// and going round, and returns figs[side][metric][rep].
func rotate(ctx context.Context, reps, n int, run func(ctx context.Context, side, rep int) ([]float64, error)) ([][][]float64, error) {
	figs := make([][][]float64, n)
	for i := range reps {
		for k := range n {
			sd := (i + k) % n
			v, err := run(ctx, sd, i)
			if err != nil {
				return nil, err
			}
			if figs[sd] == nil {
				figs[sd] = make([][]float64, len(v))
			}
			for m := range v {
				figs[sd][m] = append(figs[sd][m], v[m])
			}
		}
	}
	return figs, nil
}

// peerRows turns rotate's figures into one row per metric and peer: emrfsd
// (side 0) against each other side.
func (s *suite) peerRows(p string, sides []jSide, metrics []report.Row, figs [][][]float64, err error) {
	for m, base := range metrics {
		for k := 1; k < len(sides); k++ {
			r := base
			r.Provider, r.Peer = p, sides[k].name
			r.Baseline = sides[k].name + r.Baseline
			if sides[k].name != peerS3A {
				r.Target = nil // goals are stated against S3A
			}
			if err == nil {
				r.Direct, r.Emrfsd = figs[k][m], figs[0][m]
			}
			s.addRow(r, err)
		}
	}
}

func nanos(f []string, i int) (time.Duration, error) {
	if len(f) <= i {
		return 0, fmt.Errorf("bench: short answer %q", f)
	}
	v, err := strconv.ParseInt(f[i], 10, 64)
	return time.Duration(v), err
}

// failRows reports every row of a peer case as failed.
// readySides sets the JVM side up and returns provider p's sides
// (emrfsd, S3A, MiniDFS); on a failure it fails p's rows and says so.
func (s *suite) readySides(ctx context.Context, p string, metrics []report.Row) ([]jSide, bool) {
	if err := s.jvmSetup(ctx); err != nil {
		s.failRows(p, metrics, err)
		return nil, false
	}
	sides, err := s.jSides(ctx, p, true)
	if err != nil {
		s.failRows(p, metrics, err)
		return nil, false
	}
	return sides, true
}

func (s *suite) failRows(p string, metrics []report.Row, err error) {
	peers := []string{peerS3A}
	if p == Plain {
		peers = append(peers, peerMiniDFS)
	}
	for _, m := range metrics {
		for _, peer := range peers {
			r := m
			r.Provider, r.Peer, r.Baseline = p, peer, peer+r.Baseline
			s.addRow(r, err)
		}
	}
}

// caseJW1 writes JBigFile bytes and reads them back through the Java
// FileSystem API on each side (rows JW1 and JR1).
func (s *suite) caseJW1(ctx context.Context) {
	z := s.cfg.Sizes
	size := strconv.FormatInt(z.JBigFile, 10)
	metrics := []report.Row{
		{Case: "JW1", What: fmt.Sprintf("Java create+write+close %d MiB", z.JBigFile/MiB), Unit: "MiB/s", Baseline: " (same Java code)"},
		{Case: "JR1", What: fmt.Sprintf("Java open+read %d MiB", z.JBigFile/MiB), Unit: "MiB/s", Baseline: " (same Java code)"},
	}
	for _, p := range jProviders {
		sides, ok := s.readySides(ctx, p, metrics)
		if !ok {
			continue
		}
		c := s.jvm.client
		figs, err := rotate(ctx, z.JReps, len(sides), func(ctx context.Context, k, i int) ([]float64, error) {
			uri := sides[k].uri(fmt.Sprintf("jbench/w1-%d", i))
			w, err := c.call(ctx, 15*time.Minute, "put", uri, size, strconv.Itoa(seedW1+i))
			if err != nil {
				return nil, err
			}
			r, err := c.call(ctx, 15*time.Minute, "cat", uri)
			if err != nil {
				return nil, err
			}
			if len(w) != 2 || len(r) != 3 || r[1] != size || r[2] != w[1] {
				return nil, fmt.Errorf("%w: %s: wrote %d bytes crc %v, read %v", errContent, uri, z.JBigFile, w, r)
			}
			if _, err := c.call(ctx, 5*time.Minute, "rm", uri); err != nil {
				return nil, err
			}
			wd, err1 := nanos(w, 0)
			rd, err2 := nanos(r, 0)
			return []float64{mibps(z.JBigFile, wd), mibps(z.JBigFile, rd)}, errors.Join(err1, err2)
		})
		s.peerRows(p, sides, metrics, figs, err)
	}
}

// caseJS1 creates JSmallFiles small files in a directory, lists it and
// renames it through the Java FileSystem API on each side (rows JS1, JL1,
// JRN).
func (s *suite) caseJS1(ctx context.Context) {
	z := s.cfg.Sizes
	n := strconv.Itoa(z.JSmallFiles)
	metrics := []report.Row{
		{Case: "JS1", What: fmt.Sprintf("Java %d × %d KiB create+write+close", z.JSmallFiles, z.SmallFile>>10), Unit: "files/s", Baseline: " (same Java code)"},
		{Case: "JL1", What: fmt.Sprintf("Java listStatus of %d files", z.JSmallFiles), Unit: "s", Baseline: " (same Java code)"},
		{Case: "JRN", What: fmt.Sprintf("Java rename of a directory of %d files", z.JSmallFiles), Unit: "s", Baseline: " (same Java code)"},
	}
	for _, p := range jProviders {
		sides, ok := s.readySides(ctx, p, metrics)
		if !ok {
			continue
		}
		c := s.jvm.client
		figs, err := rotate(ctx, z.JReps, len(sides), func(ctx context.Context, k, i int) ([]float64, error) {
			dir := sides[k].uri(fmt.Sprintf("jbench/s1-%d", i))
			w, err := c.call(ctx, 15*time.Minute, "small", dir, n, strconv.Itoa(z.SmallFile), strconv.Itoa(seedS1+i))
			if err != nil {
				return nil, err
			}
			l, err := c.call(ctx, 5*time.Minute, "list", dir)
			if err != nil {
				return nil, err
			}
			if len(l) != 2 || l[1] != n {
				return nil, fmt.Errorf("%w: %s: listed %v, want %s entries", errContent, dir, l, n)
			}
			r, err := c.call(ctx, 15*time.Minute, "rename", dir, dir+"-mv")
			if err != nil {
				return nil, err
			}
			if _, err := c.call(ctx, 5*time.Minute, "rm", dir+"-mv"); err != nil {
				return nil, err
			}
			wd, err1 := nanos(w, 0)
			ld, err2 := nanos(l, 0)
			rd, err3 := nanos(r, 0)
			return []float64{float64(z.JSmallFiles) / wd.Seconds(), ld.Seconds(), rd.Seconds()}, errors.Join(err1, err2, err3)
		})
		s.peerRows(p, sides, metrics, figs, err)
	}
}

// caseJ1 runs the same Spark job on each side: a partitioned Parquet write
// with the default committer, a full read and a filtered read (rows J1 with
// the goal, and J1-write, J1-read, J1-filter for where the time goes).
func (s *suite) caseJ1(ctx context.Context) {
	z := s.cfg.Sizes
	rows, slices, parts := strconv.Itoa(z.SparkRows), strconv.Itoa(z.SparkSlices), strconv.Itoa(z.SparkParts)
	what := fmt.Sprintf("Spark job, %d rows, %d×%d files", z.SparkRows, z.SparkSlices, z.SparkParts)
	metrics := []report.Row{
		{Case: "J1", What: what + ": write partitioned Parquet + full read + filtered read", Unit: "s", Baseline: " (same job)", Target: le(1.0)},
		{Case: "J1-write", What: what + ": partitioned Parquet write, default committer", Unit: "s", Baseline: " (same job)"},
		{Case: "J1-read", What: what + ": full read, aggregate per partition", Unit: "s", Baseline: " (same job)"},
		{Case: "J1-filter", What: what + ": partition filter + predicate, count", Unit: "s", Baseline: " (same job)"},
	}
	for _, p := range jProviders {
		sides, ok := s.readySides(ctx, p, metrics)
		if !ok {
			continue
		}
		sp, err := s.sparkProc(ctx)
		if err != nil {
			s.failRows(p, metrics, err)
			continue
		}
		// One small untimed job per side first, so that no side pays for
		// Spark's and its FileSystem's first use (JIT, class loading).
		for _, sd := range sides {
			if _, err = sp.call(ctx, 10*time.Minute, "job", sd.uri("jbench/j1-warm"), "5000", "1", "2"); err != nil {
				break
			}
		}
		if err != nil {
			s.failRows(p, metrics, err)
			continue
		}
		figs, err := rotate(ctx, z.SparkReps, len(sides), func(ctx context.Context, k, i int) ([]float64, error) {
			f, err := sp.call(ctx, 30*time.Minute, "job", sides[k].uri(fmt.Sprintf("jbench/j1-%d", i)), rows, slices, parts)
			if err != nil {
				return nil, err
			}
			if len(f) != 4 {
				return nil, fmt.Errorf("bench: spark answered %q", f)
			}
			v := make([]float64, 4)
			for m := range v {
				if v[m], err = strconv.ParseFloat(f[m], 64); err != nil {
					return nil, err
				}
			}
			return v, nil
		})
		s.peerRows(p, sides, metrics, figs, err)
		if err == nil {
			s.jobCalls(ctx, sp, p, sides, rows, slices, parts)
		}
	}
}

// jobCalls runs one more (untimed) job per side and reports what it cost
// in calls: the S3 requests emrfsd's daemon made (its /metrics), the S3
// requests S3A made and the NameNode calls DFSClient made (Hadoop's global
// storage statistics in the Spark JVM: DFSClient's are shared by all hdfs://
// instances, which is right since jobs run one at a time; S3A's are its
// first instance's, so only the plain bucket's S3A requests are seen). Each figure covers the job and the
// deletion of its table.
func (s *suite) jobCalls(ctx context.Context, sp *lineProc, p string, sides []jSide, rows, slices, parts string) {
	for _, sd := range sides {
		var before map[string]float64
		var err error
		if sd.name == peerEmrfsd {
			if before, err = s.daemonS3Requests(ctx); err != nil {
				s.addMeasure(report.Measure{Case: "J1-calls", Provider: p, Metric: sd.name}, err)
				continue
			}
		}
		f, err := sp.call(ctx, 30*time.Minute, "jobstats", sd.uri("jbench/j1-calls"), rows, slices, parts)
		if err == nil && len(f) != 5 {
			err = fmt.Errorf("bench: spark answered %q", f)
		}
		var counters map[string]float64
		if err == nil {
			err = json.Unmarshal([]byte(f[4]), &counters)
		}
		if err != nil {
			s.addMeasure(report.Measure{Case: "J1-calls", Provider: p, Metric: sd.name}, err)
			continue
		}
		switch sd.name {
		case peerEmrfsd:
			after, err := s.daemonS3Requests(ctx)
			m := report.Measure{Case: "J1-calls", Provider: p, Metric: "emrfsd daemon: S3 requests per job", Unit: "requests"}
			if err == nil {
				delta := map[string]float64{}
				for k, v := range after {
					if d := v - before[k]; d != 0 {
						delta[k] = d
					}
				}
				m.Value, m.Note = sumNote(delta)
			}
			s.addMeasure(m, err)
			s.addDFSCalls(p, sd.name, counters)
		case peerMiniDFS:
			s.addDFSCalls(p, sd.name, counters)
		case peerS3A:
			// One counter per kind of S3 request (S3A also keeps
			// store_io_request, their sum, and action_http_* duplicates).
			req := map[string]float64{}
			for k, v := range counters {
				name, ok := strings.CutPrefix(k, "S3AStorageStatistics/")
				if ok && s3aRequestCounters[name] {
					req[name] = v
				}
			}
			m := report.Measure{Case: "J1-calls", Provider: p, Metric: "S3A: S3 requests per job", Unit: "requests"}
			m.Value, m.Note = sumNote(req)
			if len(req) == 0 {
				m.Note = "not seen: Hadoop's global storage statistics hold only the first S3A instance (the plain bucket's)"
			}
			s.addMeasure(m, nil)
		}
	}
}

// s3aRequestCounters are S3A's storage statistics that count S3 requests,
// one kind each.
var s3aRequestCounters = map[string]bool{
	"object_metadata_request": true, "object_list_request": true, "action_http_get_request": true,
	"object_put_request": true, "object_copy_requests": true, "object_delete_request": true,
	"object_bulk_delete_request": true, "object_multipart_initiated": true, "multipart_upload_part_put": true,
	"object_multipart_aborted": true,
}

// addDFSCalls reports DFSClient's NameNode operations (DFSOpsCountStatistics).
func (s *suite) addDFSCalls(p, side string, counters map[string]float64) {
	ops := map[string]float64{}
	for k, v := range counters {
		if name, ok := strings.CutPrefix(k, "DFSOpsCountStatistics/"); ok {
			ops[name] = v
		}
	}
	m := report.Measure{Case: "J1-calls", Provider: p, Metric: side + ": DFSClient NameNode operations per job", Unit: "ops"}
	m.Value, m.Note = sumNote(ops)
	s.addMeasure(m, nil)
}

// sumNote returns the total of counts and "name n, ..." largest first.
func sumNote(counts map[string]float64) (float64, string) {
	type kv struct {
		k string
		v float64
	}
	var all []kv
	total := 0.0
	for k, v := range counts {
		all = append(all, kv{k, v})
		total += v
	}
	slices.SortFunc(all, func(a, b kv) int {
		if a.v != b.v {
			return cmp.Compare(b.v, a.v)
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(all))
	for i, e := range all {
		parts[i] = fmt.Sprintf("%s %g", e.k, e.v)
	}
	return total, strings.Join(parts, ", ")
}

// daemonS3Requests reads emrfsd_s3_requests_total by operation from the
// main daemon's /metrics.
func (s *suite) daemonS3Requests(ctx context.Context) (map[string]float64, error) {
	if s.d.HTTP == "" {
		return nil, errors.New("bench: the daemon reported no HTTP address")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.d.HTTP+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: daemon metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: daemon metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "emrfsd_s3_requests_total{")
		if !ok {
			continue
		}
		labels, val, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		op := labels
		if _, after, ok := strings.Cut(labels, `operation="`); ok {
			op, _, _ = strings.Cut(after, `"`)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return nil, fmt.Errorf("bench: daemon metrics line %q: %w", sc.Text(), err)
		}
		out[op] += v
	}
	return out, sc.Err()
}

// probeS3ACSE writes a small object through S3A configured for CSE-KMS the
// way S3A documents it (fs.s3a.encryption.algorithm=CSE-KMS and a KMS key)
// and looks at what reached MinIO: the S3 Encryption Client's envelope
// (x-amz-key-v2, x-amz-cek-alg) or plaintext. The answer goes into the
// report as a measurement.
func (s *suite) probeS3ACSE(ctx context.Context) string {
	bucket, key := s.env.Buckets[CSEKMS], "jbench/s3a-cse-probe"
	m := report.Measure{Case: "J-CSE", Provider: CSEKMS, Metric: "S3A 3.4.1 with fs.s3a.encryption.algorithm=CSE-KMS writes an S3 Encryption Client object"}
	defer func() { s.addMeasure(m, nil) }()
	_, err := s.jvm.client.call(ctx, 2*time.Minute, "put", "s3a://"+bucket+"/"+key, "4096", "1")
	if err != nil {
		m.Note = "S3A's write failed: " + err.Error()
		return m.Note
	}
	defer func() { _ = s.env.deleteKey(ctx, bucket, key) }()
	h, err := s.env.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		m.Note = "HEAD of S3A's object failed: " + err.Error()
		return m.Note
	}
	if h.Metadata["x-amz-key-v2"] != "" && h.Metadata["x-amz-cek-alg"] != "" {
		m.Value = 1
		m.Note = "S3A wrote an envelope (" + h.Metadata["x-amz-cek-alg"] + ")"
	} else {
		m.Note = fmt.Sprintf("no: the write succeeded but the object is plaintext (%d bytes, user metadata %v): hadoop-aws 3.4.1 accepts CSE-KMS but, on AWS SDK v2, builds no encryption client (CSE on SDK v2 came after 3.4.1, HADOOP-18708), so there is no S3A CSE-KMS side to compare", aws.ToInt64(h.ContentLength), h.Metadata)
	}
	return m.Note
}

func jNotes(z Sizes) []string {
	return []string{
		"Peer rows (JW1, JR1, JS1, JL1, JRN, J1*): the baseline column names the peer, the ratio is emrfsd/peer per repetition. emrfsd and MiniDFS are reached through hdfs:// (DistributedFileSystem), S3A through s3a:// to the same MinIO and the same buckets, all three from one JVM client process (emrfsd.jbench.JBench, Hadoop 3.4.1 client jars, default JIT) running the same code; the sides rotate (repetition i starts with side i mod n); the JVM times each call itself (System.nanoTime), so process plumbing is not in the figures.",
		"S3A: hadoop-aws 3.4.1 with the AWS SDK v2 bundle it depends on (Maven), S3A defaults (fs.s3a.fast.upload.buffer=disk, fs.s3a.multipart.size=64M, 4 active blocks) except endpoint, path-style access and no TLS; SSE-KMS rows set fs.s3a.bucket.B.encryption.algorithm=SSE-KMS with MinIO's key, as emrfsd's daemon sends it.",
		"MiniDFS: hadoop-client-minicluster 3.4.1's MiniDFSCluster, one NameNode and one DataNode on local disk (page cache), in its own JVM, dfs.replication=1; plain rows only (HDFS has no SSE-KMS/CSE-KMS).",
		fmt.Sprintf("J1: PySpark 4.0.1 local[2] (one process for all sides, driver 1 GiB), spark.range(%d) in %d input partitions → Parquet partitioned by %d values (so %d files) with the default committer (FileOutputCommitter), then a full read (count and sum per partition) and a filtered read (part = 1 AND v >= 500, count); every count is checked; the table is deleted after each job (not timed); one small untimed job per side first. J1 is the sum of the three phases; goal ≤ 1.0× S3A's time.", z.SparkRows, z.SparkSlices, z.SparkParts, z.SparkSlices*z.SparkParts),
		fmt.Sprintf("Peer sizes (%s): %d MiB file, %d × %d KiB small files, %d repetitions per side (J1: %d).", z.Mode, z.JBigFile/MiB, z.JSmallFiles, z.SmallFile>>10, z.JReps, z.SparkReps),
	}
}
