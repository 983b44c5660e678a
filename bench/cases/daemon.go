package cases

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emrfsd/emrfsd/internal/procstat"
	"github.com/emrfsd/emrfsd/internal/testdaemon"

	"github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// ErrNotServing reports a daemon that exited or never wrote its ready file.
var ErrNotServing = errors.New("bench: emrfsd is not serving")

// KeyCacheTTL is the CSE key cache TTL the benchmark configures, used to
// judge the K1 Decrypt target.
const KeyCacheTTL = 5 * time.Minute

// Daemon is a running emrfsd process started by the benchmark
// (testdaemon.Daemon: NameNode, DataNode, HTTP and Pprof are its
// listeners) and its KMS audit log.
type Daemon struct {
	*testdaemon.Daemon
	Audit string
}

// syncBuf collects a child process's output; safe for concurrent use.
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

// StartDaemon starts the emrfsd binary in a fresh data directory under
// parent, pointing its AWS SDK at s3Endpoint (MinIO or a proxy) and the
// env's KMS, and waits for its ready file.
func (e *Env) StartDaemon(ctx context.Context, binary, parent, s3Endpoint string) (*Daemon, error) {
	dataDir, err := os.MkdirTemp(parent, "emrfsd-")
	if err != nil {
		return nil, err
	}
	props := e.daemonProps(dataDir)
	env := testdaemon.AWSEnv(&testenv.Env{S3Endpoint: s3Endpoint, KMSEndpoint: e.KMSEndpoint})
	d, err := testdaemon.StartContext(ctx, testdaemon.Config{Bin: binary, DataDir: dataDir, Props: props, Env: env,
		Args: []string{"--pprof", "127.0.0.1:0"}, LogLimit: 512 << 10})
	if err != nil {
		os.RemoveAll(dataDir)
		return nil, fmt.Errorf("%w: %v", ErrNotServing, err)
	}
	return &Daemon{Daemon: d, Audit: props["emrfsd.kms.audit.log"]}, nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// Stop sends SIGTERM, waits for the exit and removes the data directory. A
// daemon that had already exited is an error: the benchmark never stops
// one on purpose.
func (d *Daemon) Stop() error {
	defer os.RemoveAll(d.DataDir)
	if d.Exited() {
		return fmt.Errorf("%w: emrfsd had exited (%v):\n%s", ErrNotServing, d.ExitErr(), tail(d.Daemon.Log.String()))
	}
	return d.Daemon.Stop()
}

// Log returns the tail of the daemon's output.
func (d *Daemon) Log() string { return tail(d.Daemon.Log.String()) }

// CPU returns the user+system CPU time the daemon has used so far.
func (d *Daemon) CPU() (time.Duration, error) {
	u, s, err := procstat.CPU(d.Pid())
	return u + s, err
}

// ResetPeakRSS resets VmHWM to the current RSS (writing 5 to clear_refs), so
// the next PeakRSS covers only what follows.
func (d *Daemon) ResetPeakRSS() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", d.Pid()), []byte("5"), 0)
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
