package backtest

import (
	"context"
	"testing"

	"sigmalab/engine/cv"
)

// TestRunOOFProgress: the progress callback hears every fold once as it
// finishes (fold k of n), whatever the number of workers.
func TestRunOOFProgress(t *testing.T) {
	tbl, _ := synth(7, 1200, 3, 1, 6)
	for _, workers := range []int{1, 3} {
		var seen []int
		total := 0
		_, info, err := RunOOF(context.Background(), tbl, nearestLearner(tbl), RunConfig{CV: cv.Config{Splits: 6},
			Workers: workers, Progress: func(done, n int) { seen = append(seen, done); total = n }})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(info.Folds) || len(seen) != total {
			t.Fatalf("workers %d: progress %v of %d, %d folds", workers, seen, total, len(info.Folds))
		}
		for k, d := range seen {
			if d != k+1 {
				t.Fatalf("workers %d: progress %v", workers, seen)
			}
		}
	}
}
