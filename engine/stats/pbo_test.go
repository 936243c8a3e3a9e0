package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// noiseStrategies returns n iid N(0, 0.01²) return series of length t.
func noiseStrategies(rng *rand.Rand, n, t int) [][]float64 {
	out := make([][]float64, n)
	for k := range out {
		out[k] = make([]float64, t)
		for i := range out[k] {
			out[k][i] = 0.01 * rng.NormFloat64()
		}
	}
	return out
}

// antiStrategies builds strategies whose block means sum to zero over the
// whole series: whatever a strategy gains in the in-sample blocks it gives
// back out of sample, so the in-sample winner is the out-of-sample loser.
func antiStrategies(rng *rand.Rand, n, blocks, perBlock int) [][]float64 {
	out := make([][]float64, n)
	for k := range out {
		mu := make([]float64, blocks)
		var avg float64
		for b := range mu {
			mu[b] = 0.01 * rng.NormFloat64()
			avg += mu[b] / float64(blocks)
		}
		for b := range mu {
			for i := 0; i < perBlock; i++ {
				out[k] = append(out[k], mu[b]-avg+0.01*rng.NormFloat64())
			}
		}
	}
	return out
}

func TestPBOScenarios(t *testing.T) {
	// pure noise: the in-sample winner's out-of-sample rank is uniform, PBO ≈ 0.5
	var sum float64
	const seeds = 20
	for seed := uint64(0); seed < seeds; seed++ {
		res, err := PBO(noiseStrategies(rand.New(rand.NewPCG(seed, 1)), 24, 1000), DefaultPBOSplits)
		if err != nil {
			t.Fatal(err)
		}
		if res.Splits != 16 || res.Combinations != 12870 || len(res.Logits) != 12870 {
			t.Fatalf("splits %d combinations %d logits %d", res.Splits, res.Combinations, len(res.Logits))
		}
		sum += res.PBO
	}
	if mean := sum / seeds; mean < 0.3 || mean > 0.7 {
		t.Fatalf("noise: mean PBO %.3f over %d seeds, want 0.3–0.7", mean, seeds)
	} else {
		t.Logf("noise: mean PBO %.3f over %d seeds", mean, seeds)
	}

	for _, c := range []struct {
		name   string
		rets   [][]float64
		lo, hi float64
	}{
		{"planted drift among noise", func() [][]float64 {
			r := noiseStrategies(rand.New(rand.NewPCG(42, 2)), 24, 2000)
			for i := range r[17] {
				r[17][i] += 0.002 // per-period Sharpe ≈ 0.2
			}
			return r
		}(), 0, 0.1},
		{"in-sample and out-of-sample anti-correlated", antiStrategies(rand.New(rand.NewPCG(9, 3)), 24, 16, 100), 0.9, 1},
	} {
		res, err := PBO(c.rets, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: PBO %.4f, degradation slope %.3f", c.name, res.PBO, res.PerfDegradation)
		if res.PBO < c.lo || res.PBO > c.hi {
			t.Fatalf("%s: PBO %.4f, want %.2f–%.2f", c.name, res.PBO, c.lo, c.hi)
		}
		if c.lo >= 0.9 && !(res.PerfDegradation < 0) {
			t.Fatalf("%s: degradation slope %v, want negative", c.name, res.PerfDegradation)
		}
	}
}

func TestPBOEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	two := noiseStrategies(rng, 2, 10)
	for _, c := range []struct {
		name string
		rets [][]float64
		s    int
	}{
		{"no strategy", nil, 0},
		{"one strategy", noiseStrategies(rng, 1, 100), 0},
		{"three periods", noiseStrategies(rng, 3, 3), 0},
		{"ragged series", [][]float64{make([]float64, 10), make([]float64, 9)}, 0},
		{"odd splits", two, 3},
		{"too many splits", noiseStrategies(rng, 2, 1000), 22},
	} {
		if _, err := PBO(c.rets, c.s); !errors.Is(err, ErrPBOInput) {
			t.Errorf("%s: err %v, want ErrPBOInput", c.name, err)
		}
	}

	// 10 periods cannot hold 16 blocks of two: 4 blocks (⌊10/2⌋ rounded down to even) → C(4,2) = 6
	res, err := PBO(two, 16)
	if err != nil || res.Splits != 4 || res.Combinations != 6 {
		t.Fatalf("short series: %+v %v", res, err)
	}

	// NaN is a flat period: same answer as zeros
	withNaN := noiseStrategies(rand.New(rand.NewPCG(8, 8)), 6, 200)
	zeros := make([][]float64, len(withNaN))
	for k := range withNaN {
		zeros[k] = append([]float64(nil), withNaN[k]...)
		for i := k; i < len(withNaN[k]); i += 7 {
			withNaN[k][i], zeros[k][i] = math.NaN(), 0
		}
	}
	a, errA := PBO(withNaN, 8)
	b, errB := PBO(zeros, 8)
	if errA != nil || errB != nil || a.PBO != b.PBO || math.IsNaN(a.PBO) {
		t.Fatalf("NaN as zero: %v %v vs %v %v", a.PBO, errA, b.PBO, errB)
	}

	// all strategies flat: every Sharpe is 0, strategy 0 is chosen and counted
	// at the bottom of the tie → every logit ln(1/N) < 0, PBO = 1, slope NaN.
	flat := [][]float64{make([]float64, 64), make([]float64, 64), make([]float64, 64)}
	for i := range flat[1] {
		flat[1][i] = 0.003
	}
	res, err = PBO(flat, 0)
	if err != nil || res.PBO != 1 || !math.IsNaN(res.PerfDegradation) || math.Abs(res.Logits[0]-math.Log(1.0/3)) > 1e-15 {
		t.Fatalf("flat strategies: PBO %v slope %v logit %v err %v", res.PBO, res.PerfDegradation, res.Logits[0], err)
	}
}

// TestPBOHandCase checks one tiny case by hand: 2 splits give the two
// combinations {IS block 0} and {IS block 1}.
func TestPBOHandCase(t *testing.T) {
	// strategy 0 rises in the first half and falls in the second; strategy 1 the opposite, weaker.
	r := [][]float64{
		{0.02, 0.01, -0.02, -0.03},
		{-0.01, -0.005, 0.01, 0.005},
	}
	res, err := PBO(r, 2)
	if err != nil {
		t.Fatal(err)
	}
	// IS = block 0: Sharpe(0) = 0.015/0.005 = 3 > Sharpe(1) = −0.0075/0.0025 = −3 → pick 0;
	// OOS: Sharpe(0) = −0.025/0.005 = −5 < Sharpe(1) = 0.0075/0.0025 = 3 → rank 1, ω = 1/3.
	// IS = block 1: Sharpe(1) = 3 > Sharpe(0) = −5 → pick 1; OOS Sharpe(1) = −3 < 3 → rank 1.
	want := math.Log((1.0 / 3) / (2.0 / 3))
	if res.Combinations != 2 || res.PBO != 1 || math.Abs(res.Logits[0]-want) > 1e-15 || math.Abs(res.Logits[1]-want) > 1e-15 {
		t.Fatalf("hand case: %+v", res)
	}
	// chosen (IS, OOS) = (3, −5) and (3, −3): IS never varies → slope undefined
	if !math.IsNaN(res.PerfDegradation) {
		t.Fatalf("slope %v, want NaN", res.PerfDegradation)
	}
}
