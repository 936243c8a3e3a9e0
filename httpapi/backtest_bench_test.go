package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/backtest"
	"sigmalab/httpapi/apitest"
)

// BenchmarkLeaderboardAPI100k serves GET /leaderboard pages (20 rows) through
// the full handler stack (router, middleware, envelope) with 100k stored runs
// shaped like real ones (params with a policy snapshot, metrics with the
// per-threshold table). Reported per request; run in parallel on every core.
// The same runs, served by the real binary over TCP, are what `make bench-api`
// measures (see TestSeedLeaderboardDataDir).
func BenchmarkLeaderboardAPI100k(b *testing.B) {
	env := apitest.New(b)
	seedLeaderboardRuns(b, env, leaderboardBenchRuns)
	h := env.App.Handler()
	for _, c := range []struct{ name, url string }{
		{"all", "/leaderboard"},
		{"model", "/leaderboard?model_id=model_7"},
		{"cumret_offset", "/leaderboard?order_by=cum_ret&offset=40"},
		{"pack_tag", "/leaderboard?pack_id=zerosigma&tag=sweep&limit=20"},
		{"model_gate", "/leaderboard?model_id=model_7&pass_gate=false"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := apitest.Request(http.MethodGet, c.url, "")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("%d %s", rec.Code, rec.Body.String())
					}
				}
			})
		})
	}
}

// leaderboardBenchRuns is the stored-run count of SPEC §9's leaderboard target.
const leaderboardBenchRuns = 100_000

// seedLeaderboardRuns stores n backtest runs shaped like real ones (fixed
// seed, so every seeded data dir holds the same runs): 50 models of one pack,
// params with a policy snapshot, metrics with the per-threshold table.
func seedLeaderboardRuns(tb testing.TB, env *apitest.Env, n int) {
	tb.Helper()
	store := env.App.DB.Backtests()
	rng := rand.New(rand.NewPCG(5, 6))
	policy := map[string]any{"execution": map[string]any{"slippage_bps": 1.0, "size_by_conf": false, "conf_cap": 1.0,
		"brackets": map[string]any{"atr_mult_stop": 1.5, "atr_mult_target": 3.0, "time_stop_minutes": 120}},
		"risk": map[string]any{"max_drawdown": 0.2}, "alerting": map[string]any{"cooldown_minutes": 30}}
	snapshot, err := json.Marshal(policy)
	if err != nil {
		tb.Fatal(err)
	}
	const batch = 1000 // runs per transaction
	for done := 0; done < n; done += batch {
		ws := make([]engine.BacktestWrite, 0, batch)
		for i := done; i < min(done+batch, n); i++ {
			s, c := rng.NormFloat64()*0.1, rng.NormFloat64()
			table := []backtest.ThresholdRow{}
			for _, thr := range []float64{0.55, 0.6, 0.65, 0.7} {
				table = append(table, backtest.ThresholdRow{Thr: thr, Metrics: backtest.Metrics{CumRet: c, SharpeHourly: s, Trades: 40}})
			}
			ws = append(ws, engine.BacktestWrite{Run: engine.BacktestRun{PackID: "zerosigma",
				ModelID: fmt.Sprintf("model_%d", rng.IntN(50)), Tag: "sweep", BestSharpeHourly: &s, BestCumRet: &c,
				Sharpe: &s, CumRet: &c, Status: "completed",
				Params: engine.BacktestParams{Thresholds: []float64{0.55, 0.6, 0.65, 0.7}, Splits: 5, Calibration: "sigmoid",
					PolicySnapshot: snapshot, AllowedHours: []int{13, 14, 15}},
				Metrics: engine.BacktestRunMetrics{BestSharpeHourly: &s, BestCumRet: &c, ThresholdTable: table}}})
		}
		if _, err := store.SaveBacktests(context.Background(), ws); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestSeedLeaderboardDataDir writes a data dir holding the benchmark's 100k
// runs to $SIGMA_BENCH_DATA_DIR (which must not hold a database yet), through
// the same wiring as `sigmalab serve`, so bench/api.sh can time the real
// binary on it. Without the variable (`go test ./...`) the fixture writer checks
// itself on a small temp data dir: two batches of runs, all on the leaderboard.
func TestSeedLeaderboardDataDir(t *testing.T) {
	dir, n := os.Getenv("SIGMA_BENCH_DATA_DIR"), leaderboardBenchRuns
	if dir == "" {
		dir, n = t.TempDir(), 1500
	}
	if _, err := os.Stat(filepath.Join(dir, "sigmalab.db")); err == nil {
		t.Fatalf("%s already holds a database; seeding it again would double the runs", dir)
	}
	env := apitest.NewWith(t, app.Config{DataDir: dir})
	seedLeaderboardRuns(t, env, n)
	code, out := env.JSON("GET", "/leaderboard?limit=5", nil)
	if total, _ := out["total"].(float64); code != 200 || int(total) != n {
		t.Fatalf("leaderboard after seeding %d runs: %d total %v", n, code, out["total"])
	}
}
