package jvm

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/jvmtools"
)

// TestShell runs `hadoop fs` (FsShell in-process) in every bucket as the
// superuser, then checks at rest that no CSE-KMS plaintext reached any bucket.
func TestShell(t *testing.T) {
	f := getFixture(t)
	f.runJava(t, "shell", 12*time.Minute)
	t.Run("at-rest", func(t *testing.T) { f.checkTrashAtRest(t) })
}

// TestFileSystemAPI runs the FileSystem API checks in every bucket as the
// superuser.
func TestFileSystemAPI(t *testing.T) {
	f := getFixture(t)
	f.runJava(t, "api", 12*time.Minute)
}

// TestUsers runs the permission checks between the superuser and two other
// users, bucket roots, /user, /tmp and trash.
func TestUsers(t *testing.T) {
	f := getFixture(t)
	f.runJava(t, "users", 12*time.Minute)
}

// TestWebHDFS runs Hadoop's webhdfs:// FileSystem against emrfsd's WebHDFS
// in every bucket, as the superuser and a second user, cross-checked with
// hdfs:// on the same daemon.
func TestWebHDFS(t *testing.T) {
	f := getFixture(t)
	f.runJava(t, "webhdfs", 12*time.Minute)
}

// TestLongOperations checks that operations that take long over S3 stay
// inside the Java client's timeouts: a rename of a directory of 2,000 files
// (one RPC; the client gives up after ipc.client.rpc-timeout.ms, 120 s) and
// the close of a 2 GiB CSE-KMS file.
func TestLongOperations(t *testing.T) {
	f := getFixture(t)
	f.runJava(t, "long", 20*time.Minute)
}

// TestSpark runs PySpark jobs as the superuser and then as a second user,
// and checks the part files' encryption directly in MinIO.
func TestSpark(t *testing.T) {
	f := getFixture(t)
	warehouse := t.TempDir()
	args := []string{
		"--nn", "hdfs://" + f.d.NameNode, "--buckets", strings.Join(dirs, ","), "--run", f.run,
		"--user", secondUser, "--superuser", f.superuser, "--warehouse", warehouse,
	}
	env := sparkEnv()
	t.Run("superuser", func(t *testing.T) {
		f.runChecks(t, "spark-root", 15*time.Minute, env, f.python, append([]string{f.sparkPy, "--role", "root"}, args...)...)
	})
	t.Run("second-user", func(t *testing.T) {
		f.runChecks(t, "spark-second", 10*time.Minute, append(env, "HADOOP_USER_NAME="+secondUser), f.python, append([]string{f.sparkPy, "--role", "second"}, args...)...)
	})
	t.Run("at-rest", func(t *testing.T) { f.checkSparkAtRest(t) })
}

// sparkEnv is the environment of a PySpark process: the test's own, without
// settings that would point Spark or Hadoop elsewhere.
func sparkEnv() []string { return jvmtools.CleanEnv() }

// runJava runs one scenario group of the Java runner in one JVM.
func (f *fixture) runJava(t *testing.T, group string, timeout time.Duration) {
	t.Helper()
	local := filepath.Join(f.tmp, "local-"+group)
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Demrfsd.nn=hdfs://" + f.d.NameNode,
		"-Demrfsd.datanode=" + f.d.DataNode,
		"-Demrfsd.buckets=" + strings.Join(dirs, ","),
		"-Demrfsd.superuser=" + f.superuser,
		"-Demrfsd.user=" + secondUser,
		"-Demrfsd.user2=" + thirdUser,
		"-Demrfsd.trash.minutes=" + trashMinutes,
		"-Demrfsd.server.blocksize=" + serverBlockSize,
		"-Demrfsd.local.tmp=" + local,
		"-Demrfsd.run=" + f.run,
		"-Demrfsd.only=" + os.Getenv("EMRFSD_JVM_ONLY"),
		"-Demrfsd.webhdfs=webhdfs://" + f.d.HTTP,
		"-Demrfsd.check.timeout=" + map[bool]string{true: "900", false: "120"}[group == "long"],
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"-Dorg.slf4j.simpleLogger.cacheOutputStream=true",
		"-cp", f.classes + string(os.PathListSeparator) + filepath.Join(f.hadoopLib, "*"),
		"emrfsd.jvmtest.Runner", group,
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HADOOP_") {
			env = append(env, kv)
		}
	}
	f.runChecks(t, group, timeout, env, "java", args...)
}

// runChecks runs a process that prints CHECK lines (PASS, FAIL, or SKIP with
// its reason) and turns each into a subtest as it arrives. The process's stderr and the daemon's log for the
// run are printed when anything failed; a run that ends without its DONE
// line fails.
func (f *fixture) runChecks(t *testing.T, group string, timeout time.Duration, env []string, name string, args ...string) {
	t.Helper()
	logStart := f.d.Log.Len()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = f.tmp
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrPath := filepath.Join(f.tmp, group+".stderr")
	stderr, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var (
		other  []string
		done   string
		failed int
		seen   = map[string]bool{}
	)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "CHECK "):
			full, verdict, _ := strings.Cut(strings.TrimPrefix(line, "CHECK "), " ")
			sub, ok := strings.CutPrefix(full, group+"/")
			if !ok || seen[sub] {
				t.Errorf("malformed or repeated check line %q", line)
				continue
			}
			seen[sub] = true
			status, reason, _ := strings.Cut(verdict, " ")
			if !t.Run(sub, func(t *testing.T) {
				switch status {
				case "PASS":
					if reason != "" {
						t.Log(reason)
					}
				case "FAIL":
					t.Error(reason)
				case "SKIP":
					t.Skip(reason)
				default:
					t.Errorf("unknown verdict %q", verdict)
				}
			}) {
				failed++
			}
		case strings.HasPrefix(line, "DONE "):
			done = line
		default:
			other = append(other, line)
		}
	}
	waitErr := cmd.Wait()
	elapsed := time.Since(t0)
	t.Logf("%s: %d checks, %d failed, %.1f s wall (%s)", group, len(seen), failed, elapsed.Seconds(), done)
	if len(other) > 0 {
		t.Logf("%s: other output:\n%s", group, strings.Join(other, "\n"))
	}
	if done == "" || waitErr != nil || len(seen) == 0 {
		t.Errorf("%s did not finish cleanly (exit: %v, context: %v, %d checks, DONE line %q)", group, waitErr, ctx.Err(), len(seen), done)
	}
	if f.d.Exited() {
		t.Errorf("emrfsd exited during %s: %v", group, f.d.ExitErr())
	}
	if t.Failed() {
		f.printLogs(t, group, stderrPath, logStart)
	}
}

// printLogs prints the end of a scenario process's stderr and the daemon's
// log written while it ran (both bounded: each check's part of the
// process log starts with "=== CHECK").
func (f *fixture) printLogs(t *testing.T, group, stderrPath string, logStart int) {
	t.Helper()
	const max = 200 << 10
	if raw, err := os.ReadFile(stderrPath); err == nil {
		t.Logf("%s: process stderr (%d bytes):\n%s", group, len(raw), tailBytes(string(raw), max))
	}
	log := f.d.Log.Since(logStart)
	t.Logf("%s: emrfsd log while it ran (%d bytes):\n%s", group, len(log), tailBytes(log, max))
}

func tailBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := s[len(s)-n:]
	if i := strings.IndexByte(cut, '\n'); i >= 0 {
		cut = cut[i+1:]
	}
	return fmt.Sprintf("[... %d earlier bytes omitted ...]\n%s", len(s)-len(cut), cut)
}
