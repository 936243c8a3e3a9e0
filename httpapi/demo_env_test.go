package httpapi_test

import (
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

// demoModel is the equity model the demo-backed API tests build and train.
const demoModel = "spy_eq_intraday_hourly"

// demoEnvWithMatrix starts the API on a short demo market (2024-07..09) and
// builds demoModel's matrix over it; such tests skip under -short.
func demoEnvWithMatrix(t *testing.T) *apitest.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-09-30", "2024-09-27"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
	if code, out := env.JSON("POST", "/build_matrix", map[string]any{"model_id": demoModel, "start": "2024-07-01", "end": "2024-09-30"}); code != 200 {
		t.Fatalf("build: %d %v", code, out)
	}
	return env
}
