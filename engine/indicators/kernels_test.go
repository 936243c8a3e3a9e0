package indicators

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernelsAgainstNaive checks the rolling kernels on random series with
// leading and scattered NaN against direct window scans.
func TestKernelsAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 40; trial++ {
		size := 1 + r.IntN(300)
		if trial%5 == 0 {
			size = 3000 + r.IntN(3000) // crosses several re-summation chunks
		}
		x := make([]float64, size)
		y := make([]float64, size)
		lead := r.IntN(5)
		gaps := trial%2 == 1
		for i := range x {
			x[i] = 100 + r.NormFloat64()*3
			y[i] = x[i] - r.Float64()
			if i < lead || (gaps && r.IntN(9) == 0) {
				x[i], y[i] = math.NaN(), math.NaN()
			}
		}
		n := 1 + r.IntN(40)
		minP := 1 + r.IntN(n)
		expectCol(t, "max", rollMax(x, n, minP), nExt(x, n, minP, true), 0)
		expectCol(t, "min", rollMin(x, n, minP), nExt(x, n, minP, false), 0)
		mx, mn := rollMaxMin(x, y, n, minP)
		expectCol(t, "maxmin/max", mx, nExt(x, n, minP, true), 0)
		expectCol(t, "maxmin/min", mn, nExt(y, n, minP, false), 0)
		expectCol(t, "mean", rollMean(x, n, minP), nSMA(x, n, minP), 1e-12)
		expectCol(t, "sum", rollSum(x, n, minP), nSum(x, n, minP), 1e-12)
		expectCol(t, "std", rollStd(x, n, minP), nSTD(x, n, minP), 1e-9)
		if t.Failed() {
			t.Fatalf("trial %d size %d n %d minP %d lead %d gaps %v", trial, size, n, minP, lead, gaps)
		}
	}
}
