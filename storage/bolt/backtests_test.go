package bolt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "sigmalab.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestLeaderboardOrdering stores 10k runs and checks every order and filter
// combination against a sort of the same runs in memory.
func TestLeaderboardOrdering(t *testing.T) {
	db := openTestDB(t)
	store := db.Backtests()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 10_000
	type mem struct {
		id                  int64
		sharpe, cum, dsr    *float64
		pack, model, tag, r string
		gate                bool
	}
	var all []mem
	for batch := 0; batch < n/1000; batch++ {
		var ws []engine.BacktestWrite
		for i := 0; i < 1000; i++ {
			run := engine.BacktestRun{PackID: fmt.Sprintf("p%d", rng.IntN(3)), ModelID: fmt.Sprintf("m%d", rng.IntN(20)),
				RiskProfile: []string{"", "balanced", "aggressive"}[rng.IntN(3)], GatePass: rng.IntN(2) == 0,
				CreatedAt: time.Unix(int64(batch*1000+i), 0)}
			if rng.IntN(4) > 0 {
				run.Tag = fmt.Sprintf("t%d", rng.IntN(5))
			}
			if rng.IntN(20) > 0 { // some runs have no metric
				s := float64(rng.IntN(200)-100) / 100 // ties on purpose
				c := rng.NormFloat64()
				run.BestSharpeHourly, run.BestCumRet = &s, &c
				if rng.IntN(10) > 0 {
					d := float64(rng.IntN(100)) / 100
					run.DSR = &d
				}
			}
			ws = append(ws, engine.BacktestWrite{Run: run, Folds: []engine.BacktestFold{{Fold: 0}, {Fold: 1}}})
		}
		ids, err := store.SaveBacktests(context.Background(), ws)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			r := ws[i].Run
			all = append(all, mem{id, r.BestSharpeHourly, r.BestCumRet, r.DSR, r.PackID, r.ModelID, r.Tag, r.RiskProfile, r.GatePass})
		}
	}
	yes, no := true, false
	d5, d9 := 0.5, 0.9
	queries := []engine.LeaderboardQuery{
		{OrderBy: engine.OrderDSR}, {OrderBy: engine.OrderDSR, ModelID: "m2"}, {MinDSR: &d5}, {MinDSR: &d9, OrderBy: engine.OrderDSR},
		{MinDSR: &d5, PackID: "p1", OrderBy: engine.OrderCumRet},
		{}, {OrderBy: engine.OrderCumRet}, {OrderBy: engine.OrderCreatedAt},
		{PackID: "p1"}, {ModelID: "m7", OrderBy: engine.OrderCumRet}, {Tag: "t3"}, {RiskProfile: "balanced"},
		{PassGate: &yes}, {PackID: "p2", Tag: "t1", PassGate: &no}, {PackID: "p0", ModelID: "m3", OrderBy: engine.OrderCreatedAt},
		{PackID: "nope"},
	}
	for qi, q := range queries {
		var want []mem
		for _, m := range all {
			if (q.PackID == "" || m.pack == q.PackID) && (q.ModelID == "" || m.model == q.ModelID) &&
				(q.Tag == "" || m.tag == q.Tag) && (q.RiskProfile == "" || m.r == q.RiskProfile) &&
				(q.PassGate == nil || m.gate == *q.PassGate) && (q.MinDSR == nil || m.dsr != nil && *m.dsr >= *q.MinDSR) {
				want = append(want, m)
			}
		}
		metric := func(m mem) *float64 {
			switch q.OrderBy {
			case engine.OrderCumRet:
				return m.cum
			case engine.OrderCreatedAt:
				return nil
			case engine.OrderDSR:
				return m.dsr
			}
			return m.sharpe
		}
		sort.SliceStable(want, func(a, b int) bool {
			ma, mb := metric(want[a]), metric(want[b])
			switch {
			case ma != nil && mb != nil && *ma != *mb:
				return *ma > *mb
			case (ma == nil) != (mb == nil):
				return ma != nil // missing metric last
			}
			return want[a].id > want[b].id // then newest first
		})
		for _, page := range []struct{ off, lim int }{{0, 20}, {37, 50}, {len(want) - 5, 20}} {
			if page.off < 0 {
				continue
			}
			q.Offset, q.Limit = page.off, page.lim
			rows, total, err := store.Leaderboard(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(want) {
				t.Fatalf("query %d: total %d want %d", qi, total, len(want))
			}
			exp := want[min(page.off, len(want)):min(page.off+page.lim, len(want))]
			if len(rows) != len(exp) {
				t.Fatalf("query %d page %+v: %d rows want %d", qi, page, len(rows), len(exp))
			}
			for i := range rows {
				if rows[i].ID != exp[i].id {
					t.Fatalf("query %d page %+v row %d: id %d want %d", qi, page, i, rows[i].ID, exp[i].id)
				}
			}
		}
	}
}

func TestBacktestGet(t *testing.T) {
	store := openTestDB(t).Backtests()
	thr := 0.6
	ids, err := store.SaveBacktests(context.Background(), []engine.BacktestWrite{{
		Run:   engine.BacktestRun{PackID: "p", ModelID: "m", Tag: "x"},
		Folds: []engine.BacktestFold{{Fold: 0, ThrUsed: &thr, Trades: 3}, {Fold: 1, Trades: 4}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	run, folds, err := store.GetBacktest(context.Background(), ids[0])
	if err != nil || run.ModelID != "m" || len(folds) != 2 || *folds[0].ThrUsed != 0.6 || folds[1].RunID != ids[0] {
		t.Fatalf("%+v %+v %v", run, folds, err)
	}
	if _, _, err := store.GetBacktest(context.Background(), 999); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing run: %v", err)
	}
}

// BenchmarkLeaderboard100k reads the first page from 100k stored runs.
func BenchmarkLeaderboard100k(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "sigmalab.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store := db.Backtests()
	rng := rand.New(rand.NewPCG(3, 4))
	for batch := 0; batch < 100; batch++ {
		var ws []engine.BacktestWrite
		for i := 0; i < 1000; i++ {
			s, c := rng.NormFloat64(), rng.NormFloat64()
			ws = append(ws, engine.BacktestWrite{Run: engine.BacktestRun{PackID: "zerosigma",
				ModelID: fmt.Sprintf("m%d", rng.IntN(50)), BestSharpeHourly: &s, BestCumRet: &c,
				Params: engine.BacktestParams{Thresholds: []float64{0.55, 0.6}}, Metrics: engine.BacktestRunMetrics{BestSharpeHourly: &s}}})
		}
		if _, err := store.SaveBacktests(context.Background(), ws); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := store.Leaderboard(context.Background(), engine.LeaderboardQuery{ModelID: "m7", Limit: 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLeaderboardRedundantFilter: a filter that every run matches is dropped
// from the walk without changing the answer.
func TestLeaderboardRedundantFilter(t *testing.T) {
	store := openTestDB(t).Backtests()
	var ws []engine.BacktestWrite
	for i := 0; i < 9; i++ {
		s := float64(i)
		ws = append(ws, engine.BacktestWrite{Run: engine.BacktestRun{PackID: "only", ModelID: fmt.Sprintf("m%d", i%3),
			Tag: []string{"a", "b", "c"}[i%3], BestSharpeHourly: &s}})
	}
	if _, err := store.SaveBacktests(context.Background(), ws); err != nil {
		t.Fatal(err)
	}
	rows, total, err := store.Leaderboard(context.Background(), engine.LeaderboardQuery{PackID: "only", Tag: "b", Limit: 2})
	if err != nil || total != 3 || len(rows) != 2 || *rows[0].BestSharpeHourly != 7 || *rows[1].BestSharpeHourly != 4 {
		t.Fatalf("%d %v %+v", total, err, rows)
	}
	_, total, _ = store.Leaderboard(context.Background(), engine.LeaderboardQuery{PackID: "only", Tag: "b", ModelID: "m0"})
	if total != 0 {
		t.Fatalf("m0 has no tag b: total %d", total)
	}
}

// TestMigrationIndexesDSR: a database from before the dsr index (schema 1,
// index values with five fields) gets every run indexed by dsr at open.
func TestMigrationIndexesDSR(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sigmalab.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	d := 0.7
	ws := []engine.BacktestWrite{{Run: engine.BacktestRun{PackID: "p", ModelID: "m"}}, {Run: engine.BacktestRun{PackID: "p", ModelID: "m", DSR: &d}}}
	if _, err := db.Backtests().SaveBacktests(context.Background(), ws); err != nil {
		t.Fatal(err)
	}
	// Back to schema 1: no dsr index.
	if err := db.Update(func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket([]byte(BucketIdxLeaderDSR)); err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte(BucketIdxLeaderDSR)); err != nil {
			return err
		}
		return tx.Bucket([]byte(BucketMeta)).Put(keySchemaVersion, U64(1))
	}); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, total, err := db.Backtests().Leaderboard(context.Background(), engine.LeaderboardQuery{OrderBy: engine.OrderDSR, ModelID: "m", Limit: 10})
	if err != nil || total != 2 || len(rows) != 2 || rows[0].DSR == nil || *rows[0].DSR != 0.7 {
		t.Fatalf("after migration: %d rows, total %d, %v", len(rows), total, err)
	}
	min := 0.5
	if rows, _, _ := db.Backtests().Leaderboard(context.Background(), engine.LeaderboardQuery{MinDSR: &min}); len(rows) != 1 {
		t.Fatalf("min_dsr: %d rows", len(rows))
	}
}

// TestDeleteBacktests: deleted runs leave no row, fold, index entry or count
// behind; the others are untouched.
func TestDeleteBacktests(t *testing.T) {
	db := openTestDB(t)
	st := db.Backtests()
	ctx := context.Background()
	var ws []engine.BacktestWrite
	for i := 0; i < 6; i++ {
		s, d := float64(i), float64(i)/10
		ws = append(ws, engine.BacktestWrite{Run: engine.BacktestRun{PackID: "p", ModelID: fmt.Sprintf("m%d", i%2), Tag: "t",
			BestSharpeHourly: &s, BestCumRet: &s, DSR: &d, GatePass: i%3 == 0}, Folds: []engine.BacktestFold{{Fold: 0}, {Fold: 1}}})
	}
	ids, err := st.SaveBacktests(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteBacktests(ctx, []int64{ids[1], ids[4], 999}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GetBacktest(ctx, ids[1]); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("deleted run still there: %v", err)
	}
	if _, folds, err := st.GetBacktest(ctx, ids[2]); err != nil || len(folds) != 2 {
		t.Fatalf("kept run: %d folds, %v", len(folds), err)
	}
	for _, q := range []engine.LeaderboardQuery{{}, {OrderBy: engine.OrderDSR}, {OrderBy: engine.OrderCumRet}, {OrderBy: engine.OrderCreatedAt},
		{ModelID: "m1"}, {Tag: "t", OrderBy: engine.OrderCreatedAt}} {
		q.Limit = 50
		rows, total, err := st.Leaderboard(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want := 4
		if q.ModelID == "m1" {
			want = 2 // ids[3] and ids[5]
		}
		if total != want || len(rows) != want {
			t.Fatalf("%+v: %d rows, total %d, want %d", q, len(rows), total, want)
		}
		for _, r := range rows {
			if r.ID == ids[1] || r.ID == ids[4] {
				t.Fatalf("%+v: deleted run %d listed", q, r.ID)
			}
		}
	}
}
