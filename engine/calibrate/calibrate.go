// Package calibrate maps a classifier's raw class probabilities to calibrated
// ones: Platt sigmoid scaling (fit by maximum likelihood with gonum's BFGS) and
// isotonic regression (pool-adjacent-violators), one-vs-rest per class with the
// rows renormalised, plus reliability-curve data for plots.
//
// Calibrators are fit on a time-ordered holdout that the model did not train on;
// choosing that holdout is the caller's job (engine/backtest does it per fold).
package calibrate

import (
	"fmt"

	"sigmalab/engine/errs"
)

// Method names accepted in configs and requests.
const (
	None     = "none"
	Sigmoid  = "sigmoid"
	Isotonic = "isotonic"
)

// ValidMethod reports whether m is none, sigmoid or isotonic ("" counts as none).
func ValidMethod(m string) bool {
	return m == "" || m == None || m == Sigmoid || m == Isotonic
}

// Binary calibrates one class's probability.
type Binary interface {
	Apply(p float64) float64
}

// Calibrator is a fitted multiclass calibrator. For two classes only class 1 is
// calibrated and class 0 is its complement (as a binary classifier would be);
// for more classes every class is calibrated one-vs-rest and each row is
// renormalised to sum to one.
type Calibrator struct {
	Method   string        `json:"method"`
	Classes  int           `json:"classes"`
	Platt    []Platt       `json:"platt,omitempty"`    // per class (sigmoid)
	Isotonic []IsotonicMap `json:"isotonic,omitempty"` // per class (isotonic)
}

// Fit fits a calibrator of the given method to raw probabilities probs[class][row]
// and labels y[row] ∈ [0, classes). Rows with y < 0 are ignored. Method none
// (or "") returns nil, which Apply treats as the identity.
func Fit(method string, probs [][]float64, y []int) (*Calibrator, error) {
	if method == "" || method == None {
		return nil, nil
	}
	if !ValidMethod(method) {
		return nil, errs.Invalidf("calibration must be one of: none, sigmoid, isotonic (got %q)", method)
	}
	k := len(probs)
	if k < 2 {
		return nil, errs.Invalidf("calibrate: need at least 2 classes, got %d", k)
	}
	for c := range probs {
		if len(probs[c]) != len(y) {
			return nil, errs.Invalidf("calibrate: class %d has %d rows, labels %d", c, len(probs[c]), len(y))
		}
	}
	cal := &Calibrator{Method: method, Classes: k}
	first := 0
	if k == 2 {
		first = 1
	}
	hit := make([]bool, 0, len(y))
	p := make([]float64, 0, len(y))
	for c := first; c < k; c++ {
		hit, p = hit[:0], p[:0]
		for i, yi := range y {
			if yi < 0 {
				continue
			}
			hit = append(hit, yi == c)
			p = append(p, probs[c][i])
		}
		if len(p) == 0 {
			return nil, fmt.Errorf("calibrate: no labelled rows: %w", errs.ErrNoData)
		}
		switch method {
		case Sigmoid:
			pl, err := FitPlatt(p, hit)
			if err != nil {
				return nil, err
			}
			cal.Platt = append(cal.Platt, pl)
		case Isotonic:
			cal.Isotonic = append(cal.Isotonic, FitIsotonic(p, hit))
		}
	}
	return cal, nil
}

// binary returns the fitted calibrator of slot s.
func (c *Calibrator) binary(s int) Binary {
	if c.Method == Sigmoid {
		return c.Platt[s]
	}
	return &c.Isotonic[s]
}

// Apply calibrates probs[class][row] in place. A nil calibrator leaves probs as
// they are. A row whose calibrated probabilities all vanish keeps its raw values,
// because renormalising zeros has no answer.
func (c *Calibrator) Apply(probs [][]float64) {
	if c == nil || len(probs) == 0 {
		return
	}
	n := len(probs[0])
	if c.Classes == 2 {
		b := c.binary(0)
		for i := 0; i < n; i++ {
			q := b.Apply(probs[1][i])
			probs[1][i], probs[0][i] = q, 1-q
		}
		return
	}
	bs := make([]Binary, c.Classes)
	for s := range bs {
		bs[s] = c.binary(s)
	}
	row := make([]float64, c.Classes)
	for i := 0; i < n; i++ {
		sum := 0.0
		for k := range row {
			row[k] = bs[k].Apply(probs[k][i])
			sum += row[k]
		}
		if !(sum > 0) {
			continue
		}
		for k := range row {
			probs[k][i] = row[k] / sum
		}
	}
}
