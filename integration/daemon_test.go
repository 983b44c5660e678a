package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/procstat"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// binary is the emrfsd binary built once by TestMain.
var emrfsdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "emrfsd-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emrfsdBin = filepath.Join(dir, "emrfsd")
	cmd := exec.Command("go", "build", "-o", emrfsdBin, "../cmd/emrfsd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: building emrfsd failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Daemon is a running emrfsd process.
type Daemon struct {
	t        testing.TB
	cmd      *exec.Cmd
	NameNode string
	DataNode string
	HTTP     string // "http://HOST:PORT" of /metrics, /healthz, /readyz, /
	DataDir  string
	ConfFile string
	Props    map[string]string // as given to StartDaemon (ports excluded)
	Log      *lockedBuf
	exited   chan struct{}
	exitErr  error
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeConf writes a Hadoop XML configuration file.
func writeConf(t testing.TB, path string, props map[string]string) {
	t.Helper()
	if err := hadoopconf.WriteFile(path, props, ""); err != nil {
		t.Fatal(err)
	}
}

// awsEnv points the daemon's standard AWS SDK chain at the test servers.
func awsEnv(e *testenv.Env) []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + e.S3Endpoint,
		"AWS_ENDPOINT_URL_KMS=" + e.KMSEndpoint,
		"AWS_REGION=" + testenv.Region,
		"AWS_ACCESS_KEY_ID=" + testenv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + testenv.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// StartDaemon starts emrfsd with the given properties (ports default to
// 127.0.0.1:0) and data dir, and waits until it serves.
func StartDaemon(t testing.TB, dataDir string, props map[string]string, env []string) *Daemon {
	t.Helper()
	d, err := startDaemon(t, dataDir, props, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	return d
}

func startDaemon(t testing.TB, dataDir string, props map[string]string, env []string) (*Daemon, error) {
	return startDaemonArgs(t, dataDir, props, env, true)
}

// startDaemonArgs starts emrfsd; withConf=false runs it with no --conf at
// all (the embedded default), only --data-dir and --ready-file. The
// configuration and ready files go in the data directory.
func startDaemonArgs(t testing.TB, dataDir string, props map[string]string, env []string, withConf bool) (*Daemon, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return startDaemonIn(t, dataDir, dataDir, props, env, withConf)
}

// startDaemonIn starts emrfsd with its configuration and ready files in
// confDir, which need not be the data directory (that one the daemon
// creates itself if it is missing).
func startDaemonIn(t testing.TB, dataDir, confDir string, props map[string]string, env []string, withConf bool) (*Daemon, error) {
	p := map[string]string{
		"dfs.namenode.rpc-address":  "127.0.0.1:0",
		"dfs.datanode.address":      "127.0.0.1:0",
		"dfs.namenode.http-address": "127.0.0.1:0",
	}
	for k, v := range props {
		p[k] = v
	}
	conf := filepath.Join(confDir, "emrfsd-site.xml")
	writeConf(t, conf, p)
	ready := filepath.Join(confDir, "ready.json")
	os.Remove(ready)
	args := []string{"--conf", conf, "--data-dir", dataDir, "--ready-file", ready}
	if !withConf {
		args = []string{"--data-dir", dataDir, "--ready-file", ready}
	}
	cmd := exec.Command(emrfsdBin, args...)
	// The daemon sees only the AWS settings a test gives it.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	d := &Daemon{t: t, cmd: cmd, DataDir: dataDir, ConfFile: conf, Props: props, Log: &lockedBuf{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = d.Log, d.Log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { d.exitErr = cmd.Wait(); close(d.exited) }()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case <-d.exited:
			return nil, fmt.Errorf("emrfsd exited before serving (%v):\n%s", d.exitErr, d.Log.String())
		case <-deadline:
			d.Kill()
			return nil, fmt.Errorf("emrfsd did not become ready:\n%s", d.Log.String())
		case <-time.After(50 * time.Millisecond):
		}
		raw, err := os.ReadFile(ready)
		if err != nil {
			continue
		}
		var r struct{ NameNode, DataNode, HTTP string }
		if json.Unmarshal(raw, &r) == nil && r.NameNode != "" {
			d.NameNode, d.DataNode = r.NameNode, r.DataNode
			if r.HTTP != "" {
				d.HTTP = "http://" + r.HTTP
			}
			return d, nil
		}
	}
}

// Stop sends SIGTERM and waits for a clean exit.
func (d *Daemon) Stop() error {
	select {
	case <-d.exited:
		return d.exitErr
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
		return fmt.Errorf("emrfsd did not stop on SIGTERM")
	}
	return d.exitErr
}

// Kill sends SIGKILL (a crash).
func (d *Daemon) Kill() {
	d.cmd.Process.Kill()
	<-d.exited
}

// PeakRSS returns the process's peak resident set (VmHWM) in bytes, read
// from /proc.
func (d *Daemon) PeakRSS() (int64, error) { return procstat.Field(d.cmd.Process.Pid, "VmHWM") }

// RSS returns the current resident set (VmRSS) in bytes.
func (d *Daemon) RSS() (int64, error) { return procstat.Field(d.cmd.Process.Pid, "VmRSS") }

// hdfsCLI runs the colinmarc hdfs CLI against the daemon.
func (d *Daemon) hdfsCLI(ctx context.Context, user string, stdin string, args ...string) (string, error) {
	e := testenv.Get(d.t)
	cmd := exec.CommandContext(ctx, e.Tool(d.t, "hdfs"), args...)
	cmd.Env = append(os.Environ(), "HADOOP_NAMENODE="+d.NameNode, "HADOOP_USER_NAME="+user, "HADOOP_CONF_DIR=")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
