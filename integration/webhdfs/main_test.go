// Package webhdfs tests WebHDFS against the real emrfsd binary over MinIO
// and local-kms, with real clients: curl (every op, the two-step create
// as WebHDFS.md documents it), Python's HdfsCLI (hdfs==2.7.3 from
// scripts/tools.sh), and the daemon's memory while 4 GiB of CSE data
// streams through CREATE and OPEN. One daemon serves a plain, an SSE-KMS and
// a CSE-KMS bucket; the superuser is the OS user running it, and "alice"
// and "bob" are ordinary users.
//
// java/ holds the scenario for Hadoop's webhdfs:// FileSystem, to be run by
// the JVM test tier (see java/README.md).
package webhdfs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/procstat"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

var emrfsdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "emrfsd-webhdfs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	emrfsdBin = filepath.Join(dir, "emrfsd")
	cmd := exec.Command("go", "build", "-o", emrfsdBin, "../../cmd/emrfsd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "integration/webhdfs: building emrfsd failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// dirs are the bucket directories, one per encryption provider.
var dirs = []string{"plain", "ssekms", "csekms"}

// daemon is a running emrfsd.
type daemon struct {
	t        testing.TB
	cmd      *exec.Cmd
	env      *testenv.Env
	buckets  map[string]string // dir → bucket
	NameNode string
	HTTP     string // host:port of WebHDFS
	HTTPS    string // host:port of WebHDFS over TLS, when served
	log      *logBuf
	exited   chan struct{}
	exitErr  error
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func superuser(t testing.TB) string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

// startDaemon starts emrfsd over three fresh buckets (plain, SSE-KMS with
// MinIO's key, CSE-KMS with a fresh local-kms key) plus extra properties.
func startDaemon(t testing.TB, extra map[string]string) *daemon {
	t.Helper()
	e := testenv.Get(t)
	d := &daemon{t: t, env: e, buckets: map[string]string{}, log: &logBuf{}, exited: make(chan struct{})}
	key := e.NewKMSKey(t, "wh")
	for _, dir := range dirs {
		d.buckets[dir] = e.NewBucket(t, "wh-"+dir)
		e.RemoveBucketOnCleanup(t, d.buckets[dir])
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	props := map[string]string{
		"dfs.namenode.rpc-address":  "127.0.0.1:0",
		"dfs.datanode.address":      "127.0.0.1:0",
		"dfs.namenode.http-address": "127.0.0.1:0",
		"emrfsd.buckets":            "plain=" + d.buckets["plain"] + ",ssekms=" + d.buckets["ssekms"] + ",csekms=" + d.buckets["csekms"],
		"fs.s3a.path.style.access":  "true",
		"dfs.permissions.enabled":   "true",
		"fs.s3.bucket." + d.buckets["ssekms"] + ".enableServerSideEncryption":     "true",
		"fs.s3.bucket." + d.buckets["ssekms"] + ".serverSideEncryption.kms.keyId": testenv.MinIOKMSKey,
		"fs.s3.bucket." + d.buckets["csekms"] + ".cse.enabled":                    "true",
		"fs.s3.bucket." + d.buckets["csekms"] + ".cse.kms.keyId":                  key.Alias,
	}
	for k, v := range extra {
		props[k] = v
	}
	conf := filepath.Join(dataDir, "emrfsd-site.xml")
	if err := hadoopconf.WriteFile(conf, props, ""); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(dataDir, "ready.json")
	d.cmd = exec.Command(emrfsdBin, "--conf", conf, "--data-dir", dataDir, "--ready-file", ready)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			d.cmd.Env = append(d.cmd.Env, kv)
		}
	}
	d.cmd.Env = append(d.cmd.Env,
		"AWS_ENDPOINT_URL_S3="+e.S3Endpoint, "AWS_ENDPOINT_URL_KMS="+e.KMSEndpoint, "AWS_REGION="+testenv.Region,
		"AWS_ACCESS_KEY_ID="+testenv.AccessKey, "AWS_SECRET_ACCESS_KEY="+testenv.SecretKey, "AWS_EC2_METADATA_DISABLED=true")
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exitErr = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("emrfsd did not stop cleanly: %v\n%s", err, d.log.String())
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		select {
		case <-d.exited:
			t.Fatalf("emrfsd exited before serving (%v):\n%s", d.exitErr, d.log.String())
		case <-deadline:
			d.cmd.Process.Kill()
			t.Fatalf("emrfsd did not become ready:\n%s", d.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		raw, err := os.ReadFile(ready)
		if err != nil {
			continue
		}
		var r struct{ NameNode, HTTP, HTTPS string }
		if json.Unmarshal(raw, &r) == nil && r.NameNode != "" {
			if r.HTTP == "" && r.HTTPS == "" {
				t.Fatalf("emrfsd serves no HTTP: %s", raw)
			}
			d.NameNode, d.HTTP, d.HTTPS = r.NameNode, r.HTTP, r.HTTPS
			return d
		}
	}
}

func (d *daemon) stop() error {
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
		return fmt.Errorf("no exit 60 s after SIGTERM")
	}
	return d.exitErr
}

// url is the WebHDFS base URL.
func (d *daemon) url() string { return "http://" + d.HTTP + "/webhdfs/v1" }

func (d *daemon) peakRSS() (int64, error) { return procstat.Field(d.cmd.Process.Pid, "VmHWM") }

// object is what S3 holds for a path of a bucket directory.
type object struct {
	size int64
	sse  string
	meta map[string]string
	body []byte
}

func (d *daemon) object(t testing.TB, dir, key string) object {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := d.env.S3Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.buckets[dir]), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("S3 object %s/%s: %v", dir, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return object{size: aws.ToInt64(out.ContentLength), sse: string(out.ServerSideEncryption), meta: out.Metadata, body: b}
}

// checkAtRest checks that S3 holds plaintext as its bucket's provider
// stores it: the bytes in plain, the bytes with SSE-KMS reported in
// ssekms, an S3 Encryption Client envelope and no plaintext in csekms.
func (d *daemon) checkAtRest(t testing.TB, dir, key string, plaintext []byte) {
	t.Helper()
	o := d.object(t, dir, key)
	switch dir {
	case "plain":
		if string(o.body) != string(plaintext) || o.sse != "" {
			t.Errorf("plain %s: %d bytes stored (SSE %q), want the %d plaintext bytes", key, len(o.body), o.sse, len(plaintext))
		}
	case "ssekms":
		if string(o.body) != string(plaintext) || o.sse != "aws:kms" {
			t.Errorf("ssekms %s: SSE %q, %d bytes", key, o.sse, len(o.body))
		}
	case "csekms":
		probe := plaintext[:min(len(plaintext), 64)]
		if o.size != int64(len(plaintext))+16 || o.meta["x-amz-cek-alg"] != "AES/GCM/NoPadding" || o.meta["x-amz-wrap-alg"] == "" ||
			(len(probe) >= 16 && strings.Contains(string(o.body), string(probe))) {
			t.Errorf("csekms %s: %d bytes stored, metadata %v", key, o.size, o.meta)
		}
	}
}

// httpClient shows redirects instead of following them.
var httpClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func headInput(bucket, key string) *s3.HeadObjectInput {
	return &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
}
