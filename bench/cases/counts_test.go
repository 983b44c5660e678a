package cases

import "testing"

func TestParseCounterAndPerFile(t *testing.T) {
	before, after := map[string]float64{}, map[string]float64{}
	for _, l := range []string{
		`# HELP emrfsd_s3_requests_total S3 API calls`,
		`emrfsd_s3_requests_total{operation="HeadObject"} 10`,
		`emrfsd_s3_requests_total{operation="PutObject"} 4`,
		`emrfsd_s3_requests_total_other{operation="PutObject"} 99`,
	} {
		parseCounter(l, "emrfsd_s3_requests_total", "operation", before)
	}
	for _, l := range []string{
		`emrfsd_s3_requests_total{operation="HeadObject"} 30`,
		`emrfsd_s3_requests_total{operation="PutObject"} 14`,
		`emrfsd_s3_requests_total{operation="ListObjectsV2"} 5`,
	} {
		parseCounter(l, "emrfsd_s3_requests_total", "operation", after)
	}
	rpc := map[string]float64{}
	parseCounter(`emrfsd_namenode_rpc_calls_total{method="create",outcome="ok"} 3`, "emrfsd_namenode_rpc_calls_total", "method", rpc)
	parseCounter(`emrfsd_namenode_rpc_calls_total{method="create",outcome="FileNotFoundException"} 2`, "emrfsd_namenode_rpc_calls_total", "method", rpc)
	if rpc["create"] != 5 {
		t.Fatalf("create calls over both outcomes: %v", rpc)
	}
	per, total := perFile(before, after, 10)
	if per["HeadObject"] != 2 || per["PutObject"] != 1 || per["ListObjectsV2"] != 0.5 || total != 3.5 {
		t.Fatalf("per file %v total %v", per, total)
	}
	if got := describe(per); got != "HeadObject 2.00, ListObjectsV2 0.50, PutObject 1.00" {
		t.Fatalf("describe: %q", got)
	}
}
