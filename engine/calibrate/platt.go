package calibrate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// Platt is a fitted sigmoid P(hit | p) = 1 / (1 + exp(A·f + B)) with
// f = logit(p). Working on the logit keeps the map monotone and makes the
// identity reachable (A = −1, B = 0), so a well-calibrated model is left alone.
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// clampP keeps the logit finite for probabilities of exactly 0 or 1.
const clampP = 1e-12

func logit(p float64) float64 {
	if math.IsNaN(p) {
		return 0
	}
	p = math.Min(math.Max(p, clampP), 1-clampP)
	return math.Log(p / (1 - p))
}

// Apply maps a raw probability to a calibrated one.
func (pl Platt) Apply(p float64) float64 {
	z := pl.A*logit(p) + pl.B
	// Evaluate the logistic in the numerically safe branch.
	if z >= 0 {
		e := math.Exp(-z)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(z))
}

// FitPlatt fits A and B by maximum likelihood with Platt's smoothed targets
// (t+ = (N+ + 1)/(N+ + 2), t− = 1/(N− + 2)), which keeps the fit finite when a
// holdout is perfectly separable or holds a single class.
func FitPlatt(p []float64, hit []bool) (Platt, error) {
	if len(p) != len(hit) || len(p) == 0 {
		return Platt{}, fmt.Errorf("calibrate: platt needs matching non-empty inputs (%d, %d)", len(p), len(hit))
	}
	var nPos, nNeg float64
	for _, h := range hit {
		if h {
			nPos++
		} else {
			nNeg++
		}
	}
	tPos, tNeg := (nPos+1)/(nPos+2), 1/(nNeg+2)
	f := make([]float64, len(p))
	t := make([]float64, len(p))
	for i := range p {
		f[i] = logit(p[i])
		if hit[i] {
			t[i] = tPos
		} else {
			t[i] = tNeg
		}
	}
	// Negative log-likelihood of targets t under q_i = σ(−(A f_i + B)).
	nll := func(x []float64) float64 {
		s := 0.0
		for i := range f {
			z := x[0]*f[i] + x[1]
			// −[t log q + (1−t) log(1−q)] with log q = −log1p(e^z), log(1−q) = z − log1p(e^z).
			s += softplus(z) - (1-t[i])*z
		}
		return s
	}
	grad := func(g, x []float64) {
		g[0], g[1] = 0, 0
		for i := range f {
			z := x[0]*f[i] + x[1]
			d := sigmoid(z) - (1 - t[i]) // ∂/∂z
			g[0] += d * f[i]
			g[1] += d
		}
	}
	x0 := []float64{-1, math.Log((nNeg + 1) / (nPos + 1))}
	res, err := optimize.Minimize(optimize.Problem{Func: nll, Grad: grad}, x0,
		&optimize.Settings{GradientThreshold: 1e-9, MajorIterations: 200}, &optimize.BFGS{})
	if err != nil && res == nil {
		return Platt{}, fmt.Errorf("calibrate: platt fit: %w", err)
	}
	// A non-converged but finite optimum is still the best fit found; only a
	// non-finite one is unusable, so fall back to the prior-only map.
	a, b := res.X[0], res.X[1]
	if math.IsNaN(a) || math.IsInf(a, 0) || math.IsNaN(b) || math.IsInf(b, 0) {
		return Platt{A: 0, B: math.Log((nNeg + 1) / (nPos + 1))}, nil
	}
	return Platt{A: a, B: b}, nil
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1 + e^z) without overflow.
func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	if z < -30 {
		return math.Exp(z)
	}
	return math.Log1p(math.Exp(z))
}
