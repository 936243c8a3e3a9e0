package backtest

import (
	"math"
	"testing"
)

// A strategy that is long every period is the benchmark: beta 1, no excess,
// information ratio 0; short every period is beta −1.
func TestBenchmarkOfAlwaysLong(t *testing.T) {
	n := 40
	o := &OOF{Classes: []string{ClassDown, ClassUp}, Probs: [][]float64{make([]float64, n), make([]float64, n)},
		TS: make([]int64, n), Hour: make([]int32, n), Ret: make([]float64, n), Close: make([]float64, n),
		FoldStart: []int{0, 20, n}}
	px := 100.0
	for i := 0; i < n; i++ {
		o.TS[i] = int64(1704205800000 + i*3600_000) // 2024-01-02 14:30 UTC onwards, hourly
		o.Hour[i] = int32(10 + i%6)
		o.Close[i] = px
		r := 0.01 * math.Sin(float64(i))
		px *= 1 + r
	}
	for i := 0; i+1 < n; i++ {
		o.Ret[i] = o.Close[i+1]/o.Close[i] - 1
	}
	o.Ret[n-1] = math.NaN()
	for _, side := range []float64{1, -1} {
		for i := 0; i < n; i++ {
			o.Probs[1][i], o.Probs[0][i] = 0.5+0.4*side, 0.5-0.4*side
		}
		oo, err := NewOOF(&OOF{Classes: o.Classes, Probs: o.Probs, TS: o.TS, Hour: o.Hour, Ret: o.Ret, Close: o.Close, FoldStart: o.FoldStart})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Evaluate(oo, TradeParams{Thresholds: []float64{0.5}, KeepSeries: true})
		if err != nil {
			t.Fatal(err)
		}
		b := BenchmarkOf(oo, res)
		if b == nil || b.Basis != "close" || b.Periods == 0 {
			t.Fatalf("benchmark %+v", b)
		}
		if math.Abs(b.Beta-side) > 1e-9 || math.Abs(b.Corr-side) > 1e-9 {
			t.Fatalf("side %v: beta %v corr %v", side, b.Beta, b.Corr)
		}
		if side == 1 && (math.Abs(b.ExcessCumRet) > 1e-12 || b.InformationRatio != 0 || math.Abs(b.AlphaAnn) > 1e-9) {
			t.Fatalf("long = benchmark, got %+v", b)
		}
		if side == 1 && math.Abs(b.CumRet-res.Overall.CumRet) > 1e-12 {
			t.Fatalf("benchmark cum_ret %v, always-long strategy %v", b.CumRet, res.Overall.CumRet)
		}
	}
}
