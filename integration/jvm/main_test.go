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
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/internal/jvmtools"
	"github.com/emrfsd/emrfsd/internal/testdaemon"
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
	bin, removeBin, err := testdaemon.Build("emrfsd-jvm-bin-")
	if err != nil {
		return nil, err
	}
	emrfsdBin = bin
	cleanups = append(cleanups, removeBin)
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
	if f.cseKey, err = env.CreateKMSKey(ctx, "jvm"); err != nil {
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
		if err := f.d.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "jvm: emrfsd did not stop cleanly: %v\n", err)
		}
	})
	fmt.Fprintf(os.Stderr, "jvm: emrfsd NameNode %s DataNode %s, buckets %v, default bucket %s\n", f.d.NameNode, f.d.DataNode, f.buckets, f.rootBucket)
	return f, nil
}

// removeBucket empties and removes a bucket, so a run leaves nothing on
// MinIO's disk. Failures are only reported.
func removeBucket(c *s3.Client, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := testenv.RemoveBucket(ctx, c, bucket); err != nil {
		fmt.Fprintf(os.Stderr, "jvm: remove bucket %s: %v\n", bucket, err)
	}
}

// ---- the daemon ----

// daemon is a running emrfsd.
type daemon = testdaemon.Daemon

func awsEnv(e *testenv.Env) []string { return testdaemon.AWSEnv(e) }

func startDaemon(dataDir string, props map[string]string, env []string) (*daemon, error) {
	return testdaemon.Start(testdaemon.Config{Bin: emrfsdBin, DataDir: dataDir, Props: props, Env: env})
}
