package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// providerColor gives each provider a fixed bar colour.
func providerColor(p string) color.Color {
	switch p {
	case "plain":
		return color.RGBA{R: 0x4c, G: 0x72, B: 0xb0, A: 0xff}
	case "sse-kms":
		return color.RGBA{R: 0x55, G: 0xa8, B: 0x68, A: 0xff}
	case "cse-kms":
		return color.RGBA{R: 0xdd, G: 0x84, B: 0x52, A: 0xff}
	default:
		return color.RGBA{R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff}
	}
}

// providerRank orders the legend: plain, sse-kms, cse-kms, then others.
func providerRank(p string) int {
	switch p {
	case "plain":
		return 0
	case "sse-kms":
		return 1
	case "cse-kms":
		return 2
	}
	return 3
}

type ratioBars struct {
	plotter.XYs
	plotter.YErrors
}

// minRatio is where the log-scale chart floors a ratio (a zero would have
// no logarithm).
const minRatio = 1e-3

// logRatio is a ratio's height on the chart: its base-10 logarithm, so that
// 2× and 0.5× stand equally far above and below 1×, and a 500× peer row
// (a directory rename against HDFS) leaves the 0.5× bars readable.
func logRatio(v float64) float64 { return math.Log10(max(v, minRatio)) }

// ratioTicks labels the log-scale axis with ratios (0.5×, 1×, 2×, ...).
type ratioTicks struct{}

func (ratioTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(lo) - 1; e <= math.Ceil(hi)+1; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if l := math.Log10(v); l >= lo && l <= hi {
				ticks = append(ticks, plot.Tick{Value: l, Label: strconv.FormatFloat(v, 'g', -1, 64) + "×"})
			}
		}
	}
	return ticks
}

// Chart draws the median pair ratio of every row that has figures as a bar
// (one colour per provider) with its min–max range, and the row's target as
// a red line over the bar, on a logarithmic axis centred on 1× (bars rise
// above 1× and hang below it), and saves it as a PNG.
func (r *Report) Chart(path string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("emrfsd / direct, median of pair ratios (%s); emrfsd is faster above 1× for throughputs, below it for times (L1)", r.Mode)
	p.Y.Label.Text = "ratio (log scale)"
	for _, row := range r.Rows {
		if row.Peer != "" {
			p.Title.Text = fmt.Sprintf("emrfsd / baseline (direct S3, or the peer named under the bar), median of pair ratios (%s); emrfsd is faster above 1× for throughputs, below it for times (L1, JL1, JRN, J1*)", r.Mode)
			break
		}
	}
	p.Legend.Top = true
	p.Legend.Left = true
	var labels []string
	legend := map[string]plot.Thumbnailer{}
	var (
		providers []string
		target    plot.Thumbnailer
	)
	var errBars ratioBars
	x := 0.0
	for _, row := range r.Rows {
		if row.Err != "" {
			continue
		}
		ratios, err := row.Ratios()
		if err != nil {
			continue
		}
		s, err := Summarize(ratios)
		if err != nil {
			continue
		}
		med := logRatio(s.Median)
		bar, err := plotter.NewBarChart(plotter.Values{med}, vg.Points(18))
		if err != nil {
			return fmt.Errorf("report: chart: %w", err)
		}
		bar.XMin = x
		bar.Color = providerColor(row.Provider)
		bar.LineStyle.Width = 0
		p.Add(bar)
		if legend[row.Provider] == nil {
			legend[row.Provider] = bar
			providers = append(providers, row.Provider)
		}
		errBars.XYs = append(errBars.XYs, plotter.XY{X: x, Y: med})
		errBars.YErrors = append(errBars.YErrors, struct{ Low, High float64 }{Low: med - logRatio(s.Min), High: logRatio(s.Max) - med})
		if row.Target != nil {
			t := logRatio(row.Target.Value)
			line, err := plotter.NewLine(plotter.XYs{{X: x - 0.45, Y: t}, {X: x + 0.45, Y: t}})
			if err != nil {
				return fmt.Errorf("report: chart: %w", err)
			}
			line.Color = color.RGBA{R: 0xd0, A: 0xff}
			line.Width = vg.Points(2)
			p.Add(line)
			target = line
		}
		label := row.Case + "\n" + row.Provider
		if row.Peer != "" {
			label += "\nvs " + row.Peer
		}
		labels = append(labels, label)
		x++
	}
	if len(labels) == 0 {
		return errors.New("report: chart: no row has figures")
	}
	slices.SortStableFunc(providers, func(a, b string) int { return providerRank(a) - providerRank(b) })
	for _, pr := range providers {
		p.Legend.Add(pr, legend[pr])
	}
	if target != nil {
		p.Legend.Add("target", target)
	}
	eb, err := plotter.NewYErrorBars(errBars)
	if err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	p.Add(eb)
	one, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 0}, {X: x - 0.5, Y: 0}})
	if err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	one.Color = color.Gray{Y: 0x60}
	p.Add(one)
	p.NominalX(labels...)
	// At least 0.5×–2× shown, so a run of ratios near 1 is not blown up.
	p.Y.Min = min(p.Y.Min, logRatio(0.5))
	p.Y.Max = max(p.Y.Max, logRatio(2))
	p.Y.Tick.Marker = ratioTicks{}
	p.Add(plotter.NewGrid())
	w := vg.Points(max(480, 48*float64(len(labels))+120))
	if err := p.Save(w, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	return nil
}
