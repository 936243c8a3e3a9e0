package calibrate

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// bernoulli draws hits with probability truth(p) for uniform p.
func bernoulli(seed uint64, n int, truth func(float64) float64) ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := make([]float64, n)
	hit := make([]bool, n)
	for i := range p {
		p[i] = 0.02 + 0.96*rng.Float64()
		hit[i] = rng.Float64() < truth(p[i])
	}
	return p, hit
}

func TestPlattRecoversIdentity(t *testing.T) {
	p, hit := bernoulli(1, 20000, func(p float64) float64 { return p })
	pl, err := FitPlatt(p, hit)
	if err != nil {
		t.Fatal(err)
	}
	if !near(pl.A, -1, 0.06) || !near(pl.B, 0, 0.05) {
		t.Fatalf("calibrated input: got A=%.3f B=%.3f, want about -1, 0", pl.A, pl.B)
	}
}

func TestPlattFixesOverconfidence(t *testing.T) {
	// The true probability is a tempered version of the prediction:
	// σ(0.5·logit(p) + 0.3) ⇒ A ≈ −0.5, B ≈ −0.3.
	truth := func(p float64) float64 { return 1 / (1 + math.Exp(-(0.5*logit(p) + 0.3))) }
	p, hit := bernoulli(2, 40000, truth)
	pl, err := FitPlatt(p, hit)
	if err != nil {
		t.Fatal(err)
	}
	if !near(pl.A, -0.5, 0.05) || !near(pl.B, -0.3, 0.05) {
		t.Fatalf("got A=%.3f B=%.3f, want about -0.5, -0.3", pl.A, pl.B)
	}
	if got := pl.Apply(0.9); !near(got, truth(0.9), 0.02) {
		t.Fatalf("Apply(0.9)=%.3f want %.3f", got, truth(0.9))
	}
}

func TestPlattSingleClassStaysFinite(t *testing.T) {
	p := []float64{0.2, 0.4, 0.6, 0.8}
	pl, err := FitPlatt(p, []bool{false, false, false, false})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p {
		q := pl.Apply(v)
		if math.IsNaN(q) || q <= 0 || q >= 0.5 {
			t.Fatalf("all-negative holdout: Apply(%v)=%v", v, q)
		}
	}
}

func TestIsotonicPAV(t *testing.T) {
	p := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
	hit := []bool{false, true, false, false, true, true}
	iso := FitIsotonic(p, hit)
	// Pure blocks are kept 1/(n+2) = 1/8 away from 0 and 1.
	cases := map[float64]float64{0.05: 0.125, 0.1: 0.125, 0.2: 1.0 / 3, 0.3: 1.0 / 3, 0.4: 1.0 / 3,
		0.45: (1.0/3 + 0.875) / 2, 0.5: 0.875, 0.9: 0.875}
	for x, want := range cases {
		if got := iso.Apply(x); !near(got, want, 1e-12) {
			t.Errorf("Apply(%v)=%v want %v (knots %v %v)", x, got, want, iso.X, iso.Y)
		}
	}
	for i := 1; i < len(iso.Y); i++ {
		if iso.Y[i] < iso.Y[i-1] || iso.X[i] <= iso.X[i-1] {
			t.Fatalf("not monotone: %v %v", iso.X, iso.Y)
		}
	}
}

func TestIsotonicPoolsTies(t *testing.T) {
	iso := FitIsotonic([]float64{0.5, 0.5, 0.5, 0.7}, []bool{true, false, false, true})
	if got := iso.Apply(0.5); !near(got, 1.0/3, 1e-12) {
		t.Fatalf("tied x: got %v want 1/3", got)
	}
}

// logLoss of class-major probabilities against labels.
func logLoss(probs [][]float64, y []int) float64 {
	s := 0.0
	for i, c := range y {
		s -= math.Log(math.Max(probs[c][i], 1e-15))
	}
	return s / float64(len(y))
}

// overconfident makes a 3-class problem whose raw scores are sharpened truth.
func overconfident(seed uint64, n int) (raw [][]float64, y []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	raw = [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	y = make([]int, n)
	for i := 0; i < n; i++ {
		var tr [3]float64
		sum, sharp := 0.0, 0.0
		for k := range tr {
			tr[k] = 0.2 + rng.Float64()
			sum += tr[k]
		}
		u := rng.Float64() * sum
		y[i] = 2
		for k, acc := 0, 0.0; k < 3; k++ {
			acc += tr[k]
			if u < acc {
				y[i] = k
				break
			}
		}
		for k := range tr {
			tr[k] = math.Pow(tr[k]/sum, 3)
			sharp += tr[k]
		}
		for k := range tr {
			raw[k][i] = tr[k] / sharp
		}
	}
	return
}

func TestMulticlassImprovesAndRenormalises(t *testing.T) {
	fitP, fitY := overconfident(5, 6000)
	for _, method := range []string{Sigmoid, Isotonic} {
		cal, err := Fit(method, fitP, fitY)
		if err != nil {
			t.Fatal(err)
		}
		testP, testY := overconfident(6, 4000)
		before := logLoss(testP, testY)
		cal.Apply(testP)
		after := logLoss(testP, testY)
		if !(after < before-0.01) {
			t.Errorf("%s: log loss %.4f → %.4f, want a clear improvement", method, before, after)
		}
		for i := range testY {
			s := testP[0][i] + testP[1][i] + testP[2][i]
			if !near(s, 1, 1e-9) {
				t.Fatalf("%s: row %d sums to %v", method, i, s)
			}
		}
	}
}

func TestBinaryComplement(t *testing.T) {
	p1, hit := bernoulli(9, 2000, func(p float64) float64 { return p * p })
	probs := [][]float64{make([]float64, len(p1)), p1}
	y := make([]int, len(p1))
	for i := range p1 {
		probs[0][i] = 1 - p1[i]
		if hit[i] {
			y[i] = 1
		}
	}
	cal, err := Fit(Isotonic, probs, y)
	if err != nil {
		t.Fatal(err)
	}
	cal.Apply(probs)
	for i := range y {
		if !near(probs[0][i]+probs[1][i], 1, 1e-12) {
			t.Fatal("binary rows must stay complementary")
		}
	}
	if c, _ := Fit(None, probs, y); c != nil {
		t.Fatal("none must return a nil calibrator")
	}
	if _, err := Fit("platt", probs, y); err == nil {
		t.Fatal("unknown method accepted")
	}
}

func TestCurve(t *testing.T) {
	p := []float64{0.05, 0.15, 0.12, 0.95, 0.99, math.NaN()}
	hit := []bool{false, true, false, true, true, false}
	r := Curve(p, hit, 10)
	if r.N != 5 || len(r.Bins) != 3 {
		t.Fatalf("got %+v", r)
	}
	b := r.Bins[1]
	if b.Count != 2 || !near(b.MeanPred, 0.135, 1e-12) || b.ObsFreq != 0.5 || b.Lo != 0.1 {
		t.Fatalf("bin 1 = %+v", b)
	}
	if r.Bins[2].Count != 2 || r.Bins[2].Hi != 1 {
		t.Fatalf("p=0.99 must land in the top bin: %+v", r.Bins[2])
	}
}
