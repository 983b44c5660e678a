package integration

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// TestSIGTERMDrains: a write still open when the daemon gets SIGTERM is
// aborted cleanly (no object, no multipart upload left), a finished one is
// intact, and the daemon exits by itself.
func TestSIGTERMDrains(t *testing.T) {
	g := newGateway(t, map[string]string{"emrfsd.shutdown.timeout": "5s"})
	c := hdfsClient(t, g, currentUser(t))
	done := writeStream(t, c, "/csekms/drain/done.bin", 1, 12*mib, 128*mib)
	if err := c.MkdirAll("/plain/drain", 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := c.Create("/plain/drain/open.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, newStream(2, 1<<40), 20*mib); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := g.Stop(); err != nil {
		t.Fatalf("daemon did not exit cleanly on SIGTERM: %v\n%s", err, tail(g.Log.String(), 20))
	}
	t.Logf("daemon drained and exited %.1fs after SIGTERM", time.Since(start).Seconds())
	s3c := g.Env.S3Client()
	ctx := context.Background()
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(g.Buckets["plain"]), Key: aws.String("drain/open.bin")}); err == nil {
		t.Fatal("a half-written file became visible")
	}
	lu, err := s3c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(g.Buckets["plain"])})
	if err != nil || len(lu.Uploads) != 0 {
		t.Fatalf("multipart uploads left after drain: %v %d", err, len(lu.Uploads))
	}
	// The finished file is intact after a restart on the same data dir.
	d2 := StartDaemon(t, g.DataDir, g.Props, awsEnv(g.Env))
	c2 := hdfsClient(t, &Gateway{Daemon: d2}, currentUser(t))
	if got, _ := readDigest(t, c2, "/csekms/drain/done.bin"); !bytes.Equal(got, done) {
		t.Fatal("finished file damaged by the shutdown")
	}
}

// TestKMSCallsPerFile reads the audit log: exactly one GenerateDataKey per
// CSE file written, and one Decrypt for 1,000 positioned reads of one file
// within the key cache's TTL (the wrapped-key cache at work); every record
// names the object and carries the kms_cmk_id context.
func TestKMSCallsPerFile(t *testing.T) {
	g := newGateway(t, nil)
	c := hdfsClient(t, g, currentUser(t))
	const files = 5
	for i := 0; i < files; i++ {
		writeStream(t, c, "/csekms/k1/f"+string(rune('0'+i)), byte(i), 3*mib, 128*mib)
	}
	recs, err := kms.ReadAudit(g.Audit)
	if err != nil {
		t.Fatal(err)
	}
	ops := kms.CountOps(recs)
	if ops["GenerateDataKey"] != files {
		t.Fatalf("GenerateDataKey calls: %d for %d files written (%v)", ops["GenerateDataKey"], files, ops)
	}
	before := ops["Decrypt"]
	r, err := c.Open("/csekms/k1/f0")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for i := 0; i < 1000; i++ {
		off := int64(i*7919) % (3*mib - 4096)
		if _, err := r.ReadAt(buf, off); err != nil {
			t.Fatalf("ReadAt %d: %v", off, err)
		}
	}
	r.Close()
	recs, _ = kms.ReadAudit(g.Audit)
	ops = kms.CountOps(recs)
	if got := ops["Decrypt"] - before; got != 1 {
		t.Fatalf("1,000 positioned reads cost %d Decrypt calls, want 1", got)
	}
	for _, rec := range recs {
		if rec.Op == "DescribeKey" {
			continue
		}
		if rec.Bucket != g.Buckets["csekms"] || rec.Key == "" || rec.Outcome != "ok" || rec.Context["kms_cmk_id"] != g.Key.ARN {
			t.Fatalf("audit record: %+v", rec)
		}
	}
	t.Logf("FIGURE kms-calls: %d files written → %d GenerateDataKey; 1,000 positioned reads → 1 Decrypt", files, files)
	_ = filepath.Join
}

// TestDirMapping: emrfsd.buckets may serve a bucket under a top-level
// directory name that is not a valid bucket name (DIR=BUCKET), and only the
// named buckets appear at the root.
func TestDirMapping(t *testing.T) {
	g := newGateway(t, nil)
	g.Stop()
	e := g.Env
	b := e.NewBucket(t, "it-mapped")
	e.RemoveBucketOnCleanup(t, b)
	d := StartDaemon(t, filepath.Join(t.TempDir(), "map"), map[string]string{
		"emrfsd.buckets":           "_test=" + b,
		"fs.s3a.path.style.access": "true",
	}, awsEnv(e))
	ctx := context.Background()
	me := currentUser(t)
	if out, err := d.hdfsCLI(ctx, me, "mapped\n", "put", "-", "/_test/hello.txt"); err != nil {
		t.Fatalf("put: %v %s", err, out)
	}
	out, err := d.hdfsCLI(ctx, me, "", "ls", "/")
	if err != nil || strings.TrimSpace(out) != "_test" {
		t.Fatalf("ls /: %v %q", err, out)
	}
	got, err := e.S3Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("hello.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	if string(body) != "mapped\n" {
		t.Fatalf("object in bucket %s: %q", b, body)
	}
}

// Issue 10.1: in S3 mode with the audit log outside the data directory,
// the daemon must create its data directory itself (it failed with "open
// .../uploads.journal: no such file or directory": only embedded mode
// created it, and the harness always created it first).
func TestS3ModeCreatesItsDataDir(t *testing.T) {
	e := testenv.Get(t)
	bucket := e.NewBucket(t, "it-datadir")
	e.RemoveBucketOnCleanup(t, bucket)
	base := t.TempDir()
	dataDir := filepath.Join(base, "not", "yet", "there")
	props := map[string]string{
		"emrfsd.buckets":           bucket,
		"fs.s3a.path.style.access": "true",
		"emrfsd.kms.audit.log":     filepath.Join(base, "audit", "kms.log"),
	}
	d, err := startDaemonIn(t, dataDir, base, props, awsEnv(e), true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	if st, err := os.Stat(filepath.Join(dataDir, "uploads.journal")); err != nil || st.IsDir() {
		t.Fatalf("upload journal in the new data dir: %v", err)
	}
	if out, err := d.hdfsCLI(context.Background(), "root", "x", "put", "-", "/"+bucket+"/f"); err != nil {
		t.Fatalf("write after start: %v %s", err, out)
	}
}
