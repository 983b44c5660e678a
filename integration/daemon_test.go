package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/testdaemon"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// emrfsdBin is the emrfsd binary built once by TestMain.
var emrfsdBin string

func TestMain(m *testing.M) {
	bin, remove, err := testdaemon.Build("emrfsd-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	emrfsdBin = bin
	code := m.Run()
	remove()
	os.Exit(code)
}

// Daemon is a running emrfsd process (testdaemon.Daemon) and the
// properties it was started with.
type Daemon struct {
	*testdaemon.Daemon
	t     testing.TB
	Props map[string]string // as given to StartDaemon (ports excluded)
}

// writeConf writes a Hadoop XML configuration file.
func writeConf(t testing.TB, path string, props map[string]string) {
	t.Helper()
	if err := hadoopconf.WriteFile(path, props, ""); err != nil {
		t.Fatal(err)
	}
}

// awsEnv points the daemon's standard AWS SDK chain at the test servers.
func awsEnv(e *testenv.Env) []string { return testdaemon.AWSEnv(e) }

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
	return start(t, testdaemon.Config{DataDir: dataDir, Props: props, Env: env, NoConf: !withConf})
}

// startDaemonIn starts emrfsd with its configuration and ready files in
// confDir, which need not be the data directory (that one the daemon
// creates itself if it is missing).
func startDaemonIn(t testing.TB, dataDir, confDir string, props map[string]string, env []string, withConf bool) (*Daemon, error) {
	return start(t, testdaemon.Config{DataDir: dataDir, ConfDir: confDir, Props: props, Env: env, NoConf: !withConf})
}

func start(t testing.TB, c testdaemon.Config) (*Daemon, error) {
	c.Bin = emrfsdBin
	d, err := testdaemon.Start(c)
	if err != nil {
		return nil, err
	}
	return &Daemon{Daemon: d, t: t, Props: c.Props}, nil
}

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
