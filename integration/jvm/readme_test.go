package jvm

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeSection returns the fenced blocks (language, body) of the README
// section headed heading, in order.
func readmeSection(t *testing.T, heading string) [][2]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", heading)
	}
	s = s[i+len(heading)+2:]
	if j := strings.Index(s, "\n#"); j >= 0 {
		s = s[:j]
	}
	var blocks [][2]string
	for {
		a := strings.Index(s, "```")
		if a < 0 {
			return blocks
		}
		nl := strings.IndexByte(s[a:], '\n')
		lang := s[a+3 : a+nl]
		rest := s[a+nl+1:]
		b := strings.Index(rest, "```")
		if b < 0 {
			t.Fatal("unterminated code block in README")
		}
		blocks = append(blocks, [2]string{lang, rest[:b]})
		s = rest[b+3:]
	}
}

// TestREADMEQuickStart runs the README's "With Hadoop and Spark" commands
// as written (hadoop fs through FsShell from the pinned jars, the PySpark
// snippet through the pinned PySpark) against the embedded default, and
// checks what they print.
func TestREADMEQuickStart(t *testing.T) {
	blocks := readmeSection(t, "### With Hadoop and Spark")
	if len(blocks) < 4 || blocks[0][0] != "sh" || blocks[1][0] != "sh" || blocks[2][0] != "python" {
		t.Fatalf("README section has blocks %v, want sh (hadoop fs), sh (pyspark), python, output", blocks)
	}
	f := getFixture(t) // the tools checked, the emrfsd binary built
	hadoopLib, python := f.hadoopLib, f.python

	// The embedded default, as `go run ./cmd/emrfsd` starts it, on free
	// loopback ports.
	data := t.TempDir()
	ready := filepath.Join(data, "ready.json")
	cmd := exec.Command(emrfsdBin, "--data-dir", data, "--ready-file", ready,
		"-D", "dfs.namenode.rpc-address=127.0.0.1:0", "-D", "dfs.datanode.address=127.0.0.1:0", "-D", "dfs.namenode.http-address=127.0.0.1:0")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HADOOP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	logPath := filepath.Join(data, "emrfsd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			raw, _ := os.ReadFile(logPath)
			t.Logf("emrfsd log:\n%s", tailBytes(string(raw), 64<<10))
		}
	})
	var addrs struct{ NameNode string }
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if raw, err := os.ReadFile(ready); err == nil && json.Unmarshal(raw, &addrs) == nil && addrs.NameNode != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("embedded emrfsd did not become ready")
		}
	}
	fix := func(s string) string { return strings.ReplaceAll(s, "127.0.0.1:8020", addrs.NameNode) }

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HADOOP_") {
			env = append(env, kv)
		}
	}
	outputs := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(blocks[0][1]))
	for sc.Scan() {
		args, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "hadoop fs ")
		if !ok {
			t.Fatalf("unexpected line in the hadoop fs block: %q", sc.Text())
		}
		// What the README says stands for `hadoop fs` without a Hadoop
		// distribution: the jars and the client conf dir from jvm.sh.
		cp := filepath.Join(filepath.Dir(hadoopLib), "etc", "hadoop") + string(os.PathListSeparator) + filepath.Join(hadoopLib, "*")
		argv := append([]string{"-Xmx512m", "-cp", cp, "org.apache.hadoop.fs.FsShell"}, strings.Fields(fix(args))...)
		c := exec.Command("java", argv...)
		c.Env = env
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("hadoop fs %s: %v\n%s", args, err, out)
		}
		outputs[strings.Fields(args)[2]] = string(out)
	}
	hosts, _ := os.ReadFile("/etc/hosts")
	if !strings.Contains(outputs["-ls"], "/encrypted/demo/hosts") {
		t.Errorf("hadoop fs -ls printed %q", outputs["-ls"])
	}
	if !strings.Contains(outputs["-cat"], string(hosts)) {
		t.Errorf("hadoop fs -cat printed %q, want /etc/hosts", outputs["-cat"])
	}

	// pyspark --conf K=V ...: the snippet runs in a session with those confs.
	conf := map[string]string{}
	fields := strings.Fields(fix(blocks[1][1]))
	if len(fields) == 0 || fields[0] != "pyspark" {
		t.Fatalf("pyspark block: %q", blocks[1][1])
	}
	for i := 1; i+1 < len(fields); i += 2 {
		if fields[i] != "--conf" {
			t.Fatalf("pyspark block: unexpected %q", fields[i])
		}
		k, v, _ := strings.Cut(fields[i+1], "=")
		conf[k] = v
	}
	script := "from pyspark.sql import SparkSession\nb = SparkSession.builder.master('local[2]').config('spark.ui.enabled', 'false')\n"
	for k, v := range conf {
		script += "b = b.config(" + pyString(k) + ", " + pyString(v) + ")\n"
	}
	script += "spark = b.getOrCreate()\nspark.sparkContext.setLogLevel('ERROR')\n" + blocks[2][1] + "spark.stop()\n"
	c := exec.Command(python, "-c", script)
	c.Env = append(sparkEnv(), "PYSPARK_PYTHON="+python)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("pyspark snippet: %v\n%s\n%s", err, out, tailBytes(stderr.String(), 32<<10))
	}
	if got, want := strings.TrimSpace(string(out)), strings.TrimSpace(blocks[3][1]); got != want {
		t.Errorf("pyspark printed %q, README says %q", got, want)
	}

	// At rest: every part file of the table is an S3 Encryption Client
	// object (the embedded store keeps metadata in a JSON file per object).
	parts := 0
	filepath.WalkDir(filepath.Join(data, "store", "buckets", "encrypted", "objects"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var m struct {
			Key      string            `json:"key"`
			Metadata map[string]string `json:"metadata"`
		}
		if json.Unmarshal(raw, &m) != nil || !strings.HasPrefix(m.Key, "demo/table/part=") || !strings.HasSuffix(m.Key, ".parquet") {
			return nil
		}
		parts++
		if m.Metadata["x-amz-cek-alg"] != "AES/GCM/NoPadding" || m.Metadata["x-amz-key-v2"] == "" {
			t.Errorf("%s is not an S3 Encryption Client object: %v", m.Key, m.Metadata)
		}
		return nil
	})
	if parts < 10 {
		t.Errorf("%d parquet part files found in the encrypted bucket, want at least one per partition (10)", parts)
	}
}

// pyString quotes s as a Python string literal.
func pyString(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}
