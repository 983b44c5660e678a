package testdaemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/procstat"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// Build compiles cmd/emrfsd into a fresh temporary directory and returns
// the binary and a function that removes it. Test binaries call it from
// TestMain, once.
func Build(prefix string) (bin string, remove func(), err error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "emrfsd")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/emrfsd/emrfsd/cmd/emrfsd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building emrfsd: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// AWSEnv points a daemon's standard AWS SDK chain at the test servers.
func AWSEnv(e *testenv.Env) []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + e.S3Endpoint,
		"AWS_ENDPOINT_URL_KMS=" + e.KMSEndpoint,
		"AWS_REGION=" + testenv.Region,
		"AWS_ACCESS_KEY_ID=" + testenv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + testenv.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Config is how to start one daemon.
type Config struct {
	Bin     string // the emrfsd binary (from Build)
	DataDir string // --data-dir; created (0700) unless ConfDir is set
	// ConfDir holds emrfsd-site.xml and ready.json; empty means DataDir.
	// With a separate ConfDir the daemon creates its data directory itself.
	ConfDir string
	// Props is the configuration; the NameNode, DataNode and HTTP listeners
	// default to 127.0.0.1:0 (a free port each).
	Props map[string]string
	// Env is added to the daemon's environment. The test's own AWS_*
	// variables are dropped, so the daemon sees only the AWS settings the
	// test gives it (AWSEnv).
	Env []string
	// NoConf runs the daemon without --conf (the embedded default).
	NoConf bool
	// ReadyTimeout bounds the wait for the ready file (default 60 s).
	ReadyTimeout time.Duration
	// Args are added to the command line (e.g. --pprof 127.0.0.1:0).
	Args []string
	// LogLimit, when positive, keeps only about the last LogLimit bytes of
	// the daemon's output (long benchmark runs); 0 keeps everything.
	LogLimit int
}

// Daemon is a running emrfsd process.
type Daemon struct {
	NameNode string // host:port of the NameNode RPC listener
	DataNode string // host:port of the DataNode listener
	HTTP     string // host:port of the HTTP listener (WebHDFS, /metrics), if served
	HTTPS    string // host:port of the HTTPS listener, if served
	Pprof    string // host:port of net/http/pprof, when started with --pprof
	DataDir  string
	ConfFile string // the configuration written for it (even with NoConf)
	Log      *Log   // its stdout and stderr

	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
}

// Start writes the configuration, starts the daemon and waits until its
// ready file names the listeners. The caller stops it.
func Start(c Config) (*Daemon, error) { return StartContext(context.Background(), c) }

// StartContext is Start whose wait for the ready file ends (killing the
// daemon) when ctx is done.
func StartContext(ctx context.Context, c Config) (*Daemon, error) {
	confDir := c.ConfDir
	if confDir == "" {
		confDir = c.DataDir
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, err
		}
	}
	p := map[string]string{
		"dfs.namenode.rpc-address":  "127.0.0.1:0",
		"dfs.datanode.address":      "127.0.0.1:0",
		"dfs.namenode.http-address": "127.0.0.1:0",
	}
	for k, v := range c.Props {
		p[k] = v
	}
	conf := filepath.Join(confDir, "emrfsd-site.xml")
	if err := hadoopconf.WriteFile(conf, p, ""); err != nil {
		return nil, err
	}
	ready := filepath.Join(confDir, "ready.json")
	os.Remove(ready)
	args := []string{"--conf", conf, "--data-dir", c.DataDir, "--ready-file", ready}
	if c.NoConf {
		args = []string{"--data-dir", c.DataDir, "--ready-file", ready}
	}
	args = append(args, c.Args...)
	cmd := exec.Command(c.Bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, c.Env...)
	d := &Daemon{cmd: cmd, DataDir: c.DataDir, ConfFile: conf, Log: &Log{limit: c.LogLimit}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = d.Log, d.Log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { d.exitErr = cmd.Wait(); close(d.exited) }()
	timeout := c.ReadyTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	deadline := time.After(timeout)
	for {
		select {
		case <-d.exited:
			return nil, fmt.Errorf("emrfsd exited before serving (%v):\n%s", d.exitErr, d.Log.String())
		case <-deadline:
			d.Kill()
			return nil, fmt.Errorf("emrfsd did not become ready in %v:\n%s", timeout, d.Log.String())
		case <-ctx.Done():
			d.Kill()
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		raw, err := os.ReadFile(ready)
		if err != nil {
			continue
		}
		var r struct{ NameNode, DataNode, HTTP, HTTPS, Pprof string }
		if json.Unmarshal(raw, &r) == nil && r.NameNode != "" {
			d.NameNode, d.DataNode, d.HTTP, d.HTTPS, d.Pprof = r.NameNode, r.DataNode, r.HTTP, r.HTTPS, r.Pprof
			return d, nil
		}
	}
}

// HTTPURL is "http://HOST:PORT" of the HTTP listener.
func (d *Daemon) HTTPURL() string { return "http://" + d.HTTP }

// Exited reports whether the process has ended.
func (d *Daemon) Exited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// ExitErr is how the process ended (nil while it runs or after a clean exit).
func (d *Daemon) ExitErr() error {
	if !d.Exited() {
		return nil
	}
	return d.exitErr
}

// Stop sends SIGTERM and waits up to a minute for a clean exit; it returns
// the exit error (nil for a clean exit). Stopping a daemon that has already
// ended returns how it ended.
func (d *Daemon) Stop() error {
	if d.Exited() {
		return d.exitErr
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
		return errors.New("emrfsd did not stop within 60 s of SIGTERM")
	}
	return d.exitErr
}

// Kill sends SIGKILL (a crash) and waits for the process to end.
func (d *Daemon) Kill() {
	d.cmd.Process.Kill()
	<-d.exited
}

// Signal sends sig to the process.
func (d *Daemon) Signal(sig os.Signal) error { return d.cmd.Process.Signal(sig) }

// Pid is the process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// RSS is the current resident set (VmRSS) in bytes.
func (d *Daemon) RSS() (int64, error) { return procstat.Field(d.Pid(), "VmRSS") }

// PeakRSS is the peak resident set (VmHWM) in bytes.
func (d *Daemon) PeakRSS() (int64, error) { return procstat.Field(d.Pid(), "VmHWM") }

// Log collects a daemon's output; safe for concurrent use.
type Log struct {
	mu    sync.Mutex
	b     bytes.Buffer
	limit int // see Config.LogLimit
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit > 0 && l.b.Len()+len(p) > 2*l.limit {
		keep := append([]byte(nil), l.b.Bytes()[max(0, l.b.Len()-l.limit):]...)
		l.b.Reset()
		l.b.Write(keep)
	}
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Log) String() string { return l.Since(0) }

// Len is how many bytes were written so far.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// Since is what was written from offset off on.
func (l *Log) Since(off int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	off = min(max(off, 0), l.b.Len())
	return string(l.b.Bytes()[off:])
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
