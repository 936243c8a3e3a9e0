package signals

import (
	"math"
	"sort"
)

// MinATRFrac floors the ATR of a bracket: ATR_eff = max(ATR, MinATRFrac·close),
// so a flat series still gets a stop a few ticks away.
const MinATRFrac = 0.0005

// BracketParams are the policy's ATR multiples (execution.brackets).
type BracketParams struct {
	KStop, KTarget  float64 // ATR multiples (> 0)
	TimeStopMinutes int
	EntryMode       string
	MinRR           float64 // rows whose rr is below are dropped
}

// Bracket is a stop/target pair around an entry price (price units).
type Bracket struct {
	Entry, Stop, Target, AtrEff, RR float64
}

// MakeBracket computes the bracket of a buy (stop below, target above) or a
// sell (mirrored) at entry = close:
//
//	ATR_eff = max(atr, 0.0005·close)                  (price units)
//	buy:  stop = entry − k_stop·ATR_eff, target = entry + k_target·ATR_eff
//	sell: stop = entry + k_stop·ATR_eff, target = entry − k_target·ATR_eff
//	rr    = k_target / k_stop                          (R multiples)
//
// ok is false when close is not a positive number (no bracket can be set).
// A missing atr (NaN) falls back to the floor.
func MakeBracket(side string, close, atr float64, p BracketParams) (Bracket, bool) {
	if !(close > 0) || math.IsInf(close, 0) || !(p.KStop > 0) || !(p.KTarget > 0) {
		return Bracket{}, false
	}
	eff := MinATRFrac * close
	if atr > eff && !math.IsInf(atr, 0) {
		eff = atr
	}
	b := Bracket{Entry: close, AtrEff: eff, RR: p.KTarget / p.KStop}
	if side == Sell {
		b.Stop, b.Target = close+p.KStop*eff, close-p.KTarget*eff
	} else {
		b.Stop, b.Target = close-p.KStop*eff, close+p.KTarget*eff
	}
	return b, true
}

// WilderATR is the average true range of the last bar with Wilder smoothing
// over period bars (price units): TR_t = max(h−l, |h−c_{t−1}|, |l−c_{t−1}|),
// ATR = the first period TRs averaged, then ATR_t = ATR_{t−1} + (TR_t −
// ATR_{t−1})/period. NaN with fewer than period+1 bars.
func WilderATR(h, l, c []float64, period int) float64 {
	out := WilderATRSeries(h, l, c, period)
	if len(out) == 0 {
		return math.NaN()
	}
	return out[len(out)-1]
}

// WilderATRSeries is WilderATR at every bar (NaN before it is defined).
func WilderATRSeries(h, l, c []float64, period int) []float64 {
	n := len(c)
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	if period < 1 || n < period+1 {
		return out
	}
	var atr float64
	for i := 1; i < n; i++ {
		tr := math.Max(h[i]-l[i], math.Max(math.Abs(h[i]-c[i-1]), math.Abs(l[i]-c[i-1])))
		switch {
		case i < period:
			atr += tr
		case i == period:
			atr = (atr + tr) / float64(period)
			out[i] = atr
		default:
			atr += (tr - atr) / float64(period)
			out[i] = atr
		}
	}
	return out
}

// Scored is one candidate row of a generation: its index in the scored
// rows, direction and confidence (probability of the predicted class, 0..1).
type Scored struct {
	Row        int
	Label      string // predicted class (UP / DOWN)
	Side       string
	Confidence float64
}

// Selection modes.
const (
	SelectThreshold = "threshold"
	SelectTopN      = "top_n"
)

// Select keeps the candidates to signal: mode threshold keeps confidence ≥
// threshold; mode top_n keeps the n most confident (ties by earlier row).
// Both return the kept rows ranked by confidence, descending (rank 1 first).
func Select(c []Scored, mode string, threshold float64, n int) []Scored {
	out := make([]Scored, 0, len(c))
	for _, s := range c {
		if !finite(s.Confidence) {
			continue
		}
		if mode == SelectThreshold && s.Confidence < threshold {
			continue
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Confidence != out[j].Confidence {
			return out[i].Confidence > out[j].Confidence
		}
		return out[i].Row < out[j].Row
	})
	if mode == SelectTopN && n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}
