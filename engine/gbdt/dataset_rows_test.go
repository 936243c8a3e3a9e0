package gbdt

import (
	"errors"
	"math"
	"slices"
	"testing"

	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt/internal/synth"
)

// Edges fitted on a subset are the edges of that subset alone, whatever the
// other rows hold; every row is binned with them.
func TestDatasetRowsFitsEdgesOnSubset(t *testing.T) {
	cols, _ := synth.Binary(4000, 8, 31)
	fit := make([]int, 0, 3000)
	for r := 3999; r >= 1000; r-- { // any order
		fit = append(fit, r)
	}
	// Rows outside fit hold values far outside the fitted range and NaN.
	for f := range cols {
		cols[f][0], cols[f][1], cols[f][2] = 1e9, -1e9, math.NaN()
	}
	ds, err := NewDatasetRows(cols, fit, 64)
	if err != nil {
		t.Fatal(err)
	}
	sub := make([][]float64, len(cols))
	for f, c := range cols {
		for _, r := range fit {
			sub[f] = append(sub[f], c[r])
		}
	}
	ref, err := NewDataset(sub, 64)
	if err != nil {
		t.Fatal(err)
	}
	for f := range cols {
		if !slices.Equal(ds.uppers[f], ref.uppers[f]) {
			t.Fatalf("feature %d: edges on the subset differ from edges of the subset's values", f)
		}
		want := make([]uint8, len(cols[f]))
		binColumn(want, cols[f], ref.uppers[f])
		if !slices.Equal(ds.bins[f], want) {
			t.Fatalf("feature %d: rows not binned with the subset's edges", f)
		}
		if nb := uint8(ds.NumBins(f)); ds.bins[f][0] != nb || ds.bins[f][1] != 1 || ds.bins[f][2] != 0 {
			t.Fatalf("feature %d: out-of-range rows in bins %d, %d, %d (of %d)", f, ds.bins[f][0], ds.bins[f][1], ds.bins[f][2], nb)
		}
	}
	all, err := NewDatasetRows(cols, nil, 64)
	if err != nil {
		t.Fatal(err)
	}
	whole := mustDatasetBins(t, cols, 64)
	for f := range cols {
		if !slices.Equal(all.uppers[f], whole.uppers[f]) || !slices.Equal(all.bins[f], whole.bins[f]) {
			t.Fatalf("feature %d: nil rows is not NewDataset", f)
		}
	}
	for _, bad := range [][]int{{}, {-1}, {4000}} {
		if _, err := NewDatasetRows(cols, bad, 64); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("rows %v: err %v, want ErrInvalid", bad, err)
		}
	}
}

// A model trained on a Dataset whose edges come from its training rows scores
// the other rows (values outside the training range included) on their bins
// exactly as on their raw values.
func TestDatasetRowsPredictsHeldOutRows(t *testing.T) {
	cols, y := synth.Binary(5000, 10, 37)
	for i := range y {
		if cols[3][i] > 1 {
			y[i] = 2
		}
	}
	train := make([]int, 3500)
	for i := range train {
		train[i] = i
	}
	test := make([]int, 0, 1500)
	for r := 3500; r < 5000; r++ {
		test = append(test, r)
	}
	for f := range cols { // held-out values beyond every training edge
		cols[f][3500+f], cols[f][3600+f] = 1e12, -1e12
	}
	ds, err := NewDatasetRows(cols, train, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.NEstimators = 30
	m, err := TrainRows(ds, train, y, 3, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.PredictProbaRows(ds, test)
	if err != nil {
		t.Fatal(err)
	}
	sub := make([][]float64, len(cols))
	for f, c := range cols {
		sub[f] = c[3500:]
	}
	want := m.PredictProba(sub)
	for k := range want {
		for i := range want[k] {
			if math.Float64bits(got[k][i]) != math.Float64bits(want[k][i]) {
				t.Fatalf("class %d row %d: binned %v, raw %v", k, test[i], got[k][i], want[k][i])
			}
		}
	}
}

func mustDatasetBins(t *testing.T, cols [][]float64, maxBins int) *Dataset {
	t.Helper()
	ds, err := NewDataset(cols, maxBins)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
