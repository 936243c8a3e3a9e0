package logreg

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// planted draws n rows of d standard normal features (NaN sprinkled in) and a
// binary label with P(1) = σ(2·x0 − x1).
func planted(seed uint64, n, d int) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	cols := make([][]float64, d)
	for f := range cols {
		cols[f] = make([]float64, n)
		for i := range cols[f] {
			cols[f][i] = 3 + 10*rng.NormFloat64() // unstandardised on purpose
		}
	}
	y := make([]int, n)
	for i := range y {
		m := 2*(cols[0][i]-3)/10 - (cols[1][i]-3)/10
		if rng.Float64() < 1/(1+math.Exp(-m)) {
			y[i] = 1
		}
		if i%97 == 0 {
			cols[2%d][i] = math.NaN()
		}
	}
	return cols, y
}

func TestFitRecoversPlantedCoefficients(t *testing.T) {
	cols, y := planted(1, 20000, 4)
	m, err := Fit(cols, nil, y, 2, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// Softmax over two classes: the log-odds coefficient is W[1]−W[0], per
	// standardised unit (σ = 10 here, so the planted 2 and −1 per σ).
	b0, b1 := m.W[1][0]-m.W[0][0], m.W[1][1]-m.W[0][1]
	t.Logf("coef %.3f %.3f (want 2, −1), iterations %d", b0, b1, m.Iterations)
	if math.Abs(b0-2) > 0.15 || math.Abs(b1+1) > 0.1 {
		t.Fatalf("coefficients %.3f %.3f, want about 2 and −1", b0, b1)
	}
	for f := 2; f < 4; f++ {
		if c := m.W[1][f] - m.W[0][f]; math.Abs(c) > 0.1 {
			t.Errorf("noise feature %d coefficient %.3f", f, c)
		}
	}
	p := m.PredictProba(cols)
	for i := range p[0] {
		if s := p[0][i] + p[1][i]; math.Abs(s-1) > 1e-12 || math.IsNaN(s) {
			t.Fatalf("row %d: probabilities sum to %v", i, s)
		}
	}
}

// Standardisation is fitted on the training rows only: test rows' values
// never move it, and a fit is deterministic.
func TestFitReadsOnlyTrainingRows(t *testing.T) {
	cols, y := planted(2, 4000, 3)
	rows := make([]int, 3000)
	for i := range rows {
		rows[i] = i
	}
	a, err := Fit(cols, rows, y, 2, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for f := range cols {
		for i := 3000; i < 4000; i++ {
			cols[f][i] = 1e9
			y[i] = 0
		}
	}
	b, err := Fit(cols, rows, y, 2, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("test rows changed the fit (or the fit is not deterministic)")
	}
}

func TestStrongerPenaltyShrinks(t *testing.T) {
	cols, y := planted(3, 2000, 3)
	loose, _ := Fit(cols, nil, y, 2, Params{C: 100, MaxIter: 200})
	tight, _ := Fit(cols, nil, y, 2, Params{C: 1e-4, MaxIter: 200})
	if math.Abs(tight.W[1][0]-tight.W[0][0]) >= math.Abs(loose.W[1][0]-loose.W[0][0])/5 {
		t.Fatalf("C=1e-4 coefficient %.3f not far below C=100's %.3f", tight.W[1][0]-tight.W[0][0], loose.W[1][0]-loose.W[0][0])
	}
}

func TestMulticlassAndErrors(t *testing.T) {
	cols, y := planted(4, 3000, 2)
	for i := range y {
		if cols[0][i] > 10 {
			y[i] = 2
		}
	}
	m, err := Fit(cols, nil, y, 3, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	p := m.PredictProbaRows(cols, []int{0, 1, 2})
	if len(p) != 3 || len(p[2]) != 3 {
		t.Fatalf("shape %d×%d", len(p), len(p[0]))
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		err  func() error
	}{
		{"one class", func() error { _, err := Fit(cols, []int{0}, []int{0, 0, 0}[:1], 2, DefaultParams()); return err }},
		{"C", func() error { _, err := Fit(cols, nil, y, 3, Params{C: 0, MaxIter: 5}); return err }},
		{"label", func() error { _, err := Fit(cols, nil, y, 2, DefaultParams()); return err }},
		{"no columns", func() error { _, err := Fit(nil, nil, y, 3, DefaultParams()); return err }},
	}
	for _, b := range bad {
		if b.err() == nil {
			t.Errorf("%s: no error", b.name)
		}
	}
}
