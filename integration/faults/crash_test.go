package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// writeLog records which files a client started and which closes
// succeeded.
type writeLog struct {
	mu      sync.Mutex
	started map[string]bool
	closed  map[string]int64
}

func newWriteLog() *writeLog {
	return &writeLog{started: map[string]bool{}, closed: map[string]int64{}}
}

func (w *writeLog) start(p string) { w.mu.Lock(); w.started[p] = true; w.mu.Unlock() }
func (w *writeLog) close(p string, n int64) {
	w.mu.Lock()
	w.closed[p] = n
	w.mu.Unlock()
}

func (w *writeLog) counts() (started, closed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.started), len(w.closed)
}

// goWriters runs n writers with the Go client until stop is closed or the
// daemon dies, each writing files of sizeOf(path) one after another.
func goWriters(d *daemon, n int, prefix string, wl *writeLog, stop chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{d.NameNode}, User: currentUser(nil)})
			if err != nil {
				return
			}
			defer c.Close()
			for k := 0; k < 500; k++ {
				select {
				case <-stop:
					return
				default:
				}
				p := fmt.Sprintf("/%s/%s/g%d-%d", dirs[(i+k)%len(dirs)], prefix, i, k)
				n := sizeOf(p)
				wl.start(p)
				w, err := c.Create(p)
				if err != nil {
					return
				}
				if _, err := io.Copy(w, newContent(p, n)); err != nil {
					return
				}
				if err := closeWithRetry(w); err != nil {
					return
				}
				wl.close(p, n)
			}
		}(i)
	}
	return &wg
}

func closeWithRetry(w *hdfs.FileWriter) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = w.Close(); !errors.Is(err, hdfs.ErrReplicating) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// javaTools finds the Hadoop client jars the JVM tier installs and
// compiles FaultWriter; a missing tool fails the test.
func javaClasses(t testing.TB) (classes, lib string) {
	t.Helper()
	tools, err := filepath.Abs(filepath.Join("..", "..", "tools"))
	if err != nil {
		t.Fatal(err)
	}
	lib = filepath.Join(tools, "jvm", "hadoop-3.4.1", "lib")
	if _, err := os.Stat(filepath.Join(lib, "hadoop-client-api-3.4.1.jar")); err != nil {
		t.Fatalf("Hadoop client jars missing (scripts/jvm.sh installs them; ./scripts/test.sh runs it): %v", err)
	}
	for _, c := range []string{"java", "javac"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s not found: a JDK 17+ is needed", c)
		}
	}
	classes = filepath.Join(t.TempDir(), "classes")
	out, err := exec.Command("javac", "-encoding", "UTF-8", "-d", classes, "-cp", filepath.Join(lib, "*"),
		filepath.Join("java", "emrfsd", "faults", "FaultWriter.java")).CombinedOutput()
	if err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return classes, lib
}

// javaWriter is a running FaultWriter JVM.
type javaWriter struct {
	cmd   *exec.Cmd
	ready chan struct{}
	done  chan struct{}
	errs  []string
	mu    sync.Mutex
}

func startJavaWriter(t testing.TB, classes, lib string, d *daemon, prefix string, threads int, wl *writeLog) *javaWriter {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HADOOP_") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command("java", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
		"-cp", classes+string(os.PathListSeparator)+filepath.Join(lib, "*"),
		"emrfsd.faults.FaultWriter", "hdfs://"+d.NameNode, strings.Join(dirs, ","), prefix, strconv.Itoa(threads), "200")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	j := &javaWriter{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(j.done)
		sc := bufio.NewScanner(stdout)
		readyOnce := sync.OnceFunc(func() { close(j.ready) })
		defer readyOnce()
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 1 && f[0] == "READY":
				readyOnce()
			case len(f) == 2 && f[0] == "START":
				wl.start(f[1])
			case len(f) == 3 && f[0] == "CLOSED":
				n, _ := strconv.ParseInt(f[2], 10, 64)
				wl.close(f[1], n)
			case len(f) > 0 && f[0] == "ERROR":
				j.mu.Lock()
				j.errs = append(j.errs, sc.Text())
				j.mu.Unlock()
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() { j.kill() })
	return j
}

func (j *javaWriter) kill() {
	j.cmd.Process.Signal(syscall.SIGKILL)
	<-j.done
}

// listAll lists every object of a bucket under prefix directly in S3.
func listAll(t testing.TB, c *s3.Client, bucket, prefix string) []s3types.Object {
	t.Helper()
	var out []s3types.Object
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list %s: %v", bucket, err)
		}
		out = append(out, page.Contents...)
	}
	return out
}

// liveUpload is an open multipart upload and how many parts it has.
type liveUpload struct {
	s3types.MultipartUpload
	parts int
}

// liveUploads lists a bucket's open multipart uploads. MinIO answers a
// ListMultipartUploads without a prefix from a memory cache that keeps an
// upload whose abort found it already gone (the abort answers 204 and
// leaves the entry, until MinIO's stale-upload expiry, 24 h): a listed
// upload counts only if ListParts finds it; the others are logged.
func liveUploads(t testing.TB, c *s3.Client, bucket string) []liveUpload {
	t.Helper()
	ctx := context.Background()
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads %s: %v", bucket, err)
	}
	var live []liveUpload
	for _, u := range lu.Uploads {
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
		var api smithy.APIError
		switch {
		case err == nil:
			live = append(live, liveUpload{u, len(lp.Parts)})
		case errors.As(err, &api) && api.ErrorCode() == "NoSuchUpload":
			// Finished since the listing, or a stale cache entry.
			t.Logf("MinIO's upload list names %s/%s (id %s), which does not exist (ListParts: NoSuchUpload)", bucket, aws.ToString(u.Key), aws.ToString(u.UploadId))
		default:
			t.Fatalf("ListParts %s/%s: %v", bucket, aws.ToString(u.Key), err)
		}
	}
	return live
}

// openUploads counts a bucket's open multipart uploads (see liveUploads).
func openUploads(t testing.TB, c *s3.Client, bucket string) int {
	t.Helper()
	return len(liveUploads(t, c, bucket))
}

// describeUploads names uploads (key, id, start, parts) for a failure
// message.
func describeUploads(ups []liveUpload) string {
	var b strings.Builder
	for _, u := range ups {
		fmt.Fprintf(&b, "[%s id=%s initiated=%s parts=%d] ", aws.ToString(u.Key), aws.ToString(u.UploadId), aws.ToTime(u.Initiated).Format(time.RFC3339Nano), u.parts)
	}
	return b.String()
}

// crashCheck is what verifyAfterCrash found.
type crashCheck struct {
	files       int   // objects checked
	bytes, lost int64 // bytes checked; acknowledged bytes missing or wrong
	partial     int   // objects (in S3 or in emrfsd's listing) not whole
	orphans     int   // multipart uploads still open after orphanWait
	minioDirs   int   // empty directories on MinIO's disk shown as prefixes (see minioEmptyDir)
	orphanWait  time.Duration
}

// orphanGrace is how long after a restart the daemon may take to abort
// what the killed run left: Recover aborts at start, its sweeps of uploads
// S3 created late (the dead run's last CreateMultipartUpload) follow at
// 0.5 s and 5 s.
const orphanGrace = 8 * time.Second

// minioEmptyDir reports whether key/ holds no object in S3 while MinIO's
// data directory has key as a directory without an object's xl.meta.
func minioEmptyDir(t testing.TB, g *gateway, dir, key string) bool {
	t.Helper()
	if len(listAll(t, g.S3, g.Buckets[dir], key+"/")) != 0 {
		return false
	}
	d := filepath.Join(g.Env.S3DataDir, g.Buckets[dir], filepath.FromSlash(key))
	st, err := os.Stat(d)
	if err != nil || !st.IsDir() {
		return false
	}
	_, err = os.Stat(filepath.Join(d, "xl.meta"))
	return errors.Is(err, os.ErrNotExist)
}

// verifyAfterCrash checks every object under prefix in the gateway's
// buckets, directly in S3 and through emrfsd, against the content its path
// defines; every file whose close succeeded must be there; no multipart
// upload stays open past orphanGrace.
func verifyAfterCrash(t *testing.T, g *gateway, prefix string, wl *writeLog) (res crashCheck) {
	t.Helper()
	c := g.client(t)
	ctx := context.Background()
	present := map[string]bool{}
	restarted := time.Now()
	for _, dir := range dirs {
		b := g.Buckets[dir]
		for openUploads(t, g.S3, b) != 0 && time.Since(restarted) < orphanGrace {
			time.Sleep(100 * time.Millisecond)
		}
		if ups := liveUploads(t, g.S3, b); len(ups) != 0 {
			res.orphans += len(ups)
			t.Errorf("%s: %d multipart uploads still open %s after restart: %s", dir, len(ups), orphanGrace, describeUploads(ups))
			for _, line := range strings.Split(g.lastJournal, "\n") {
				if strings.Contains(line, `"`+b+`"`) && !strings.Contains(line, `"end"`) {
					t.Logf("journal of the killed run: %s", line)
				}
			}
		}
	}
	res.orphanWait = time.Since(restarted)
	for _, dir := range dirs {
		b := g.Buckets[dir]
		for _, o := range listAll(t, g.S3, b, prefix+"/") {
			key := aws.ToString(o.Key)
			if key == prefix+"/" {
				continue // the directory marker mkdirs made
			}
			p := "/" + dir + "/" + key
			want := sizeOf(p)
			if !wl.started[p] {
				t.Errorf("object %s in S3 that no writer started", p)
				continue
			}
			present[p] = true
			// Directly in S3: the stored form of the provider.
			stored := aws.ToInt64(o.Size)
			h, err := g.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: o.Key})
			if err != nil {
				t.Errorf("HEAD %s: %v", p, err)
				continue
			}
			switch dir {
			case "plain":
				if stored != want {
					res.partial++
					t.Errorf("%s: %d bytes stored, want %d (partial object)", p, stored, want)
				}
				r, err := g.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: o.Key})
				if err != nil {
					t.Errorf("GET %s: %v", p, err)
					continue
				}
				bad, _, err := compare(r.Body, p, want)
				r.Body.Close()
				if err != nil || bad >= 0 {
					res.partial++
					t.Errorf("%s in S3 differs at byte %d (%v)", p, bad, err)
				}
			case "ssekms":
				if stored != want || h.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms {
					res.partial++
					t.Errorf("%s: %d bytes stored (want %d), encryption %q", p, stored, want, h.ServerSideEncryption)
				}
			case "csekms":
				if stored != want+16 || h.Metadata["x-amz-key-v2"] == "" || h.Metadata["x-amz-cek-alg"] != "AES/GCM/NoPadding" {
					res.partial++
					t.Errorf("%s: %d bytes stored (want %d + 16), envelope %v", p, stored, want, h.Metadata)
				}
			}
			// Through emrfsd: byte-exact.
			r, err := c.Open(p)
			if err != nil {
				t.Errorf("open %s through emrfsd: %v", p, err)
				continue
			}
			bad, n, err := compare(r, p, want)
			r.Close()
			if err != nil || bad >= 0 {
				t.Errorf("%s through emrfsd differs at byte %d of %d (%v)", p, bad, n, err)
				if _, ok := wl.closed[p]; ok {
					res.lost += want
				}
				continue
			}
			res.files++
			res.bytes += want
		}
	}
	// Every acknowledged close is there.
	for p, n := range wl.closed {
		if !present[p] {
			t.Errorf("%s: close succeeded but the file is gone", p)
			res.lost += n
		}
	}
	// The listing through emrfsd shows exactly what S3 holds.
	for _, dir := range dirs {
		fis, err := c.ReadDir("/" + dir + "/" + prefix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("list /%s/%s: %v", dir, prefix, err)
		}
		for _, fi := range fis {
			p := "/" + dir + "/" + prefix + "/" + fi.Name()
			if fi.IsDir() && !present[p] && minioEmptyDir(t, g, dir, prefix+"/"+fi.Name()) {
				// MinIO keeps an object as a directory on its disk; a PUT
				// cut off by the kill can leave that directory empty, and
				// a delimited listing then shows it as a prefix. No object
				// is under it; AWS S3 has no such state.
				res.minioDirs++
				t.Logf("listing shows %s as an empty directory: MinIO's on-disk directory of a PUT the kill interrupted (no object under it in S3)", p)
				continue
			}
			if !present[p] || fi.Size() != sizeOf(p) {
				now := "absent"
				if h, err := g.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(g.Buckets[dir]), Key: aws.String(prefix + "/" + fi.Name())}); err == nil {
					now = fmt.Sprintf("%d bytes, modified %s", aws.ToInt64(h.ContentLength), aws.ToTime(h.LastModified).Format(time.RFC3339Nano))
				}
				res.partial++
				t.Errorf("listing shows %s (%d bytes, dir %v, mode %v, mtime %s) that S3 does not hold whole (want %d bytes, listed directly before: %v; in S3 now: %s; close acknowledged: %v)",
					p, fi.Size(), fi.IsDir(), fi.Mode(), fi.ModTime().Format(time.RFC3339Nano), sizeOf(p), present[p], now, wl.closed[p] != 0)
			}
		}
	}
	return res
}

// TestKillDuringWrites: kill -9 while 32 clients write (24 Go client
// writers in-process plus 8 threads of the Hadoop Java client) into the
// plain, SSE-KMS and CSE-KMS buckets, restart on the same data dir, check.
// Repeated for several crash rounds.
func TestKillDuringWrites(t *testing.T) {
	classes, lib := javaClasses(t)
	g := newGateway(t, endpoints{}, map[string]string{"fs.s3a.fast.upload.buffer": "disk", "emrfsd.upload.memory.limit": "0"})
	rounds := 2
	if full(t, "2 crash rounds instead of 4") {
		rounds = 4
	}
	var totalFiles, totalLost, totalBytes int64
	var maxRecovery, maxOrphanWait time.Duration
	var totalPartial, totalOrphans int
	for round := 0; round < rounds; round++ {
		prefix := fmt.Sprintf("crash%d", round)
		wl := newWriteLog()
		stop := make(chan struct{})
		mc := g.client(t)
		for _, d := range dirs {
			if err := mc.MkdirAll("/"+d+"/"+prefix, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		jw := startJavaWriter(t, classes, lib, g.daemon, prefix, 8, wl)
		select {
		case <-jw.ready:
		case <-time.After(60 * time.Second):
			t.Fatal("Java writer did not start")
		}
		wg := goWriters(g.daemon, 24, prefix, wl, stop)
		// Kill once some closes succeeded on both clients and uploads are
		// in flight.
		deadline := time.Now().Add(3 * time.Minute)
		for {
			_, closed := wl.counts()
			javaClosed := 0
			wl.mu.Lock()
			for p := range wl.closed {
				if strings.Contains(p, "/j") {
					javaClosed++
				}
			}
			wl.mu.Unlock()
			inflight := 0
			for _, d := range dirs {
				inflight += openUploads(t, g.S3, g.Buckets[d])
			}
			if closed >= 24+round*8 && javaClosed >= 3 && inflight >= 4 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: writers made no progress (%d closed, %d by Java, %d uploads open); Java: %v", round, closed, javaClosed, inflight, jw.errs)
			}
			time.Sleep(100 * time.Millisecond)
		}
		rss := g.RSS()
		killedAt := time.Now()
		g.Kill()
		jw.kill()
		close(stop)
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(2 * time.Minute):
			t.Fatal("Go writers hung after the daemon died")
		}
		started, closed := wl.counts()
		inflight := 0
		for _, d := range dirs {
			inflight += openUploads(t, g.S3, g.Buckets[d])
		}
		if j, err := os.ReadFile(filepath.Join(g.DataDir, "uploads.journal")); err == nil {
			g.lastJournal = string(j)
		}
		g.restart(t)
		recovery := time.Since(killedAt)
		maxRecovery = max(maxRecovery, recovery)

		chk := verifyAfterCrash(t, g, prefix, wl)
		staged, _ := os.ReadDir(filepath.Join(g.DataDir, "local", "staging"))
		if len(staged) != 0 {
			t.Errorf("%d staging files left after restart", len(staged))
		}
		// Leases of the dead daemon do not block the next writer: a file
		// that was being written when it died can be created now.
		c := g.client(t)
		var inflightPaths []string
		for p := range wl.started {
			if _, ok := wl.closed[p]; !ok {
				if _, err := c.Stat(p); errors.Is(err, os.ErrNotExist) {
					inflightPaths = append(inflightPaths, p)
				}
			}
		}
		sort.Strings(inflightPaths)
		recreated := 0
		for _, dir := range dirs {
			for _, p := range inflightPaths {
				if !strings.HasPrefix(p, "/"+dir+"/") {
					continue
				}
				w, err := c.Create(p)
				if err != nil {
					t.Errorf("create %s after restart: %v", p, err)
					break
				}
				n := sizeOf(p)
				if _, err := io.Copy(w, newContent(p, n)); err != nil {
					t.Errorf("write %s after restart: %v", p, err)
				} else if err := closeWithRetry(w); err != nil {
					t.Errorf("close %s after restart: %v", p, err)
				} else if r, err := c.Open(p); err != nil {
					t.Errorf("open %s: %v", p, err)
				} else {
					bad, _, err := compare(r, p, n)
					r.Close()
					if bad >= 0 || err != nil {
						t.Errorf("%s rewritten after restart differs at %d (%v)", p, bad, err)
					}
					recreated++
				}
				break
			}
		}
		if recreated < 2 {
			t.Errorf("only %d files in flight at the crash could be recreated (want one per provider with files in flight: %d in flight)", recreated, len(inflightPaths))
		}
		t.Logf("round %d: %d files started, %d closes acknowledged, %d uploads open at the kill, %d left after %.1fs, %d objects checked (%d MiB), %d bytes lost, %d partial, %d empty MinIO directories listed, in-flight files recreated %d, recovery %.1fs, RSS at kill %d MiB",
			round, started, closed, inflight, chk.orphans, chk.orphanWait.Seconds(), chk.files, chk.bytes/mib, chk.lost, chk.partial, chk.minioDirs, recreated, recovery.Seconds(), rss/mib)
		totalFiles += int64(chk.files)
		totalBytes += chk.bytes
		totalLost += chk.lost
		totalPartial += chk.partial
		totalOrphans += chk.orphans
		maxOrphanWait = max(maxOrphanWait, chk.orphanWait)
		if chk.lost != 0 {
			t.Errorf("round %d: %d acknowledged bytes lost", round, chk.lost)
		}
	}
	figure(t, "faults injected %d (kill -9 during 32 concurrent writes: 24 Go client, 8 Java client; plain, SSE-KMS, CSE-KMS); files checked %d (%d MiB); bytes lost %d; partial objects %d; orphan uploads after restart %d (all aborted ≤ %.1fs after restart); recovery (kill to serving) ≤ %.1fs",
		rounds, totalFiles, totalBytes/mib, totalLost, totalPartial, totalOrphans, maxOrphanWait.Seconds(), maxRecovery.Seconds())
	_ = testenv.Region
}
