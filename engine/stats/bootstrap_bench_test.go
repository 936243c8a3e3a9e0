package stats

import (
	"math"
	"testing"
)

// BenchmarkStationaryBootstrap is a backtest's interval cost: 1,000
// replicates of Sharpe and cum_ret over a series of n periods.
func BenchmarkStationaryBootstrap(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := ar1(9, n, 0.1)
		sharpe := func(r []float64) float64 { d := Describe(r); return d.Mean / d.Std * math.Sqrt(1764) }
		sum := func(r []float64) float64 {
			s := 0.0
			for _, v := range r {
				s += v
			}
			return s
		}
		name := map[int]string{10_000: "10k", 100_000: "100k"}[n]
		b.Run("generic_"+name, func(b *testing.B) {
			for b.Loop() {
				StationaryBootstrap(x, BlockLength(x), 1000, 1, 0.95, sharpe, sum)
			}
		})
		b.Run("meanstd_"+name, func(b *testing.B) {
			for b.Loop() {
				BootstrapMeanStd(x, BlockLength(x), 1000, 1)
			}
		})
	}
}
