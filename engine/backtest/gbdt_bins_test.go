package backtest

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"sigmalab/engine/calibrate"
	"sigmalab/engine/cv"
	"sigmalab/engine/gbdt"
)

// binsTable is a 3-class table whose label depends on the first two of nf
// normal features (plus noise), one row per hour.
func binsTable(seed uint64, n, nf int) (*Table, [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 23))
	cols := make([][]float64, nf)
	for f := range cols {
		cols[f] = make([]float64, n)
		for i := range cols[f] {
			cols[f][i] = rng.NormFloat64()
		}
	}
	tbl := &Table{Classes: []string{"DOWN", "FLAT", "UP"}}
	for i := range n {
		tbl.T0 = append(tbl.T0, int64(i)*3600_000)
		tbl.T1 = append(tbl.T1, int64(i+2)*3600_000)
		tbl.Hour = append(tbl.Hour, int32(9+i%7))
		s := cols[0][i] - 0.7*cols[1][i]*cols[1][i] + 0.8*rng.NormFloat64()
		y := 1
		switch {
		case s > 0.4:
			y = 2
		case s < -0.6:
			y = 0
		}
		tbl.Y = append(tbl.Y, y)
		tbl.Ret = append(tbl.Ret, 0.001*s)
	}
	return tbl, cols
}

// perturbOutside returns a copy of cols whose values at every row not in keep
// are changed beyond recognition: rescaled and shifted, some far outside the
// range of the kept rows, some missing.
func perturbOutside(cols [][]float64, keep []int) [][]float64 {
	in := make([]bool, len(cols[0]))
	for _, r := range keep {
		in[r] = true
	}
	out := make([][]float64, len(cols))
	for f, c := range cols {
		out[f] = slices.Clone(c)
		for r := range out[f] {
			if in[r] {
				continue
			}
			switch r % 5 {
			case 0:
				out[f][r] = math.NaN()
			case 1:
				out[f][r] = 1e6 * float64(r%7+1)
			default:
				out[f][r] = 3*c[r] + 0.5
			}
		}
	}
	return out
}

// A fold's model is a function of its training rows alone: rewriting every
// feature value outside them leaves the serialised model (trees, thresholds)
// and its predictions on the training rows bit-identical, and the rewritten
// rows are scored on the training rows' bin edges exactly as their raw values.
func TestGBDTFoldBinsIgnoreNonTrainingRows(t *testing.T) {
	tbl, cols := binsTable(5, 1500, 6)
	var train []int
	for r := 0; r < 1000; r++ {
		if r%9 != 4 { // a gap inside, as purging leaves
			train = append(train, r)
		}
	}
	moved := perturbOutside(cols, train)
	p := gbdt.DefaultParams()
	p.NEstimators, p.MaxDepth = 40, 3
	fit := func(cols [][]float64) (*gbdtPredictor, []byte) {
		t.Helper()
		learn, err := GBDTLearner(cols, tbl.Y, len(tbl.Classes), p)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := learn(context.Background(), 0, train)
		if err != nil {
			t.Fatal(err)
		}
		g := pr.(*gbdtPredictor)
		js, err := g.m.MarshalJSONModel()
		if err != nil {
			t.Fatal(err)
		}
		return g, js
	}
	g1, js1 := fit(cols)
	g2, js2 := fit(moved)
	if !bytes.Equal(js1, js2) {
		t.Fatal("the fold's model changed when only rows outside its training rows changed")
	}
	a, err := g1.PredictProba(train)
	if err != nil {
		t.Fatal(err)
	}
	b, err := g2.PredictProba(train)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "training rows", a, b)

	// The other rows, rewritten, are scored on the training edges exactly as
	// the model scores their raw values.
	var other []int
	for r := range tbl.Y {
		if r >= 1000 || r%9 == 4 {
			other = append(other, r)
		}
	}
	got, err := g2.PredictProba(other)
	if err != nil {
		t.Fatal(err)
	}
	raw := make([][]float64, len(moved))
	for f, c := range moved {
		for _, r := range other {
			raw[f] = append(raw[f], c[r])
		}
	}
	sameBits(t, "rewritten rows", got, g2.m.PredictProba(raw))

	// The test has teeth: edges fitted on all rows do move with those values.
	whole := func(cols [][]float64) []byte {
		ds, err := gbdt.NewDataset(cols, p.MaxBins)
		if err != nil {
			t.Fatal(err)
		}
		m, err := gbdt.TrainRows(ds, train, tbl.Y, len(tbl.Classes), p, nil)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := m.MarshalJSONModel()
		return js
	}
	if bytes.Equal(whole(cols), whole(moved)) {
		t.Fatal("edges on all rows did not depend on the rewritten rows; the test proves nothing")
	}
}

// Under walk-forward no fold trains on the last test block, so rewriting its
// feature values changes no out-of-fold prediction outside it.
func TestGBDTWalkForwardLastBlockInfluencesNoOtherFold(t *testing.T) {
	tbl, cols := binsTable(9, 1800, 5)
	p := gbdt.DefaultParams()
	p.NEstimators, p.MaxDepth = 30, 3
	cfg := RunConfig{CV: cv.Config{Splits: 4}, Calibration: calibrate.Sigmoid}
	run := func(cols [][]float64) (*OOF, *RunInfo) {
		t.Helper()
		learn, err := GBDTLearner(cols, tbl.Y, len(tbl.Classes), p)
		if err != nil {
			t.Fatal(err)
		}
		oof, info, err := RunOOF(context.Background(), tbl, learn, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return oof, info
	}
	o1, info := run(cols)
	last := info.Folds[len(info.Folds)-1]
	var keep []int
	for r := range tbl.Y {
		if r < last.TestStart || r >= last.TestEnd {
			keep = append(keep, r)
		}
	}
	o2, _ := run(perturbOutside(cols, keep))
	if !slices.Equal(o1.Rows, o2.Rows) {
		t.Fatal("OOF rows differ")
	}
	compared, changed := 0, 0
	for i, r := range o1.Rows {
		for k := range o1.Probs {
			a, b := o1.Probs[k][i], o2.Probs[k][i]
			if r >= last.TestStart && r < last.TestEnd {
				if a != b {
					changed++
				}
				continue
			}
			compared++
			if math.Float64bits(a) != math.Float64bits(b) {
				t.Fatalf("row %d class %d: %v became %v after rewriting rows %d..%d", r, k, a, b, last.TestStart, last.TestEnd-1)
			}
		}
	}
	if compared == 0 || changed == 0 {
		t.Fatalf("compared %d probabilities outside the last block, %d changed inside it", compared, changed)
	}
}

func sameBits(t *testing.T, what string, a, b [][]float64) {
	t.Helper()
	for k := range a {
		for i := range a[k] {
			if math.Float64bits(a[k][i]) != math.Float64bits(b[k][i]) {
				t.Fatalf("%s: class %d row %d: %v vs %v", what, k, i, a[k][i], b[k][i])
			}
		}
	}
}
