package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/colinmarc/hdfs/v2"
)

// mountTmpfs mounts a tmpfs of size bytes at dir (the test runs as root,
// as scripts/test.sh and CI do); a failure fails the test.
func mountTmpfs(t testing.TB, dir string, size int64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount -t tmpfs (needs root, as the test suite runs here): %v %s", err, out)
	}
	t.Cleanup(func() {
		for i := 0; i < 50; i++ {
			if exec.Command("umount", dir).Run() == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("umount %s failed", dir)
	})
}

func usedBytes(t testing.TB, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize
}

// TestStagingDiskFull: the staging directory (emrfsd.local.dir) is a
// 12 MiB tmpfs while four clients write 48 MiB files (8 MiB parts staged
// on disk, up to 4 per stream): writes that cannot stage fail with a clean
// error, nothing partial reaches S3, the staging space is freed, and the
// daemon keeps serving.
func TestStagingDiskFull(t *testing.T) {
	local := filepath.Join(t.TempDir(), "local")
	mountTmpfs(t, local, 12*mib)
	g := newGateway(t, endpoints{}, map[string]string{"emrfsd.local.dir": local, "fs.s3a.fast.upload.buffer": "disk", "emrfsd.upload.memory.limit": "0"})
	c := g.client(t)
	for _, d := range dirs {
		if err := c.MkdirAll("/"+d+"/full", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	base := usedBytes(t, local)
	const size = 48 * mib
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]error{}
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			wc, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{g.NameNode}, User: currentUser(t)})
			if err != nil {
				t.Error(err)
				return
			}
			defer wc.Close()
			p := fmt.Sprintf("/%s/full/f%d", dirs[i%3], i)
			err = writeAll(wc, p, size)
			mu.Lock()
			results[p] = err
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	failed := 0
	var msgs []string
	for p, err := range results {
		if err != nil {
			failed++
			msgs = append(msgs, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		r, err := c.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		bad, _, err := compare(r, p, size)
		r.Close()
		if bad >= 0 || err != nil {
			t.Errorf("%s: acknowledged write reads back wrong at %d (%v)", p, bad, err)
		}
	}
	if failed == 0 {
		t.Fatal("no write failed: the staging disk never filled")
	}
	t.Logf("writes that failed on a full staging disk:\n%s", strings.Join(msgs, "\n"))
	// The daemon's log names the cause.
	if !strings.Contains(g.Log.String(), "no space left on device") {
		t.Errorf("the daemon's log does not say the staging disk is full")
	}
	// Nothing partial in S3; no upload left open.
	ctx := context.Background()
	for p, err := range results {
		if err == nil {
			continue
		}
		dir, key, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if _, herr := g.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(g.Buckets[dir]), Key: aws.String(key)}); herr == nil {
			t.Errorf("%s: an object exists for a failed write", p)
		}
	}
	leftUploads := 0
	for i := 0; i < 50; i++ {
		leftUploads = 0
		for _, d := range dirs {
			leftUploads += openUploads(t, g.S3, g.Buckets[d])
		}
		if leftUploads == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if leftUploads != 0 {
		t.Errorf("%d multipart uploads left open", leftUploads)
	}
	// The staging space is freed.
	var used int64
	for i := 0; i < 50; i++ {
		if used = usedBytes(t, local); used <= base {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	staged, _ := os.ReadDir(filepath.Join(local, "staging"))
	if used > base || len(staged) != 0 {
		t.Errorf("staging not freed: %d bytes used (%d before), %d files", used, base, len(staged))
	}
	// The daemon keeps serving: a write that fits succeeds.
	p := "/csekms/full/after"
	if err := writeAll(c, p, 6*mib); err != nil {
		t.Fatalf("write after the disk-full failures: %v", err)
	}
	r, err := c.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	bad, _, err := compare(r, p, 6*mib)
	r.Close()
	if bad >= 0 || err != nil {
		t.Fatalf("write after disk-full reads back wrong at %d: %v", bad, err)
	}
	figure(t, "faults injected 1 (12 MiB staging tmpfs filled by 6 concurrent 48 MiB writes, 8 MiB parts); writes failed %d with an error ack, succeeded %d (byte-exact); objects of failed writes in S3 0; uploads left %d; staging bytes after %d (before %d); daemon peak RSS %d MiB",
		failed, len(results)-failed, leftUploads, used, base, g.PeakRSS()/mib)
}
