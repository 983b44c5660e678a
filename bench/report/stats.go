package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNoData reports an empty series.
var ErrNoData = errors.New("report: no measurements")

// ErrPairs reports ratio inputs that cannot be paired.
var ErrPairs = errors.New("report: series cannot be paired")

// Summary is the median and range of a series.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// Summarize returns the median, minimum and maximum of vs. The median of an
// even number of values is the mean of the middle two.
func Summarize(vs []float64) (Summary, error) {
	if len(vs) == 0 {
		return Summary{}, ErrNoData
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	for _, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Summary{}, fmt.Errorf("report: value %v is not finite", v)
		}
	}
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Summary{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}, nil
}

// PairRatios returns num[i]/den[i] for every repetition i: the ratio is
// computed pair by pair, never from the two medians.
func PairRatios(num, den []float64) ([]float64, error) {
	if len(num) != len(den) {
		return nil, fmt.Errorf("%w: %d vs %d repetitions", ErrPairs, len(num), len(den))
	}
	if len(num) == 0 {
		return nil, ErrNoData
	}
	out := make([]float64, len(num))
	for i := range num {
		if den[i] == 0 || math.IsNaN(den[i]) {
			return nil, fmt.Errorf("%w: repetition %d has baseline %v", ErrPairs, i, den[i])
		}
		out[i] = num[i] / den[i]
	}
	return out, nil
}
