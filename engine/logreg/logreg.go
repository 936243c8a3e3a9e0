// Package logreg is an L2-regularised multinomial logistic regression: the
// linear baseline a boosted model should beat before it is believed.
//
// Features are standardised with means and scales fitted on the training rows
// only (a cross-validation fold's test rows never shape them); a missing value
// (NaN, ±Inf) becomes the training mean, i.e. 0 after standardising. The
// penalty follows scikit-learn's C: the objective is the summed log loss plus
// ‖W‖²/(2C) (intercepts are not penalised), minimised with L-BFGS. A fit is a
// pure function of its inputs: no randomness, one goroutine.
package logreg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"

	"sigmalab/engine/errs"
)

// Params are the regression's hyper-parameters.
type Params struct {
	// C is the inverse L2 strength (scikit-learn's C): larger fits closer.
	C float64 `json:"C"`
	// MaxIter bounds the L-BFGS iterations.
	MaxIter int `json:"max_iter"`
}

// DefaultParams are scikit-learn's LogisticRegression defaults (C = 1,
// max_iter = 100 is raised to 200: standardised market features converge in
// far fewer, and the bound only matters for degenerate data).
func DefaultParams() Params { return Params{C: 1, MaxIter: 200} }

// Validate reports an out-of-range parameter as an errs.ErrInvalid error.
func (p Params) Validate() error {
	switch {
	case !(p.C > 0) || math.IsInf(p.C, 0):
		return errs.Invalidf("logreg: C=%v out of range (> 0, finite)", p.C)
	case p.MaxIter < 1 || p.MaxIter > 100000:
		return errs.Invalidf("logreg: max_iter=%d out of range (1..100000)", p.MaxIter)
	}
	return nil
}

// Model is a fitted regression: class k's margin is B[k] + Σ_f W[k][f]·z_f
// with z_f = (x_f − Mean[f]) / Scale[f].
type Model struct {
	NumClass   int         `json:"num_class"`
	NumFeature int         `json:"num_feature"`
	Mean       []float64   `json:"mean"`
	Scale      []float64   `json:"scale"`
	W          [][]float64 `json:"w"` // [class][feature]
	B          []float64   `json:"b"` // [class]
	Iterations int         `json:"iterations"`
	Objective  float64     `json:"objective"` // (log loss + penalty) / rows at the solution
}

// Fit fits the model on rows (nil = all) of cols[f][row] with class indices
// y[row] in 0..numClass−1. Only the selected rows are read.
func Fit(cols [][]float64, rows []int, y []int, numClass int, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, errs.Invalidf("logreg: no feature columns")
	}
	n := len(y)
	for f, c := range cols {
		if len(c) != n {
			return nil, errs.Invalidf("logreg: column %d has %d rows, want %d", f, len(c), n)
		}
	}
	if numClass < 2 {
		return nil, errs.Invalidf("logreg: num_class=%d, need at least 2", numClass)
	}
	if rows == nil {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	if len(rows) == 0 {
		return nil, errs.Invalidf("logreg: no training rows")
	}
	seen := make([]bool, numClass)
	for _, r := range rows {
		if r < 0 || r >= n {
			return nil, errs.Invalidf("logreg: row %d out of range 0..%d", r, n-1)
		}
		if y[r] < 0 || y[r] >= numClass {
			return nil, errs.Invalidf("logreg: label %d at row %d outside 0..%d", y[r], r, numClass-1)
		}
		seen[y[r]] = true
	}
	present := 0
	for _, s := range seen {
		if s {
			present++
		}
	}
	if present < 2 {
		return nil, errs.Invalidf("logreg: training rows hold a single class; need at least two")
	}
	d, K := len(cols), numClass
	m := &Model{NumClass: K, NumFeature: d, Mean: make([]float64, d), Scale: make([]float64, d)}
	// Standardised training design, row-major (rows × d): one pass per
	// evaluation streams it.
	z := make([]float64, len(rows)*d)
	for f, c := range cols {
		s, q, k := 0.0, 0.0, 0
		for _, r := range rows {
			if v := c[r]; finite(v) {
				s += v
				k++
			}
		}
		mean := 0.0
		if k > 0 {
			mean = s / float64(k)
		}
		for _, r := range rows {
			if v := c[r]; finite(v) {
				q += (v - mean) * (v - mean)
			}
		}
		scale := 1.0
		if k > 1 && q > 0 {
			scale = math.Sqrt(q / float64(k))
		}
		m.Mean[f], m.Scale[f] = mean, scale
		for i, r := range rows {
			v := 0.0
			if x := c[r]; finite(x) {
				v = (x - mean) / scale
			}
			z[i*d+f] = v
		}
	}
	lab := make([]int, len(rows))
	for i, r := range rows {
		lab[i] = y[r]
	}
	nx := K * (d + 1) // per class: d weights then the intercept
	lambda := 1 / p.C
	inv := 1 / float64(len(rows))
	marg := make([]float64, K)
	// The objective is scaled by 1/n (same minimiser) so gradient tolerances
	// mean the same whatever the row count.
	fg := func(grad, x []float64) float64 {
		if grad != nil {
			clear(grad)
		}
		loss := 0.0
		for i := range lab {
			zi := z[i*d : i*d+d]
			mx := math.Inf(-1)
			for k := 0; k < K; k++ {
				w := x[k*(d+1) : k*(d+1)+d]
				s := x[k*(d+1)+d]
				for f, v := range zi {
					s += w[f] * v
				}
				marg[k] = s
				mx = math.Max(mx, s)
			}
			sum := 0.0
			for k := range marg {
				marg[k] = math.Exp(marg[k] - mx)
				sum += marg[k]
			}
			loss += math.Log(sum) + mx - (math.Log(marg[lab[i]]) + mx)
			if grad == nil {
				continue
			}
			for k := 0; k < K; k++ {
				g := marg[k] / sum
				if k == lab[i] {
					g--
				}
				gw := grad[k*(d+1) : k*(d+1)+d]
				for f, v := range zi {
					gw[f] += g * v
				}
				grad[k*(d+1)+d] += g
			}
		}
		pen := 0.0
		for k := 0; k < K; k++ {
			w := x[k*(d+1) : k*(d+1)+d]
			for f, v := range w {
				pen += v * v
				if grad != nil {
					grad[k*(d+1)+f] += lambda * v
				}
			}
		}
		for j := range grad {
			grad[j] *= inv
		}
		return (loss + 0.5*lambda*pen) * inv
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { return fg(nil, x) },
		Grad: func(grad, x []float64) { fg(grad, x) },
	}
	settings := &optimize.Settings{GradientThreshold: 1e-7, MajorIterations: p.MaxIter, Concurrent: 1,
		Converger: &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-10, Iterations: 20}}
	res, err := optimize.Minimize(prob, make([]float64, nx), settings, &optimize.LBFGS{})
	if res == nil || (err != nil && !usable(res)) {
		return nil, fmt.Errorf("logreg: optimisation failed: %v: %w", err, errs.ErrInvalid)
	}
	m.W, m.B = make([][]float64, K), make([]float64, K)
	for k := 0; k < K; k++ {
		m.W[k] = append([]float64(nil), res.X[k*(d+1):k*(d+1)+d]...)
		m.B[k] = res.X[k*(d+1)+d]
	}
	m.Iterations = res.Stats.MajorIterations
	m.Objective = res.F
	return m, nil
}

// usable: an optimisation that stopped early (iteration bound, a line search
// that cannot improve at the optimum's rounding level) still left a finite point.
func usable(r *optimize.Result) bool {
	for _, v := range r.X {
		if !finite(v) {
			return false
		}
	}
	return finite(r.F)
}

func finite(v float64) bool { return v-v == 0 }

// Validate checks a decoded model's shape.
func (m *Model) Validate() error {
	if m == nil || m.NumClass < 2 || m.NumFeature < 1 || len(m.Mean) != m.NumFeature || len(m.Scale) != m.NumFeature ||
		len(m.W) != m.NumClass || len(m.B) != m.NumClass {
		return errs.Invalidf("logreg: malformed model")
	}
	for _, w := range m.W {
		if len(w) != m.NumFeature {
			return errs.Invalidf("logreg: malformed model")
		}
	}
	return nil
}

// PredictProbaRows returns probs[class][k] for rows[k] of cols[f][row].
func (m *Model) PredictProbaRows(cols [][]float64, rows []int) [][]float64 {
	out := make([][]float64, m.NumClass)
	for k := range out {
		out[k] = make([]float64, len(rows))
	}
	marg := make([]float64, m.NumClass)
	for i, r := range rows {
		mx := math.Inf(-1)
		for k := range marg {
			s := m.B[k]
			for f, c := range cols {
				if v := c[r]; finite(v) {
					s += m.W[k][f] * (v - m.Mean[f]) / m.Scale[f]
				}
			}
			marg[k] = s
			mx = math.Max(mx, s)
		}
		sum := 0.0
		for k := range marg {
			marg[k] = math.Exp(marg[k] - mx)
			sum += marg[k]
		}
		for k := range marg {
			out[k][i] = marg[k] / sum
		}
	}
	return out
}

// PredictProba scores every row of cols.
func (m *Model) PredictProba(cols [][]float64) [][]float64 {
	n := 0
	if len(cols) > 0 {
		n = len(cols[0])
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return m.PredictProbaRows(cols, rows)
}
