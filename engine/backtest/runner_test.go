package backtest

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"testing"

	"sigmalab/engine/calibrate"
	"sigmalab/engine/cv"
	"sigmalab/engine/gbdt"
)

// synth makes an hourly labelled table: nf noise features plus, when beta > 0,
// one feature that linearly drives the next bar's return. Labels are
// UP/DOWN/FLAT by a ±band on the realised return, with horizon h bars.
func synth(seed uint64, n, nf int, beta float64, h int) (*Table, [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 17))
	cols := make([][]float64, nf+1)
	for f := range cols {
		cols[f] = make([]float64, n)
		for i := range cols[f] {
			cols[f][i] = rng.NormFloat64()
		}
	}
	step := make([]float64, n+h)
	for i := range step {
		step[i] = 0.002 * rng.NormFloat64()
	}
	tbl := &Table{Classes: []string{"DOWN", "FLAT", "UP"}}
	for i := 0; i < n; i++ {
		tbl.T0 = append(tbl.T0, int64(i)*3600_000)
		tbl.T1 = append(tbl.T1, int64(i+h)*3600_000)
		tbl.Hour = append(tbl.Hour, int32(9+i%7))
		r := beta * 0.002 * cols[0][i]
		for k := 0; k < h; k++ {
			r += step[i+k]
		}
		tbl.Ret = append(tbl.Ret, r)
		y := 1
		switch {
		case r > 0.0005:
			y = 2
		case r < -0.0005:
			y = 0
		}
		tbl.Y = append(tbl.Y, y)
	}
	return tbl, cols
}

func testParams() gbdt.Params {
	p := gbdt.DefaultParams()
	p.NEstimators, p.MaxDepth = 60, 3
	return p
}

func runSynth(t *testing.T, tbl *Table, cols [][]float64, cfg RunConfig) (*OOF, *RunInfo) {
	t.Helper()
	learn, err := GBDTLearner(cols, tbl.Y, len(tbl.Classes), testParams())
	if err != nil {
		t.Fatal(err)
	}
	oof, info, err := RunOOF(context.Background(), tbl, learn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return oof, info
}

// tstat is the overall Sharpe scaled to a t-statistic.
func tstat(m Metrics) float64 { return m.SharpeHourly * math.Sqrt(float64(m.Rows)) }

func TestPlantedSignalVersusNoise(t *testing.T) {
	cfg := RunConfig{CV: cv.Config{Splits: 4}, Calibration: calibrate.Sigmoid}
	params := TradeParams{TopPct: 0.3, SlippageBps: 1}

	tbl, cols := synth(1, 2400, 6, 0.8, 1)
	oof, info := runSynth(t, tbl, cols, cfg)
	res, err := Evaluate(oof, params)
	if err != nil {
		t.Fatal(err)
	}
	if ts := tstat(res.Overall); !(res.Overall.SharpeHourly > 0 && ts > 3) {
		t.Fatalf("planted signal: OOF sharpe %.4f (t=%.2f), want clearly positive", res.Overall.SharpeHourly, ts)
	}
	if info.Folds[0].Calibrated != calibrate.Sigmoid || info.Folds[0].CalibRows == 0 {
		t.Fatalf("fold 0 not calibrated: %+v", info.Folds[0])
	}
	thr, err := Evaluate(oof, TradeParams{Thresholds: []float64{0.4, 0.45, 0.5}, SlippageBps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(thr.Overall.SharpeHourly > 0 && thr.Overall.Trades > 0) {
		t.Fatalf("planted signal, threshold mode: %+v", thr.Overall)
	}

	ntbl, ncols := synth(2, 2400, 6, 0, 1)
	noof, _ := runSynth(t, ntbl, ncols, cfg)
	nres, err := Evaluate(noof, params)
	if err != nil {
		t.Fatal(err)
	}
	if ts := tstat(nres.Overall); ts > 2 {
		t.Fatalf("pure noise: OOF sharpe %.4f (t=%.2f) looks significant", nres.Overall.SharpeHourly, ts)
	}
	t.Logf("planted t=%.2f sharpe=%.4f; noise t=%.2f sharpe=%.4f", tstat(res.Overall), res.Overall.SharpeHourly,
		tstat(nres.Overall), nres.Overall.SharpeHourly)
}

// nearestLearner is a model whose only feature is the row's time: it predicts
// each row's class as the label of the nearest training row. Where label
// windows overlap that is a look-up of the future answer; it is the strongest
// exploit of the leak purging exists for.
func nearestLearner(tbl *Table) Learner {
	return func(_ context.Context, _ int, train []int) (Predictor, error) {
		return predictFunc(func(rows []int) ([][]float64, error) {
			out := make([][]float64, len(tbl.Classes))
			for c := range out {
				out[c] = make([]float64, len(rows))
			}
			for r, i := range rows {
				j := sort.SearchInts(train, i)
				best := -1
				if j < len(train) {
					best = train[j]
				}
				if j > 0 && (best < 0 || i-train[j-1] < best-i) {
					best = train[j-1]
				}
				out[tbl.Y[best]][r] = 1
			}
			return out, nil
		}), nil
	}
}

type predictFunc func(rows []int) ([][]float64, error)

func (f predictFunc) PredictProba(rows []int) ([][]float64, error) { return f(rows) }

// TestPurgeCatchesLeak: labels span 50 bars of a pure random walk, so
// neighbouring rows share most of their label window. Without t1 (no purge)
// k-fold lets the time-peeking model read test answers off adjacent training
// rows and reports a large edge on pure noise; with purging the edge is gone.
func TestPurgeCatchesLeak(t *testing.T) {
	for _, seed := range []uint64{11, 13, 14} {
		tbl, _ := synth(seed, 6000, 0, 0, 50)
		leaky := *tbl
		leaky.T1 = nil
		cfg := RunConfig{CV: cv.Config{Method: cv.KFold, Splits: 60}}
		oofL, _, err := RunOOF(context.Background(), &leaky, nearestLearner(tbl), cfg)
		if err != nil {
			t.Fatal(err)
		}
		oofP, _, err := RunOOF(context.Background(), tbl, nearestLearner(tbl), cfg)
		if err != nil {
			t.Fatal(err)
		}
		resL, _ := Evaluate(oofL, TradeParams{TopPct: 1})
		resP, _ := Evaluate(oofP, TradeParams{TopPct: 1})
		t.Logf("seed %d: unpurged sharpe %.3f hit %.3f; purged sharpe %.3f hit %.3f", seed,
			resL.Overall.SharpeHourly, resL.Overall.HitRate, resP.Overall.SharpeHourly, resP.Overall.HitRate)
		if resL.Overall.SharpeHourly < 0.3 || resL.Overall.HitRate < 0.62 {
			t.Fatalf("seed %d: the leak should show without purging; the test lost its power", seed)
		}
		if resP.Overall.SharpeHourly > 0.15 || resP.Overall.HitRate > 0.56 {
			t.Fatalf("seed %d: purged k-fold still profits from the leak", seed)
		}
	}
}

// TestRunnerTrainsOnlyOnPurgedRows spies on the learner: no row it is given
// has a label window overlapping the fold's test span, and the calibration
// holdout rows are never trained on.
func TestRunnerTrainsOnlyOnPurgedRows(t *testing.T) {
	tbl, _ := synth(5, 900, 0, 0, 6)
	for _, method := range []string{cv.WalkForward, cv.KFold} {
		var mu sync.Mutex
		seen := map[int][]int{}
		spy := func(ctx context.Context, fold int, train []int) (Predictor, error) {
			mu.Lock()
			seen[fold] = append([]int(nil), train...)
			mu.Unlock()
			return nearestLearner(tbl)(ctx, fold, train)
		}
		cfg := RunConfig{CV: cv.Config{Method: method, Splits: 4, Embargo: 0.05}, Calibration: calibrate.Sigmoid}
		oof, info, err := RunOOF(context.Background(), tbl, spy, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The OOF keeps each row's label end, which the threshold choice needs.
		for k, i := range oof.Rows {
			if oof.T1 == nil || oof.T1[k] != tbl.T1[i] {
				t.Fatalf("%s: oof t1 of row %d missing or wrong", method, i)
			}
		}
		folds, _ := cv.Split(tbl.T0, tbl.T1, cfg.CV)
		for _, f := range folds {
			train := seen[f.Index]
			f.Train = train
			if bad := cv.Overlaps(f, tbl.T0, tbl.T1); len(bad) > 0 {
				t.Fatalf("%s fold %d trained on overlapping rows %v", method, f.Index, bad)
			}
			fi := info.Folds[f.Index]
			if fi.CalibRows == 0 || fi.TrainRows != len(train) {
				t.Fatalf("%s fold %d: info %+v, learner saw %d rows", method, f.Index, fi, len(train))
			}
			// The holdout is the tail of the purged training rows; the fit rows
			// must end before its label windows begin.
			last := train[len(train)-1]
			if method == cv.WalkForward && last >= f.TestStart {
				t.Fatalf("walk-forward fold %d trained on row %d ≥ test start %d", f.Index, last, f.TestStart)
			}
		}
	}
}

func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	tbl, cols := synth(4, 1200, 5, 0.5, 2)
	cfg := RunConfig{CV: cv.Config{Method: cv.KFold, Splits: 4, Embargo: 0.1}, Calibration: calibrate.Isotonic}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	o1, i1 := runSynth(t, tbl, cols, cfg)
	runtime.GOMAXPROCS(4)
	cfg.Workers = 3
	o4, i4 := runSynth(t, tbl, cols, cfg)
	if !reflect.DeepEqual(o1.Probs, o4.Probs) || !reflect.DeepEqual(i1, i4) {
		t.Fatal("OOF probabilities differ between GOMAXPROCS=1 and 4")
	}
	r1, _ := Evaluate(o1, TradeParams{SlippageBps: 1, Thresholds: []float64{0.4, 0.5}})
	r4, _ := Evaluate(o4, TradeParams{SlippageBps: 1, Thresholds: []float64{0.4, 0.5}})
	if !reflect.DeepEqual(r1, r4) {
		t.Fatal("evaluation differs")
	}
}

// TestOneClassFoldIsSkipped: a fold whose training rows hold one class is
// skipped with a reason (its rows get no prediction and never trade) instead
// of failing the backtest; only when no fold can train is it an error.
func TestOneClassFoldIsSkipped(t *testing.T) {
	tbl, cols := synth(5, 700, 3, 1, 1)
	// The first 300 rows (fold 0's training block of a 6-block walk-forward
	// with 5 splits is rows 0..119) are all UP.
	for i := 0; i < 300; i++ {
		tbl.Y[i] = 2
	}
	oof, info := runSynth(t, tbl, cols, RunConfig{CV: cv.Config{Splits: 5}, Calibration: calibrate.Sigmoid})
	if !info.Folds[0].Skipped || info.Folds[0].Note == "" || info.Folds[4].Skipped {
		t.Fatalf("folds %+v", info.Folds)
	}
	for i := oof.FoldStart[0]; i < oof.FoldStart[1]; i++ {
		if !math.IsNaN(oof.PUp[i]) {
			t.Fatalf("skipped fold row %d has a prediction %v", i, oof.PUp[i])
		}
	}
	res, err := Evaluate(oof, TradeParams{Thresholds: []float64{0.3}, KeepSeries: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ThresholdResults[0].Trades != 0 || res.Overall.Trades == 0 {
		t.Fatalf("skipped fold traded %d, overall %d", res.ThresholdResults[0].Trades, res.Overall.Trades)
	}
	for i := range tbl.Y {
		tbl.Y[i] = 2
	}
	learn, _ := GBDTLearner(cols, tbl.Y, len(tbl.Classes), testParams())
	if _, _, err := RunOOF(context.Background(), tbl, learn, RunConfig{CV: cv.Config{Splits: 5}}); err == nil {
		t.Fatal("no fold can train: want an error")
	}
}
