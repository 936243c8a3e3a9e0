package engine

import (
	"context"
	"testing"

	"sigmalab/engine/backtest"
	"sigmalab/engine/cv"
	"sigmalab/engine/logreg"
	"sigmalab/engine/stats"
)

// plantedPlacebo is the placebo p-value of logreg on one planted market.
func plantedPlacebo(t *testing.T, seed uint64, phi float64, kind string, runs int) float64 {
	t.Helper()
	p := plantedMarket(t, seed, "2023-01-03", "2023-12-29", phi)
	spec := LearnerSpec{Algo: AlgoLogReg, LogReg: logreg.DefaultParams()}
	real := p.sharpe(t, p.oof(t, spec))
	ps := PlaceboSpec{Kind: kind, Runs: runs, Seed: seed}
	res, err := placeboRuns(context.Background(), ps, p.tbl, p.y, p.cols, spec,
		backtest.RunConfig{CV: cv.Config{Method: cv.WalkForward, Splits: 5}, Calibration: "none"}, plantedTrade, real)
	if err != nil {
		t.Fatal(err)
	}
	return res.PValue
}

// TestPlaceboPValues: on random walks the placebo p-values of a model are
// uniform-ish (a Kolmogorov–Smirnov test against U(0,1) does not reject at
// 1 %; p-values are discrete in steps of 1/(runs+1), so each is spread
// uniformly over its step first, with a fixed seed); on a planted AR(1)
// they are small.
func TestPlaceboPValues(t *testing.T) {
	markets, runs := 16, 9
	if testing.Short() {
		markets = 10
	}
	kinds := []string{PlaceboShuffle, PlaceboShift}
	if testing.Short() {
		kinds = kinds[:1]
	}
	for _, kind := range kinds {
		var ps []float64
		for k := 0; k < markets; k++ {
			p := plantedPlacebo(t, uint64(4000+k), 0, kind, runs)
			// Randomise within the step: P is on {1..runs+1}/(runs+1).
			u := float64(k*7919%markets) / float64(markets)
			ps = append(ps, p-u/float64(runs+1))
		}
		d, pv := stats.KSUniform(ps)
		t.Logf("%s placebo on noise: %d markets × %d runs, KS D %.3f p %.3f; p-values %.2f", kind, markets, runs, d, pv, ps)
		if pv < 0.01 {
			t.Errorf("%s: placebo p-values on noise are not uniform (KS p %.4f)", kind, pv)
		}
		sig := plantedPlacebo(t, 4100, -0.15, kind, runs)
		t.Logf("%s placebo on φ = −0.15: p %.3f", kind, sig)
		if sig > 2.0/float64(runs+1) {
			t.Errorf("%s: planted signal placebo p %.3f, want ≤ %.3f", kind, sig, 2.0/float64(runs+1))
		}
	}
}

func TestPlaceboLabels(t *testing.T) {
	y := make([]int, 200)
	t0, t1 := make([]int64, 200), make([]int64, 200)
	for i := range y {
		y[i] = (i * i * 7) % 11 % 3
		t0[i], t1[i] = int64(i), int64(i+2)
	}
	y[5] = -1
	for _, kind := range []string{PlaceboShuffle, PlaceboShift} {
		a := placeboLabels(y, t0, t1, PlaceboSpec{Kind: kind, Runs: 4, Seed: 3}, 1)
		b := placeboLabels(y, t0, t1, PlaceboSpec{Kind: kind, Runs: 4, Seed: 3}, 2)
		cnt := map[int]int{}
		moved := 0
		for i := range a {
			cnt[a[i]]++
			if a[i] != y[i] {
				moved++
			}
		}
		want := map[int]int{}
		for _, v := range y {
			want[v]++
		}
		if a[5] != -1 || cnt[-1] != 1 || cnt[0] != want[0] || cnt[2] != want[2] {
			t.Errorf("%s: class counts %v changed (unlabelled row at %d)", kind, cnt, a[5])
		}
		if moved < 100 {
			t.Errorf("%s: only %d labels moved", kind, moved)
		}
		same := true
		for i := range a {
			same = same && a[i] == b[i]
		}
		if same {
			t.Errorf("%s: runs 1 and 2 are the same placebo", kind)
		}
	}
	if h := horizonRows(t0, t1); h != 2 {
		t.Errorf("horizon %d rows, want 2", h)
	}
}
