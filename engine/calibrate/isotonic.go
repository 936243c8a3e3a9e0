package calibrate

import (
	"math"
	"sort"
)

// IsotonicMap is a fitted non-decreasing step map, evaluated by linear
// interpolation between its knots and clamped outside them.
type IsotonicMap struct {
	X []float64 `json:"x"` // knots, strictly increasing
	Y []float64 `json:"y"` // fitted values, non-decreasing
}

// FitIsotonic runs pool-adjacent-violators on (p, hit) sorted by p. Equal p
// values are pooled first so the map is a function of p. Fitted values are
// kept within [1/(n+2), 1−1/(n+2)] for n fitted points: a block without a hit
// (or without a miss) says the rate is small, not that it is exactly 0 (or
// 1), and one unseen outcome would otherwise cost an infinite log loss.
// Clamping keeps the map non-decreasing.
func FitIsotonic(p []float64, hit []bool) IsotonicMap {
	idx := make([]int, 0, len(p))
	for i := range p {
		if !math.IsNaN(p[i]) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	// Blocks: sum of targets, weight, and the x range they cover.
	type block struct{ sum, w, xlo, xhi float64 }
	blocks := make([]block, 0, len(idx))
	for _, i := range idx {
		y := 0.0
		if hit[i] {
			y = 1
		}
		if n := len(blocks); n > 0 && blocks[n-1].xhi == p[i] {
			blocks[n-1].sum += y
			blocks[n-1].w++
		} else {
			blocks = append(blocks, block{y, 1, p[i], p[i]})
		}
		// Merge backwards while the order is violated.
		for n := len(blocks); n > 1 && blocks[n-2].sum/blocks[n-2].w > blocks[n-1].sum/blocks[n-1].w; n = len(blocks) {
			a, b := blocks[n-2], blocks[n-1]
			blocks[n-2] = block{a.sum + b.sum, a.w + b.w, a.xlo, b.xhi}
			blocks = blocks[:n-1]
		}
	}
	iso := IsotonicMap{}
	eps := 1 / float64(len(idx)+2)
	for _, b := range blocks {
		v := min(max(b.sum/b.w, eps), 1-eps)
		// Each pooled block is flat over its x range: two knots keep it flat
		// under interpolation; one suffices for a single x.
		iso.X = append(iso.X, b.xlo)
		iso.Y = append(iso.Y, v)
		if b.xhi > b.xlo {
			iso.X = append(iso.X, b.xhi)
			iso.Y = append(iso.Y, v)
		}
	}
	return iso
}

// Apply maps a raw probability to a calibrated one.
func (s *IsotonicMap) Apply(p float64) float64 {
	n := len(s.X)
	switch {
	case n == 0:
		return p
	case math.IsNaN(p):
		return s.Y[0]
	case p <= s.X[0]:
		return s.Y[0]
	case p >= s.X[n-1]:
		return s.Y[n-1]
	}
	j := sort.SearchFloat64s(s.X, p) // X[j-1] < p <= X[j]
	x0, x1 := s.X[j-1], s.X[j]
	return s.Y[j-1] + (s.Y[j]-s.Y[j-1])*(p-x0)/(x1-x0)
}
