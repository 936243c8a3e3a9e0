package stats

import (
	"math"
	"sort"
)

// KSUniform is the one-sample Kolmogorov–Smirnov test of x against the
// uniform distribution on [0, 1]: the statistic D = sup|F_n − F| and its
// asymptotic p-value with Stephens' small-sample correction,
// Q((√n + 0.12 + 0.11/√n)·D), Q(λ) = 2Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
func KSUniform(x []float64) (d, p float64) {
	v := make([]float64, 0, len(x))
	for _, s := range x {
		if isFinite(s) {
			v = append(v, math.Min(1, math.Max(0, s)))
		}
	}
	n := len(v)
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(v)
	for i, s := range v {
		d = math.Max(d, math.Max(float64(i+1)/float64(n)-s, s-float64(i)/float64(n)))
	}
	sn := math.Sqrt(float64(n))
	return d, kolmogorovQ((sn + 0.12 + 0.11/sn) * d)
}

// kolmogorovQ is the Kolmogorov distribution's survival function.
func kolmogorovQ(l float64) float64 {
	if l < 0.2 {
		return 1
	}
	s, sign := 0.0, 1.0
	for k := 1; k <= 100; k++ {
		t := sign * math.Exp(-2*float64(k*k)*l*l)
		s += t
		if math.Abs(t) < 1e-12 {
			break
		}
		sign = -sign
	}
	return math.Max(0, math.Min(1, 2*s))
}
