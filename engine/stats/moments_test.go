package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// directMoments computes the moments from raw power sums (a different route
// from Describe's central sums), for finite values only.
func directMoments(r []float64) (n int, mean, std, skew, kurt float64) {
	var s1, s2, s3, s4 float64
	for _, v := range r {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		n++
		s1 += v
		s2 += v * v
		s3 += v * v * v
		s4 += v * v * v * v
	}
	fn := float64(n)
	mean = s1 / fn
	m2 := s2/fn - mean*mean
	m3 := s3/fn - 3*mean*s2/fn + 2*mean*mean*mean
	m4 := s4/fn - 4*mean*s3/fn + 6*mean*mean*s2/fn - 3*mean*mean*mean*mean
	std = math.Sqrt(m2)
	return n, mean, std, m3 / math.Pow(m2, 1.5), m4 / (m2 * m2)
}

func TestDescribe(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	skewed := make([]float64, 5000)
	for i := range skewed {
		skewed[i] = math.Exp(0.5*rng.NormFloat64()) - 1 // lognormal: positive skew, fat right tail
	}
	withNaN := append([]float64{math.NaN()}, skewed[:100]...)
	withNaN = append(withNaN, math.NaN(), math.Inf(-1))

	for _, c := range []struct {
		name string
		r    []float64
	}{
		{"lognormal", skewed},
		{"NaN and Inf skipped", withNaN},
	} {
		got := Describe(c.r)
		n, mean, std, skew, kurt := directMoments(c.r)
		if got.N != n {
			t.Fatalf("%s: N = %d, want %d", c.name, got.N, n)
		}
		for _, p := range [][3]float64{{got.Mean, mean, 0}, {got.Std, std, 1}, {got.Skew, skew, 2}, {got.Kurt, kurt, 3}} {
			if math.Abs(p[0]-p[1]) > 1e-9*math.Max(1, math.Abs(p[1])) {
				t.Fatalf("%s: moment %v = %v, want %v", c.name, p[2], p[0], p[1])
			}
		}
	}
	if m := Describe(skewed); m.Skew < 1 || m.Kurt < 5 {
		t.Fatalf("lognormal moments implausible: %+v", m)
	}

	// by hand: 1,2,3,4,10 → mean 4, central moments m2 = 10, m3 = 36, m4 = 278.8
	hand := Describe([]float64{1, 2, 3, 4, 10})
	want := Moments{N: 5, Mean: 4, Std: math.Sqrt(10), Skew: 36 / math.Pow(10, 1.5), Kurt: 2.788}
	if hand.N != want.N || math.Abs(hand.Mean-want.Mean) > 1e-12 || math.Abs(hand.Std-want.Std) > 1e-12 ||
		math.Abs(hand.Skew-want.Skew) > 1e-12 || math.Abs(hand.Kurt-want.Kurt) > 1e-12 {
		t.Fatalf("hand example: %+v, want %+v", hand, want)
	}

	for _, c := range []struct {
		name string
		r    []float64
		want Moments // Mean/Std NaN compared as NaN
	}{
		{"empty", nil, Moments{N: 0, Mean: math.NaN(), Std: math.NaN(), Kurt: 3}},
		{"all NaN", []float64{math.NaN(), math.NaN()}, Moments{N: 0, Mean: math.NaN(), Std: math.NaN(), Kurt: 3}},
		{"one value", []float64{0.5}, Moments{N: 1, Mean: 0.5, Kurt: 3}},
		{"constant", []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, Moments{N: 7, Mean: 0.1, Kurt: 3}},
	} {
		got := Describe(c.r)
		same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-15 }
		if got.N != c.want.N || !same(got.Mean, c.want.Mean) || !same(got.Std, c.want.Std) || got.Skew != c.want.Skew || got.Kurt != c.want.Kurt {
			t.Fatalf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
