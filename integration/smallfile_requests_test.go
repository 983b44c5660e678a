package integration

import (
	"fmt"
	"testing"

	"github.com/colinmarc/hdfs/v2"
)

// TestSmallFileS3Requests counts the S3 requests the daemon sends per small
// file written through HDFS (create, addBlock, one packet, complete) into
// an existing directory, from its emrfsd_s3_requests_total (the same count
// a proxy in front of S3 sees: no retries against a healthy MinIO). Issue
// 12's S1 case is bound by these round trips, so the count is held down.
func TestSmallFileS3Requests(t *testing.T) {
	g := newGateway(t, nil)
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{g.NameNode}, User: currentUser(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const files = 20
	body := []byte("a small file of a few bytes\n")
	for _, dir := range Dirs {
		d := "/" + dir + "/small"
		if err := c.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		// One file first: directory state the daemon caches is warm.
		writeSmall(t, c, d+"/warm", body)
		before := g.scrape(t)
		for i := range files {
			writeSmall(t, c, fmt.Sprintf("%s/f-%03d", d, i), body)
		}
		after := g.scrape(t)
		per := map[string]float64{}
		total := 0.0
		for _, op := range after.values("emrfsd_s3_requests_total", "operation") {
			n := (after.sum("emrfsd_s3_requests_total", "operation", op) - before.sum("emrfsd_s3_requests_total", "operation", op)) / files
			if n > 0 {
				per[op] = n
				total += n
			}
		}
		rpcs := map[string]float64{}
		for _, m := range after.values("emrfsd_namenode_rpc_calls_total", "method") {
			if n := (after.sum("emrfsd_namenode_rpc_calls_total", "method", m) - before.sum("emrfsd_namenode_rpc_calls_total", "method", m)) / files; n > 0 {
				rpcs[m] = n
			}
		}
		t.Logf("/%s: S3 requests per small file %.2f: %v; NameNode RPCs per file: %v", dir, total, per, rpcs)
		// The object itself (CSE keeps its envelope in the object's metadata).
		if per["PutObject"] != 1 {
			t.Errorf("/%s: %.2f PutObject per file, want 1", dir, per["PutObject"])
		}
		if got := per["HeadObject"] + per["ListObjectsV2"]; got > maxProbesPerSmallFile {
			t.Errorf("/%s: %.2f HEAD+LIST per new file, want at most %d", dir, got, maxProbesPerSmallFile)
		}
		for _, i := range []int{0, files - 1} {
			got, err := c.ReadFile(fmt.Sprintf("%s/f-%03d", d, i))
			if err != nil || string(got) != string(body) {
				t.Fatalf("read back f-%03d: %q, %v", i, got, err)
			}
		}
	}
}

// maxProbesPerSmallFile: HEAD and LIST requests allowed per new file in an
// existing directory. HDFS refuses create over an existing file or
// directory, so the daemon must learn once that nothing is at the path
// (HEAD of the object, LIST of "NAME/", HEAD of the EMRFS folder marker);
// colinmarc's getFileInfo before create must not make it ask twice (it
// did: 4 HEADs and 2 LISTs per file).
const maxProbesPerSmallFile = 3

func writeSmall(t *testing.T, c *hdfs.Client, p string, body []byte) {
	t.Helper()
	w, err := c.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
