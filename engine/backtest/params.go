package backtest

import (
	"fmt"
	"math"
	"sort"

	"sigmalab/engine/errs"
)

// Threshold selection criteria (per_hour_select_by).
const (
	SelectSharpe = "sharpe"
	SelectCumRet = "cum_ret"
	SelectTrades = "trades"
)

// Holding modes: how overlapping positions share capital.
const (
	// HoldOverlap (the default): every signal opens a position with
	// 1/max_concurrent of capital, held over its label's horizon.
	HoldOverlap = "overlap"
	// HoldFlat: a signal is taken only when no position is open, with all
	// capital.
	HoldFlat = "flat"
)

// DefaultThresholds is the predecessor's default threshold list.
var DefaultThresholds = []float64{0.55, 0.60, 0.65, 0.70}

// TradeParams are the trading rules applied to OOF probabilities. Normalize
// fills the predecessor's defaults except slippage, where 0 is a legitimate
// value (the request layer defaults it to 1 bp).
type TradeParams struct {
	// Holding is overlap (default) or flat; see HoldOverlap and HoldFlat.
	Holding string `json:"holding"`
	// Thresholds are tried in threshold mode; the reported path uses, for each
	// fold, the one that scored best (by SelectBy) on the earlier folds' rows
	// whose label ended by the fold's start, and the middle one for the first
	// fold (or while no earlier outcome is known).
	Thresholds []float64 `json:"thresholds"`
	// TopPct > 0 switches to top-pct mode: a row trades when its confidence is
	// in the top TopPct of the confidences of the rows before it (never read
	// from later rows); 0 means off.
	TopPct       float64 `json:"top_pct"`
	AllowedHours []int   `json:"allowed_hours"` // ET hours that may trade; empty = all
	SlippageBps  float64 `json:"slippage_bps"`  // cost per unit of |position| per trade
	SizeByConf   bool    `json:"size_by_conf"`  // size = min(max(0, 2·conf−1), ConfCap)
	ConfCap      float64 `json:"conf_cap"`
	// PerHourThresholds picks a threshold per ET hour from the earlier folds.
	PerHourThresholds bool    `json:"per_hour_thresholds"`
	SelectBy          string  `json:"per_hour_select_by"` // sharpe | cum_ret | trades; also used for the per-fold pick
	MomentumGate      bool    `json:"momentum_gate"`
	MomentumMin       float64 `json:"momentum_min"`
	MomentumColumn    string  `json:"momentum_column"`
	// MomentumValues, when set, are the gate column's values per OOF row (for
	// a column the OOF does not carry in Aux); it must have OOF.Len() entries.
	MomentumValues []float64 `json:"-"`
	// KeepSeries copies the reported path's per-row positions and PnL into the
	// Result (for equity plots); sweeps leave it off.
	KeepSeries bool `json:"-"`
	// HindsightTable fills Result.ThresholdTable (threshold mode).
	HindsightTable bool `json:"-"`
	// PBOBlocks > 0 fills Result.Blocks: the period returns summed over that
	// many contiguous blocks of the OOF's calendar (for PBO across cells).
	PBOBlocks int `json:"-"`
}

// Normalize fills defaults, sorts and de-duplicates thresholds and validates
// ranges. Errors are 422 validations naming the body field.
func (p TradeParams) Normalize() (TradeParams, error) {
	v := &errs.Validation{}
	if len(p.Thresholds) == 0 {
		p.Thresholds = DefaultThresholds
	}
	th := append([]float64(nil), p.Thresholds...)
	sort.Float64s(th)
	out := th[:0]
	for i, t := range th {
		if math.IsNaN(t) || t < 0 || t > 1 {
			v.Add("body", "thresholds", "thresholds must be numbers in [0, 1]", "value_error")
			break
		}
		if i == 0 || t != th[i-1] {
			out = append(out, t)
		}
	}
	p.Thresholds = out
	if len(out) > 100 {
		v.Add("body", "thresholds", "at most 100 thresholds", "value_error")
	}
	if math.IsNaN(p.TopPct) || p.TopPct < 0 || p.TopPct > 1 {
		v.Add("body", "top_pct", "top_pct must be in [0, 1]", "value_error")
	}
	for _, h := range p.AllowedHours {
		if h < 0 || h > 23 {
			v.Add("body", "allowed_hours", fmt.Sprintf("hour %d is outside 0..23", h), "value_error")
			break
		}
	}
	if math.IsNaN(p.SlippageBps) || math.IsInf(p.SlippageBps, 0) || p.SlippageBps < 0 || p.SlippageBps > 1e4 {
		v.Add("body", "slippage_bps", "slippage_bps must be in [0, 10000]", "value_error")
	}
	if p.ConfCap == 0 {
		p.ConfCap = 1
	}
	if math.IsNaN(p.ConfCap) || p.ConfCap < 0 || p.ConfCap > 1 {
		v.Add("body", "conf_cap", "conf_cap must be in (0, 1]", "value_error")
	}
	switch p.Holding {
	case "":
		p.Holding = HoldOverlap
	case HoldOverlap, HoldFlat:
	default:
		v.Add("body", "holding", "holding must be one of: overlap, flat", "value_error")
	}
	switch p.SelectBy {
	case "":
		p.SelectBy = SelectSharpe
	case SelectSharpe, SelectCumRet, SelectTrades:
	default:
		v.Add("body", "per_hour_select_by", "per_hour_select_by must be one of: sharpe, cum_ret, trades", "value_error")
	}
	if math.IsNaN(p.MomentumMin) || math.IsInf(p.MomentumMin, 0) {
		v.Add("body", "momentum_min", "momentum_min must be finite", "value_error")
	}
	if p.MomentumColumn == "" {
		p.MomentumColumn = "momentum_score_total"
	}
	return p, v.Err()
}

// hourMask turns AllowedHours into a lookup table (all of 0..23 when empty).
// It is indexed by a uint8 hour, so lookups need no bounds check; entry 24
// (rows whose hour is out of range) is always false.
func (p *TradeParams) hourMask() (m [256]bool) {
	if len(p.AllowedHours) == 0 {
		for h := 0; h < 24; h++ {
			m[h] = true
		}
		return
	}
	for _, h := range p.AllowedHours {
		if h >= 0 && h < 24 {
			m[h] = true
		}
	}
	return
}
