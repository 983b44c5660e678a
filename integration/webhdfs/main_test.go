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
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/testdaemon"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

var emrfsdBin string

func TestMain(m *testing.M) {
	bin, remove, err := testdaemon.Build("emrfsd-webhdfs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration/webhdfs:", err)
		os.Exit(1)
	}
	emrfsdBin = bin
	code := m.Run()
	remove()
	os.Exit(code)
}

// dirs are the bucket directories, one per encryption provider.
var dirs = []string{"plain", "ssekms", "csekms"}

// daemon is a running emrfsd (testdaemon.Daemon: NameNode, HTTP and
// HTTPS are its listeners) and the buckets it serves.
type daemon struct {
	*testdaemon.Daemon
	t       testing.TB
	env     *testenv.Env
	buckets map[string]string // dir → bucket
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
	d := &daemon{t: t, env: e, buckets: map[string]string{}}
	key := e.NewKMSKey(t, "wh")
	for _, dir := range dirs {
		d.buckets[dir] = e.NewBucket(t, "wh-"+dir)
		e.RemoveBucketOnCleanup(t, d.buckets[dir])
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	props := map[string]string{
		"emrfsd.buckets":           "plain=" + d.buckets["plain"] + ",ssekms=" + d.buckets["ssekms"] + ",csekms=" + d.buckets["csekms"],
		"fs.s3a.path.style.access": "true",
		"dfs.permissions.enabled":  "true",
		"fs.s3.bucket." + d.buckets["ssekms"] + ".enableServerSideEncryption":     "true",
		"fs.s3.bucket." + d.buckets["ssekms"] + ".serverSideEncryption.kms.keyId": testenv.MinIOKMSKey,
		"fs.s3.bucket." + d.buckets["csekms"] + ".cse.enabled":                    "true",
		"fs.s3.bucket." + d.buckets["csekms"] + ".cse.kms.keyId":                  key.Alias,
	}
	for k, v := range extra {
		props[k] = v
	}
	td, err := testdaemon.Start(testdaemon.Config{Bin: emrfsdBin, DataDir: dataDir, Props: props, Env: testdaemon.AWSEnv(e)})
	if err != nil {
		t.Fatal(err)
	}
	d.Daemon = td
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("emrfsd did not stop cleanly: %v\n%s", err, d.Log.String())
		}
	})
	if d.HTTP == "" && d.HTTPS == "" {
		t.Fatalf("emrfsd serves no HTTP:\n%s", d.Log.String())
	}
	return d
}

// url is the WebHDFS base URL.
func (d *daemon) url() string { return "http://" + d.HTTP + "/webhdfs/v1" }

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
