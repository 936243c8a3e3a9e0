package backtest

import (
	"context"
	"testing"

	"sigmalab/engine/calibrate"
	"sigmalab/engine/cv"
	"sigmalab/engine/gbdt"
)

// BenchmarkBacktest5Fold300Trees is the SPEC §9 backtest target: 5-fold
// walk-forward, 300 trees (depth 4, lr 0.08, subsample/colsample 0.9),
// sigmoid-calibrated, 10k rows × 36 features, 3 classes, plus one evaluation
// of the default thresholds. Target < 2 s per op.
func BenchmarkBacktest5Fold300Trees(b *testing.B) {
	tbl, cols := synth(42, 10_000, 35, 0.5, 1)
	p := gbdt.DefaultParams()
	// Folds already run in parallel (one per core); nested feature-parallelism
	// would only add scheduling overhead.
	p.Workers = 1
	cpu0 := cpuTime()
	for b.Loop() {
		learn, err := GBDTLearner(cols, tbl.Y, len(tbl.Classes), p)
		if err != nil {
			b.Fatal(err)
		}
		oof, _, err := RunOOF(context.Background(), tbl, learn, RunConfig{CV: cv.Config{Splits: 5}, Calibration: calibrate.Sigmoid})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Evaluate(oof, TradeParams{SlippageBps: 1}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}
