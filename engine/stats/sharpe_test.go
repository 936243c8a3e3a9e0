package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWorkedExample pins PSR, the expected maximum Sharpe and DSR to numbers
// computed outside this package: sr = 0.1 per period from n = 250 returns with
// skew −0.5 and Pearson kurtosis 4, benchmark 0; 24 trials with Sharpe
// variance 1/249. The expected values were evaluated with mpmath at 40
// significant digits (Φ = mpmath.ncdf, Φ⁻¹ by root finding on it, γ =
// mpmath.euler) and agree with scipy.stats.norm in double precision to 1e-15:
//
//	se  = sqrt((1 + 0.5·0.1 + 0.75·0.01)/249)          = 0.0651689186024076121
//	PSR = Φ(0.1/se)                                     = 0.9375434364545412120
//	SR0 = sqrt(1/249)·((1−γ)Φ⁻¹(1−1/24) + γΦ⁻¹(1−1/(24e))) = 0.1254630232980548153
//	DSR = Φ((0.1 − SR0)/se)                             = 0.3480008397279316420
func TestWorkedExample(t *testing.T) {
	const (
		sr, skew, kurt = 0.1, -0.5, 4.0
		n, trials      = 250, 24
		wantSE         = 0.0651689186024076121
		wantPSR        = 0.9375434364545412120
		wantSR0        = 0.1254630232980548153
		wantDSR        = 0.3480008397279316420
	)
	v := 1.0 / 249
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"SharpeStdErr", SharpeStdErr(sr, n, skew, kurt), wantSE},
		{"PSR", PSR(sr, 0, n, skew, kurt), wantPSR},
		{"ExpectedMaxSharpe", ExpectedMaxSharpe(trials, v), wantSR0},
		{"DSR", DSR(sr, n, skew, kurt, trials, v), wantDSR},
		{"TrialVariance floor", TrialVariance([]float64{0.01, 0.011, 0.012}, n), v},
		{"DSR via TrialVariance", DSR(sr, n, skew, kurt, trials, TrialVariance([]float64{0.01, 0.011, math.NaN()}, n)), wantDSR},
	} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s = %.12f, want %.12f", c.name, c.got, c.want)
		}
	}
}

func TestSharpeEdgeCases(t *testing.T) {
	for _, c := range []struct {
		name string
		got  float64
		want float64 // NaN means NaN
	}{
		{"PSR n=1", PSR(0.1, 0, 1, 0, 3), math.NaN()},
		{"SharpeStdErr n=0", SharpeStdErr(0.1, 0, 0, 3), math.NaN()},
		{"ExpectedMaxSharpe one trial", ExpectedMaxSharpe(1, 0.01), 0},
		{"ExpectedMaxSharpe zero variance", ExpectedMaxSharpe(24, 0), 0},
		{"ExpectedMaxSharpe NaN variance", ExpectedMaxSharpe(24, math.NaN()), math.NaN()},
		{"DSR one trial = PSR", DSR(0.1, 250, -0.5, 4, 1, 0.01), PSR(0.1, 0, 250, -0.5, 4)},
		{"normal moments: se = sqrt((1+sr²/2)/(n−1))", SharpeStdErr(0.2, 101, 0, 3), math.Sqrt((1 + 0.02) / 100)},
		// inconsistent moments (kurt < skew²+1) would give a negative radicand
		{"floored radicand", SharpeStdErr(1, 11, 5, 1), math.Sqrt(minRadicand / 10)},
		{"TrialVariance uses dispersion above the floor", TrialVariance([]float64{-1, 1, math.Inf(1)}, 11), 2},
		{"TrialVariance n=1", TrialVariance([]float64{1, 2}, 1), math.NaN()},
		{"NormQuantile(0.975)", NormQuantile(0.975), 1.959963984540054},
		{"NormCDF(-1.96)", NormCDF(-1.959963984540054), 0.025},
	} {
		if math.IsNaN(c.want) != math.IsNaN(c.got) || (!math.IsNaN(c.want) && math.Abs(c.got-c.want) > 1e-12) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestPSRUniformUnderNull: on iid N(0,1) returns the true Sharpe is 0, so
// PSR(vs 0) is close to uniform and exceeds 0.95 in about 5% of samples.
func TestPSRUniformUnderNull(t *testing.T) {
	const seeds, n = 2000, 250
	r := make([]float64, n)
	over, under := 0, 0
	for seed := uint64(0); seed < seeds; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		for i := range r {
			r[i] = rng.NormFloat64()
		}
		m := Describe(r)
		p := PSR(m.Mean/m.Std, 0, m.N, m.Skew, m.Kurt)
		if p > 0.95 {
			over++
		}
		if p < 0.05 {
			under++
		}
	}
	fo, fu := float64(over)/seeds, float64(under)/seeds
	t.Logf("PSR > 0.95 in %.4f, < 0.05 in %.4f of %d null series", fo, fu, seeds)
	if fo < 0.03 || fo > 0.07 || fu < 0.03 || fu > 0.07 {
		t.Fatalf("PSR not uniform under the null: P(>0.95) = %.4f, P(<0.05) = %.4f", fo, fu)
	}
}
