package cases

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/emrfsd/emrfsd/bench/report"
)

// counters are the daemon's call counters read from its /metrics page:
// S3 API calls by operation and NameNode RPCs by method.
type counters struct {
	S3  map[string]float64 // emrfsd_s3_requests_total by operation
	RPC map[string]float64 // emrfsd_namenode_rpc_calls_total by method (all outcomes)
}

// scrapeCounters reads the daemon's Prometheus text page.
func (d *Daemon) scrapeCounters(ctx context.Context) (counters, error) {
	c := counters{S3: map[string]float64{}, RPC: map[string]float64{}}
	if d.HTTP == "" {
		return c, fmt.Errorf("bench: the daemon has no HTTP listener")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.HTTP+"/metrics", nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("bench: /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		parseCounter(sc.Text(), "emrfsd_s3_requests_total", "operation", c.S3)
		parseCounter(sc.Text(), "emrfsd_namenode_rpc_calls_total", "method", c.RPC)
	}
	return c, sc.Err()
}

// parseCounter adds line's value to into[label value] when line is a
// sample of metric.
func parseCounter(line, metric, label string, into map[string]float64) {
	rest, ok := strings.CutPrefix(line, metric+"{")
	if !ok {
		return
	}
	labels, val, ok := strings.Cut(rest, "} ")
	if !ok {
		return
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil {
		return
	}
	for _, kv := range strings.Split(labels, ",") {
		if k, q, ok := strings.Cut(kv, "="); ok && k == label {
			if name, err := strconv.Unquote(q); err == nil {
				into[name] += v
			}
		}
	}
}

// perFile returns (after-before)/n for every key, and their sum.
func perFile(before, after map[string]float64, n int) (map[string]float64, float64) {
	out := map[string]float64{}
	total := 0.0
	for k, a := range after {
		if d := a - before[k]; d > 0 {
			out[k] = d / float64(n)
			total += d / float64(n)
		}
	}
	return out, total
}

func describe(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// addCallCounts records S3 requests and NameNode RPCs per file (per read
// for R2) of a case from counter snapshots taken around n files' work.
func (s *suite) addCallCounts(c, provider string, before, after counters, n int, err error) {
	what := "file"
	if c == "R2" {
		what = "read"
	}
	s3m := report.Measure{Case: c, Provider: provider, Metric: "S3 requests per " + what + " (daemon's emrfsd_s3_requests_total)", Unit: "requests"}
	rpcm := report.Measure{Case: c, Provider: provider, Metric: "NameNode RPCs per " + what + " (daemon's emrfsd_namenode_rpc_calls_total)", Unit: "calls"}
	if err == nil && n > 0 {
		var per map[string]float64
		per, s3m.Value = perFile(before.S3, after.S3, n)
		s3m.Note = describe(per)
		per, rpcm.Value = perFile(before.RPC, after.RPC, n)
		rpcm.Note = describe(per)
	} else if err == nil {
		err = fmt.Errorf("bench: no files counted")
	}
	s.addMeasure(s3m, err)
	s.addMeasure(rpcm, err)
}
