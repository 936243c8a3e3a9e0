package stats

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

func ar1(seed uint64, n int, phi float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	x, prev := make([]float64, n), 0.0
	for i := range x {
		prev = phi*prev + rng.NormFloat64()
		x[i] = prev
	}
	return x
}

func TestBlockLengthFollowsAutocorrelation(t *testing.T) {
	iid, pers := BlockLength(ar1(1, 2000, 0)), BlockLength(ar1(1, 2000, 0.8))
	t.Logf("block length iid %.2f, AR(1) φ=0.8 %.2f", iid, pers)
	if iid > 3 || pers < 2*iid || pers < 5 {
		t.Fatalf("iid %.2f, persistent %.2f: want iid ≈ 1 and a much longer block for φ = 0.8", iid, pers)
	}
	if b := BlockLength([]float64{1, 1, 1, 1, 1, 1, 1, 1, 1}); b != 1 {
		t.Fatalf("constant series: %v", b)
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// The interval of the mean covers the truth about as often as its level says
// (iid data, 200 series) and is deterministic whatever GOMAXPROCS is.
func TestStationaryBootstrapCoverageAndDeterminism(t *testing.T) {
	cover := 0
	const trials = 200
	for s := 0; s < trials; s++ {
		x := ar1(uint64(100+s), 300, 0)
		iv := StationaryBootstrap(x, BlockLength(x), 400, 7, 0.9, mean)[0]
		if iv.Lo <= 0 && 0 <= iv.Hi {
			cover++
		}
	}
	t.Logf("90%% interval covered the true mean in %d/%d", cover, trials)
	if cover < 160 || cover > 195 {
		t.Fatalf("coverage %d/%d, want about 180", cover, trials)
	}
	x := ar1(5, 500, 0.5)
	prev := runtime.GOMAXPROCS(1)
	a := StationaryBootstrap(x, 4, 300, 11, 0.95, mean)
	runtime.GOMAXPROCS(4)
	b := StationaryBootstrap(x, 4, 300, 11, 0.95, mean)
	runtime.GOMAXPROCS(prev)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("GOMAXPROCS changed the interval: %+v vs %+v", a, b)
	}
	if c := StationaryBootstrap(x, 4, 300, 12, 0.95, mean); reflect.DeepEqual(a, c) {
		t.Fatal("another seed gave the same interval")
	}
}

func TestKSUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 3))
	u := make([]float64, 200)
	for i := range u {
		u[i] = rng.Float64()
	}
	_, p := KSUniform(u)
	sk := make([]float64, 200)
	for i := range sk {
		sk[i] = u[i] * u[i]
	}
	d2, p2 := KSUniform(sk)
	t.Logf("uniform p %.3f; squared D %.3f p %.2g", p, d2, p2)
	if p < 0.05 || p2 > 1e-3 {
		t.Fatalf("uniform p %.3f, skewed p %.3g", p, p2)
	}
	// D for {0.5}: 0.5; Q at the corrected λ.
	if d, _ := KSUniform([]float64{0.5}); math.Abs(d-0.5) > 1e-12 {
		t.Fatalf("D(0.5) = %v", d)
	}
}

// The fast resampler agrees with the generic one in distribution: the same
// series gives about the same interval of the mean.
func TestBootstrapMeanStdMatchesGeneric(t *testing.T) {
	x := ar1(8, 2000, 0.4)
	b := BlockLength(x)
	gen := StationaryBootstrap(x, b, 2000, 1, 0.9, mean)[0]
	means, stds := BootstrapMeanStd(x, b, 2000, 2)
	fast := PercentileInterval(means, mean(x), 0.9)
	t.Logf("block %.1f: generic [%.4f, %.4f], fast [%.4f, %.4f]", b, gen.Lo, gen.Hi, fast.Lo, fast.Hi)
	if w1, w2 := gen.Hi-gen.Lo, fast.Hi-fast.Lo; math.Abs(w1-w2) > 0.15*w1 {
		t.Fatalf("interval widths %.4f vs %.4f", w1, w2)
	}
	for _, s := range stds {
		if !(s > 0) {
			t.Fatalf("std %v", s)
		}
	}
	prev := runtime.GOMAXPROCS(1)
	m1, _ := BootstrapMeanStd(x, b, 50, 3)
	runtime.GOMAXPROCS(3)
	m2, _ := BootstrapMeanStd(x, b, 50, 3)
	runtime.GOMAXPROCS(prev)
	if !reflect.DeepEqual(m1, m2) {
		t.Fatal("GOMAXPROCS changed the replicates")
	}
}
