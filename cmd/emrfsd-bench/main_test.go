package main

import (
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/bench/cases"
	"github.com/emrfsd/emrfsd/bench/s3ec"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

var emrfsdBin string

func TestMain(m *testing.M) {
	// The P1 case re-executes this binary as the S3 Encryption Client child.
	if len(os.Args) > 1 && (os.Args[1] == s3ec.CmdPut || os.Args[1] == s3ec.CmdGet) {
		if err := s3ec.Main(context.Background(), os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "s3ec child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "emrfsd-bench-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emrfsdBin = filepath.Join(dir, "emrfsd")
	cmd := exec.Command("go", "build", "-o", emrfsdBin, "../emrfsd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "emrfsd-bench test: building emrfsd failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestQuickSuite runs the --quick suite against the test servers and checks
// that every case produced figures, that the table has a row for each and
// that the chart is a PNG. Speed is not asserted.
func TestQuickSuite(t *testing.T) {
	e := testenv.Get(t)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var stdout, stderr strings.Builder
	o, err := run(ctx, []string{"--quick", "--out", out, "--emrfsd", emrfsdBin,
		"--s3-endpoint", e.S3Endpoint, "--kms-endpoint", e.KMSEndpoint,
		"--tools", filepath.Join("..", "..", "tools"), "--jvm-src", filepath.Join("..", "..", "bench", "jvm")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	md, err := os.ReadFile(o.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), string(md)) {
		t.Error("stdout does not contain the table file's content")
	}
	for _, want := range []string{"table: " + o.Markdown, "chart: " + o.Chart} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	z := cases.Quick()
	type rowKey struct{ c, p, peer string }
	want := []rowKey{{"L1", cases.CSEKMS, ""}, {"P1-write", cases.CSEKMS, ""}, {"P1-read", cases.CSEKMS, ""}}
	for _, c := range []string{"W1", "R1", "R2", "S1"} {
		for _, p := range cases.Providers {
			want = append(want, rowKey{c, p, ""})
		}
	}
	// The JVM peer rows: emrfsd against S3A on plain and SSE-KMS, against
	// a MiniDFSCluster on plain.
	for _, c := range []string{"JW1", "JR1", "JS1", "JL1", "JRN", "J1", "J1-write", "J1-read", "J1-filter"} {
		want = append(want, rowKey{c, cases.Plain, "S3A"}, rowKey{c, cases.Plain, "MiniDFS"}, rowKey{c, cases.SSEKMS, "S3A"})
	}
	got := map[rowKey]bool{}
	for _, r := range o.Report.Rows {
		got[rowKey{r.Case, r.Provider, r.Peer}] = true
		reps := z.Reps
		if strings.HasPrefix(r.Case, "J") {
			reps = z.JReps
			if strings.HasPrefix(r.Case, "J1") {
				reps = z.SparkReps
			}
		}
		if r.Err != "" {
			t.Errorf("%s/%s failed: %s", r.Case, r.Provider, r.Err)
			continue
		}
		if len(r.Direct) != reps || len(r.Emrfsd) != reps {
			t.Errorf("%s/%s: %d direct and %d emrfsd figures, want %d each", r.Case, r.Provider, len(r.Direct), len(r.Emrfsd), reps)
		}
		for i := range r.Direct {
			if !(r.Direct[i] > 0) || !(r.Emrfsd[i] > 0) {
				t.Errorf("%s/%s rep %d: non-positive figures %v / %v", r.Case, r.Provider, i, r.Direct[i], r.Emrfsd[i])
			}
		}
	}
	for _, k := range want {
		if !got[k] {
			t.Errorf("no row for %s/%s %s", k.c, k.p, k.peer)
		}
		if !strings.Contains(string(md), fmt.Sprintf("| %s | %s |", k.c, k.p)) {
			t.Errorf("table has no row for %s/%s", k.c, k.p)
		}
	}
	measured := map[string]int{}
	for _, m := range o.Report.Measures {
		measured[m.Case]++
		if m.Err != "" {
			t.Errorf("%s %q failed: %s", m.Case, m.Metric, m.Err)
		}
	}
	for c, n := range map[string]int{"K1": 3, "L1": 3, "P1-write": 3, "P1-read": 3, "M1": 3, "J-CSE": 1, "J1-calls": 7} {
		if measured[c] != n {
			t.Errorf("%d %s measurements, want %d", measured[c], c, n)
		}
	}
	f, err := os.Open(o.Chart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("chart is not a PNG: %v", err)
	}
	if t.Failed() {
		t.Logf("table:\n%s\nlog:\n%s", md, tailString(stderr.String()))
	}
}

func tailString(s string) string {
	if len(s) > 8000 {
		return s[len(s)-8000:]
	}
	return s
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"--s3-endpoint", "", "--kms-endpoint", ""},
		{"--no-such-flag"},
		{"--s3-endpoint", "http://127.0.0.1:1", "--kms-endpoint", "http://127.0.0.1:1", "--emrfsd", "/nonexistent/emrfsd"},
		{"--s3-endpoint", "http://127.0.0.1:1", "--kms-endpoint", "http://127.0.0.1:1", "--emrfsd", emrfsdBin, "--cases", "W1,Z9", "--out", t.TempDir()},
	} {
		if _, err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
