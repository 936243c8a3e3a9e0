package backtest

import (
	"math"

	"sigmalab/engine/stats"
)

// Benchmark compares a result with buy-and-hold of the underlying over the
// same periods (the result's series: the test folds' periods in which the
// rules could hold a position). Every figure is per period of that series and
// annualised with the result's periods per year.
type Benchmark struct {
	// Basis is where the underlying's period return comes from: close (the
	// OOF's close, period j from row j's close to row j+1's) or label_return
	// (no close: each row's own label return, exact for one-period labels).
	Basis     string  `json:"basis"`
	Periods   int     `json:"periods"`
	CumRet    float64 `json:"cum_ret"`  // Σ of the underlying's period returns
	CompRet   float64 `json:"comp_ret"` // Π(1 + r) − 1
	SharpeAnn float64 `json:"sharpe_ann"`
	// ExcessCumRet is the strategy's cum_ret minus the benchmark's.
	ExcessCumRet float64 `json:"excess_cum_ret"`
	// Beta is cov(strategy, benchmark)/var(benchmark); AlphaAnn the
	// annualised mean of strategy − β·benchmark.
	Beta     float64 `json:"beta"`
	AlphaAnn float64 `json:"alpha_ann"`
	Corr     float64 `json:"corr"`
	// InformationRatio is mean/std of strategy − benchmark, annualised.
	InformationRatio float64 `json:"information_ratio"`
}

// SeriesReturns returns the period returns of res's series (res must have
// been evaluated with KeepSeries), in time order.
func SeriesReturns(res Result) []float64 {
	out := make([]float64, 0, len(res.PnL))
	for j, in := range res.InSeries {
		if in {
			out = append(out, res.PnL[j])
		}
	}
	return out
}

// BenchmarkOf computes the buy-and-hold comparison of res (evaluated on o
// with KeepSeries); nil when res has no series.
func BenchmarkOf(o *OOF, res Result) *Benchmark {
	if len(res.InSeries) != o.Len() || len(res.PnL) != o.Len() {
		return nil
	}
	b := &Benchmark{Basis: "close"}
	if !o.marked {
		b.Basis = "label_return"
	}
	cnt := 0
	for _, in := range res.InSeries {
		if in {
			cnt++
		}
	}
	s, bm := make([]float64, 0, cnt), make([]float64, 0, cnt)
	for j, in := range res.InSeries {
		if !in {
			continue
		}
		u := o.mark[j]
		if !o.marked {
			u = o.Ret[j]
		}
		if math.IsNaN(u) || math.IsInf(u, 0) {
			u = 0
		}
		s = append(s, res.PnL[j])
		bm = append(bm, u)
	}
	b.Periods = len(s)
	if b.Periods == 0 {
		return nil
	}
	ppy := res.Holding.PeriodsPerYear
	ann := math.Sqrt(ppy)
	comp := 1.0
	var ms, mb float64
	for i := range s {
		b.CumRet += bm[i]
		comp *= 1 + bm[i]
		ms += s[i]
		mb += bm[i]
	}
	b.CompRet = comp - 1
	n := float64(len(s))
	ms, mb = ms/n, mb/n
	var vs, vb, cov float64
	diff := make([]float64, len(s))
	for i := range s {
		vs += (s[i] - ms) * (s[i] - ms)
		vb += (bm[i] - mb) * (bm[i] - mb)
		cov += (s[i] - ms) * (bm[i] - mb)
		diff[i] = s[i] - bm[i]
	}
	b.ExcessCumRet = ms*n - b.CumRet
	if vb > 0 {
		b.Beta = cov / vb
		b.SharpeAnn = mb / math.Sqrt(vb/n) * ann
	}
	if vb > 0 && vs > 0 {
		b.Corr = cov / math.Sqrt(vb*vs)
	}
	b.AlphaAnn = (ms - b.Beta*mb) * ppy
	if d := stats.Describe(diff); d.Std > 0 {
		b.InformationRatio = d.Mean / d.Std * ann
	}
	return b
}
