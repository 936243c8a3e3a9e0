package bolt

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/sweep"
)

func TestSweepsRoundTrip(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "sigmalab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	st := db.Sweeps()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, m := range []string{"m1", "m2", "m1"} {
		rec := engine.SweepRecord{PackID: "p", ModelID: m, Tag: "sweep", Status: engine.SweepRunning, JobID: int64(10 + i), CreatedAt: now}
		if err := st.CreateSweep(ctx, &rec); err != nil || rec.ID != int64(i+1) {
			t.Fatalf("create %d: %v", rec.ID, err)
		}
	}
	rows, total, err := st.ListSweeps(ctx, engine.SweepFilter{ModelID: "m1", Limit: 1})
	if err != nil || total != 2 || len(rows) != 1 || rows[0].ID != 3 {
		t.Fatalf("list %v %d %+v", err, total, rows)
	}
	rec, found, err := st.SweepByJob(ctx, 11)
	if err != nil || !found || rec.ID != 2 {
		t.Fatalf("by job %+v %v %v", rec, found, err)
	}
	if _, found, _ := st.SweepByJob(ctx, 99); found {
		t.Fatal("found a sweep for an unknown job")
	}
	// Results and the sweep row commit together.
	rec.Count = 2
	cells := sweep.Expand(sweep.Spec{ThresholdsVariants: [][]float64{{0.5}, {0.6}}})
	res := []engine.SweepResult{
		{ID: 2, SweepID: rec.ID, Kind: cells[1].Kind, Params: cells[1], Metrics: sweep.Outcome{BestSharpeHourly: math.NaN(), Trades: 0}},
		{ID: 1, SweepID: rec.ID, Kind: cells[0].Kind, Params: cells[0], Metrics: sweep.Outcome{BestSharpeHourly: 0.1, BestCumRet: 0.2, Trades: 3}},
	}
	if err := st.PutSweepResults(ctx, &rec, res); err != nil {
		t.Fatal(err)
	}
	got, err := st.SweepResults(ctx, rec.ID)
	if err != nil || len(got) != 2 || got[0].ID != 1 || got[1].Params.ThresholdsText != "0.6" || !math.IsNaN(got[1].Metrics.BestSharpeHourly) {
		t.Fatalf("results %+v %v", got, err)
	}
	if other, _ := st.SweepResults(ctx, 1); len(other) != 0 {
		t.Fatalf("results leaked across sweeps: %+v", other)
	}
	if g, _ := st.GetSweep(ctx, rec.ID); g.Count != 2 {
		t.Fatalf("sweep row not updated with results: %+v", g)
	}
	if _, err := st.GetSweep(ctx, 42); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing sweep: %v", err)
	}
	n, err := st.InterruptSweeps(ctx, now)
	if err != nil || n != 3 {
		t.Fatalf("interrupt %d %v", n, err)
	}
	if g, _ := st.GetSweep(ctx, 1); g.Status != engine.SweepInterrupted || g.FinishedAt == nil {
		t.Fatalf("%+v", g)
	}
}
