package backtest

import "testing"

// TestThresholdChoiceWaitsForLabelEnd: a fold's threshold may only be chosen
// from earlier rows whose outcome is known when the fold starts. Fold 0's
// winning trades are multi-day labels (t1) that end inside fold 2; fold 1
// cannot know they won, so it must fall back to the middle threshold, while
// fold 2 (starting after they ended) may use them.
func TestThresholdChoiceWaitsForLabelEnd(t *testing.T) {
	const h = 3600_000
	mk := func(t1 []int64) *OOF {
		o, err := NewOOF(&OOF{
			Classes:   []string{"UP", "DOWN"},
			Probs:     [][]float64{{0.57, 0.57, 0.5, 0.5, 0.5, 0.5}, {0.43, 0.43, 0.5, 0.5, 0.5, 0.5}},
			TS:        []int64{0, h, 2 * h, 3 * h, 4 * h, 5 * h},
			T1:        t1,
			Hour:      []int32{10, 11, 10, 11, 10, 11},
			Ret:       []float64{0.02, 0.02, 0.001, 0.001, 0.001, 0.001},
			FoldStart: []int{0, 2, 4, 6},
		})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	p := TradeParams{Thresholds: []float64{0.55, 0.6, 0.65}, SelectBy: SelectCumRet, PerHourThresholds: true}
	thr := func(o *OOF) []float64 {
		res, err := Evaluate(o, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, f := range res.ThresholdResults {
			out = append(out, *f.Thr)
			for _, ht := range f.HourThr {
				if ht.Thr != *f.Thr {
					t.Fatalf("fold %d hour %d thr %v, fold thr %v", f.Fold, ht.Hour, ht.Thr, *f.Thr)
				}
			}
		}
		return out
	}
	// Labels ending by the next fold's start: fold 1 learns that 0.55 won.
	if got := thr(mk([]int64{h, 2 * h, 3 * h, 4 * h, 5 * h, 6 * h})); got[1] != 0.55 || got[2] != 0.55 {
		t.Fatalf("short labels: thresholds %v, want fold 1 and 2 at 0.55", got)
	}
	// Labels of fold 0 end at 4h (fold 2's start): unknown to fold 1.
	late := []int64{4 * h, 4 * h, 5 * h, 5 * h, 6 * h, 6 * h}
	if got := thr(mk(late)); got[1] != 0.6 || got[2] != 0.55 {
		t.Fatalf("long labels: thresholds %v, want fold 1 at the middle 0.6 and fold 2 at 0.55", got)
	}
	// The hindsight table still covers every row.
	p.HindsightTable = true
	res, _ := Evaluate(mk(late), p)
	if res.ThresholdTable[0].Trades != 2 {
		t.Fatalf("table %+v", res.ThresholdTable[0])
	}
	// The table is labelled as hindsight in the response.
	if res.ThresholdTableBasis != ThresholdTableBasis {
		t.Fatalf("threshold_table_basis %q", res.ThresholdTableBasis)
	}
	if tp, _ := Evaluate(mk(late), TradeParams{TopPct: 0.5}); tp.ThresholdTableBasis != "" || tp.ThresholdTable != nil {
		t.Fatalf("top-pct result carries a threshold table")
	}
}
