package signals

import (
	"math"
	"sort"
	"time"
)

// Metrics are the live figures of a set of signal rows (GET /signals/summary,
// /signals/leaderboard, /models/{id}/performance). A figure that is not
// defined for the rows (no trades, zero dispersion, no timestamps) is nil,
// which JSON writes as null: NaN and ±Inf never leave this package.
//
// perf is each trade's result: the logged pnl when the rows carry executions
// (PerfSource "pnl", in the log's units, e.g. dollars), else the planned
// reward/risk rr of each signal (PerfSource "rr", in R multiples) — a plan,
// not a realised result, and labelled so.
type Metrics struct {
	PerfSource string `json:"perf_source"` // pnl | rr | none
	Rows       int    `json:"rows"`        // rows in the window
	// Trades is the number of filled executions; without executions, the
	// number of signals.
	Trades int `json:"trades"`
	// CumReturn = Σ perf over trades (perf units).
	CumReturn float64 `json:"cum_return"`
	// WinRate = #(perf > 0) / #perf over trades (fraction 0..1); nil when
	// perf is the planned rr (plans are not outcomes).
	WinRate *float64 `json:"win_rate"`
	// Sharpe = mean(perf) / σ(perf) · √n, σ the population standard deviation
	// (ddof 0) over the n trades; per-trade, not annualised; nil when σ = 0.
	Sharpe *float64 `json:"sharpe"`
	// Sortino = mean(perf) / σ(perf < 0) · √n, σ the population standard
	// deviation of the losing trades only (the reference's definition); nil
	// when there are no losses or one loss (σ = 0).
	Sortino *float64 `json:"sortino"`
	// MaxDD is the deepest fall of the cumulative perf curve below its running
	// peak, in perf units (≤ 0): E_t = Σ_{s≤t} perf_s with E_0 = 0 and
	// MaxDD = min_t (E_t − max_{s≤t} E_s). It is additive like cum_return,
	// so it stays meaningful when the curve goes below zero.
	MaxDD *float64 `json:"max_dd"`
	// MaxDDPct is the same fall relative to the peak, (E_t − peak)/peak, over
	// the points whose peak is > 0 (fraction ≤ 0): the share of accumulated
	// gains given back. nil when the curve never rose above zero.
	MaxDDPct *float64 `json:"max_dd_pct"`
	// FillRate = filled / (filled + canceled + pending) (fraction 0..1).
	FillRate *float64 `json:"fill_rate"`
	// AvgSlippage = mean of the logged slippage values (price units per share).
	AvgSlippage *float64 `json:"avg_slippage"`
	// CoveragePct = distinct signal dates / calendar days from the first to the
	// last date, both included, × 100 (percent).
	CoveragePct *float64 `json:"coverage_pct"`
	// FreshnessSec = now − the latest row time (seconds).
	FreshnessSec *float64 `json:"freshness_sec"`
	// Capacity is not estimated (no volume model for live fills).
	Capacity *float64 `json:"capacity"`
}

// Compute returns the metrics of rows at time now.
func Compute(rows []Signal, now time.Time) Metrics {
	m := Metrics{Rows: len(rows), PerfSource: "none"}
	executed := false
	for _, r := range rows {
		if r.Executed() {
			executed = true
			break
		}
	}
	var perf []float64
	var filled, canceled, pending int
	var slipSum float64
	var slipN int
	days := map[string]bool{}
	var last time.Time
	for _, r := range rows {
		if r.Date != "" {
			days[r.Date] = true
		}
		t := r.TS
		if r.ExecTS != nil {
			t = *r.ExecTS
		}
		if t.After(last) {
			last = t
		}
		if r.Slippage != nil && finite(*r.Slippage) {
			slipSum += *r.Slippage
			slipN++
		}
		switch r.Status {
		case StatusFilled:
			filled++
		case StatusCanceled, "cancelled":
			canceled++
		case StatusPending:
			pending++
		}
		if executed {
			if r.Status == StatusFilled {
				m.Trades++
				if r.PnL != nil && finite(*r.PnL) {
					perf = append(perf, *r.PnL)
				}
			}
			continue
		}
		m.Trades++
		if r.RR != nil && finite(*r.RR) {
			perf = append(perf, *r.RR)
		}
	}
	if len(perf) > 0 {
		m.PerfSource = "rr"
		if executed {
			m.PerfSource = "pnl"
		}
	}
	fillPerf(&m, perf)
	if d := filled + canceled + pending; d > 0 {
		m.FillRate = F(float64(filled) / float64(d))
	}
	if slipN > 0 {
		m.AvgSlippage = F(slipSum / float64(slipN))
	}
	if len(days) > 0 {
		m.CoveragePct = F(coverage(days))
	}
	if !last.IsZero() {
		m.FreshnessSec = F(math.Max(0, now.Sub(last).Seconds()))
	}
	return m
}

// fillPerf sets the figures that depend on the perf series only.
func fillPerf(m *Metrics, perf []float64) {
	n := len(perf)
	if n == 0 {
		return
	}
	var sum float64
	wins := 0
	for _, p := range perf {
		sum += p
		if p > 0 {
			wins++
		}
	}
	m.CumReturn = sum
	if m.PerfSource == "pnl" { // a planned rr is not an outcome: no win rate
		m.WinRate = F(float64(wins) / float64(n))
	}
	mean := sum / float64(n)
	if sd := popStd(perf); sd > 0 {
		m.Sharpe = F(mean / sd * math.Sqrt(float64(n)))
	}
	var neg []float64
	for _, p := range perf {
		if p < 0 {
			neg = append(neg, p)
		}
	}
	if sd := popStd(neg); sd > 0 {
		m.Sortino = F(mean / sd * math.Sqrt(float64(n)))
	}
	var eq, peak, dd float64
	ddPct := math.NaN()
	for _, p := range perf {
		eq += p
		peak = math.Max(peak, eq)
		dd = math.Min(dd, eq-peak)
		if peak > 0 {
			r := (eq - peak) / peak
			if math.IsNaN(ddPct) || r < ddPct {
				ddPct = r
			}
		}
	}
	m.MaxDD = F(dd)
	if !math.IsNaN(ddPct) {
		m.MaxDDPct = F(ddPct)
	}
}

// popStd is the population standard deviation (ddof 0); 0 for < 2 values.
func popStd(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	mean := s / float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(len(x)))
	// Equal values leave rounding noise; treat it as no dispersion.
	if sd <= 1e-12*math.Max(1, math.Abs(mean)) {
		return 0
	}
	return sd
}

// coverage is distinct dates / inclusive calendar span × 100.
func coverage(days map[string]bool) float64 {
	ds := make([]string, 0, len(days))
	for d := range days {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	first, err1 := time.Parse(time.DateOnly, ds[0])
	last, err2 := time.Parse(time.DateOnly, ds[len(ds)-1])
	if err1 != nil || err2 != nil {
		return 0
	}
	span := int(last.Sub(first).Hours()/24) + 1
	return float64(len(ds)) / float64(span) * 100
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// InWindow reports whether a row's date lies in [start, end], both inclusive
// (empty bounds are open). Dates compare as YYYY-MM-DD strings.
func InWindow(date, start, end string) bool {
	return (start == "" || date >= start) && (end == "" || date <= end)
}
