package report

import (
	"bytes"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	s, err := Summarize([]float64{5, 1, 3})
	if err != nil || s.Median != 3 || s.Min != 1 || s.Max != 5 || s.N != 3 {
		t.Fatalf("odd: %+v %v", s, err)
	}
	s, err = Summarize([]float64{4, 1, 3, 10})
	if err != nil || s.Median != 3.5 || s.Min != 1 || s.Max != 10 {
		t.Fatalf("even: %+v %v", s, err)
	}
	if _, err := Summarize(nil); !errors.Is(err, ErrNoData) {
		t.Fatalf("empty: %v", err)
	}
}

func TestPairRatiosArePairwiseNotMedianOverMedian(t *testing.T) {
	// Medians are 20 and 10 (ratio of medians 2), but the pairs give
	// 1, 3, 1 → median 1.
	emr := []float64{10, 30, 20}
	dir := []float64{10, 10, 20}
	r, err := PairRatios(emr, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 3, 1}
	for i := range want {
		if r[i] != want[i] {
			t.Fatalf("ratio %d = %v, want %v", i, r[i], want[i])
		}
	}
	s, _ := Summarize(r)
	if s.Median != 1 || s.Min != 1 || s.Max != 3 {
		t.Fatalf("summary %+v", s)
	}
	if _, err := PairRatios([]float64{1}, []float64{1, 2}); !errors.Is(err, ErrPairs) {
		t.Fatalf("length mismatch: %v", err)
	}
	if _, err := PairRatios([]float64{1}, []float64{0}); !errors.Is(err, ErrPairs) {
		t.Fatalf("zero baseline: %v", err)
	}
}

func TestTarget(t *testing.T) {
	ge := Target{Op: ">=", Value: 0.95}
	if !ge.Met(0.95) || ge.Met(0.949) {
		t.Fatal(">= wrong")
	}
	le := Target{Op: "<=", Value: 1.3}
	if !le.Met(1.3) || le.Met(1.31) {
		t.Fatal("<= wrong")
	}
}

// stubReport stands in for a run: the "emrfsd" figures here are made up and
// exist only to exercise the table and chart code.
func stubReport() *Report {
	return &Report{
		Title:   "test",
		Date:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Machine: Machine{NProc: 2, CPUModel: "Test CPU", GoVersion: "go1.26"},
		Mode:    "quick",
		Reps:    3,
		Rows: []Row{
			{Case: "W1", Provider: "plain", What: "write", Unit: "MiB/s", Baseline: "PUT", Direct: []float64{100, 100, 100}, Emrfsd: []float64{99, 90, 101}, Target: &Target{">=", 0.95}},
			{Case: "W1", Provider: "cse-kms", What: "write", Unit: "MiB/s", Baseline: "PUT", Direct: []float64{100, 100, 100}, Emrfsd: []float64{50, 60, 70}, Target: &Target{">=", 0.9}},
			{Case: "L1", Provider: "cse-kms", What: "list", Unit: "s", Baseline: "LIST", Direct: []float64{1, 1, 1}, Emrfsd: []float64{1.1, 1.2, 1.0}, Target: &Target{"<=", 1.3}},
			{Case: "R1", Provider: "plain", What: "read", Unit: "MiB/s", Baseline: "GET", Err: "boom|x"},
		},
		Measures: []Measure{
			{Case: "M1", Provider: "cse-kms", Metric: "peak RSS", Value: 100, Unit: "MiB", Target: &Target{"<=", 256}},
			{Case: "K1", Provider: "cse-kms", Metric: "GDK per file", Value: 2, Target: &Target{"<=", 1}},
		},
		Notes: []string{"a note"},
	}
}

func TestMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := stubReport().Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"- date: 2026-01-02T03:04:05Z",
		"2 CPUs, Test CPU, go1.26",
		"| W1 | plain | write | MiB/s | PUT: 100 (100–100) | 99.0 (90.0–101) | 0.99× (0.90–1.01) | ≥ 0.95 | met |",
		"| W1 | cse-kms | write | MiB/s | PUT: 100 (100–100) | 60.0 (50.0–70.0) | 0.60× (0.50–0.70) | ≥ 0.9 | **not met** |",
		"| L1 | cse-kms | list | s | LIST: 1.00 (1.00–1.00) | 1.10 (1.00–1.20) | 1.10× (1.00–1.20) | ≤ 1.3 | met |",
		"failed: boom\\|x",
		"| M1 | cse-kms | peak RSS | 100 MiB | ≤ 256 | met |",
		"| K1 | cse-kms | GDK per file | 2.00 | ≤ 1 | **not met** |",
		"- a note",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestChartIsPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.png")
	if err := stubReport().Chart(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
		t.Fatalf("tiny chart %v", b)
	}
	empty := &Report{Rows: []Row{{Case: "X", Err: "failed"}}}
	if err := empty.Chart(filepath.Join(t.TempDir(), "e.png")); err == nil {
		t.Fatal("chart without figures did not fail")
	}
}

func TestMarkdownNamesPeerRows(t *testing.T) {
	r := &Report{Title: "t", Date: time.Unix(0, 0), Mode: "quick", Reps: 2, Rows: []Row{
		{Case: "W1", Provider: "plain", Unit: "MiB/s", Baseline: "PUT", Direct: []float64{1, 1}, Emrfsd: []float64{1, 1}},
	}}
	var b bytes.Buffer
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "peer rows") {
		t.Error("header mentions peer rows without any")
	}
	r.Rows = append(r.Rows, Row{Case: "J1", Provider: "plain", Unit: "s", Peer: "S3A", Baseline: "S3A (same job)",
		Direct: []float64{2, 4}, Emrfsd: []float64{1, 4}, Target: &Target{Op: "<=", Value: 1}})
	b.Reset()
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"peer rows", "| J1 | plain |", "S3A (same job): 3.00 (2.00–4.00)", "0.75× (0.50–1.00)", "| met |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
	if err := r.Chart(filepath.Join(t.TempDir(), "c.png")); err != nil {
		t.Fatal(err)
	}
}

// TestRatioAxis: the chart's axis is logarithmic around 1× and labelled in
// ratios, so that a 500× peer row leaves the 0.5× bars readable, and a zero
// ratio (a side that did nothing) is floored instead of having no logarithm.
func TestRatioAxis(t *testing.T) {
	var got []string
	for _, tk := range (ratioTicks{}).Ticks(logRatio(0.5), logRatio(500)) {
		got = append(got, tk.Label)
	}
	want := []string{"0.5×", "1×", "2×", "5×", "10×", "20×", "50×", "100×", "200×", "500×"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ticks %v, want %v", got, want)
	}
	if logRatio(2) != -logRatio(0.5) || logRatio(1) != 0 {
		t.Errorf("2× and 0.5× at %v and %v, 1× at %v: want symmetric around 0", logRatio(2), logRatio(0.5), logRatio(1))
	}
	if v := logRatio(0); math.IsInf(v, 0) || math.IsNaN(v) {
		t.Errorf("logRatio(0) = %v, want a finite floor", v)
	}
}
