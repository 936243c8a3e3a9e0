// Package synth generates the fixed-seed synthetic classification data shared
// by the gbdt benchmarks and the XGBoost comparison.
package synth

import (
	"math"
	"math/rand/v2"
)

// Binary returns cols[f][row] and labels for a binary task with a learnable
// nonlinear signal: main effects, a threshold step, a product interaction, a
// sine, a quadratic term, NaN in some columns (missingness that carries signal)
// and irrelevant noise columns. Values are rounded to float32 so an exported
// float32 copy is exactly the same data.
func Binary(n, nf int, seed uint64) (cols [][]float64, y []int) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	cols = make([][]float64, nf)
	for f := range cols {
		cols[f] = make([]float64, n)
	}
	y = make([]int, n)
	for r := 0; r < n; r++ {
		for f := 0; f < nf; f++ {
			var v float64
			switch f % 5 {
			case 0, 1, 2:
				v = rng.NormFloat64()
			case 3:
				v = rng.Float64()*4 - 2
			case 4:
				v = float64(rng.IntN(7)) // discrete levels
			}
			cols[f][r] = float64(float32(v))
		}
		at := func(f int) float64 {
			if f < nf {
				return cols[f][r]
			}
			return 0
		}
		logit := 1.1*at(0) - 0.8*at(1) + 1.5*at(2)*at(3) + math.Sin(2*at(5)) +
			0.6*(at(4)-3)/2 - 0.5*at(6)*at(6) + 0.7*step(at(7), 0.3) + 0.4*at(8)*step(at(9), 2)
		// Missing values in feature 10, more often when the label leans positive.
		if nf > 10 && rng.Float64() < 0.05+0.05*step(logit, 0) {
			cols[10][r] = math.NaN()
		}
		logit += 0.5 * rng.NormFloat64()
		if rng.Float64() < 1/(1+math.Exp(-logit)) {
			y[r] = 1
		}
	}
	return cols, y
}

func step(v, thr float64) float64 {
	if v > thr {
		return 1
	}
	return 0
}

// Multiclass returns cols[f][row] and labels in 0..k-1 (k ≥ 2) for an ordered
// task shaped like DOWN/FLAT/UP labels: the binary task's signal s pushes
// probability from class 0 towards class k-1, and a second nonlinear signal u
// (its own features, a sine and an interaction) decides how much mass the
// middle classes get. Labels are drawn from the softmax of those scores plus
// noise, so no model can reach zero loss. Same feature layout, NaN pattern and
// float32 rounding as Binary.
func Multiclass(n, nf, k int, seed uint64) (cols [][]float64, y []int) {
	rng := rand.New(rand.NewPCG(seed, 0xc1a55))
	cols = make([][]float64, nf)
	for f := range cols {
		cols[f] = make([]float64, n)
	}
	y = make([]int, n)
	z := make([]float64, k)
	for r := 0; r < n; r++ {
		for f := 0; f < nf; f++ {
			var v float64
			switch f % 5 {
			case 0, 1, 2:
				v = rng.NormFloat64()
			case 3:
				v = rng.Float64()*4 - 2
			case 4:
				v = float64(rng.IntN(7))
			}
			cols[f][r] = float64(float32(v))
		}
		at := func(f int) float64 {
			if f < nf {
				return cols[f][r]
			}
			return 0
		}
		s := 1.1*at(0) - 0.8*at(1) + 1.5*at(2)*at(3) + math.Sin(2*at(5)) +
			0.6*(at(4)-3)/2 - 0.5*at(6)*at(6) + 0.7*step(at(7), 0.3) + 0.4*at(8)*step(at(9), 2)
		u := 0.9*at(11) - 0.7*at(12)*at(13) + math.Cos(1.5*at(15)) + 0.5*step(at(14), 3) - 0.4*math.Abs(s)
		if nf > 10 && rng.Float64() < 0.05+0.05*step(s, 0) {
			cols[10][r] = math.NaN()
		}
		s += 0.5 * rng.NormFloat64()
		// Class j sits at position t = j/(k-1) in [0,1]: the ends follow ±s,
		// the middle classes follow u.
		mx := math.Inf(-1)
		for j := range k {
			t := float64(j) / float64(k-1)
			z[j] = (2*t-1)*s + (1-math.Abs(2*t-1))*u
			mx = max(mx, z[j])
		}
		sum := 0.0
		for j := range k {
			z[j] = math.Exp(z[j] - mx)
			sum += z[j]
		}
		draw := rng.Float64() * sum
		y[r] = k - 1
		for j := range k {
			if draw < z[j] {
				y[r] = j
				break
			}
			draw -= z[j]
		}
	}
	return cols, y
}
