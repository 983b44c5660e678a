package jvm

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadAcrossRestart: a Java client that opened a CSE-KMS file before
// emrfsd restarts reads the rest of it afterwards through the same stream.
// Block ids derive from the block key in the data directory and block
// tokens carry what each block is, so the restarted daemon serves the
// client's blocks (HDFS clients compare refetched block lists: "Blocklist
// has changed" must not happen).
func TestReadAcrossRestart(t *testing.T) {
	f := getFixture(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	props := maps.Clone(f.props)
	d1, err := startDaemon(dataDir, props, awsEnv(f.env))
	if err != nil {
		t.Fatal(err)
	}
	p := fmt.Sprintf("/csekms/jvm-restart-%s/f.bin", f.run)
	cmd := exec.Command("java", "-Xmx256m", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"-cp", f.classes+string(os.PathListSeparator)+filepath.Join(f.hadoopLib, "*"),
		"emrfsd.jvmtest.RestartReader", "hdfs://"+d1.NameNode, p)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HADOOP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	next := func(want string) {
		t.Helper()
		got := make(chan string, 1)
		go func() {
			if lines.Scan() {
				got <- lines.Text()
			} else {
				got <- "<eof>"
			}
		}()
		select {
		case l := <-got:
			if l != want {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("reader printed %q, want %q; its stderr:\n%s\nemrfsd log:\n%s", l, want, tailBytes(stderr.String(), 32<<10), tailBytes(d1.Log.Since(0), 16<<10))
			}
		case <-time.After(5 * time.Minute):
			cmd.Process.Kill()
			t.Fatalf("reader did not print %q", want)
		}
	}
	next("READY")

	// Restart on the same data directory and the same ports.
	if err := d1.Stop(); err != nil {
		t.Fatal(err)
	}
	props["dfs.namenode.rpc-address"] = d1.NameNode
	props["dfs.datanode.address"] = d1.DataNode
	d2, err := startDaemon(dataDir, props, awsEnv(f.env))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Stop()
	io.WriteString(stdin, "GO\n")
	next("OK")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("reader: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "Blocklist") {
		t.Errorf("the client saw its block list change:\n%s", stderr.String())
	}
}
