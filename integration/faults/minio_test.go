package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/internal/testenv"
)

// minio is a private MinIO process this test controls (the binary
// scripts/services.sh runs), on a fixed loopback port so that it can be
// stopped and started again under the daemon.
type minio struct {
	t    testing.TB
	bin  string
	dir  string
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startMinIO(t testing.TB) *minio {
	t.Helper()
	e := testenv.Get(t)
	m := &minio{t: t, bin: e.Tool(t, "minio"), dir: filepath.Join(t.TempDir(), "minio"), addr: freePort(t)}
	m.start()
	t.Cleanup(m.stop)
	return m
}

func (m *minio) endpoint() string { return "http://" + m.addr }

func (m *minio) start() {
	m.t.Helper()
	cmd := exec.Command(m.bin, "server", m.dir, "--quiet", "--address", m.addr)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+testenv.AccessKey, "MINIO_ROOT_PASSWORD="+testenv.SecretKey,
		"MINIO_KMS_SECRET_KEY="+testenv.MinIOKMSKey+":MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	log, err := os.OpenFile(m.dir+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		m.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := cmd.Start(); err != nil {
			m.t.Fatal(err)
		}
		m.cmd, m.done = cmd, make(chan struct{})
		go func(done chan struct{}) { cmd.Wait(); log.Close(); close(done) }(m.done)
		for time.Now().Before(deadline) {
			r, err := http.Get(m.endpoint() + "/minio/health/live")
			if err == nil {
				r.Body.Close()
				if r.StatusCode == 200 {
					return
				}
			}
			select {
			case <-m.done:
				raw, _ := os.ReadFile(m.dir + ".log")
				m.t.Fatalf("MinIO exited at start:\n%s", tail(string(raw), 20))
			case <-time.After(100 * time.Millisecond):
			}
		}
		m.t.Fatal("MinIO did not become ready")
	}
}

// stop kills MinIO (SIGKILL: an outage, not a clean shutdown).
func (m *minio) stop() {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Kill()
	<-m.done
	m.cmd = nil
}

// writeAll writes path with its content through c.
func writeAll(c *hdfs.Client, p string, n int64) error {
	w, err := c.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, newContent(p, n)); err != nil {
		w.Close()
		return err
	}
	return closeWithRetry(w)
}

// TestStorageOutageDuringWrites: MinIO is killed while 6 writers (two per
// provider) are uploading, and started again 4 seconds later. Every close
// either fails or succeeded with the file byte-exact; nothing partial is
// visible; the daemon serves again without a restart.
func TestStorageOutageDuringWrites(t *testing.T) {
	m := startMinIO(t)
	g := newGateway(t, endpoints{S3: m.endpoint()}, nil)
	c := g.client(t)
	for _, d := range dirs {
		if err := c.MkdirAll("/"+d+"/outage", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wl := newWriteLog()
	var wg sync.WaitGroup
	errsSeen := make(chan error, 1024)
	stop := make(chan struct{})
	var backAt, firstOK atomic.Int64 // unix nanos: MinIO back, first close after
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			wc, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{g.NameNode}, User: currentUser(t)})
			if err != nil {
				errsSeen <- err
				return
			}
			defer wc.Close()
			// Until the test says stop (a few seconds after MinIO is
			// back), at most 200 files.
			for k := 0; k < 200; k++ {
				select {
				case <-stop:
					return
				default:
				}
				p := fmt.Sprintf("/%s/outage/w%d-%d", dirs[i%3], i, k)
				n := sizeOf(p) + 16*mib
				wl.start(p)
				if err := writeAll(wc, p, n); err != nil {
					errsSeen <- fmt.Errorf("%s: %w", p, err)
					time.Sleep(200 * time.Millisecond)
					continue
				}
				wl.close(p, n)
				if backAt.Load() != 0 {
					firstOK.CompareAndSwap(0, time.Now().UnixNano())
				}
			}
		}(i)
	}
	// Kill MinIO once uploads are under way.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, closed := wl.counts()
		open := 0
		for _, d := range dirs {
			open += openUploads(t, g.S3, g.Buckets[d])
		}
		if closed >= 2 && open >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writers made no progress")
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.stop()
	time.Sleep(4 * time.Second)
	m.start()
	back := time.Now()
	backAt.Store(back.UnixNano())
	// Writers carry on through the recovery, then stop.
	for _, closedAtBack := wl.counts(); ; time.Sleep(100 * time.Millisecond) {
		if _, c := wl.counts(); c >= closedAtBack+6 || time.Since(back) > 2*time.Minute {
			break
		}
	}
	close(stop)
	wg.Wait()
	close(errsSeen)
	failed := 0
	for err := range errsSeen {
		failed++
		if failed <= 5 {
			t.Logf("write failed during the outage (expected): %v", err)
		}
	}
	if firstOK.Load() == 0 {
		t.Fatal("no write succeeded after MinIO came back")
	}
	recovery := time.Duration(firstOK.Load() - back.UnixNano())
	// The daemon serves again without a restart.
	for i := 0; ; i++ {
		p := fmt.Sprintf("/plain/outage/after-%d", i)
		if err := writeAll(c, p, 3*mib); err == nil {
			r, err := c.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			bad, _, err := compare(r, p, 3*mib)
			r.Close()
			if bad >= 0 || err != nil {
				t.Fatalf("write after recovery reads back wrong at %d: %v", bad, err)
			}
			break
		} else if time.Since(back) > time.Minute {
			t.Fatalf("daemon did not recover within a minute of MinIO's return: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Every object present is whole and right; every acknowledged file is
	// there. Writes that failed abort their uploads, once S3 answers again.
	var files int
	var bytes, lost int64
	present := map[string]bool{}
	for _, d := range dirs {
		for _, o := range listAll(t, g.S3, g.Buckets[d], "outage/") {
			key := *o.Key
			if key == "outage/" || key[len(key)-1] == '/' {
				continue
			}
			p := "/" + d + "/" + key
			n, ok := wl.closed[p]
			if !ok {
				if !wl.started[p] {
					continue // written after recovery
				}
				n = sizeOf(p) + 16*mib
			}
			present[p] = true
			r, err := c.Open(p)
			if err != nil {
				t.Errorf("open %s: %v", p, err)
				continue
			}
			bad, got, err := compare(r, p, n)
			r.Close()
			if bad >= 0 || err != nil {
				t.Errorf("%s reads back wrong at byte %d of %d (%v)", p, bad, got, err)
				if ok {
					lost += n
				}
				continue
			}
			files++
			bytes += n
		}
	}
	for p, n := range wl.closed {
		if !present[p] {
			t.Errorf("%s: acknowledged but gone", p)
			lost += n
		}
	}
	leftover := 0
	for i := 0; i < 100; i++ {
		leftover = 0
		for _, d := range dirs {
			leftover += openUploads(t, g.S3, g.Buckets[d])
		}
		if leftover == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if leftover != 0 {
		t.Errorf("%d multipart uploads left open by writes that failed during the outage", leftover)
	}
	if lost != 0 {
		t.Errorf("%d acknowledged bytes lost", lost)
	}
	figure(t, "faults injected 1 (MinIO killed for 4s under 6 writers, 2 per provider, writing on through the outage); writes failed %d, acknowledged %d; files checked %d (%d MiB); bytes lost %d; uploads left open %d; recovery (MinIO back to the first acknowledged close, no daemon restart) %.1fs; daemon peak RSS %d MiB",
		failed, len(wl.closed), files, bytes/mib, lost, leftover, recovery.Seconds(), g.PeakRSS()/mib)
}

// TestStorageOutageDuringRead: MinIO is killed while a client reads a
// large file (1 GiB CSE-KMS with EMRFSD_FAULTS_FULL=1) and started again
// 4 seconds later: the read completes byte-exact or fails with an error;
// never a wrong byte. Then the same file reads back whole without a
// daemon restart.
func TestStorageOutageDuringRead(t *testing.T) {
	m := startMinIO(t)
	g := newGateway(t, endpoints{S3: m.endpoint()}, nil)
	c := g.client(t)
	size := int64(256 * mib)
	if full(t, "256 MiB reads instead of 1 GiB") {
		size = 1024 * mib
	}
	type result struct {
		dir           string
		read          int64
		err           error
		completedRead bool
	}
	var results []result
	for _, d := range []string{"csekms", "plain"} {
		p := "/" + d + "/big.bin"
		if err := writeAll(c, p, size); err != nil {
			t.Fatalf("write %s: %v", p, err)
		}
		r, err := c.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		want := newContent(p, size)
		buf := make([]byte, 1*mib)
		wbuf := make([]byte, 1*mib)
		var off int64
		killed := false
		var readErr error
		for off < size {
			if !killed && off >= size/3 {
				m.stop()
				killed = true
				go func() { time.Sleep(4 * time.Second); m.start() }()
			}
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				want.Read(wbuf[:n])
				if !bytes.Equal(buf[:n], wbuf[:n]) {
					for i := 0; i < n; i++ {
						if buf[i] != wbuf[i] {
							t.Fatalf("%s: WRONG BYTE at offset %d during the outage", p, off+int64(i))
						}
					}
				}
				off += int64(n)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) || off != size {
					readErr = err
				}
				break
			}
		}
		r.Close()
		if readErr == nil && off != size {
			t.Fatalf("%s: read ended cleanly at %d of %d bytes (a silent short read)", p, off, size)
		}
		results = append(results, result{dir: d, read: off, err: readErr, completedRead: readErr == nil})
		// Wait for MinIO, then the file reads back whole, same daemon.
		time.Sleep(5 * time.Second)
		var again error
		for i := 0; i < 50; i++ {
			r2, err := c.Open(p)
			if err == nil {
				var bad int64
				bad, _, again = compare(r2, p, size)
				r2.Close()
				if again == nil && bad >= 0 {
					t.Fatalf("%s: reads back wrong at %d after the outage", p, bad)
				}
				if again == nil {
					break
				}
			} else {
				again = err
			}
			time.Sleep(200 * time.Millisecond)
		}
		if again != nil {
			t.Fatalf("%s: no good read after MinIO came back: %v", p, again)
		}
	}
	for _, r := range results {
		verdict := "completed byte-exact after the outage"
		if !r.completedRead {
			verdict = fmt.Sprintf("failed loudly after %d MiB of correct bytes: %v", r.read/mib, r.err)
		}
		t.Logf("%s read of %d MiB: %s", r.dir, size/mib, verdict)
	}
	_ = context.Background
	figure(t, "faults injected %d (MinIO killed for 4s during a %d MiB read, CSE-KMS and plain); wrong bytes 0; %s / %s; every file re-read whole afterwards without a daemon restart; daemon peak RSS %d MiB",
		len(results), size/mib, summary(results[0].completedRead), summary(results[1].completedRead), g.PeakRSS()/mib)
}

func summary(completed bool) string {
	if completed {
		return "read completed"
	}
	return "read failed with an error"
}
