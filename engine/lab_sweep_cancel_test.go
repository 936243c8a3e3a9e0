package engine_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// TestRunSweepCancelSkipsRunBacklog: with save, storing cells as backtest runs
// is much slower than evaluating them; a cancel by request must not wait for
// that backlog. Every finished cell keeps its result row; cells not yet
// stored as runs have no backtest run id.
func TestRunSweepCancelSkipsRunBacklog(t *testing.T) {
	env := openSweepEnv(t, t.TempDir())
	slow := &savedRuns{}
	src := engine.SweepSource{OOF: testOOF(t, 5_000), SaveRuns: func(ctx context.Context, runs []engine.SweepCellRun) ([]int64, error) {
		time.Sleep(time.Duration(len(runs)) * 4 * time.Millisecond) // a slow store: 4 ms per run
		return slow.save(ctx, runs)
	}}
	ctx, cancel := context.WithCancel(context.Background())
	var cancelledAt time.Time
	var once sync.Once
	resp, err := env.lab.RunSweep(ctx, bigGrid(), src, engine.SweepOptions{Workers: 2, Progress: func(f float64, _ string) {
		if f >= 0.4 {
			once.Do(func() { cancelledAt = time.Now(); cancel() })
		}
	}})
	if !errors.Is(err, errs.ErrCancelled) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(cancelledAt); d > time.Second {
		t.Fatalf("stopped %v after cancel", d)
	}
	_, rows, err := env.lab.GetSweep(context.Background(), resp.SweepID)
	if err != nil || resp.Status != engine.SweepCancelled || len(rows) != resp.Count || resp.Count < 400 {
		t.Fatalf("%+v rows %d %v", resp, len(rows), err)
	}
	withRun := 0
	for _, r := range rows {
		if r.BacktestRunID > 0 {
			withRun++
		}
	}
	slow.mu.Lock()
	saved := len(slow.runs)
	slow.mu.Unlock()
	if withRun != saved || withRun >= len(rows) {
		t.Fatalf("%d rows, %d with a run id, %d runs saved", len(rows), withRun, saved)
	}
}
