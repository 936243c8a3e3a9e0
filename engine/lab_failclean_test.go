package engine_test

import (
	"context"
	"errors"
	"testing"

	"sigmalab/engine"
	"sigmalab/engine/backtest"
)

// failingResults is a sweep store whose result writes fail (a full or
// read-only disk).
type failingResults struct{ engine.SweepStore }

func (failingResults) PutSweepResults(context.Context, *engine.SweepRecord, []engine.SweepResult) error {
	return errors.New("no space left on device")
}

// TestFailedSweepLeavesNoRuns: a sweep whose cell results cannot be stored
// after its cells were stored as backtest runs ends failed and removes those
// runs, so the leaderboard shows none of its cells as completed.
func TestFailedSweepLeavesNoRuns(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	ctx := context.Background()
	env.lab.Backtests = env.db.Backtests()
	env.lab.Sweeps = failingResults{env.db.Sweeps()}
	src := engine.SweepSource{OOF: testOOF(t, 2000), Base: backtest.TradeParams{SlippageBps: 1}, OOFKey: "k",
		SaveRuns: func(ctx context.Context, runs []engine.SweepCellRun) ([]int64, error) {
			ws := make([]engine.BacktestWrite, len(runs))
			for i, r := range runs {
				ws[i] = engine.BacktestWrite{Run: engine.BacktestRun{ModelID: "m", PackID: "p", Status: "completed", SweepID: r.SweepID}}
			}
			return env.db.Backtests().SaveBacktests(ctx, ws)
		}}
	req := engine.SweepRequest{ModelID: "spy_opt_0dte_hourly", ThresholdsVariants: []string{"0.5", "0.55"},
		AllowedHoursVariants: []string{""}}
	resp, err := env.lab.RunSweep(ctx, req, src, engine.SweepOptions{})
	if err == nil {
		t.Fatalf("sweep with failing result writes succeeded: %+v", resp)
	}
	rows, total, err := env.db.Backtests().Leaderboard(ctx, engine.LeaderboardQuery{Limit: 10})
	if err != nil || total != 0 || len(rows) != 0 {
		t.Fatalf("failed sweep left %d runs on the leaderboard (%v)", total, err)
	}
	rec, err := env.db.Sweeps().GetSweep(ctx, 1)
	if err != nil || rec.Status != engine.SweepFailed {
		t.Fatalf("sweep %+v %v", rec, err)
	}
}
