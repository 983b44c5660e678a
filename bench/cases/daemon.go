package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/procstat"

	"github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// ErrNotServing reports a daemon that exited or never wrote its ready file.
var ErrNotServing = errors.New("bench: emrfsd is not serving")

// KeyCacheTTL is the CSE key cache TTL the benchmark configures, used to
// judge the K1 Decrypt target.
const KeyCacheTTL = 5 * time.Minute

// Daemon is a running emrfsd process started by the benchmark.
type Daemon struct {
	cmd      *exec.Cmd
	NameNode string
	DataNode string
	Pprof    string // net/http/pprof address of the daemon (started with --pprof)
	HTTP     string // host:port of WebHDFS, the status page and /metrics
	DataDir  string
	Audit    string
	log      *syncBuf
	exited   chan struct{}
	exitErr  error
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 { // keep the tail small: the log is only for errors
		s := l.b.String()
		l.b.Reset()
		l.b.WriteString(s[len(s)-(512<<10):])
	}
	return l.b.Write(p)
}

func (l *syncBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemonProps returns the configuration of a benchmark daemon serving the
// env's three buckets.
func (e *Env) daemonProps(dataDir string) map[string]string {
	pb, sb, cb := e.Buckets[Plain], e.Buckets[SSEKMS], e.Buckets[CSEKMS]
	return map[string]string{
		"emrfsd.store":                                           "s3",
		"dfs.namenode.rpc-address":                               "127.0.0.1:0",
		"dfs.datanode.address":                                   "127.0.0.1:0",
		"dfs.namenode.http-address":                              "127.0.0.1:0",
		"emrfsd.buckets":                                         "plain=" + pb + ",ssekms=" + sb + ",csekms=" + cb,
		"fs.s3a.path.style.access":                               "true",
		"emrfsd.kms.audit.log":                                   filepath.Join(dataDir, "kms-audit.log"),
		"dfs.permissions.enabled":                                "false",
		"fs.s3a.multipart.size":                                  "8m",
		"fs.s3a.fast.upload.active.blocks":                       "4",
		"emrfsd.cse.keycache.ttl":                                strconv.Itoa(int(KeyCacheTTL.Milliseconds())),
		"fs.s3.bucket." + sb + ".enableServerSideEncryption":     "true",
		"fs.s3.bucket." + sb + ".serverSideEncryption.kms.keyId": testenv.MinIOKMSKey,
		"fs.s3.bucket." + cb + ".cse.enabled":                    "true",
		"fs.s3.bucket." + cb + ".cse.kms.keyId":                  e.Alias,
	}
}

func writeConf(path string, props map[string]string) error {
	return hadoopconf.WriteFile(path, props, "")
}

// StartDaemon starts the emrfsd binary in a fresh data directory under
// parent, pointing its AWS SDK at s3Endpoint (MinIO or a proxy) and the
// env's KMS, and waits for its ready file.
func (e *Env) StartDaemon(ctx context.Context, binary, parent, s3Endpoint string) (*Daemon, error) {
	dataDir, err := os.MkdirTemp(parent, "emrfsd-")
	if err != nil {
		return nil, err
	}
	props := e.daemonProps(dataDir)
	conf := filepath.Join(dataDir, "emrfsd-site.xml")
	if err := writeConf(conf, props); err != nil {
		return nil, err
	}
	ready := filepath.Join(dataDir, "ready.json")
	cmd := exec.Command(binary, "--conf", conf, "--data-dir", dataDir, "--ready-file", ready, "--pprof", "127.0.0.1:0")
	cmd.Env = append(os.Environ(),
		"AWS_ENDPOINT_URL_S3="+s3Endpoint,
		"AWS_ENDPOINT_URL_KMS="+e.KMSEndpoint,
		"AWS_REGION="+testenv.Region,
		"AWS_ACCESS_KEY_ID="+testenv.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+testenv.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	d := &Daemon{cmd: cmd, DataDir: dataDir, Audit: props["emrfsd.kms.audit.log"], log: &syncBuf{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = d.log, d.log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start emrfsd: %w", err)
	}
	go func() { d.exitErr = cmd.Wait(); close(d.exited) }()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-d.exited:
			return nil, fmt.Errorf("%w: exited before serving (%v):\n%s", ErrNotServing, d.exitErr, tail(d.log.String()))
		case <-deadline.C:
			d.kill()
			return nil, fmt.Errorf("%w: no ready file after 60s:\n%s", ErrNotServing, tail(d.log.String()))
		case <-ctx.Done():
			d.kill()
			return nil, ctx.Err()
		case <-tick.C:
		}
		raw, err := os.ReadFile(ready)
		if err != nil {
			continue
		}
		var r struct{ NameNode, DataNode, Pprof, HTTP string }
		if json.Unmarshal(raw, &r) == nil && r.NameNode != "" {
			d.NameNode, d.DataNode, d.Pprof, d.HTTP = r.NameNode, r.DataNode, r.Pprof, r.HTTP
			return d, nil
		}
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func (d *Daemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
}

// Stop sends SIGTERM, waits for the exit and removes the data directory.
func (d *Daemon) Stop() error {
	defer os.RemoveAll(d.DataDir)
	select {
	case <-d.exited:
		return fmt.Errorf("%w: emrfsd had exited (%v):\n%s", ErrNotServing, d.exitErr, tail(d.log.String()))
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		return nil
	case <-time.After(30 * time.Second):
		d.kill()
		return errors.New("bench: emrfsd did not stop on SIGTERM")
	}
}

// Log returns the tail of the daemon's output.
func (d *Daemon) Log() string { return tail(d.log.String()) }

// PeakRSS returns the daemon's peak resident set (VmHWM) in bytes.
func (d *Daemon) PeakRSS() (int64, error) { return procstat.Field(d.cmd.Process.Pid, "VmHWM") }

// CPU returns the user+system CPU time the daemon has used so far.
func (d *Daemon) CPU() (time.Duration, error) {
	u, s, err := procstat.CPU(d.cmd.Process.Pid)
	return u + s, err
}

// ResetPeakRSS resets VmHWM to the current RSS (writing 5 to clear_refs), so
// the next PeakRSS covers only what follows.
func (d *Daemon) ResetPeakRSS() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", d.cmd.Process.Pid), []byte("5"), 0)
}

// Client returns a new HDFS client connected to the daemon.
func (d *Daemon) Client() (*hdfs.Client, error) {
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{d.NameNode}, User: u.Username})
	if err != nil {
		return nil, fmt.Errorf("bench: hdfs client: %w", err)
	}
	return c, nil
}
