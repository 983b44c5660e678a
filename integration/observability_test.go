package integration

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// scrape is one parse of /metrics.
type scrape map[string]*dto.MetricFamily

func (d *Daemon) scrape(t *testing.T) scrape {
	t.Helper()
	if d.HTTP == "" {
		t.Fatal("the daemon reported no HTTP address in its ready file")
	}
	resp, err := http.Get(d.HTTPURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not valid exposition format: %v", err)
	}
	return mfs
}

// sum adds the values (histograms: sample counts) of name's series whose
// labels include the given ones (k, v, k, v, ...).
func (s scrape) sum(name string, labels ...string) float64 {
	var total float64
	mf := s[name]
	if mf == nil {
		return 0
	}
series:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Untyped != nil:
			total += m.GetUntyped().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// values lists name's label values of label.
func (s scrape) values(name, label string) []string {
	var out []string
	if mf := s[name]; mf != nil {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && !contains(out, lp.GetValue()) {
					out = append(out, lp.GetValue())
				}
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMetricsMoveWithCLIOperations runs hdfs CLI operations against the
// real binary over MinIO and local-kms and checks that /metrics moved by
// exactly what they did: bytes per bucket and provider, RPC calls by
// method and outcome, KMS calls (against the audit log), key cache, S3
// requests and their latency histograms, leases and connections back at
// zero. A failed call's request id is in both its exception message and
// the daemon's log line.
func TestMetricsMoveWithCLIOperations(t *testing.T) {
	g := newGateway(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	me := currentUser(t)
	before := g.scrape(t)
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "emrfsd_build_info"} {
		if before[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	sizes := map[string]int{"plain": 100_000, "ssekms": 70_000, "csekms": 123_457}
	data := map[string][]byte{}
	for _, dir := range Dirs {
		data[dir] = randomBytes(t, sizes[dir])
		if out, err := g.hdfsCLI(ctx, me, string(data[dir]), "put", "-", "/"+dir+"/m.bin"); err != nil {
			t.Fatalf("put /%s/m.bin: %v\n%s\n%s", dir, err, out, tail(g.Log.String(), 20))
		}
	}
	for _, dir := range Dirs {
		for range 2 { // the second CSE read is a key-cache hit
			out, err := g.hdfsCLI(ctx, me, "", "cat", "/"+dir+"/m.bin")
			if err != nil || out != string(data[dir]) {
				t.Fatalf("cat /%s/m.bin: %v (%d bytes)", dir, err, len(out))
			}
		}
	}
	// A denied write: another user in a directory only its owner may write.
	if out, err := g.hdfsCLI(ctx, me, "", "mkdir", "-p", "/plain/private"); err != nil {
		t.Fatalf("mkdir: %v %s", err, out)
	}
	if out, err := g.hdfsCLI(ctx, me, "", "chmod", "700", "/plain/private"); err != nil {
		t.Fatalf("chmod: %v %s", err, out)
	}
	if out, err := g.hdfsCLI(ctx, "mallory", "x", "put", "-", "/plain/private/x"); err == nil {
		t.Fatalf("mallory's put succeeded: %s", out)
	}

	// A failed call read through the client library keeps its message:
	// mkdirs below a file is refused with a class the client does not map.
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{g.NameNode}, User: me})
	if err != nil {
		t.Fatal(err)
	}
	err = c.MkdirAll("/plain/m.bin/below", 0o755)
	c.Close()
	var he hdfs.Error
	if !errors.As(err, &he) {
		t.Fatalf("mkdir below a file: %v (%T), want a RemoteException", err, err)
	}
	m := regexp.MustCompile(` \[request_id=([0-9a-f]{16})\]$`).FindStringSubmatch(he.Message())
	if m == nil {
		t.Fatalf("%s: message %q carries no request id", he.Exception(), he.Message())
	}
	// The daemon's stderr reaches g.Log through a pipe: wait for the line.
	var logLine string
	for deadline := time.Now().Add(10 * time.Second); logLine == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(g.Log.String(), "\n") {
			if strings.Contains(l, "request_id="+m[1]) {
				logLine = l
			}
		}
	}
	if !strings.Contains(logLine, "msg=rpc") || !strings.Contains(logLine, "method=mkdirs") || !strings.Contains(logLine, "user="+me) {
		t.Fatalf("no rpc log line for request %s (%s): %q", m[1], he.Message(), logLine)
	}
	t.Logf("failed call: %s: %s\nlog: %s", he.Exception(), he.Message(), logLine)

	// Connections and leases are back to zero once the clients are gone.
	var after scrape
	deadline := time.Now().Add(30 * time.Second)
	for {
		after = g.scrape(t)
		if after.sum("emrfsd_namenode_connections") == 0 && after.sum("emrfsd_datanode_connections") == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections still open: NameNode %v, DataNode %v", after.sum("emrfsd_namenode_connections"), after.sum("emrfsd_datanode_connections"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	delta := func(name string, labels ...string) float64 {
		return after.sum(name, labels...) - before.sum(name, labels...)
	}
	check := func(what string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}

	// Bytes, by bucket and provider.
	providers := map[string]string{"plain": "plain", "ssekms": "sse-kms", "csekms": "cse-kms"}
	for _, dir := range Dirs {
		b := g.Buckets[dir]
		check("written bytes /"+dir, delta("emrfsd_fs_written_bytes_total", "bucket", b, "provider", providers[dir]), float64(sizes[dir]))
		check("read bytes /"+dir, delta("emrfsd_fs_read_bytes_total", "bucket", b, "provider", providers[dir]), float64(2*sizes[dir]))
	}
	check("open files", after.sum("emrfsd_dfs_open_files"), 0)
	check("leases", after.sum("emrfsd_dfs_leases"), 0)

	// RPC: three files created and completed, one call denied, one mkdirs
	// below a file refused; every call timed.
	check("create ok", delta("emrfsd_namenode_rpc_calls_total", "method", "create", "outcome", "ok"), 3)
	check("complete ok", delta("emrfsd_namenode_rpc_calls_total", "method", "complete", "outcome", "ok"), 3)
	check("denied calls", delta("emrfsd_namenode_rpc_calls_total", "outcome", "org.apache.hadoop.security.AccessControlException"), 1)
	check("mkdirs "+he.Exception(), delta("emrfsd_namenode_rpc_calls_total", "method", "mkdirs", "outcome", he.Exception()), 1)
	for _, method := range after.values("emrfsd_namenode_rpc_calls_total", "method") {
		check("latency samples of "+method, after.sum("emrfsd_namenode_rpc_duration_seconds", "method", method),
			after.sum("emrfsd_namenode_rpc_calls_total", "method", method))
	}

	// KMS: one data key for the one CSE file; every call of the daemon's
	// life is in the audit log too, with the same outcome words.
	check("GenerateDataKey ok", delta("emrfsd_kms_requests_total", "operation", "GenerateDataKey", "outcome", "ok"), 1)
	recs, err := kms.ReadAudit(g.Audit)
	if err != nil {
		t.Fatal(err)
	}
	audited := map[[2]string]float64{}
	for _, r := range recs {
		if r.Op != kms.OpLegacyRead {
			audited[[2]string{r.Op, r.Outcome}]++
		}
	}
	for k, n := range audited {
		check(fmt.Sprintf("KMS %s %s vs the audit log", k[0], k[1]), after.sum("emrfsd_kms_requests_total", "operation", k[0], "outcome", k[1]), n)
	}
	check("KMS calls vs audit records", after.sum("emrfsd_kms_requests_total"), float64(len(recs)))

	// Key cache: two CSE reads, one Decrypt (the second is a hit); misses
	// are loads plus joins.
	check("cache loads = KMS Decrypts", delta("emrfsd_keycache_loads_total"), delta("emrfsd_kms_requests_total", "operation", "Decrypt"))
	check("cache misses = loads + joins", delta("emrfsd_keycache_misses_total"), delta("emrfsd_keycache_loads_total")+delta("emrfsd_keycache_singleflight_joins_total"))
	if delta("emrfsd_keycache_hits_total") < 1 || delta("emrfsd_keycache_loads_total") != 1 {
		t.Errorf("key cache: %v hits, %v loads for two reads of one CSE file", delta("emrfsd_keycache_hits_total"), delta("emrfsd_keycache_loads_total"))
	}

	// S3: three small files are three PUTs of data; GETs read them back;
	// no retries against a healthy MinIO; every call timed; errors never
	// exceed calls.
	if delta("emrfsd_s3_requests_total", "operation", "PutObject") < 3 || delta("emrfsd_s3_requests_total", "operation", "GetObject") < 6 {
		t.Errorf("S3 PUTs %v, GETs %v: want at least 3 and 6", delta("emrfsd_s3_requests_total", "operation", "PutObject"), delta("emrfsd_s3_requests_total", "operation", "GetObject"))
	}
	check("S3 retries", after.sum("emrfsd_s3_retries_total"), 0)
	for _, op := range after.values("emrfsd_s3_requests_total", "operation") {
		calls := after.sum("emrfsd_s3_requests_total", "operation", op)
		check("S3 latency samples of "+op, after.sum("emrfsd_s3_request_duration_seconds", "operation", op), calls)
		if e := after.sum("emrfsd_s3_request_errors_total", "operation", op); e > calls {
			t.Errorf("S3 %s: %v errors in %v calls", op, e, calls)
		}
	}
	if t.Failed() {
		t.Logf("daemon log:\n%s", tail(g.Log.String(), 40))
	}
}

// kmsProxy forwards TCP connections to target until stopped.
type kmsProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *kmsProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &kmsProxy{ln: ln}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	})
	t.Cleanup(p.stop)
	return p
}

// stop closes the listener and every forwarded connection: the port then
// refuses connections.
func (p *kmsProxy) stop() {
	p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
}

func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestReadyzNamesKMS: /readyz is 200 while S3 and KMS answer, and 503
// naming KMS (S3 still ok) once the daemon's KMS endpoint stops answering;
// /healthz stays 200.
func TestReadyzNamesKMS(t *testing.T) {
	e := testenv.Get(t)
	proxy := startProxy(t, strings.TrimPrefix(e.KMSEndpoint, "http://"))
	key := e.NewKMSKey(t, "readyz")
	bucket := e.NewBucket(t, "readyz")
	e.RemoveBucketOnCleanup(t, bucket)
	env := []string{}
	for _, kv := range awsEnv(e) {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL_KMS=") {
			kv = "AWS_ENDPOINT_URL_KMS=http://" + proxy.ln.Addr().String()
		}
		env = append(env, kv)
	}
	d := StartDaemon(t, filepath.Join(t.TempDir(), "data"), map[string]string{
		"emrfsd.buckets":                            "enc=" + bucket,
		"fs.s3a.path.style.access":                  "true",
		"fs.s3.bucket." + bucket + ".cse.enabled":   "true",
		"fs.s3.bucket." + bucket + ".cse.kms.keyId": key.Alias,
	}, env)

	code, body := getText(t, d.HTTPURL()+"/readyz")
	if code != http.StatusOK || !strings.HasPrefix(body, "ready\n") || !strings.Contains(body, "kms: ok (DescribeKey "+key.Alias) ||
		!strings.Contains(body, "s3: ok (HeadBucket "+bucket) {
		t.Fatalf("/readyz with KMS up: %d\n%s", code, body)
	}
	proxy.stop()
	// The cached answer lasts 5 s; the next check must fail on KMS alone.
	deadline := time.Now().Add(40 * time.Second)
	for {
		code, body = getText(t, d.HTTPURL()+"/readyz")
		if code == http.StatusServiceUnavailable {
			break
		}
		if code != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("/readyz with KMS down: %d\n%s", code, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !strings.HasPrefix(body, "not ready: kms\n") || !strings.Contains(body, "kms: FAIL (DescribeKey "+key.Alias) ||
		!strings.Contains(body, "s3: ok (HeadBucket "+bucket) {
		t.Fatalf("503 does not name KMS alone:\n%s", body)
	}
	if code, body := getText(t, d.HTTPURL()+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz while KMS is down: %d %q", code, body)
	}
	s := d.scrape(t)
	if failed := s.sum("emrfsd_kms_requests_total", "operation", "DescribeKey") - s.sum("emrfsd_kms_requests_total", "operation", "DescribeKey", "outcome", "ok"); failed < 1 {
		t.Fatalf("no failed DescribeKey counted: %v", s.values("emrfsd_kms_requests_total", "outcome"))
	}
	t.Logf("/readyz with KMS down:\n%s", body)
}
