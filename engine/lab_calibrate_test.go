package engine

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"sigmalab/engine/backtest"
	"sigmalab/engine/calibrate"
	"sigmalab/engine/errs"
)

// squashedOOF is a binary DOWN/UP OOF of folds×perFold hourly rows whose
// true P(UP) is uniform in [0.05, 0.95] but whose scores are squashed toward
// 0.5: p_up = 0.5 + 0.3·(truth − 0.5). Labels end an hour after their row.
func squashedOOF(t *testing.T, seed uint64, folds, perFold int) *backtest.OOF {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	n := folds * perFold
	o := &backtest.OOF{Classes: []string{backtest.ClassDown, backtest.ClassUp},
		Probs: [][]float64{make([]float64, n), make([]float64, n)}}
	for i := 0; i < n; i++ {
		truth := 0.05 + 0.9*rng.Float64()
		p := 0.5 + 0.3*(truth-0.5)
		o.Probs[1][i], o.Probs[0][i] = p, 1-p
		y := 0
		if rng.Float64() < truth {
			y = 1
		}
		ts := int64(1_700_000_000_000) + int64(i)*3_600_000
		o.TS = append(o.TS, ts)
		o.T1 = append(o.T1, ts+3_600_000)
		o.Label = append(o.Label, y)
		o.Hour = append(o.Hour, int32(10+i%6))
		o.Ret = append(o.Ret, 0.001*float64(2*y-1))
	}
	for f := 0; f <= folds; f++ {
		o.FoldStart = append(o.FoldStart, f*perFold)
	}
	oof, err := backtest.NewOOF(o)
	if err != nil {
		t.Fatal(err)
	}
	return oof
}

// maxGap is the largest |observed − mean predicted| over bins with at least
// minCount rows.
func maxGap(r calibrate.Reliability, minCount int) float64 {
	g := 0.0
	for _, b := range r.Bins {
		if b.Count >= minCount {
			g = max(g, math.Abs(b.ObsFreq-b.MeanPred))
		}
	}
	return g
}

// TestCalibrateOOFRecoversSquashedScores: scores squashed toward 0.5 are far
// from the diagonal; isotonic fitted walk-forward brings every well-filled
// bin within 0.05 of it, and the Brier score and log loss improve.
func TestCalibrateOOFRecoversSquashedScores(t *testing.T) {
	o := squashedOOF(t, 1, 5, 3000)
	for _, method := range []string{calibrate.Isotonic, calibrate.Sigmoid} {
		c, err := CalibrateOOF(o, method, 10)
		if err != nil {
			t.Fatal(err)
		}
		before, after := c.Reliability.Before[backtest.ClassUp], c.Reliability.After[backtest.ClassUp]
		if g := maxGap(before, 100); g < 0.15 {
			t.Fatalf("planted miscalibration not visible before: gap %.3f", g)
		}
		// Isotonic recovers any monotone distortion; the two-parameter
		// sigmoid cannot follow this linear squash exactly, only improve it.
		if tol := map[string]float64{calibrate.Isotonic: 0.05, calibrate.Sigmoid: 0.08}[method]; maxGap(after, 100) > tol {
			t.Errorf("%s: reliability gap %.3f after calibration, want ≤ %.2f: %+v", method, maxGap(after, 100), tol, after.Bins)
		}
		if !(c.Scores.After.Brier < c.Scores.Before.Brier-0.01) || !(c.Scores.After.LogLoss < c.Scores.Before.LogLoss-0.01) {
			t.Errorf("%s: scores before %+v after %+v", method, c.Scores.Before, c.Scores.After)
		}
		// Walk-forward: fold 0 is never scored, the others are, each fit
		// on the rows before it.
		if c.Folds[0].Evaluated || len(c.Rows) != 4*3000 || c.Folds[1].FitRows != 3000 || c.Folds[4].FitRows != 12000 {
			t.Fatalf("%s: folds %+v rows %d", method, c.Folds, len(c.Rows))
		}
		if c.Params == nil || c.Params.Method != method {
			t.Fatalf("params %+v", c.Params)
		}
	}
}

// TestCalibrateOOFIsTimeHonest: a fold is never scored by a calibrator that
// saw its own labels. Scores in the first half map UP-perfectly and in the
// second half the map flips; a calibrator fit on the whole OOF would look good
// on fold 1, the walk-forward one must look bad there.
func TestCalibrateOOFIsTimeHonest(t *testing.T) {
	o := squashedOOF(t, 2, 4, 1000)
	// Flip the labels of the last two folds: what was learned earlier is wrong later.
	lab := append([]int(nil), o.Label...)
	for i := 2000; i < 4000; i++ {
		lab[i] = 1 - lab[i]
	}
	flip := &backtest.OOF{Classes: o.Classes, Probs: o.Probs, Label: lab, TS: o.TS, T1: o.T1, Hour: o.Hour, Ret: o.Ret,
		FoldStart: o.FoldStart}
	flip, err := backtest.NewOOF(flip)
	if err != nil {
		t.Fatal(err)
	}
	c, err := CalibrateOOF(flip, calibrate.Isotonic, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Fold 2 is scored by a map fit on folds 0–1 (the unflipped world): its
	// calibrated calls are mostly wrong.
	_, right := 0, 0
	n := 0
	for j, f := range c.Fold {
		if f != 2 {
			continue
		}
		if _, dir, hit := c.direction(c.After, j); dir != 0 {
			n++
			if hit {
				right++
			}
		}
	}
	if n == 0 || float64(right)/float64(n) > 0.45 {
		t.Fatalf("fold 2 precision %d/%d: the calibrator must not have seen fold 2", right, n)
	}
	// A label that ends after the next fold starts is not yet fit on.
	o2 := squashedOOF(t, 3, 3, 500)
	long := append([]int64(nil), o2.T1...)
	for i := range long {
		long[i] = o2.TS[i] + 850*3_600_000 // 850 hours: a row is known 850 rows later
	}
	o3, err := backtest.NewOOF(&backtest.OOF{Classes: o2.Classes, Probs: o2.Probs, Label: o2.Label, TS: o2.TS, T1: long,
		Hour: o2.Hour, Ret: o2.Ret, FoldStart: o2.FoldStart})
	if err != nil {
		t.Fatal(err)
	}
	c3, err := CalibrateOOF(o3, calibrate.Isotonic, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Fold 1 starts at row 500: no label is known yet. Fold 2 starts at row
	// 1000: rows 0..150 are.
	if c3.Folds[1].Evaluated || c3.Folds[2].FitRows != 151 || !c3.Folds[2].Evaluated {
		t.Fatalf("pending labels: %+v", c3.Folds)
	}
	if !strings.Contains(c3.Folds[2].Note, "sigmoid") || c3.Folds[2].Method != calibrate.Sigmoid {
		t.Fatalf("isotonic on 151 rows must fall back to sigmoid: %+v", c3.Folds[2])
	}
}

func TestCalibrateOOFNoFold(t *testing.T) {
	o := squashedOOF(t, 4, 2, 20)
	if _, err := CalibrateOOF(o, calibrate.Isotonic, 10); !errors.Is(err, errs.ErrNoData) {
		t.Fatalf("20 fit rows: %v", err)
	}
}

// TestPickThreshold: after calibration a precision target is met by the
// lowest threshold whose precision reaches it, the top_n mode counts rows,
// and the held-out check re-picks without the last fold.
func TestPickThreshold(t *testing.T) {
	o := squashedOOF(t, 5, 5, 3000)
	c, err := CalibrateOOF(o, calibrate.Isotonic, 10)
	if err != nil {
		t.Fatal(err)
	}
	grid := defaultConfGrid()
	target := 0.8
	counts, tp := c.PickThreshold(grid, &target, 0, 20)
	if tp.Value == nil || *tp.Precision < target || tp.Mode != "target_precision" {
		t.Fatalf("pick %+v", tp)
	}
	// Calibrated: the precision threshold is close to the target itself
	// (rows at ≥ t have mean calibrated confidence ≥ t).
	if *tp.Value > target+0.02 {
		t.Errorf("threshold %.2f for precision %.2f: calibrated confidences should need about the target", *tp.Value, target)
	}
	for g, cnt := range counts {
		if grid[g] < *tp.Value && cnt.Precision != nil && *cnt.Precision >= target && cnt.Count >= 20 {
			t.Fatalf("lower threshold %.2f already reaches the target", grid[g])
		}
	}
	if tp.HeldOut == nil || tp.HeldOut.Fold != 4 || tp.HeldOut.Threshold == nil || *tp.HeldOut.Precision < target-0.05 {
		t.Fatalf("held out %+v", tp.HeldOut)
	}
	_, tn := c.PickThreshold(grid, nil, 500, 20)
	if tn.Mode != "top_n" || tn.Value == nil || absInt(tn.Count-500) > 400 {
		t.Fatalf("top_n pick %+v", tn)
	}
	high := 0.999
	if _, none := c.PickThreshold(grid, &high, 0, 20); none.Value != nil || none.Note == "" {
		t.Fatalf("unreachable target: %+v", none)
	}
}

func TestCalibrateRequestsNormalize(t *testing.T) {
	r, err := CalibrateThresholdsRequest{ModelID: "m"}.Normalize()
	if err != nil || r.Method != calibrate.Isotonic || r.TopN != 50 || len(r.Grid) != 66 || r.Bins != 10 || !*r.Save || r.Splits != 5 {
		t.Fatalf("%+v %v", r, err)
	}
	p := 0.6
	bad := []CalibrateThresholdsRequest{{}, {ModelID: "m", Method: "platt"}, {ModelID: "m", TargetPrecision: &p, TopN: 3},
		{ModelID: "m", Grid: []float64{1.5}}, {ModelID: "m", Bins: 1}, {ModelID: "m", Splits: 1, CV: "kfold"}}
	for _, b := range bad {
		if _, err := b.Normalize(); err == nil {
			t.Errorf("%+v accepted", b)
		}
	}
	br, _, err := CalibrateBracketsRequest{ModelID: "m"}.Normalize()
	if err != nil || len(br.KStopGrid) != 4 || br.SelectBy != BracketsByTotalReturn || br.MinTrades != 10 {
		t.Fatalf("%+v %v", br, err)
	}
	for _, b := range []CalibrateBracketsRequest{{ModelID: "m", KStopGrid: []float64{0}}, {ModelID: "m", SelectBy: "sharpe"},
		{ModelID: "m", TimeStopCandidates: []float64{-1}}, {ModelID: "m", EntryMode: "now"},
		{ModelID: "m", KStopGrid: make11(), KTargetGrid: make11(), TimeStopCandidates: make11()}} {
		if _, _, err := b.Normalize(); err == nil {
			t.Errorf("%+v accepted", b)
		}
	}
}

func make11() []float64 {
	x := make([]float64, 11)
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x
}
