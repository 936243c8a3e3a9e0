package httpapi_test

import (
	"testing"

	"sigmalab/app"
	"sigmalab/engine/admin"
	"sigmalab/engine/market"
	"sigmalab/httpapi"
	"sigmalab/httpapi/apitest"
)

// TestRunsRecordOwner: a training, a saved backtest and a sweep record the
// authenticated caller as their owner; a body cannot claim another owner.
func TestRunsRecordOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-09-30", "2024-09-27"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg,
		HTTP: httpapi.Options{Auth: httpapi.AuthOptions{AdminToken: testAdminToken}}})
	adm := map[string]string{"Authorization": "Bearer " + testAdminToken}
	post := func(url string, body map[string]any) map[string]any {
		t.Helper()
		code, out := env.JSONHeaders("POST", url, body, adm)
		if code != 200 {
			t.Fatalf("%s: %d %v", url, code, out)
		}
		return out
	}
	post("/build_matrix", map[string]any{"model_id": demoModel, "start": "2024-07-01", "end": "2024-09-30"})
	fast := map[string]any{"n_estimators": 20, "max_depth": 3, "early_stopping_rounds": 0}
	post("/train", map[string]any{"model_id": demoModel, "hyperparams": fast, "owner": "mallory"})
	post("/backtest", map[string]any{"model_id": demoModel, "splits": 3, "hyperparams": fast, "top_pct": 0.2, "save": true, "owner": "mallory"})
	post("/backtest_sweep", map[string]any{"model_id": demoModel, "splits": 3, "hyperparams": fast, "top_pct_variants": []float64{0.1, 0.2}})
	for _, url := range []string{"/training_runs/1", "/backtests/1", "/sweeps/1"} {
		code, out := env.JSONHeaders("GET", url, nil, adm)
		if code != 200 {
			t.Fatalf("%s: %d %v", url, code, out)
		}
		row := out
		for _, k := range []string{"run", "sweep"} {
			if m, ok := out[k].(map[string]any); ok {
				row = m
			}
		}
		if row["owner"] != admin.BuiltinAdmin {
			t.Errorf("%s: owner %v, want %s", url, row["owner"], admin.BuiltinAdmin)
		}
	}
}
