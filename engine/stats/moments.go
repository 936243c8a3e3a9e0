// Package stats holds the statistics that keep a backtest honest about
// selection and non-normal returns: the sample moments of a return series,
// the probabilistic and deflated Sharpe ratios (Bailey & López de Prado 2012,
// 2014) and the probability of backtest overfitting by combinatorially
// symmetric cross-validation (Bailey, Borwein, López de Prado & Zhu 2014).
//
// Every Sharpe ratio here is per period (mean over population standard
// deviation of the per-period returns), never annualised: the standard error
// formulas count periods, not years.
package stats

import "math"

// Moments are the sample moments of a return series.
type Moments struct {
	N    int     // finite values used
	Mean float64 // arithmetic mean; NaN when N = 0
	Std  float64 // population standard deviation (divides by N); NaN when N = 0
	Skew float64 // standardised third central moment; 0 when N < 2 or Std = 0
	Kurt float64 // fourth central moment over Std⁴ (Pearson, normal = 3, not excess); 3 when N < 2 or Std = 0
}

// constRel is the relative size below which a standard deviation is rounding
// noise of the mean (a constant series summed in floating point).
const constRel = 1e-12

// Describe returns the moments of r, skipping NaN and ±Inf values. Std is the
// population standard deviation, matching Sharpe = Mean/Std as the product's
// per-period Sharpe uses. A series with fewer than two values or no spread
// gets Skew 0 and Kurt 3 (the normal values), so PSR/DSR fall back to the
// normal-returns standard error instead of dividing by zero.
func Describe(r []float64) Moments {
	var sum float64
	n := 0
	for _, v := range r {
		if isFinite(v) {
			sum += v
			n++
		}
	}
	m := Moments{N: n, Mean: math.NaN(), Std: math.NaN(), Kurt: 3}
	if n == 0 {
		return m
	}
	mean := sum / float64(n)
	var m2, m3, m4 float64
	for _, v := range r {
		if isFinite(v) {
			d := v - mean
			d2 := d * d
			m2 += d2
			m3 += d2 * d
			m4 += d2 * d2
		}
	}
	fn := float64(n)
	m2, m3, m4 = m2/fn, m3/fn, m4/fn
	m.Mean, m.Std = mean, math.Sqrt(m2)
	if n < 2 || m.Std <= constRel*math.Abs(mean) || m2 == 0 {
		m.Std = 0
		return m
	}
	m.Skew = m3 / (m2 * m.Std)
	m.Kurt = m4 / (m2 * m2)
	return m
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
