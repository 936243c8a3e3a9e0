package backtest

import (
	"math"
	"sort"

	"sigmalab/engine/policy"
)

// Entry modes of bracket parity.
const (
	EntryNextSessionOpen = "next_session_open"
	EntryNextBar         = "next_bar"
)

// Brackets are the policy's execution.brackets settings.
type Brackets struct {
	AtrPeriod       int     `json:"atr_period"`
	AtrMultStop     float64 `json:"atr_mult_stop"`
	AtrMultTarget   float64 `json:"atr_mult_target"`
	TimeStopMinutes int     `json:"time_stop_minutes"`
	EntryMode       string  `json:"entry_mode"`
}

// withDefaults fills unset fields from the policy's bracket defaults (the
// one place they are written).
func (b Brackets) withDefaults() Brackets {
	d := policy.Defaults().Brackets
	if b.AtrPeriod <= 0 {
		b.AtrPeriod = d.AtrPeriod
	}
	if b.AtrMultStop <= 0 {
		b.AtrMultStop = d.AtrMultStop
	}
	if b.AtrMultTarget <= 0 {
		b.AtrMultTarget = d.AtrMultTarget
	}
	if b.TimeStopMinutes <= 0 {
		b.TimeStopMinutes = d.TimeStopMinutes
	}
	if b.EntryMode != EntryNextBar {
		b.EntryMode = EntryNextSessionOpen
	}
	return b
}

// Bars is the price series parity trades on (the matrix rows, time ordered).
// Open, High, Low and Close are all required (with close alone entry equals
// exit and no stop can trigger); ATR, when nil, is computed from the bars
// (Wilder smoothing of the true range).
type Bars struct {
	TS    []int64  // bar start, unix ms
	Date  []string // session date
	Open  []float64
	High  []float64
	Low   []float64
	Close []float64
	ATR   []float64
}

// Signal asks parity to trade Side (+1 long, −1 short) after bar Row.
type Signal struct {
	Row  int
	Side int8
}

// ParityResult summarises the bracket simulation.
type ParityResult struct {
	OK              bool    `json:"ok"`
	Signals         int     `json:"signals"`
	Trades          int     `json:"trades"`
	Wins            int     `json:"wins"`
	Losses          int     `json:"losses"`
	Timeouts        int     `json:"timeouts"`
	Skipped         int     `json:"skipped"` // no entry bar, no ATR, or overlapping an open trade
	HitRate         float64 `json:"hit_rate"`
	AvgRR           float64 `json:"avg_rr"`
	AvgReturnPct    float64 `json:"avg_return_pct"`
	EntryMode       string  `json:"entry_mode"`
	AtrMultStop     float64 `json:"atr_mult_stop"`
	AtrMultTarget   float64 `json:"atr_mult_target"`
	TimeStopMinutes int     `json:"time_stop_minutes"`
	BarsStop        int     `json:"bars_stop"`
	// BarSource names the bars traded on ("matrix" or "market:<ticker>/<tf>").
	BarSource string `json:"bar_source,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Parity simulates ATR brackets on the bars after each signal, unlike the
// predecessor (one long per session whatever the model said):
//
//   - entry at the open of the next session's first bar (next_session_open) or
//     of the next bar (next_bar); the ATR is the one known at the signal bar;
//   - stop = entry ∓ k_stop·ATR, target = entry ± k_target·ATR (mirrored for
//     shorts); bars are scanned from the entry bar for at most
//     max(1, round(time_stop_minutes / bar minutes)) bars;
//   - a bar touching both levels counts as a stop (the order inside a bar is
//     unknown, so the conservative outcome); a time-out exits at the close of
//     the last scanned bar;
//   - one trade at a time: signals whose entry falls before the open trade's
//     exit are skipped.
//
// rr is (exit − entry)·side / (k_stop·ATR); returns are (exit − entry)·side / entry.
func Parity(b Bars, sig []Signal, br Brackets) ParityResult {
	br = br.withDefaults()
	res := ParityResult{Signals: len(sig), EntryMode: br.EntryMode, AtrMultStop: br.AtrMultStop,
		AtrMultTarget: br.AtrMultTarget, TimeStopMinutes: br.TimeStopMinutes}
	n := len(b.Close)
	if n == 0 {
		res.Skipped = len(sig)
		res.Reason = "no bars"
		return res
	}
	if len(b.Open) != n || len(b.High) != n || len(b.Low) != n {
		res.Skipped = len(sig)
		res.Reason = "bars lack open/high/low: brackets cannot be simulated on close alone"
		return res
	}
	open, high, low := b.Open, b.High, b.Low
	atr := b.ATR
	if atr == nil {
		atr = wilderATR(high, low, b.Close, br.AtrPeriod)
	}
	res.BarsStop = max(1, int(math.Round(float64(br.TimeStopMinutes)/barMinutes(b))))
	var sumRR, sumRet float64
	busyUntil := -1 // last bar of the open trade
	sort.SliceStable(sig, func(i, j int) bool { return sig[i].Row < sig[j].Row })
	for _, s := range sig {
		if s.Side == 0 || s.Row < 0 || s.Row >= n {
			res.Skipped++
			continue
		}
		j := s.Row + 1
		if br.EntryMode == EntryNextSessionOpen && b.Date != nil {
			for j < n && b.Date[j] == b.Date[s.Row] {
				j++
			}
		}
		a := atr[s.Row]
		if j >= n || j <= busyUntil || !(a > 0) || !(open[j] > 0) {
			res.Skipped++
			continue
		}
		side := float64(s.Side)
		entry := open[j]
		stop := entry - side*br.AtrMultStop*a
		target := entry + side*br.AtrMultTarget*a
		exit, outcome := math.NaN(), 0
		last := min(n-1, j+res.BarsStop-1)
		for k := j; k <= last; k++ {
			hitStop := side > 0 && low[k] <= stop || side < 0 && high[k] >= stop
			hitTarget := side > 0 && high[k] >= target || side < 0 && low[k] <= target
			if hitStop {
				exit, outcome, last = stop, -1, k
				break
			}
			if hitTarget {
				exit, outcome, last = target, 1, k
				break
			}
		}
		if outcome == 0 {
			exit = b.Close[last]
			res.Timeouts++
		} else if outcome > 0 {
			res.Wins++
		} else {
			res.Losses++
		}
		busyUntil = last
		res.Trades++
		sumRR += (exit - entry) * side / (br.AtrMultStop * a)
		sumRet += (exit - entry) * side / entry
	}
	if res.Trades == 0 {
		if res.Reason == "" {
			res.Reason = "no tradeable signals (missing next bar or ATR)"
		}
		return res
	}
	res.OK = true
	t := float64(res.Trades)
	res.HitRate = float64(res.Wins) / t
	res.AvgRR = sumRR / t
	res.AvgReturnPct = 100 * sumRet / t
	return res
}

// wilderATR is the causal Wilder ATR: EWM with α = 1/period of the true range,
// NaN until period bars have been seen.
func wilderATR(high, low, close []float64, period int) []float64 {
	out := make([]float64, len(close))
	alpha := 1 / float64(period)
	var w float64
	seen := 0
	for i := range close {
		tr := high[i] - low[i]
		if i > 0 && !math.IsNaN(close[i-1]) {
			tr = max(tr, math.Abs(high[i]-close[i-1]), math.Abs(low[i]-close[i-1]))
		}
		if math.IsNaN(tr) {
			out[i] = math.NaN()
			continue
		}
		if seen == 0 {
			w = tr
		} else {
			w = (1-alpha)*w + alpha*tr
		}
		seen++
		out[i] = math.NaN()
		if seen >= period {
			out[i] = w
		}
	}
	return out
}

// barMinutes is the median spacing of consecutive bars of the same session
// (a day when every row is its own session).
func barMinutes(b Bars) float64 {
	var d []int64
	for i := 1; i < len(b.TS); i++ {
		if b.Date == nil || b.Date[i] == b.Date[i-1] {
			if x := b.TS[i] - b.TS[i-1]; x > 0 {
				d = append(d, x)
			}
		}
	}
	if len(d) == 0 {
		return 24 * 60
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[len(d)/2]) / 60000
}
