package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"sigmalab/engine/backtest"
)

// TestBacktestOutputsAddUp lays out a random three-fold OOF's outputs: every
// OOF row once with its fold, nulls where the label or return is unknown,
// one trade per position the metrics count, whose PnL adds up to the
// path's return, and an equity curve ending at the metrics' cum_ret.
func TestBacktestOutputsAddUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	const n = 300
	o := &backtest.OOF{Classes: []string{"DOWN", "FLAT", "UP"}, Probs: make([][]float64, 3), Label: make([]int, n),
		TS: make([]int64, n), T1: make([]int64, n), Hour: make([]int32, n), Ret: make([]float64, n),
		FoldStart: []int{0, 100, 200, n}}
	for k := range o.Probs {
		o.Probs[k] = make([]float64, n)
	}
	for i := range n {
		o.TS[i] = int64(1_720_000_000_000 + i*3_600_000)
		o.T1[i] = o.TS[i] + 3_600_000
		o.Hour[i] = int32(10 + i%6)
		a, b := rng.Float64(), rng.Float64()
		o.Probs[0][i], o.Probs[2][i] = a*0.5, b*0.5
		o.Probs[1][i] = 1 - o.Probs[0][i] - o.Probs[2][i]
		o.Ret[i] = rng.NormFloat64() / 100
		o.Label[i] = rng.IntN(3)
		switch i % 37 {
		case 5:
			o.Label[i] = -1
		case 6:
			o.Ret[i] = math.NaN()
		}
	}
	oof, err := backtest.NewOOF(o)
	if err != nil {
		t.Fatal(err)
	}
	p := backtest.TradeParams{Thresholds: []float64{0.3, 0.4}, SlippageBps: 1, KeepSeries: true}
	res, err := backtest.Evaluate(oof, p)
	if err != nil {
		t.Fatal(err)
	}
	out := backtestOutputs(oof, res, p)
	if len(out.OOF) != n || len(out.Equity) != n {
		t.Fatalf("%d oof rows, %d equity rows", len(out.OOF), len(out.Equity))
	}
	for i, r := range out.OOF {
		wantFold := int32(i / 100)
		if r.Fold != wantFold || r.TS.UnixMilli() != o.TS[i] || r.PUp != o.Probs[2][i] || r.PDown != o.Probs[0][i] {
			t.Fatalf("row %d: %+v", i, r)
		}
		if (r.Y == nil) != (o.Label[i] < 0) || (r.RetFwd == nil) != math.IsNaN(o.Ret[i]) {
			t.Fatalf("row %d nulls: y %v ret %v", i, r.Y, r.RetFwd)
		}
	}
	if len(out.Trades) != res.Overall.Trades || res.Overall.Trades == 0 {
		t.Fatalf("%d trades, metrics count %d", len(out.Trades), res.Overall.Trades)
	}
	sum := 0.0
	for _, tr := range out.Trades {
		if !tr.Exit.After(tr.Entry) || (tr.Side != "long" && tr.Side != "short") || tr.Size != 1 {
			t.Fatalf("trade %+v", tr)
		}
		sum += tr.PnL
	}
	// One-period positions that never overlap: each has all the capital, so
	// the trades' PnL adds up to the path's return.
	if res.Holding.MaxConcurrent != 1 || math.Abs(sum-res.Overall.CumRet) > 1e-12 {
		t.Fatalf("trades sum to %v, cum_ret %v (max concurrent %d)", sum, res.Overall.CumRet, res.Holding.MaxConcurrent)
	}
	if last := out.Equity[n-1].CumRet; math.Abs(last-res.Overall.CumRet) > 1e-12 {
		t.Fatalf("equity ends at %v, cum_ret %v", last, res.Overall.CumRet)
	}
}
