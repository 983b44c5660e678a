package integration

import (
	"bytes"
	"context"
	"html"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// artifactsDir is where browser screenshots are kept (git-ignored), at the
// repository root.
const artifactsDir = "../test-artifacts"

// chromium runs headless Chromium with a fresh profile and returns its
// standard output. A missing chromium fails the test: scripts/tools.sh
// installs Debian's package.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (scripts/tools.sh installs Debian's chromium package): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,1700"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, tail(stderr.String(), 20))
	}
	return stdout.Bytes()
}

// TestStatusPageInChromium renders the status page in a real headless
// Chromium after some traffic and a protocol error, checks what it shows,
// checks every figure on it against a /metrics scrape taken right after
// (the daemon is idle then), and keeps a screenshot.
func TestStatusPageInChromium(t *testing.T) {
	g := newGateway(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	me := currentUser(t)
	for _, dir := range Dirs {
		payload := strings.Repeat("status page "+dir+"\n", 500)
		if out, err := g.hdfsCLI(ctx, me, payload, "put", "-", "/"+dir+"/page.txt"); err != nil {
			t.Fatalf("put: %v %s", err, out)
		}
		if out, err := g.hdfsCLI(ctx, me, "", "cat", "/"+dir+"/page.txt"); err != nil || out != payload {
			t.Fatalf("cat: %v", err)
		}
	}
	// A client speaking a newer IPC version: the NameNode logs a warning,
	// which the page lists under recent warnings and errors.
	nc, err := net.Dial("tcp", g.NameNode)
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte{'h', 'r', 'p', 'c', 10, 0, 0})
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var buf [256]byte
	for {
		if _, err := nc.Read(buf[:]); err != nil {
			break // the server closed the connection
		}
	}
	nc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(g.Log.String(), "cannot communicate with client version 10") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning logged for the bad client:\n%s", tail(g.Log.String(), 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for g.scrape(t).sum("emrfsd_namenode_connections") != 0 || g.scrape(t).sum("emrfsd_datanode_connections") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("connections still open")
		}
		time.Sleep(20 * time.Millisecond)
	}

	dom := string(chromium(t, "--dump-dom", g.HTTPURL()+"/"))
	metrics := g.scrape(t)

	// What the page says.
	for _, want := range []string{"<title>emrfsd status</title>", `id="version"`, `id="uptime"`, ">ready<",
		"s3: <span class=\"ok\">ok</span>", "kms: <span class=\"ok\">ok</span>",
		">cse-kms<", ">sse-kms<", ">plain<", html.EscapeString(g.Key.Alias), g.Key.ARN,
		"closing connection", "cannot communicate with client version 10"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	for _, dir := range Dirs {
		if !strings.Contains(dom, ">"+g.Buckets[dir]+"<") {
			t.Errorf("the rendered page lacks bucket %s", g.Buckets[dir])
		}
	}

	// Every figure matches /metrics.
	fig := regexp.MustCompile(`<td data-metric="([a-z0-9_]+)" data-labels="([^"]*)">([^<]*)</td>`)
	figs := fig.FindAllStringSubmatch(dom, -1)
	if n := strings.Count(dom, "data-metric="); len(figs) != n || n < 30 {
		t.Fatalf("the page shows %d figures (%d parsed), want at least 30:\n%s", n, len(figs), dom)
	}
	names := map[string]bool{}
	for _, f := range figs {
		var labels []string
		if f[2] != "" {
			for _, kv := range strings.Split(html.UnescapeString(f[2]), ",") {
				k, v, _ := strings.Cut(kv, "=")
				labels = append(labels, k, v)
			}
		}
		shown, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			t.Errorf("%s{%s}: shown as %q, not a number", f[1], f[2], f[3])
			continue
		}
		if want := metrics.sum(f[1], labels...); shown != want {
			t.Errorf("%s{%s}: page shows %v, /metrics says %v", f[1], f[2], shown, want)
		}
		names[f[1]] = true
	}
	for _, n := range []string{"emrfsd_fs_read_bytes_total", "emrfsd_fs_written_bytes_total", "emrfsd_namenode_rpc_calls_total",
		"emrfsd_keycache_hits_total", "emrfsd_keycache_singleflight_joins_total", "emrfsd_kms_requests_total",
		"emrfsd_s3_requests_total", "emrfsd_s3_retries_total", "emrfsd_dfs_open_files", "emrfsd_staging_disk_bytes", "emrfsd_datanode_connections"} {
		if !names[n] {
			t.Errorf("the page shows no %s figure", n)
		}
	}
	// Figures that must be non-zero after the traffic above.
	for _, n := range []string{"emrfsd_fs_written_bytes_total", "emrfsd_namenode_rpc_calls_total", "emrfsd_kms_requests_total", "emrfsd_s3_requests_total"} {
		if metrics.sum(n) == 0 {
			t.Errorf("%s is 0 after traffic", n)
		}
	}

	// The screenshot, for a person to look at.
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(artifactsDir, "status-page.png"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(shot)
	chromium(t, "--screenshot="+shot, g.HTTPURL()+"/")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 20_000 {
		t.Fatalf("screenshot %s is not a plausible PNG (%d bytes)", shot, len(png))
	}
	t.Logf("status page screenshot: %s (%d bytes)", shot, len(png))
}
