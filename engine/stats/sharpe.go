package stats

import "math"

// eulerGamma is the Euler–Mascheroni constant γ.
const eulerGamma = 0.57721566490153286060651209008240243

// minRadicand floors the variance factor of SharpeStdErr. With sample moments
// it cannot go below zero (Pearson: kurt ≥ skew² + 1 makes it a square), so the
// floor only guards inconsistent moments passed by hand.
const minRadicand = 1e-12

// NormCDF is the standard normal distribution function Φ.
func NormCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// NormQuantile is Φ⁻¹, the standard normal quantile of p in (0, 1); ±Inf at
// 0 and 1, NaN outside. The complementary form keeps precision near p = 1.
func NormQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }

// SharpeStdErr is the standard error of a per-period Sharpe ratio estimated
// from n returns with the given skewness and Pearson kurtosis (Mertens 2002,
// Bailey & López de Prado 2012):
//
//	sqrt((1 − skew·sr + (kurt−1)/4·sr²) / (n−1))
//
// The radicand is floored at a small positive value. n < 2 gives NaN.
func SharpeStdErr(sr float64, n int, skew, kurt float64) float64 {
	if n < 2 {
		return math.NaN()
	}
	v := 1 - skew*sr + (kurt-1)/4*sr*sr
	if v < minRadicand {
		v = minRadicand
	}
	return math.Sqrt(v / float64(n-1))
}

// PSR is the probabilistic Sharpe ratio: the probability that the true
// per-period Sharpe exceeds srStar given the estimate sr from n returns with
// the given skewness and kurtosis, Φ((sr − srStar)/SharpeStdErr(sr, …)).
// sr and srStar are per period, not annualised. n < 2 gives NaN.
func PSR(sr, srStar float64, n int, skew, kurt float64) float64 {
	if n < 2 {
		return math.NaN()
	}
	return NormCDF((sr - srStar) / SharpeStdErr(sr, n, skew, kurt))
}

// ExpectedMaxSharpe is the Sharpe ratio the best of nTrials independent
// trials reaches by luck alone when their Sharpe estimates have variance
// srVariance and a true Sharpe of zero (the false strategy theorem):
//
//	SR0 = sqrt(V) · ((1−γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))
//
// with γ the Euler–Mascheroni constant. nTrials ≤ 1 or srVariance ≤ 0 gives 0
// (nothing was selected); a NaN variance gives NaN.
func ExpectedMaxSharpe(nTrials int, srVariance float64) float64 {
	if math.IsNaN(srVariance) {
		return math.NaN()
	}
	if nTrials <= 1 || srVariance <= 0 {
		return 0
	}
	n := float64(nTrials)
	return math.Sqrt(srVariance) * ((1-eulerGamma)*NormQuantile(1-1/n) + eulerGamma*NormQuantile(1-1/(n*math.E)))
}

// DSR is the deflated Sharpe ratio: the PSR of the per-period Sharpe sr
// against the Sharpe the best of nTrials trials would reach on noise,
// PSR(sr, ExpectedMaxSharpe(nTrials, srVariance), n, skew, kurt). srVariance
// should come from TrialVariance.
func DSR(sr float64, n int, skew, kurt float64, nTrials int, srVariance float64) float64 {
	return PSR(sr, ExpectedMaxSharpe(nTrials, srVariance), n, skew, kurt)
}

// TrialVariance is the variance of the Sharpe estimates across trials to
// deflate with: the larger of the sample variance of the finite per-period
// Sharpe ratios in trialSRs and 1/(n−1), the variance of a per-period Sharpe
// estimated from n iid returns under the null of no skill.
//
// The trials of a sweep share their data and differ in a few settings, so
// their Sharpe ratios are strongly correlated and their cross-sectional
// variance can be far smaller than the variance each estimate really has; a
// DSR deflated by it alone would be close to the PSR and flatter the best
// cell. The iid null variance is a conservative floor: it is what the
// dispersion of independent noise trials would be. n < 2 gives NaN.
func TrialVariance(trialSRs []float64, n int) float64 {
	if n < 2 {
		return math.NaN()
	}
	floor := 1 / float64(n-1)
	var sum float64
	k := 0
	for _, v := range trialSRs {
		if isFinite(v) {
			sum += v
			k++
		}
	}
	if k < 2 {
		return floor
	}
	mean := sum / float64(k)
	var ss float64
	for _, v := range trialSRs {
		if isFinite(v) {
			ss += (v - mean) * (v - mean)
		}
	}
	return math.Max(ss/float64(k-1), floor)
}
