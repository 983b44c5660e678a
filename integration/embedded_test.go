package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEmbeddedDefault: with no configuration and no AWS settings at all,
// emrfsd serves an embedded store and KMS from its data dir with one plain
// and one cse-kms bucket; data and keys survive a restart, and the stored
// bytes of the encrypted bucket are ciphertext.
func TestEmbeddedDefault(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "emrfsd-data")
	d, err := startDaemonArgs(t, dataDir, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{Daemon: d}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	me := currentUser(t)
	marker := "EMBEDDED-PLAINTEXT-MARKER-91ab\n"
	payload := strings.Repeat(marker, 1000)
	for _, dir := range []string{"plain", "encrypted"} {
		if out, err := d.hdfsCLI(ctx, me, payload, "put", "-", "/"+dir+"/hello.txt"); err != nil {
			t.Fatalf("put into /%s: %v\n%s\n%s", dir, err, out, tail(d.Log.String(), 30))
		}
	}
	out, err := d.hdfsCLI(ctx, me, "", "ls", "/")
	if err != nil || !strings.Contains(out, "plain") || !strings.Contains(out, "encrypted") {
		t.Fatalf("ls /: %v %q", err, out)
	}
	if err := d.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	// The encrypted bucket's stored bytes never contain the plaintext; the
	// plain bucket's do (so the scan can find it).
	store := filepath.Join(dataDir, "store")
	foundIn := map[string]bool{}
	filepath.Walk(store, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(marker)) {
				rel, _ := filepath.Rel(store, p)
				foundIn[strings.Split(rel, string(filepath.Separator))[1]] = true
			}
		}
		return nil
	})
	if !foundIn["plain"] || foundIn["encrypted"] {
		t.Fatalf("at-rest scan: marker found in %v (want plain only)", foundIn)
	}
	// Restart on the same data dir: both files read back.
	d2, err := startDaemonArgs(t, dataDir, nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Stop()
	for _, dir := range []string{"plain", "encrypted"} {
		out, err := d2.hdfsCLI(ctx, me, "", "cat", "/"+dir+"/hello.txt")
		if err != nil || out != payload {
			t.Fatalf("after restart, /%s/hello.txt: %v (%d bytes)\n%s", dir, err, len(out), tail(d2.Log.String(), 30))
		}
	}
	_ = g
}

// TestCheckCommand: `emrfsd check` accepts a good configuration and refuses
// a bad one, naming the file and the property as written there.
func TestCheckCommand(t *testing.T) {
	g := newGateway(t, nil)
	g.Stop()
	dir := t.TempDir()
	good := filepath.Join(dir, "good-site.xml")
	writeConf(t, good, map[string]string{
		"fs.s3a.path.style.access":                               "true",
		"fs.s3.bucket." + g.Buckets["csekms"] + ".cse.enabled":   "true",
		"fs.s3.bucket." + g.Buckets["csekms"] + ".cse.kms.keyId": g.Key.Alias,
		"emrfsd.buckets": g.Buckets["csekms"],
		"fs.s3.bucket." + g.Buckets["plain"] + ".cse.kms.keyId": g.Key.Alias,
		"fs.s3.bucket." + g.Buckets["plain"] + ".cse.enabled":   "false",
	})
	run := func(files ...string) (string, error) {
		args := []string{"check"}
		for _, f := range files {
			args = append(args, "--conf", f)
		}
		cmd := exec.Command(emrfsdBin, args...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, awsEnv(g.Env)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(good); err != nil {
		t.Fatalf("check of a good config failed: %v\n%s", err, out)
	}
	for name, c := range map[string]struct {
		props map[string]string
		want  []string
	}{
		"aws-managed key for CSE": {map[string]string{"fs.s3.bucket.logs.cse.enabled": "true", "fs.s3.bucket.logs.cse.kms.keyId": "alias/aws/s3"},
			[]string{"bad-site.xml", "fs.s3.bucket.logs.cse.kms.keyId"}},
		"missing key": {map[string]string{"fs.s3.bucket.logs.cse.enabled": "true", "fs.s3.bucket.logs.cse.kms.keyId": "alias/does-not-exist"},
			[]string{"bad-site.xml", "fs.s3.bucket.logs.cse.kms.keyId"}},
		"unknown algorithm": {map[string]string{"fs.s3a.bucket.logs.encryption.algorithm": "ROT13"},
			[]string{"bad-site.xml", "fs.s3a.bucket.logs.encryption.algorithm"}},
		"sse and cse": {map[string]string{"fs.s3.bucket.logs.cse.enabled": "true", "fs.s3.bucket.logs.cse.kms.keyId": g.Key.Alias, "fs.s3.bucket.logs.enableServerSideEncryption": "true"},
			[]string{"bad-site.xml", "fs.s3.bucket.logs."}},
	} {
		bad := filepath.Join(dir, "bad-site.xml")
		writeConf(t, bad, c.props)
		out, err := run(good, bad)
		if err == nil {
			t.Errorf("%s: check accepted it:\n%s", name, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output does not name %q:\n%s", name, w, out)
			}
		}
	}
	// An XML syntax error names the file and line.
	broken := filepath.Join(dir, "broken-site.xml")
	os.WriteFile(broken, []byte("<configuration>\n<property><name>a</name>\n<value>b</valu>\n</property></configuration>\n"), 0o600)
	out, err := run(broken)
	if err == nil || !strings.Contains(out, "broken-site.xml") || !strings.Contains(out, "broken-site.xml:3:") {
		t.Fatalf("syntax error report: %v\n%s", err, out)
	}
}
