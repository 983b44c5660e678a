package report

import (
	"errors"
	"fmt"
	"image/color"
	"slices"

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

// Chart draws the median pair ratio of every row that has figures as a bar
// (one colour per provider) with its min–max range, and the row's target as
// a red line over the bar, and saves it as a PNG.
func (r *Report) Chart(path string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("emrfsd / direct, median of pair ratios (%s)", r.Mode)
	p.Y.Label.Text = "ratio (throughput: ≥1 faster; time (L1): ≤1 faster)"
	for _, row := range r.Rows {
		if row.Peer != "" {
			p.Title.Text = fmt.Sprintf("emrfsd / baseline (direct S3, or the peer named under the bar), median of pair ratios (%s)", r.Mode)
			p.Y.Label.Text = "ratio (throughput: ≥1 faster; times in s (L1, JL1, JRN, J1*): ≤1 faster)"
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
		bar, err := plotter.NewBarChart(plotter.Values{s.Median}, vg.Points(18))
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
		errBars.XYs = append(errBars.XYs, plotter.XY{X: x, Y: s.Median})
		errBars.YErrors = append(errBars.YErrors, struct{ Low, High float64 }{Low: s.Median - s.Min, High: s.Max - s.Median})
		if row.Target != nil {
			line, err := plotter.NewLine(plotter.XYs{{X: x - 0.45, Y: row.Target.Value}, {X: x + 0.45, Y: row.Target.Value}})
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
	one, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 1}, {X: x - 0.5, Y: 1}})
	if err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	one.Color = color.Gray{Y: 0x60}
	p.Add(one)
	p.NominalX(labels...)
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	w := vg.Points(max(480, 48*float64(len(labels))+120))
	if err := p.Save(w, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	return nil
}
