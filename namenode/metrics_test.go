package namenode

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/emrfsd/emrfsd/dfs"
	commonpb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/common"
	hdfspb "github.com/emrfsd/emrfsd/proto/emrfsd/hadoop/hdfs"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rpcFigures gathers the NameNode's figures: calls by "method outcome",
// latency sample counts by method, and the connection gauge.
func rpcFigures(t *testing.T, reg *prometheus.Registry) (calls map[string]float64, samples map[string]uint64, conns float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	calls, samples = map[string]float64{}, map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetName() {
			case "emrfsd_namenode_rpc_calls_total":
				calls[l["method"]+" "+l["outcome"]] = m.GetCounter().GetValue()
			case "emrfsd_namenode_rpc_duration_seconds":
				samples[l["method"]] = m.GetHistogram().GetSampleCount()
			case "emrfsd_namenode_connections":
				conns = m.GetGauge().GetValue()
			}
		}
	}
	return calls, samples, conns
}

// TestRPCMetricsAndRequestIDs: calls are counted by method and outcome (the
// exception class sent), each call is timed, connections are gauged, and a
// failed call's message ends with the request id its log line carries.
func TestRPCMetricsAndRequestIDs(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs syncBuf
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	_, addr := startServer(t, Options{Metrics: reg, Logger: log}, dfs.Options{})
	rc := dialRaw(t, addr)
	rc.handshake("alice")
	for i := range 2 {
		if h := rc.call(int32(1+i), "getServerDefaults", &hdfspb.GetServerDefaultsRequestProto{}, &hdfspb.GetServerDefaultsResponseProto{}); h.GetStatus() != commonpb.RpcResponseHeaderProto_SUCCESS {
			t.Fatalf("getServerDefaults: %v", h)
		}
	}
	h := rc.call(3, "mkdirs", &hdfspb.MkdirsRequestProto{Src: proto.String("relative/dir"), Masked: &hdfspb.FsPermissionProto{Perm: proto.Uint32(0o755)},
		CreateParent: proto.Bool(true)}, nil)
	if h.GetStatus() != commonpb.RpcResponseHeaderProto_ERROR {
		t.Fatalf("mkdirs of a relative path: %v", h)
	}
	class := h.GetExceptionClassName()
	m := regexp.MustCompile(` \[request_id=([0-9a-f]{16})\]$`).FindStringSubmatch(h.GetErrorMsg())
	if m == nil {
		t.Fatalf("error message %q does not end with a request id", h.GetErrorMsg())
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "request_id="+m[1]) {
			line = l
		}
	}
	if !strings.Contains(line, "msg=rpc") || !strings.Contains(line, "method=mkdirs") || !strings.Contains(line, "user=alice") {
		t.Fatalf("no rpc log line for request %s: %q\nlogs:\n%s", m[1], line, logs.String())
	}
	if h := rc.call(4, "concat", &hdfspb.MsyncRequestProto{}, nil); h.GetExceptionClassName() != exNoSuchMethod {
		t.Fatalf("concat: %v", h)
	}

	calls, samples, conns := rpcFigures(t, reg)
	want := map[string]float64{"getServerDefaults ok": 2, "mkdirs " + class: 1, "unknown " + exNoSuchMethod: 1}
	if len(calls) != len(want) {
		t.Errorf("call series %v, want %v", calls, want)
	}
	for k, v := range want {
		if calls[k] != v {
			t.Errorf("calls[%s] = %v, want %v (all %v)", k, calls[k], v, calls)
		}
	}
	if samples["getServerDefaults"] != 2 || samples["mkdirs"] != 1 || samples["unknown"] != 1 {
		t.Errorf("latency samples %v", samples)
	}
	if conns != 1 {
		t.Errorf("connections %v with one client connected", conns)
	}
	rc.c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, conns = rpcFigures(t, reg); conns == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections %v after the client left", conns)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
