package webhdfs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/procstat"
)

const mib = 1 << 20

// stream is a deterministic pseudo-random byte stream, so the big file is
// generated and checked without being held in memory or on disk.
type stream struct {
	rng  *rand.ChaCha8
	left int64
	sent int64
	mark func(sent int64) // called after each read
}

func newStream(seed byte, n int64) *stream {
	var s [32]byte
	s[0] = seed
	return &stream{rng: rand.NewChaCha8(s), left: n}
}

func (s *stream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	s.rng.Read(p)
	s.left -= int64(len(p))
	s.sent += int64(len(p))
	if s.mark != nil {
		s.mark(s.sent)
	}
	return len(p), nil
}

// TestRSSFourGiBCSE streams a 4 GiB file into the CSE-KMS bucket through
// WebHDFS CREATE and back through OPEN, and reads the daemon's memory from
// /proc: the peak (VmHWM) for the write and, reset in between, for the
// read, and the resident set at each GiB of the write, which must stay
// flat rather than grow with the file.
func TestRSSFourGiBCSE(t *testing.T) {
	if testing.Short() {
		t.Fatal("TestRSSFourGiBCSE is part of the full suite; do not run it with -short")
	}
	d := startDaemon(t, nil)
	su := superuser(t)
	const size = 4 << 30
	pid := d.Pid()
	base, err := procstat.Field(pid, "VmRSS")
	if err != nil {
		t.Fatal(err)
	}

	first, err := httpClient.Do(mustRequest(t, "PUT", d.wh("/csekms/big/4g.bin", "op", "CREATE", "user.name", su), nil))
	if err != nil || first.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("CREATE step one: %v %v", err, first)
	}
	first.Body.Close()
	src := newStream(11, size)
	var atGiB []int64
	src.mark = func(sent int64) {
		// Once per GiB handed to the client, whatever its read sizes.
		if sent>>30 > int64(len(atGiB)) {
			if v, err := procstat.Field(pid, "VmRSS"); err == nil {
				atGiB = append(atGiB, v)
			}
		}
	}
	h := sha256.New()
	req := mustRequest(t, "PUT", first.Header.Get("Location"), io.TeeReader(src, h))
	req.ContentLength = size
	start := time.Now()
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	wdur := time.Since(start)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("CREATE step two: %d %s\n%s", res.StatusCode, body, d.Log.String())
	}
	want := h.Sum(nil)
	hwmWrite, err := d.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}

	// Reset the peak (clear_refs 5), then read it back.
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("resetting VmHWM: %v", err)
	}
	start = time.Now()
	res, err = http.Get(d.wh("/csekms/big/4g.bin", "op", "OPEN", "user.name", su)) // follows the 307
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("OPEN: %v %v", err, res)
	}
	if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(size) {
		t.Fatalf("Content-Length %q", cl)
	}
	h.Reset()
	n, err := io.CopyBuffer(h, res.Body, make([]byte, mib))
	res.Body.Close()
	rdur := time.Since(start)
	if err != nil || n != size || !bytes.Equal(h.Sum(nil), want) {
		t.Fatalf("read back %d bytes (%v): content differs", n, err)
	}
	hwmRead, err := d.PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE webhdfs-rss-4GiB-cse: VmRSS at start %.1f MiB; write VmHWM %.1f MiB (%.0f MB/s), VmRSS at each GiB %v MiB; read VmHWM %.1f MiB (%.0f MB/s)",
		float64(base)/mib, float64(hwmWrite)/mib, size/wdur.Seconds()/1e6, inMiB(atGiB), float64(hwmRead)/mib, size/rdur.Seconds()/1e6)

	// What S3 holds is the S3EC format: ciphertext plus the 16-byte tag.
	out, err := d.env.S3Client().HeadObject(context.Background(), headInput(d.buckets["csekms"], "big/4g.bin"))
	if err != nil || *out.ContentLength != size+16 || out.Metadata["x-amz-cek-alg"] != "AES/GCM/NoPadding" {
		t.Fatalf("stored object: %v %+v", err, out)
	}
	if hwmWrite > 256*mib || hwmRead > 256*mib {
		t.Fatalf("peak RSS %.1f MiB (write) / %.1f MiB (read) exceeds 256 MiB", float64(hwmWrite)/mib, float64(hwmRead)/mib)
	}
	if len(atGiB) != 4 {
		t.Fatalf("RSS samples at GiB marks: %v", atGiB)
	}
	for _, v := range atGiB[1:] {
		if v > atGiB[0]+64*mib {
			t.Fatalf("RSS grows with the file: %v MiB at each GiB", inMiB(atGiB))
		}
	}
}

func inMiB(v []int64) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = x / mib
	}
	return out
}

func mustRequest(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
