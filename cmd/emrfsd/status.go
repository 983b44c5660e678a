package main

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/emrfsd/emrfsd/internal/config"
	"github.com/emrfsd/emrfsd/internal/logring"
)

// buildVersion describes the binary: the module version, the VCS revision
// it was built from (with "+dirty" for uncommitted changes) and Go's.
func buildVersion() (version, revision, goVersion string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", "unknown", "unknown"
	}
	version, revision = bi.Main.Version, "unknown"
	if version == "" {
		version = "(devel)"
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
			if len(revision) > 12 {
				revision = revision[:12]
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		revision += "+dirty"
	}
	return version, revision, bi.GoVersion
}

// registerBuildInfo exports emrfsd_build_info{version,revision,goversion} 1.
func registerBuildInfo(reg prometheus.Registerer) error {
	v, r, g := buildVersion()
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "emrfsd_build_info",
		Help:        "Always 1; the labels describe the emrfsd binary.",
		ConstLabels: prometheus.Labels{"version": v, "revision": r, "goversion": g},
	}, func() float64 { return 1 }))
}

// figures are the gathered metric families, for the status page: each
// figure the page shows is the sum of the series of one family whose labels
// include the given ones, rendered with data-metric and data-labels so a
// reader (and the browser test) can find it on /metrics.
type figures map[string]*dto.MetricFamily

// Figure is one number on the page.
type Figure struct {
	Metric string // family name
	Labels string // k=v,k=v: the series summed (empty: all)
	Value  string
}

func (f figures) get(name string, labels ...string) Figure {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	var sum float64
	if mf := f[name]; mf != nil {
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	var kv []string
	for i := 0; i+1 < len(labels); i += 2 {
		kv = append(kv, labels[i]+"="+labels[i+1])
	}
	return Figure{Metric: name, Labels: strings.Join(kv, ","), Value: formatValue(sum)}
}

// formatValue prints whole numbers as integers, others with %g.
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%g", v)
}

// labelValues lists the distinct values of label in family name's series
// (each also having the given labels), sorted.
func (f figures) labelValues(name, label string) []string {
	seen := map[string]bool{}
	if mf := f[name]; mf != nil {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label {
					seen[lp.GetValue()] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// statusBucket is one row of the bucket table. Key ids and ARNs name keys;
// no key material is ever on the page.
type statusBucket struct {
	Path, Bucket, Provider, KeyID, KeyARN string
	Read, Written                         Figure
}

type statusRow struct {
	Name  string
	Cells []Figure
}

type statusPage struct {
	Version, Revision, GoVersion string
	Started                      string
	Uptime                       string
	Store, DataDir               string
	Addrs                        []string
	Ready                        readyResult
	ReadyNotChecked              bool
	Buckets                      []statusBucket
	Discovered                   bool
	Service                      []statusRow // RPC, DataNode, leases, staging
	Cache                        []statusRow
	KMS                          []statusRow
	KMSOutcomes                  []string
	S3                           []statusRow
	Errors                       []logring.Record
	ErrorsTotal                  uint64
	ErrorsKept                   int
	Now                          string
}

func (d *daemon) statusData(f figures) statusPage {
	v, r, g := buildVersion()
	p := statusPage{Version: v, Revision: r, GoVersion: g,
		Started: d.started.UTC().Format(time.RFC3339), Uptime: time.Since(d.started).Round(time.Second).String(),
		Store: d.mode, DataDir: d.opts.DataDir, Now: time.Now().UTC().Format(time.RFC3339)}
	for _, name := range []string{"NameNode", "DataNode", "HTTP", "HTTPS"} {
		if a := d.addrs[name]; a != "" {
			p.Addrs = append(p.Addrs, name+" "+a)
		}
	}
	p.Ready = d.ready.peek()
	p.ReadyNotChecked = p.Ready.At.IsZero()

	mounts := append([]config.Mount(nil), d.opts.Buckets...)
	if d.opts.DefaultBucket != "" {
		mounts = append(mounts, config.Mount{Dir: "", Bucket: d.opts.DefaultBucket})
	}
	p.Discovered = len(d.opts.Buckets) == 0
	for _, m := range mounts {
		row := statusBucket{Path: "/" + m.Dir, Bucket: m.Bucket}
		if m.Dir == "" {
			row.Path = "/ (default bucket)"
		}
		if pol, err := d.opts.Policy(m.Bucket); err != nil {
			row.Provider = "error: " + err.Error()
		} else {
			row.Provider, row.KeyID = pol.Provider, pol.KMSKeyID
			if pol.Provider == config.ProviderCSEKMS {
				row.KeyARN = d.opts.KeyARN(pol.KMSKeyID)
			}
		}
		row.Read = f.get("emrfsd_fs_read_bytes_total", "bucket", m.Bucket)
		row.Written = f.get("emrfsd_fs_written_bytes_total", "bucket", m.Bucket)
		p.Buckets = append(p.Buckets, row)
	}

	p.Service = []statusRow{
		{"NameNode RPC calls", []Figure{f.get("emrfsd_namenode_rpc_calls_total")}},
		{"NameNode RPC calls answered ok", []Figure{f.get("emrfsd_namenode_rpc_calls_total", "outcome", "ok")}},
		{"NameNode connections", []Figure{f.get("emrfsd_namenode_connections")}},
		{"DataNode connections", []Figure{f.get("emrfsd_datanode_connections")}},
		{"Files open for writing", []Figure{f.get("emrfsd_dfs_open_files")}},
		{"Clients holding leases", []Figure{f.get("emrfsd_dfs_leases")}},
		{"Staging parts in use", []Figure{f.get("emrfsd_staging_parts")}},
		{"Staging files on disk", []Figure{f.get("emrfsd_staging_files")}},
		{"Staging bytes on disk", []Figure{f.get("emrfsd_staging_disk_bytes")}},
	}
	p.Cache = []statusRow{
		{"Hits", []Figure{f.get("emrfsd_keycache_hits_total")}},
		{"Misses", []Figure{f.get("emrfsd_keycache_misses_total")}},
		{"Single-flight joins", []Figure{f.get("emrfsd_keycache_singleflight_joins_total")}},
		{"KMS decrypts (loads)", []Figure{f.get("emrfsd_keycache_loads_total")}},
		{"Evictions", []Figure{f.get("emrfsd_keycache_evictions_total")}},
		{"Entries", []Figure{f.get("emrfsd_keycache_entries")}},
	}
	p.KMSOutcomes = f.labelValues("emrfsd_kms_requests_total", "outcome")
	for _, op := range f.labelValues("emrfsd_kms_requests_total", "operation") {
		row := statusRow{Name: op, Cells: []Figure{f.get("emrfsd_kms_requests_total", "operation", op)}}
		for _, o := range p.KMSOutcomes {
			row.Cells = append(row.Cells, f.get("emrfsd_kms_requests_total", "operation", op, "outcome", o))
		}
		p.KMS = append(p.KMS, row)
	}
	for _, op := range f.labelValues("emrfsd_s3_requests_total", "operation") {
		p.S3 = append(p.S3, statusRow{Name: op, Cells: []Figure{
			f.get("emrfsd_s3_requests_total", "operation", op),
			f.get("emrfsd_s3_request_errors_total", "operation", op),
			f.get("emrfsd_s3_retries_total", "operation", op),
		}})
	}
	recs := d.ring.Records()
	for i := len(recs) - 1; i >= 0; i-- { // newest first
		p.Errors = append(p.Errors, recs[i])
	}
	p.ErrorsTotal, p.ErrorsKept = d.ring.Total(), len(recs)
	return p
}

// handleStatus renders the status page. It refreshes the readiness result
// (cached, like /readyz) before reading the figures, so the page and a
// /metrics scrape right after it agree.
func (d *daemon) handleStatus(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/" {
		http.NotFound(w, req)
		return
	}
	d.ready.get(req.Context())
	mfs, err := d.metrics.Gather()
	if err != nil {
		d.log.Warn("status page: gathering metrics", "err", err)
	}
	f := figures{}
	for _, mf := range mfs {
		f[mf.GetName()] = mf
	}
	var b bytes.Buffer
	if err := statusTemplate.Execute(&b, d.statusData(f)); err != nil {
		d.log.Error("status page", "err", err)
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

func levelClass(l slog.Level) string {
	if l >= slog.LevelError {
		return "error"
	}
	return "warn"
}

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"levelClass": levelClass,
	"ts":         func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") },
	"errText":    func(err error) string { return oneLine(err) },
	"ms":         func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).Parse(statusHTML))

const statusHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>emrfsd status</title>
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 14px; margin: 0; color: #222; background: #fafafa; }
header { background: #2b4a6f; color: #fff; padding: 10px 20px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; font-size: 13px; color: #dde6f0; }
main { padding: 4px 20px 20px; max-width: 1200px; }
h2 { font-size: 17px; border-bottom: 1px solid #bbb; padding-bottom: 3px; margin-top: 18px; }
table { border-collapse: collapse; background: #fff; margin-bottom: 6px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #e8edf3; }
td[data-metric] { text-align: right; font-family: "DejaVu Sans Mono", monospace; }
.ok { color: #1d6b2b; font-weight: bold; }
.fail { color: #a31515; font-weight: bold; }
.warn { color: #8a5a00; }
.error { color: #a31515; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
.note { color: #666; font-size: 12px; }
</style>
</head>
<body>
<header>
<h1>emrfsd</h1>
<p>HDFS over S3 &middot; version <span id="version">{{.Version}}</span> &middot; revision <span id="revision">{{.Revision}}</span> &middot; {{.GoVersion}}</p>
</header>
<main>
<h2>Overview</h2>
<table id="overview">
<tr><th>Started</th><td>{{.Started}}</td></tr>
<tr><th>Uptime</th><td id="uptime">{{.Uptime}}</td></tr>
<tr><th>Store</th><td>{{.Store}}</td></tr>
<tr><th>Data directory</th><td class="mono">{{.DataDir}}</td></tr>
<tr><th>Listening</th><td class="mono">{{range .Addrs}}{{.}}<br>{{end}}</td></tr>
<tr><th>Readiness</th><td id="readiness">{{if .ReadyNotChecked}}not checked yet{{else if .Ready.Failing}}<span class="fail">NOT READY: {{.Ready.Failing}}</span>{{else}}<span class="ok">ready</span>{{end}}
{{range .Ready.Deps}}<br><span class="mono">{{.Name}}: {{if .Err}}<span class="fail">FAIL</span> {{errText .Err}}{{else}}<span class="ok">ok</span>{{end}} ({{.Target}}, {{ms .Took}})</span>{{end}}</td></tr>
</table>
<p class="note">Figures below are read from the daemon's metrics registry, the same one <a href="/metrics">/metrics</a> serves; <a href="/readyz">/readyz</a>, <a href="/healthz">/healthz</a>. Page rendered {{.Now}}.</p>

<h2>Buckets</h2>
{{if .Discovered}}<p class="note">emrfsd.buckets is empty: buckets are discovered by listing; byte counts appear per bucket once used.</p>{{end}}
<table id="buckets">
<tr><th>Path</th><th>S3 bucket</th><th>Provider</th><th>KMS key id</th><th>Key ARN</th><th>Bytes read</th><th>Bytes written</th></tr>
{{range .Buckets}}<tr><td class="mono">{{.Path}}</td><td class="mono">{{.Bucket}}</td><td>{{.Provider}}</td><td class="mono">{{.KeyID}}</td><td class="mono">{{.KeyARN}}</td>{{with .Read}}<td data-metric="{{.Metric}}" data-labels="{{.Labels}}">{{.Value}}</td>{{end}}{{with .Written}}<td data-metric="{{.Metric}}" data-labels="{{.Labels}}">{{.Value}}</td>{{end}}</tr>
{{end}}</table>

<h2>Service</h2>
<table id="service">
{{range .Service}}<tr><th>{{.Name}}</th>{{range .Cells}}<td data-metric="{{.Metric}}" data-labels="{{.Labels}}">{{.Value}}</td>{{end}}</tr>
{{end}}</table>

<h2>Key cache</h2>
<table id="keycache">
{{range .Cache}}<tr><th>{{.Name}}</th>{{range .Cells}}<td data-metric="{{.Metric}}" data-labels="{{.Labels}}">{{.Value}}</td>{{end}}</tr>
{{end}}</table>

<h2>KMS calls</h2>
{{if .KMS}}<table id="kms">
<tr><th>Operation</th><th>All</th>{{range .KMSOutcomes}}<th>{{.}}</th>{{end}}</tr>
{{range .KMS}}<tr><th>{{.Name}}</th>{{range .Cells}}<td data-metric="{{.Metric}}" data-labels="{{.Labels}}">{{.Value}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p class="note">No KMS calls yet.</p>{{end}}

<h2>S3 requests</h2>
{{if .S3}}<table id="s3">
<tr><th>Operation</th><th>Calls</th><th>Errors</th><th>SDK retries</th></tr>
{{range .S3}}<tr><th>{{.Name}}</th>{{range .Cells}}<td data-metric="{{.Metric}}" data-labels="{{.Labels}}">{{.Value}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p class="note">No S3 requests yet.</p>{{end}}

<h2>Recent warnings and errors</h2>
<p class="note" id="errors-count">{{.ErrorsKept}} shown (newest first) of {{.ErrorsTotal}} since start.</p>
{{if .Errors}}<table id="errors">
<tr><th>Time (UTC)</th><th>Level</th><th>Message</th><th>Attributes</th></tr>
{{range .Errors}}<tr class="{{levelClass .Level}}"><td class="mono">{{ts .Time}}</td><td>{{.Level}}</td><td>{{.Message}}</td><td class="mono">{{.Attrs}}</td></tr>
{{end}}</table>{{end}}
</main>
</body>
</html>
`
