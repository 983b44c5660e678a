package webhdfs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// hdfscliVenv is where scripts/tools.sh installs HdfsCLI (pinned by
// scripts/hdfscli-requirements.txt).
const hdfscliVenv = "../../tools/venv-hdfscli"

// TestHdfsCLI runs hdfscli/hdfscli_checks.py: HdfsCLI's API and its
// hdfscli command upload, download, list, stat, rename and delete in every
// bucket, and a second user is refused where HDFS refuses. Each CHECK line
// is a subtest; then the files it kept are checked at rest in S3.
func TestHdfsCLI(t *testing.T) {
	python, err := filepath.Abs(filepath.Join(hdfscliVenv, "bin", "python"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("HdfsCLI is not installed (%v): run scripts/tools.sh (./scripts/test.sh does)", err)
	}
	d := startDaemon(t, nil)
	su := superuser(t)
	run := strings.TrimPrefix(testenv.Unique("r"), "r-")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "hdfscli/hdfscli_checks.py")
	cmd.Env = append(os.Environ(), "WEBHDFS_URL=http://"+d.HTTP, "SUPERUSER="+su, "DIRS="+strings.Join(dirs, ","),
		"RUN="+run, "LOCAL_TMP="+t.TempDir(), "HDFSCLI="+filepath.Join(filepath.Dir(python), "hdfscli"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	checks, done := 0, false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "DONE ") {
			done = true
			continue
		}
		rest, ok := strings.CutPrefix(line, "CHECK ")
		if !ok {
			continue
		}
		name, verdict, _ := strings.Cut(rest, " ")
		checks++
		t.Run(name, func(t *testing.T) {
			if !strings.HasPrefix(verdict, "PASS") {
				t.Error(verdict)
			}
		})
	}
	if err != nil || !done || checks < 30 {
		t.Fatalf("hdfscli_checks.py: %v, %d checks, done=%v\nstdout:\n%s\nstderr:\n%s\ndaemon:\n%s", err, checks, done, out, stderr.String(), d.Log.String())
	}
	if t.Failed() {
		t.Logf("stderr of hdfscli_checks.py:\n%s", stderr.String())
	}
	for _, dir := range dirs {
		want := fmt.Sprintf("emrfsd webhdfs keep %s", dir)
		d.checkAtRest(t, dir, "hc-"+run+"/keep.txt", []byte(want))
	}
}
