package faults

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
)

// probe is a well-behaved client measuring its latency while others
// misbehave: each round stats a file, reads it whole and writes a small
// file.
type probe struct {
	mu    sync.Mutex
	lat   []time.Duration
	errs  []string
	stop  chan struct{}
	done  chan struct{}
	phase string
	by    map[string][]time.Duration
}

func startProbe(t testing.TB, d *daemon) *probe {
	t.Helper()
	c := d.client(t)
	const ref = "/plain/probe/ref"
	if err := c.MkdirAll("/plain/probe", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeAll(c, ref, 256<<10); err != nil {
		t.Fatal(err)
	}
	p := &probe{stop: make(chan struct{}), done: make(chan struct{}), phase: "baseline", by: map[string][]time.Duration{}}
	go func() {
		defer close(p.done)
		for i := 0; ; i++ {
			select {
			case <-p.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			t0 := time.Now()
			err := func() error {
				if _, err := c.Stat(ref); err != nil {
					return err
				}
				r, err := c.Open(ref)
				if err != nil {
					return err
				}
				bad, _, err := compare(r, ref, 256<<10)
				r.Close()
				if err != nil || bad >= 0 {
					return fmt.Errorf("read differs at %d: %v", bad, err)
				}
				return writeAll(c, fmt.Sprintf("/plain/probe/w%d", i), 4096)
			}()
			d := time.Since(t0)
			p.mu.Lock()
			p.lat = append(p.lat, d)
			p.by[p.phase] = append(p.by[p.phase], d)
			if err != nil {
				p.errs = append(p.errs, p.phase+": "+err.Error())
			}
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *probe) setPhase(s string) { p.mu.Lock(); p.phase = s; p.mu.Unlock() }

func (p *probe) finish() { close(p.stop); <-p.done }

// stats returns rounds, p50, p99 and max of a phase's latencies.
func (p *probe) stats(phase string) (n int, p50, p99, mx time.Duration) {
	p.mu.Lock()
	l := slices.Clone(p.by[phase])
	p.mu.Unlock()
	if len(l) == 0 {
		return 0, 0, 0, 0
	}
	slices.Sort(l)
	return len(l), l[len(l)/2], l[min(len(l)-1, len(l)*99/100)], l[len(l)-1]
}

// ipcPreamble is the 7-byte Hadoop IPC connection header (SIMPLE auth).
var ipcPreamble = []byte{'h', 'r', 'p', 'c', 9, 0, 0}

func dialN(t testing.TB, addr string, n int, first []byte) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		if len(first) > 0 {
			if _, err := c.Write(first); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// closedWithin reports how many of conns the server closed within d
// (a read returns EOF or a reset; any bytes before that are discarded).
func closedWithin(conns []net.Conn, d time.Duration) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	deadline := time.Now().Add(d)
	for _, c := range conns {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			c.SetReadDeadline(deadline)
			_, err := io.Copy(io.Discard, c)
			var ne net.Error
			if !(errors.As(err, &ne) && ne.Timeout()) {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	return n
}

func frameHeader(n uint32, body int) []byte {
	b := binary.BigEndian.AppendUint32(slices.Clone(ipcPreamble), n)
	return append(b, make([]byte, body)...)
}

// TestHostileClients: on the NameNode and DataNode ports, connections
// that stall after half a frame, announce oversized frames, stay idle by
// the thousand, and a client that opens thousands of files and never
// closes them. A concurrent well-behaved client keeps being served with
// bounded latency; the daemon's memory stays bounded; the limits are the
// configured ones.
func TestHostileClients(t *testing.T) {
	openFiles := 2000
	if full(t, "2,000 never-closed files instead of 10,000") {
		openFiles = 10000
	}
	const frameTimeout = 3 * time.Second
	g := newGateway(t, endpoints{}, map[string]string{
		"emrfsd.namenode.frame.timeout": "3s",
		"emrfsd.namenode.idle.timeout":  "30s",
	})
	pr := startProbe(t, g.daemon)
	time.Sleep(3 * time.Second)
	rss0 := g.RSS()
	var report []string

	// 1,000 idle connections on each port.
	pr.setPhase("idle")
	idleNN := dialN(t, g.NameNode, 1000, nil)
	idleDN := dialN(t, g.DataNode, 1000, nil)
	time.Sleep(3 * time.Second)
	rssIdle := g.RSS()
	report = append(report, fmt.Sprintf("2,000 idle connections: RSS +%d MiB", (rssIdle-rss0)/mib))

	// Half a frame, then a stall: closed after the frame timeout.
	pr.setPhase("half-frame")
	half := dialN(t, g.NameNode, 200, frameHeader(1000, 10))
	t0 := time.Now()
	if n := closedWithin(half, frameTimeout+5*time.Second); n != len(half) {
		t.Errorf("%d of %d half-frame connections closed within %v", n, len(half), frameTimeout+5*time.Second)
	}
	report = append(report, fmt.Sprintf("200 half frames: all closed after %.1fs (frame timeout %v)", time.Since(t0).Seconds(), frameTimeout))

	// The largest allowed length prefix, then a stall: memory follows the
	// bytes that arrived, not the announced length.
	pr.setPhase("max-frame")
	big := dialN(t, g.NameNode, 500, frameHeader(16<<20, 100))
	time.Sleep(1 * time.Second)
	rssBig := g.RSS()
	if rssBig-rssIdle > 64*mib {
		t.Errorf("500 connections announcing 16 MiB frames grew RSS by %d MiB", (rssBig-rssIdle)/mib)
	}
	report = append(report, fmt.Sprintf("500 stalled 16 MiB frames (8 GiB announced): RSS +%d MiB", (rssBig-rssIdle)/mib))
	closedWithin(big, frameTimeout+5*time.Second)

	// An oversized length prefix: a fatal answer and the connection closed
	// at once.
	over := dialN(t, g.NameNode, 20, frameHeader(0xfffffff0, 0))
	for i, c := range over {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		raw, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("oversized frame %d: connection not closed", i)
		}
		if !strings.Contains(string(raw), "frame length") {
			t.Fatalf("oversized frame %d: answer %q", i, raw)
		}
	}
	// DataNode: an op header cut short, an oversized op message.
	dnHalf := dialN(t, g.DataNode, 100, []byte{0, 28})
	dnOver := dialN(t, g.DataNode, 20, []byte{0, 28, 81, 0xff, 0xff, 0xff, 0xff, 0x0f})
	if n := closedWithin(dnOver, 3*time.Second); n != len(dnOver) {
		t.Errorf("%d of %d oversized DataNode op messages closed", n, len(dnOver))
	}
	_ = dnHalf
	report = append(report, "20 oversized NameNode frames and 20 oversized DataNode op messages: refused and closed at once")

	// A client that opens files and never closes them.
	pr.setPhase("open-files")
	hc, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{g.NameNode}, User: currentUser(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := hc.MkdirAll("/plain/hoard", 0o755); err != nil {
		t.Fatal(err)
	}
	var held []*hdfs.FileWriter
	opened, refused := 0, 0
	var firstRefusal string
	tOpen := time.Now()
	for i := 0; i < openFiles; i++ {
		w, err := hc.Create(fmt.Sprintf("/plain/hoard/f%05d", i))
		if err != nil {
			refused++
			if firstRefusal == "" {
				firstRefusal = remoteMessage(err)
			}
			continue
		}
		w.Write([]byte("x"))
		held = append(held, w)
		opened++
	}
	openTook := time.Since(tOpen)
	rssOpen := g.RSS()
	if opened != 256 || !strings.Contains(firstRefusal, "emrfsd.max.open.files.per.client 256") {
		t.Errorf("one client opened %d files (want the per-client limit, 256); first refusal %q", opened, firstRefusal)
	}
	report = append(report, fmt.Sprintf("%d creates never closed: %d open, %d refused (%q), %.0fs; RSS +%d MiB",
		openFiles, opened, refused, firstRefusal, openTook.Seconds(), (rssOpen-rssIdle)/mib))
	// Another client can still create files.
	pr.setPhase("after-open-files")
	time.Sleep(2 * time.Second)
	pr.finish()
	peak := g.PeakRSS()
	hc.Close() // the hoarder goes away: its leases expire later

	for _, c := range append(idleNN, idleDN...) {
		c.Close()
	}
	for _, phase := range []string{"baseline", "idle", "half-frame", "max-frame", "open-files", "after-open-files"} {
		n, p50, p99, mx := pr.stats(phase)
		report = append(report, fmt.Sprintf("probe %-16s rounds %3d p50 %4dms p99 %4dms max %4dms", phase, n, p50.Milliseconds(), p99.Milliseconds(), mx.Milliseconds()))
		if n == 0 {
			t.Errorf("probe made no round during %s", phase)
		}
		if mx > 5*time.Second {
			t.Errorf("probe latency during %s reached %v", phase, mx)
		}
	}
	if len(pr.errs) > 0 {
		t.Errorf("the well-behaved client failed %d times, first: %s", len(pr.errs), pr.errs[0])
	}
	if peak > rss0+256*mib {
		t.Errorf("peak RSS %d MiB (baseline %d MiB)", peak/mib, rss0/mib)
	}
	t.Logf("hostile clients:\n%s", strings.Join(report, "\n"))
	figure(t, "faults injected %d hostile connections (2,000 idle, 200 half frames, 500 stalled 16 MiB frames, 40 oversized) and %d never-closed creates; well-behaved client failures %d, latency max %v; RSS baseline %d MiB, peak %d MiB",
		2000+200+500+40+100, openFiles, len(pr.errs), maxLatency(pr), rss0/mib, peak/mib)
	_ = os.Getpid
}

func maxLatency(p *probe) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Max(p.lat).Round(time.Millisecond)
}
