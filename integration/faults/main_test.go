// Package faults is the fault tier: it injects crashes, storage and KMS
// outages, a full staging disk, hostile clients and key-material scans
// against the real emrfsd binary, MinIO and local-kms (from
// scripts/services.sh, plus private MinIO processes and in-test proxies it
// starts itself on loopback), with the Go HDFS client in-process and the
// Hadoop Java client from the JVM tier. Every scenario prints "FIGURE"
// lines (faults injected, files checked, bytes lost, recovery time, RSS)
// for the README's "Failure behaviour" section.
//
// EMRFSD_FAULTS_FULL=1 (scripts/test.sh sets it unless it is already set)
// runs the full sizes (a 1 GiB read through a storage outage, 10,000 open
// files); otherwise the reduced sizes each test names in its log.
package faults

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/internal/testdaemon"
	"github.com/emrfsd/emrfsd/internal/testenv"
)

var emrfsdBin string

func TestMain(m *testing.M) {
	bin, remove, err := testdaemon.Build("emrfsd-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	emrfsdBin = bin
	code := m.Run()
	remove()
	os.Exit(code)
}

// full reports whether the full sizes run (EMRFSD_FAULTS_FULL=1).
func full(t testing.TB, what string) bool {
	if os.Getenv("EMRFSD_FAULTS_FULL") == "1" {
		return true
	}
	t.Logf("REDUCED: %s (EMRFSD_FAULTS_FULL=1 runs the full size)", what)
	return false
}

const mib = 1 << 20

// figure logs one line for the README's "Failure behaviour" section.
func figure(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Logf("FIGURE %s: "+format, append([]any{t.Name()}, args...)...)
}

// ---- the daemon ----

// daemon is a running emrfsd (testdaemon.Daemon) with what started it.
type daemon struct {
	*testdaemon.Daemon
	t     testing.TB
	Props map[string]string
	Env   []string
}

// endpoints are what the daemon's AWS SDK chain points at.
type endpoints struct{ S3, KMS string }

func awsEnv(ep endpoints) []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + ep.S3,
		"AWS_ENDPOINT_URL_KMS=" + ep.KMS,
		"AWS_REGION=" + testenv.Region,
		"AWS_ACCESS_KEY_ID=" + testenv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + testenv.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// startDaemon starts emrfsd on loopback ports with props and waits until
// it serves; the daemon is stopped when the test ends.
func startDaemon(t testing.TB, dataDir string, props map[string]string, env []string, extraEnv ...string) *daemon {
	t.Helper()
	d, err := tryStartDaemon(t, dataDir, props, env, extraEnv...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tryStartDaemon(t testing.TB, dataDir string, props map[string]string, env []string, extraEnv ...string) (*daemon, error) {
	td, err := testdaemon.Start(testdaemon.Config{Bin: emrfsdBin, DataDir: dataDir, Props: props,
		Env: append(append([]string(nil), env...), extraEnv...)})
	if err != nil {
		return nil, err
	}
	d := &daemon{Daemon: td, t: t, Props: props, Env: env}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil && !d.Exited() {
			t.Logf("emrfsd stop: %v", err)
		}
		if t.Failed() {
			t.Logf("emrfsd log (last 60 lines):\n%s", tail(d.Log.String(), 60))
		}
	})
	return d, nil
}

// RSS is the current resident set (VmRSS) in bytes; PeakRSS is VmHWM.
func (d *daemon) RSS() int64 {
	v, err := d.Daemon.RSS()
	if err != nil {
		d.t.Fatalf("RSS: %v", err)
	}
	return v
}

func (d *daemon) PeakRSS() int64 {
	v, err := d.Daemon.PeakRSS()
	if err != nil {
		d.t.Fatalf("peak RSS: %v", err)
	}
	return v
}

func (d *daemon) client(t testing.TB) *hdfs.Client {
	t.Helper()
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{d.NameNode}, User: currentUser(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func currentUser(t testing.TB) string {
	u := os.Getenv("USER")
	if u == "" {
		u = "root"
	}
	return u
}

func tail(s string, lines int) string { return testdaemon.Tail(s, lines) }

// ---- a gateway over the three providers ----

// dirs are the top-level directories every gateway serves, one per
// encryption provider.
var dirs = []string{"plain", "ssekms", "csekms"}

type gateway struct {
	*daemon
	Env     *testenv.Env
	EP      endpoints
	S3      *s3.Client // talks to EP.S3 directly
	Buckets map[string]string
	Key     testenv.Key
	Audit   string
	// lastJournal is the upload journal of the last killed run (for
	// failure messages).
	lastJournal string
}

// gatewayProps are the properties of a daemon serving plain, ssekms and
// csekms buckets.
func gatewayProps(b map[string]string, key testenv.Key, audit string) map[string]string {
	return map[string]string{
		"emrfsd.buckets":           "plain=" + b["plain"] + ",ssekms=" + b["ssekms"] + ",csekms=" + b["csekms"],
		"emrfsd.store":             "s3",
		"fs.s3a.path.style.access": "true",
		"emrfsd.kms.audit.log":     audit,
		"fs.s3.bucket." + b["ssekms"] + ".enableServerSideEncryption":     "true",
		"fs.s3.bucket." + b["ssekms"] + ".serverSideEncryption.kms.keyId": testenv.MinIOKMSKey,
		"fs.s3.bucket." + b["csekms"] + ".cse.enabled":                    "true",
		"fs.s3.bucket." + b["csekms"] + ".cse.kms.keyId":                  key.Alias,
	}
}

// newGateway makes three fresh buckets on the shared MinIO (or ep.S3 when
// given), a CSE key, and starts a daemon with extra properties.
func newGateway(t testing.TB, ep endpoints, extra map[string]string) *gateway {
	t.Helper()
	e := testenv.Get(t)
	if ep.S3 == "" {
		ep.S3 = e.S3Endpoint
	}
	if ep.KMS == "" {
		ep.KMS = e.KMSEndpoint
	}
	g := &gateway{Env: e, EP: ep, Buckets: map[string]string{}}
	g.S3 = testenv.NewS3Client(e.AWSConfig(), ep.S3)
	g.Key = e.NewKMSKey(t, "flt")
	for _, d := range dirs {
		name := testenv.Unique("flt-" + d)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := g.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		cancel()
		if err != nil {
			t.Fatalf("create bucket: %v", err)
		}
		g.Buckets[d] = name
		if ep.S3 == e.S3Endpoint {
			e.RemoveBucketOnCleanup(t, name)
		}
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	g.Audit = filepath.Join(dataDir, "kms-audit.log")
	props := gatewayProps(g.Buckets, g.Key, g.Audit)
	for k, v := range extra {
		props[k] = v
	}
	g.daemon = startDaemon(t, dataDir, props, awsEnv(ep))
	return g
}

// restart starts a new daemon on the same data dir and configuration.
func (g *gateway) restart(t testing.TB) time.Duration {
	t.Helper()
	t0 := time.Now()
	g.daemon = startDaemon(t, g.DataDir, g.Props, g.daemon.Env)
	return time.Since(t0)
}

// ---- deterministic file contents ----

// content is the bytes every file of a path holds: SplitMix64 seeded by
// FNV-1a 64 of the path, 8 little-endian bytes per step. The Java writer
// (java/FaultWriter.java) computes the same bytes.
type content struct {
	state uint64
	buf   [8]byte
	off   int
	left  int64
}

func seedOf(path string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(path))
	return h.Sum64()
}

func newContent(path string, n int64) *content {
	return &content{state: seedOf(path), off: 8, left: n}
}

func (c *content) next() uint64 {
	c.state += 0x9E3779B97F4A7C15
	z := c.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (c *content) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n := 0
	for n < len(p) {
		if c.off == 8 {
			binary.LittleEndian.PutUint64(c.buf[:], c.next())
			c.off = 0
		}
		k := copy(p[n:], c.buf[c.off:])
		c.off += k
		n += k
	}
	c.left -= int64(n)
	return n, nil
}

// sizeOf is the size every writer gives the file at path (so any object
// found after a crash can be checked, acknowledged or not): between 1 KiB
// and about 20 MiB, some small (one PutObject), some multipart.
func sizeOf(path string) int64 {
	s := seedOf(path + "#size")
	switch s % 4 {
	case 0:
		return 1024 + int64(s>>8)%(64<<10)
	case 1:
		return 1*mib + int64(s>>8)%(4*mib)
	default:
		return 9*mib + int64(s>>8)%(11*mib)
	}
}

// compare reads r to the end and reports the first offset where it
// differs from the path's content of size n (-1: equal), and bytes read.
func compare(r io.Reader, path string, n int64) (int64, int64, error) {
	want := newContent(path, n)
	a := make([]byte, 256<<10)
	b := make([]byte, 256<<10)
	var off int64
	for {
		k, err := io.ReadFull(r, a)
		if k > 0 {
			if _, werr := io.ReadFull(want, b[:k]); werr != nil {
				return off, off + int64(k), nil // longer than expected
			}
			if !bytes.Equal(a[:k], b[:k]) {
				for i := 0; i < k; i++ {
					if a[i] != b[i] {
						return off + int64(i), off + int64(k), nil
					}
				}
			}
			off += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if off != n {
				return off, off, nil // shorter
			}
			return -1, off, nil
		}
		if err != nil {
			return off, off, err
		}
	}
}
