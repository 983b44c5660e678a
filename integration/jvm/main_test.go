// Package jvm is the JVM test tier: the real Apache Hadoop 3.4.1 Java client
// (FsShell and the FileSystem API, in-process) and PySpark 4.0.1 against one
// emrfsd in S3 mode over MinIO + local-kms, with a plain, an SSE-KMS and a
// CSE-KMS bucket, as the superuser and as other users.
//
// The Java sources (java/) and the PySpark script (spark/) print one
// "CHECK <group>/<name> PASS|FAIL <reason>" line per HDFS behaviour; each
// becomes a subtest here, so `go test -v` lists exactly which behaviours hold.
// The tools come from scripts/jvm.sh (run by scripts/test.sh); a missing
// tool fails the tests, never skips them.
package jvm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/emrfsd/emrfsd/internal/hadoopconf"
	"github.com/emrfsd/emrfsd/internal/jvmtools"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

// Pinned versions, as installed by scripts/jvm.sh.
const (
	hadoopVersion = jvmtools.HadoopVersion
	// secondUser and thirdUser are ordinary (non-super) users; the superuser
	// is the OS user running the daemon.
	secondUser = "alice"
	thirdUser  = "bob"
	// trashMinutes is the daemon's fs.trash.interval.
	trashMinutes = "10"
	// serverBlockSize is the daemon's dfs.blocksize (its default).
	serverBlockSize = "134217728"
)

// dirs are the bucket directories every scenario runs in.
var dirs = []string{"plain", "ssekms", "csekms"}

// fixture is what the package's tests share: one daemon, four buckets, the
// compiled Java sources and the JVM-side tools.
type fixture struct {
	env        *testenv.Env
	d          *daemon
	buckets    map[string]string // dir → bucket
	rootBucket string            // emrfsd.default.bucket
	cseKey     testenv.Key
	hadoopLib  string
	python     string
	classes    string
	sparkPy    string
	tmp        string
	run        string // unique token for paths of this run
	superuser  string
	props      map[string]string // the shared daemon's configuration
}

var (
	fixOnce   sync.Once
	fix       *fixture
	fixErr    error
	cleanups  []func()
	emrfsdBin string
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// getFixture sets the package fixture up on first use; a failed setup fails
// every test that needs it, with the same error.
func getFixture(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() {
		t0 := time.Now()
		fix, fixErr = setup()
		fmt.Fprintf(os.Stderr, "jvm: fixture set up in %.1f s\n", time.Since(t0).Seconds())
	})
	if fixErr != nil {
		t.Fatalf("JVM tier setup failed: %v", fixErr)
	}
	return fix
}

func setup() (*fixture, error) {
	env, err := testenv.Lookup()
	if err != nil {
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	f := &fixture{env: env, buckets: map[string]string{}, superuser: u.Username, run: testenv.Unique("r")[2:]}

	// The JVM-side tools must be there: scripts/jvm.sh installs them.
	tools, err := jvmtools.Locate(filepath.Join("..", "..", "tools"), jvmtools.What{PySpark: true})
	if err != nil {
		return nil, fmt.Errorf("%w (./scripts/test.sh runs scripts/jvm.sh)", err)
	}
	f.hadoopLib, f.python = tools.HadoopLib, tools.Python

	buildDir, err = os.MkdirTemp("", "emrfsd-jvm-")
	if err != nil {
		return nil, err
	}
	f.tmp = buildDir

	// The daemon binary and the Java classes, built once.
	emrfsdBin = filepath.Join(buildDir, "emrfsd")
	if out, err := exec.Command("go", "build", "-o", emrfsdBin, "../../cmd/emrfsd").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building emrfsd: %v\n%s", err, out)
	}
	f.classes = filepath.Join(buildDir, "classes")
	srcs, err := filepath.Glob(filepath.Join("java", "emrfsd", "jvmtest", "*.java"))
	if err != nil || len(srcs) == 0 {
		return nil, fmt.Errorf("no Java sources under java/: %v", err)
	}
	t0 := time.Now()
	if err := jvmtools.Javac(context.Background(), f.classes, filepath.Join(f.hadoopLib, "*"), srcs); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "jvm: javac took %.1f s\n", time.Since(t0).Seconds())
	f.sparkPy, err = filepath.Abs(filepath.Join("spark", "spark_checks.py"))
	if err != nil {
		return nil, err
	}

	// Buckets and the CSE-KMS key.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s3c := env.S3Client()
	mk := func(prefix string) (string, error) {
		name := testenv.Unique(prefix)
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			return "", fmt.Errorf("create bucket %s: %w", name, err)
		}
		cleanups = append(cleanups, func() { removeBucket(s3c, name) })
		return name, nil
	}
	for _, d := range dirs {
		if f.buckets[d], err = mk("jvm-" + d); err != nil {
			return nil, err
		}
	}
	if f.rootBucket, err = mk("jvm-rootbkt"); err != nil {
		return nil, err
	}
	if f.cseKey, err = newKMSKey(ctx, env); err != nil {
		return nil, err
	}

	props := map[string]string{
		"emrfsd.buckets":           "plain=" + f.buckets["plain"] + ",ssekms=" + f.buckets["ssekms"] + ",csekms=" + f.buckets["csekms"],
		"emrfsd.default.bucket":    f.rootBucket,
		"emrfsd.store":             "s3",
		"fs.s3a.path.style.access": "true",
		"dfs.permissions.enabled":  "true",
		"fs.trash.interval":        trashMinutes,
		"fs.s3.bucket." + f.buckets["ssekms"] + ".enableServerSideEncryption":     "true",
		"fs.s3.bucket." + f.buckets["ssekms"] + ".serverSideEncryption.kms.keyId": testenv.MinIOKMSKey,
		"fs.s3.bucket." + f.buckets["csekms"] + ".cse.enabled":                    "true",
		"fs.s3.bucket." + f.buckets["csekms"] + ".cse.kms.keyId":                  f.cseKey.Alias,
	}
	f.props = props
	f.d, err = startDaemon(filepath.Join(buildDir, "data"), props, awsEnv(env))
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() {
		if err := f.d.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "jvm: emrfsd did not stop cleanly: %v\n", err)
		}
	})
	fmt.Fprintf(os.Stderr, "jvm: emrfsd NameNode %s DataNode %s, buckets %v, default bucket %s\n", f.d.nameNode, f.d.dataNode, f.buckets, f.rootBucket)
	return f, nil
}

func newKMSKey(ctx context.Context, e *testenv.Env) (testenv.Key, error) {
	c := e.KMSClient()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		return testenv.Key{}, fmt.Errorf("CreateKey: %w", err)
	}
	alias := "alias/" + testenv.Unique("jvm")
	if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		return testenv.Key{}, fmt.Errorf("CreateAlias: %w", err)
	}
	return testenv.Key{ID: aws.ToString(out.KeyMetadata.KeyId), ARN: aws.ToString(out.KeyMetadata.Arn), Alias: alias}, nil
}

// removeBucket aborts uploads, deletes every object, then the bucket, so a
// run leaves nothing on MinIO's disk. Failures are only reported.
func removeBucket(c *s3.Client, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	up := s3.NewListMultipartUploadsPaginator(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	for up.HasMorePages() {
		page, err := up.NextPage(ctx)
		if err != nil {
			break
		}
		for _, u := range page.Uploads {
			c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
		}
	}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			fmt.Fprintf(os.Stderr, "jvm: list %s: %v\n", bucket, err)
			return
		}
		if len(page.Contents) == 0 {
			continue
		}
		var ids []s3types.ObjectIdentifier
		for _, o := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
			fmt.Fprintf(os.Stderr, "jvm: empty %s: %v\n", bucket, err)
			return
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		fmt.Fprintf(os.Stderr, "jvm: remove bucket %s: %v\n", bucket, err)
	}
}

// ---- the daemon (the approach of integration/daemon_test.go) ----

type daemon struct {
	cmd                *exec.Cmd
	nameNode, dataNode string
	http               string // WebHDFS host:port
	log                *lockedBuf
	exited             chan struct{}
	exitErr            error
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// Since returns what was written from offset on.
func (l *lockedBuf) Since(off int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if off > l.b.Len() {
		off = l.b.Len()
	}
	return string(l.b.Bytes()[off:])
}

func awsEnv(e *testenv.Env) []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + e.S3Endpoint,
		"AWS_ENDPOINT_URL_KMS=" + e.KMSEndpoint,
		"AWS_REGION=" + testenv.Region,
		"AWS_ACCESS_KEY_ID=" + testenv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + testenv.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

func writeConf(path string, props map[string]string) error {
	return hadoopconf.WriteFile(path, props, "")
}

func startDaemon(dataDir string, props map[string]string, env []string) (*daemon, error) {
	p := map[string]string{
		"dfs.namenode.rpc-address":  "127.0.0.1:0",
		"dfs.datanode.address":      "127.0.0.1:0",
		"dfs.namenode.http-address": "127.0.0.1:0",
	}
	for k, v := range props {
		p[k] = v
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dataDir, "emrfsd-site.xml")
	if err := writeConf(conf, p); err != nil {
		return nil, err
	}
	ready := filepath.Join(dataDir, "ready.json")
	cmd := exec.Command(emrfsdBin, "--conf", conf, "--data-dir", dataDir, "--ready-file", ready)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	d := &daemon{cmd: cmd, log: &lockedBuf{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = d.log, d.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { d.exitErr = cmd.Wait(); close(d.exited) }()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case <-d.exited:
			return nil, fmt.Errorf("emrfsd exited before serving (%v):\n%s", d.exitErr, d.log.Since(0))
		case <-deadline:
			cmd.Process.Kill()
			<-d.exited
			return nil, fmt.Errorf("emrfsd did not become ready:\n%s", d.log.Since(0))
		case <-time.After(50 * time.Millisecond):
		}
		raw, err := os.ReadFile(ready)
		if err != nil {
			continue
		}
		var r struct{ NameNode, DataNode, HTTP string }
		if json.Unmarshal(raw, &r) == nil && r.NameNode != "" {
			d.nameNode, d.dataNode, d.http = r.NameNode, r.DataNode, r.HTTP
			return d, nil
		}
	}
}

func (d *daemon) stop() error {
	select {
	case <-d.exited:
		return errors.Join(errors.New("emrfsd had exited"), d.exitErr)
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
		return errors.New("emrfsd did not stop on SIGTERM")
	}
	return d.exitErr
}

func (d *daemon) alive() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}
