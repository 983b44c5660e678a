package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Target is a goal for a ratio or a measurement: Value compared with Op
// (">=" or "<=").
type Target struct {
	Op    string
	Value float64
}

// Met says whether v meets the target.
func (t Target) Met(v float64) bool {
	if t.Op == "<=" {
		return v <= t.Value
	}
	return v >= t.Value
}

func (t Target) String() string {
	op := "≥"
	if t.Op == "<=" {
		op = "≤"
	}
	return op + " " + strconv.FormatFloat(t.Value, 'g', 4, 64)
}

// Row is one case on one provider with two sides measured alternately.
// Ratio i is Emrfsd[i]/Direct[i]: for throughput units (higher is better) a
// ratio ≥ 1 means emrfsd is faster; for time units, ≤ 1 means faster.
type Row struct {
	Case     string // "W1"
	Provider string // "plain", "sse-kms", "cse-kms"
	What     string // short description
	Unit     string // unit of Direct and Emrfsd values
	Baseline string // what the direct side is
	// Peer names the other system of a peer row (S3A, MiniDFS) whose
	// figures are in Direct; empty for rows against direct S3 access.
	Peer   string
	Direct []float64
	Emrfsd []float64
	// Target for the median ratio; nil when none is stated.
	Target *Target
	// Err is set when the case failed; the row then has no figures.
	Err string
}

// Ratios returns the pair-by-pair ratios.
func (r Row) Ratios() ([]float64, error) { return PairRatios(r.Emrfsd, r.Direct) }

// Measure is a single measured figure (memory, counts) with an optional
// target.
type Measure struct {
	Case, Provider, Metric string
	Value                  float64
	Unit                   string
	Target                 *Target
	Note                   string
	Err                    string
}

// Machine describes where the run happened.
type Machine struct {
	NProc     int
	CPUModel  string
	GoVersion string
}

// DetectMachine reads the CPU model from /proc/cpuinfo.
func DetectMachine() Machine {
	m := Machine{NProc: runtime.NumCPU(), GoVersion: runtime.Version(), CPUModel: "unknown"}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			m.CPUModel = strings.TrimSpace(v)
			break
		}
	}
	return m
}

// Report is a whole run.
type Report struct {
	Title    string
	Date     time.Time
	Machine  Machine
	Mode     string // "quick" or "full"
	Reps     int
	Rows     []Row
	Measures []Measure
	Notes    []string
}

func fmtNum(v float64) string {
	switch a := abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func fmtSummary(s Summary, unit string) string {
	u := ""
	if unit != "" {
		u = " " + unit
	}
	if s.N == 1 {
		return fmtNum(s.Median) + u
	}
	return fmt.Sprintf("%s%s (%s–%s)", fmtNum(s.Median), u, fmtNum(s.Min), fmtNum(s.Max))
}

func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func metCell(t *Target, v float64) (string, string) {
	if t == nil {
		return "—", "—"
	}
	if t.Met(v) {
		return t.String(), "met"
	}
	return t.String(), "**not met**"
}

// Markdown writes the report as Markdown.
func (r *Report) Markdown(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# %s\n\n", r.Title)
	fmt.Fprintf(b, "- date: %s\n", r.Date.UTC().Format(time.RFC3339))
	fmt.Fprintf(b, "- machine: %d CPUs, %s, %s\n", r.Machine.NProc, r.Machine.CPUModel, r.Machine.GoVersion)
	fmt.Fprintf(b, "- mode: %s, %d repetitions per side, the two sides alternating; ratio = emrfsd/direct per repetition pair, shown as median (min–max)\n", r.Mode, r.Reps)
	for _, row := range r.Rows {
		if row.Peer != "" {
			b.WriteString("- peer rows (the baseline is another system, named in the baseline column): repetitions and rotation as in the notes; ratio = emrfsd/peer per repetition\n")
			break
		}
	}
	b.WriteString("\n")
	b.WriteString("| case | provider | what | unit | direct (baseline) | emrfsd | ratio emrfsd/direct | target | met |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		if row.Err != "" {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | failed: %s | — | %s | **not met** |\n",
				row.Case, row.Provider, cell(row.What), row.Unit, cell(row.Baseline), cell(row.Err), targetText(row.Target))
			continue
		}
		ds, err1 := Summarize(row.Direct)
		es, err2 := Summarize(row.Emrfsd)
		ratios, err3 := row.Ratios()
		var rs Summary
		if err3 == nil {
			rs, err3 = Summarize(ratios)
		}
		if err := firstErr(err1, err2, err3); err != nil {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | error: %s | — | %s | **not met** |\n",
				row.Case, row.Provider, cell(row.What), row.Unit, cell(row.Baseline), cell(err.Error()), targetText(row.Target))
			continue
		}
		tgt, met := metCell(row.Target, rs.Median)
		ratio := fmtNum(rs.Median) + "×"
		if rs.N > 1 {
			ratio += fmt.Sprintf(" (%s–%s)", fmtNum(rs.Min), fmtNum(rs.Max))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s: %s | %s | %s | %s | %s |\n",
			row.Case, row.Provider, cell(row.What), row.Unit, cell(row.Baseline), fmtSummary(ds, ""), fmtSummary(es, ""),
			ratio, tgt, met)
	}
	if len(r.Measures) > 0 {
		b.WriteString("\n| case | provider | measurement | value | target | met | note |\n|---|---|---|---|---|---|---|\n")
		for _, m := range r.Measures {
			if m.Err != "" {
				fmt.Fprintf(b, "| %s | %s | %s | failed: %s | %s | **not met** | %s |\n", m.Case, m.Provider, cell(m.Metric), cell(m.Err), targetText(m.Target), cell(m.Note))
				continue
			}
			tgt, met := metCell(m.Target, m.Value)
			u := ""
			if m.Unit != "" {
				u = " " + m.Unit
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s%s | %s | %s | %s |\n", m.Case, m.Provider, cell(m.Metric), fmtNum(m.Value), u, tgt, met, cell(m.Note))
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func targetText(t *Target) string {
	if t == nil {
		return "—"
	}
	return t.String()
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
