package backtest

import "testing"

// BenchmarkBenchmarkOf is the buy-and-hold comparison of one 100k-row backtest
// (on top of its evaluation with series kept).
func BenchmarkBenchmarkOf(b *testing.B) {
	o := randomOOF(b, 1, 100_000, 5, []string{"DOWN", "FLAT", "UP"})
	res, err := Evaluate(o, TradeParams{Thresholds: []float64{0.34, 0.36}, SlippageBps: 1, KeepSeries: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if BenchmarkOf(o, res) == nil {
			b.Fatal("no benchmark")
		}
	}
}
