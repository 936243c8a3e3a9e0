package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"sigmalab/engine"
	"sigmalab/httpapi/apitest"
)

// BenchmarkLeaderboardAPI100k serves GET /leaderboard pages (20 rows) through
// the full handler stack (router, middleware, envelope) with 100k stored runs
// shaped like real ones (params with a policy snapshot, metrics with the
// per-threshold table). Reported per request; run in parallel on every core.
func BenchmarkLeaderboardAPI100k(b *testing.B) {
	env := apitest.New(b)
	store := env.App.DB.Backtests()
	rng := rand.New(rand.NewPCG(5, 6))
	policy := map[string]any{"execution": map[string]any{"slippage_bps": 1.0, "size_by_conf": false, "conf_cap": 1.0,
		"brackets": map[string]any{"atr_mult_stop": 1.5, "atr_mult_target": 3.0, "time_stop_minutes": 120}},
		"risk": map[string]any{"max_drawdown": 0.2}, "alerting": map[string]any{"cooldown_minutes": 30}}
	for batch := 0; batch < 100; batch++ {
		var ws []engine.BacktestWrite
		for i := 0; i < 1000; i++ {
			s, c := rng.NormFloat64()*0.1, rng.NormFloat64()
			table := []map[string]any{}
			for _, thr := range []float64{0.55, 0.6, 0.65, 0.7} {
				table = append(table, map[string]any{"thr": thr, "cum_ret": c, "sharpe_hourly": s, "trades": 40})
			}
			ws = append(ws, engine.BacktestWrite{Run: engine.BacktestRun{PackID: "zerosigma",
				ModelID: fmt.Sprintf("model_%d", rng.IntN(50)), Tag: "sweep", BestSharpeHourly: &s, BestCumRet: &c,
				Sharpe: &s, CumRet: &c, Status: "completed",
				Params: map[string]any{"thresholds": []float64{0.55, 0.6, 0.65, 0.7}, "splits": 5, "calibration": "sigmoid",
					"policy_snapshot": policy, "allowed_hours": []int{13, 14, 15}},
				Metrics: map[string]any{"best_sharpe_hourly": s, "best_cum_ret": c, "threshold_table": table}}})
		}
		if _, err := store.SaveBacktests(context.Background(), ws); err != nil {
			b.Fatal(err)
		}
	}
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
					req := httptest.NewRequest(http.MethodGet, c.url, nil)
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
