// Package sweep expands a trading-parameter grid, evaluates every cell in
// parallel through a caller-supplied function (the backtest over cached
// out-of-fold predictions), applies guardrails and ranks the survivors.
//
// It is pure: no storage, no training. The engine's sweep use case supplies the
// evaluator, persists results as they arrive and writes the report.
package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"sigmalab/engine/errs"
)

// Cell kinds, as the predecessor named them in results and reports.
const (
	KindThresholds = "thresholds"
	KindTopPct     = "top_pct"
)

// Spec is the parsed grid of a sweep request. Threshold cells come first
// (thresholds × hours), then top-pct cells (top_pct × hours); the optional
// slippage and size-by-confidence variants multiply both, innermost.
type Spec struct {
	ThresholdsVariants   [][]float64 `json:"thresholds_variants"`
	AllowedHoursVariants [][]int     `json:"allowed_hours_variants"` // a nil/empty variant means every hour
	TopPctVariants       []float64   `json:"top_pct_variants"`
	SlippageBpsVariants  []float64   `json:"slippage_bps_variants,omitempty"`
	SizeByConfVariants   []bool      `json:"size_by_conf_variants,omitempty"`
}

// DefaultThresholdsVariants are used when a request names neither threshold nor
// top-pct variants (the predecessor's defaults).
var DefaultThresholdsVariants = [][]float64{{0.50, 0.52, 0.54}, {0.55, 0.60, 0.65}}

// DefaultHours is the hours variant used when none is given.
var DefaultHours = []int{13, 14, 15}

// Cell is one point of the grid.
type Cell struct {
	Index        int       `json:"index"` // position in generation order (ties rank by it)
	Kind         string    `json:"kind"`
	Thresholds   []float64 `json:"-"`
	TopPct       float64   `json:"-"`
	AllowedHours []int     `json:"-"`
	SlippageBps  *float64  `json:"slippage_bps,omitempty"` // nil: the policy's value
	SizeByConf   *bool     `json:"size_by_conf,omitempty"` // nil: the policy's value

	// Wire forms kept from the predecessor: CSV strings for thresholds and hours.
	ThresholdsText string   `json:"thresholds,omitempty"`
	TopPctValue    *float64 `json:"top_pct,omitempty"`
	HoursText      string   `json:"allowed_hours"`
}

// Expand returns the cells of s in generation order.
func Expand(s Spec) []Cell {
	hours := s.AllowedHoursVariants
	if len(hours) == 0 {
		hours = [][]int{nil}
	}
	slips := []*float64{nil}
	if len(s.SlippageBpsVariants) > 0 {
		slips = slips[:0]
		for i := range s.SlippageBpsVariants {
			slips = append(slips, &s.SlippageBpsVariants[i])
		}
	}
	sizes := []*bool{nil}
	if len(s.SizeByConfVariants) > 0 {
		sizes = sizes[:0]
		for i := range s.SizeByConfVariants {
			sizes = append(sizes, &s.SizeByConfVariants[i])
		}
	}
	var cells []Cell
	add := func(c Cell) {
		for _, h := range hours {
			for _, sl := range slips {
				for _, sz := range sizes {
					c := c
					c.Index = len(cells)
					c.AllowedHours = h
					c.HoursText = FormatHours(h)
					c.SlippageBps, c.SizeByConf = sl, sz
					cells = append(cells, c)
				}
			}
		}
	}
	for _, thr := range s.ThresholdsVariants {
		add(Cell{Kind: KindThresholds, Thresholds: thr, ThresholdsText: FormatFloats(thr)})
	}
	for i, tp := range s.TopPctVariants {
		add(Cell{Kind: KindTopPct, TopPct: tp, TopPctValue: &s.TopPctVariants[i]})
	}
	return cells
}

// Size is the number of cells Expand(s) returns, without building them.
func (s Spec) Size() int {
	n := func(k int) int { return max(k, 1) }
	return (len(s.ThresholdsVariants) + len(s.TopPctVariants)) * n(len(s.AllowedHoursVariants)) *
		n(len(s.SlippageBpsVariants)) * n(len(s.SizeByConfVariants))
}

// SizeText spells out Size as the product of the variant counts,
// e.g. "3 thresholds/top_pct × 4 hours × 2 slippage".
func (s Spec) SizeText() string {
	parts := []string{fmt.Sprintf("%d thresholds/top_pct variants", len(s.ThresholdsVariants)+len(s.TopPctVariants))}
	if n := len(s.AllowedHoursVariants); n > 1 {
		parts = append(parts, fmt.Sprintf("%d allowed_hours variants", n))
	}
	if n := len(s.SlippageBpsVariants); n > 1 {
		parts = append(parts, fmt.Sprintf("%d slippage_bps variants", n))
	}
	if n := len(s.SizeByConfVariants); n > 1 {
		parts = append(parts, fmt.Sprintf("%d size_by_conf variants", n))
	}
	return strings.Join(parts, " × ")
}

// Fields names the request fields whose variants make up the grid.
func (s Spec) Fields() []string {
	var out []string
	if len(s.ThresholdsVariants) > 0 {
		out = append(out, "thresholds_variants")
	}
	if len(s.TopPctVariants) > 0 {
		out = append(out, "top_pct_variants")
	}
	if len(s.AllowedHoursVariants) > 0 {
		out = append(out, "allowed_hours_variants")
	}
	if len(s.SlippageBpsVariants) > 0 {
		out = append(out, "slippage_bps_variants")
	}
	if len(s.SizeByConfVariants) > 0 {
		out = append(out, "size_by_conf_variants")
	}
	return out
}

// MaxCells bounds a sweep so one request cannot queue unbounded work.
const MaxCells = 100_000

// Validate checks ranges; loc names the request fields in errors.
func (s Spec) Validate() error {
	v := &errs.Validation{}
	if len(s.ThresholdsVariants)+len(s.TopPctVariants) == 0 {
		v.Add("body", "thresholds_variants", "no threshold or top_pct variants", "value_error")
	}
	for i, thr := range s.ThresholdsVariants {
		if len(thr) == 0 {
			v.Add("body", "thresholds_variants", fmt.Sprintf("variant %d is empty", i), "value_error")
		}
		for _, x := range thr {
			if !(x > 0 && x < 1) {
				v.Add("body", "thresholds_variants", fmt.Sprintf("variant %d: threshold %v outside (0,1)", i, x), "value_error")
			}
		}
	}
	for i, tp := range s.TopPctVariants {
		if !(tp > 0 && tp <= 1) {
			v.Add("body", "top_pct_variants", fmt.Sprintf("variant %d: top_pct %v outside (0,1]", i, tp), "value_error")
		}
	}
	for i, hs := range s.AllowedHoursVariants {
		for _, h := range hs {
			if h < 0 || h > 23 {
				v.Add("body", "allowed_hours_variants", fmt.Sprintf("variant %d: hour %d outside 0..23", i, h), "value_error")
			}
		}
	}
	for i, sl := range s.SlippageBpsVariants {
		if !(sl >= 0 && sl <= 1000) {
			v.Add("body", "slippage_bps_variants", fmt.Sprintf("variant %d: %v outside 0..1000", i, sl), "value_error")
		}
	}
	if n := s.Size(); n > MaxCells {
		v.Add("body", "thresholds_variants", fmt.Sprintf("grid has %d cells; at most %d", n, MaxCells), "value_error")
	}
	return v.Err()
}

// ParseFloats parses "0.55,0.60,0.65" (spaces allowed; empty items skipped).
func ParseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, x)
	}
	return out, nil
}

// ParseHours parses "13,14,15"; "" means every hour (nil).
func ParseHours(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		h, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an hour", f)
		}
		if h < 0 || h > 23 {
			return nil, fmt.Errorf("hour %d outside 0..23", h)
		}
		out = append(out, h)
	}
	return out, nil
}

// FormatFloats renders thresholds the way requests write them ("0.55,0.6").
func FormatFloats(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strings.Join(parts, ",")
}

// FormatHours renders hours as "13,14,15" ("" for every hour).
func FormatHours(hs []int) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = strconv.Itoa(h)
	}
	return strings.Join(parts, ",")
}
