package engine

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"sigmalab/engine/logreg"
)

// A logreg model artifact round-trips and scores like the fitted model.
func TestLogRegArtifactRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cols := [][]float64{make([]float64, 300), make([]float64, 300)}
	y := make([]int, 300)
	for i := range y {
		cols[0][i], cols[1][i] = rng.NormFloat64(), rng.NormFloat64()
		if cols[0][i]+0.3*rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	m, err := logreg.Fit(cols, nil, y, 2, logreg.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	tm := &TrainedModel{ModelID: "m", Algo: AlgoLogReg, Classes: []string{"DOWN", "UP"}, Features: []string{"a", "b"}, LogReg: m}
	b, err := tm.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeTrainedModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.PredictCols(cols), m.PredictProba(cols); !reflect.DeepEqual(got, want) {
		t.Fatal("decoded model scores differently")
	}
	back.LogReg.W = back.LogReg.W[:1]
	if b2, _ := back.Encode(); b2 != nil {
		if _, err := DecodeTrainedModel(b2); err == nil {
			t.Fatal("a malformed regression decoded")
		}
	}
}
