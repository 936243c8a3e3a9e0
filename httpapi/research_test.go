package httpapi_test

import (
	"math"
	"strings"
	"testing"

	"sigmalab/httpapi/apitest"
)

// TestBacktestResearch: a backtest answers its buy-and-hold benchmark and
// bootstrap intervals, and with placebo an empirical p-value, also on its
// card; a logreg model config backtests and sweeps like gbm; bad placebo
// and logreg hyperparams are 422s naming the field.
func TestBacktestResearch(t *testing.T) {
	env := demoEnvWithMatrix(t)
	small := map[string]any{"n_estimators": 20, "max_depth": 3}
	env.Run(t, []apitest.Scenario{
		{Name: "placebo kind", Method: "POST", URL: "/backtest", Status: 422,
			Body:     map[string]any{"model_id": demoModel, "placebo": map[string]any{"kind": "bogus", "runs": 3}},
			Contains: []string{`"placebo"`, `"kind"`}},
		{Name: "placebo runs", Method: "POST", URL: "/backtest", Status: 422,
			Body:     map[string]any{"model_id": demoModel, "placebo": map[string]any{"runs": 100000}},
			Contains: []string{`"runs"`}},
		{Name: "benchmark, bootstrap and placebo", Method: "POST", URL: "/backtest",
			Body: map[string]any{"model_id": demoModel, "splits": 3, "save": true, "hyperparams": small,
				"placebo": map[string]any{"kind": "shuffle", "runs": 3}},
			Contains:    []string{`"benchmark"`, `"information_ratio"`, `"beta"`, `"bootstrap"`, `"block_len"`, `"p_value"`},
			NotContains: []string{"NaN"},
			Check: func(t *testing.T, b map[string]any) {
				p := b["placebo"].(map[string]any)
				if n := len(p["sharpes"].([]any)); n != 3 {
					t.Errorf("placebo sharpes %d, want 3", n)
				}
				if pv := p["p_value"].(float64); pv < 0.25 || pv > 1 {
					t.Errorf("p_value %v outside {0.25..1}", pv)
				}
				ci := b["bootstrap"].(map[string]any)["sharpe_ann"].(map[string]any)
				if sr := b["result"].(map[string]any)["overall"].(map[string]any)["sharpe_ann"].(float64); math.Abs(sr-ci["estimate"].(float64)) > 1e-9 {
					t.Errorf("bootstrap estimate %v, result sharpe_ann %v", ci["estimate"], sr)
				}
				if !(ci["lo"].(float64) <= ci["estimate"].(float64) && ci["estimate"].(float64) <= ci["hi"].(float64)) {
					t.Errorf("sharpe interval %v does not hold its estimate", ci)
				}
				code, card := env.Do("GET", b["card_url"].(string), nil)
				if code != 200 || !strings.Contains(string(card), "placebo_p_value") || !strings.Contains(string(card), "information_ratio") {
					t.Errorf("card %s: %d, lacks placebo_p_value or the benchmark\n%.400s", b["card_url"], code, card)
				}
			}},
		{Name: "sweep features", Method: "POST", URL: "/backtest_sweep",
			Body:     map[string]any{"model_id": demoModel, "splits": 3, "hyperparams": small, "features": []string{"hour_et"}, "thresholds_variants": [][]float64{{0.5}}},
			Contains: []string{`"runs"`}},
		{Name: "sweep bad feature", Method: "POST", URL: "/backtest_sweep", Status: 422,
			Body:     map[string]any{"model_id": demoModel, "splits": 3, "features": []string{"no_such_column"}, "thresholds_variants": [][]float64{{0.5}}},
			Contains: []string{`"features"`}},
		{Name: "shift placebo", Method: "POST", URL: "/backtest",
			Body:     map[string]any{"model_id": demoModel, "splits": 3, "save": false, "hyperparams": small, "placebo": map[string]any{"kind": "shift", "runs": 2}},
			Contains: []string{`"kind":"shift"`, `"p_value"`}},
	})
	// A logreg config: the same routes, no GBDT.
	_, cfg := env.JSON("GET", "/model_config?model_id="+demoModel, nil)
	doc := cfg["config"].(map[string]any)
	doc["algo"] = "logreg"
	if code, out := env.JSON("PUT", "/model_config", map[string]any{"pack_id": cfg["pack_id"], "model_id": demoModel, "config": doc}); code != 200 {
		t.Fatalf("put config: %d %v", code, out)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "logreg C", Method: "POST", URL: "/backtest", Status: 422,
			Body: map[string]any{"model_id": demoModel, "hyperparams": map[string]any{"C": -1}}, Contains: []string{`"C"`}},
		{Name: "logreg backtest", Method: "POST", URL: "/backtest",
			Body:     map[string]any{"model_id": demoModel, "splits": 3, "save": true, "hyperparams": map[string]any{"C": 0.5}},
			Contains: []string{`"result"`, `"benchmark"`}, NotContains: []string{"NaN"}},
		{Name: "logreg train", Method: "POST", URL: "/train",
			Body:     map[string]any{"model_id": demoModel, "hyperparams": map[string]any{"C": 0.5}},
			Contains: []string{`"logreg_params"`, `"C":0.5`, `"model_out_url"`}, NotContains: []string{"NaN"}},
		{Name: "logreg sweep", Method: "POST", URL: "/backtest_sweep",
			Body:     map[string]any{"model_id": demoModel, "splits": 3, "thresholds_variants": [][]float64{{0.5}, {0.6}}},
			Contains: []string{`"runs"`, `"sweep_id"`}, NotContains: []string{"NaN"}},
	})
}
