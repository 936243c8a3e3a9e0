package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

// calibrateEnv is a demo market from July to October 2024 with the matrices
// of the given models built.
func calibrateEnv(t *testing.T, models ...string) *apitest.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-03-01", "2024-10-31", "2024-10-28"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
	for _, m := range models {
		if code, out := env.JSON("POST", "/build_matrix", map[string]any{"model_id": m, "start": "2024-03-01", "end": "2024-10-31"}); code != 200 {
			t.Fatalf("build %s: %d %v", m, code, out)
		}
	}
	return env
}

// TestCalibrateThresholdsOnOOF: the default request on a shipped model with a
// built matrix calibrates the model's own out-of-fold probabilities (before,
// the default column score_total made it a 422), returns the fitted params,
// reliability, Brier and log loss before and after, a threshold and a plot
// an API client can GET; the OOF is shared with a backtest of the same setup.
func TestCalibrateThresholdsOnOOF(t *testing.T) {
	model := "spy_eq_intraday_hourly"
	env := calibrateEnv(t, model)
	code, out := env.JSON("POST", "/calibrate_thresholds", map[string]any{"model_id": model})
	if code != 200 {
		t.Fatalf("default request: %d %v", code, out)
	}
	for _, k := range []string{"params", "reliability", "scores", "threshold", "counts", "folds", "plot_uri", "recommended_threshold", "oof_key"} {
		if _, ok := out[k]; !ok {
			t.Fatalf("response lacks %q: %v", k, out)
		}
	}
	if out["method"] != "isotonic" || out["params"].(map[string]any)["method"] == nil {
		t.Fatalf("method %v params %v", out["method"], out["params"])
	}
	rel := out["reliability"].(map[string]any)
	for _, side := range []string{"before", "after"} {
		up := rel[side].(map[string]any)["UP"].(map[string]any)
		if bins := up["bins"].([]any); len(bins) == 0 || bins[0].(map[string]any)["count"] == nil {
			t.Fatalf("%s reliability %v", side, up)
		}
		sc := out["scores"].(map[string]any)[side].(map[string]any)
		if _, ok := sc["brier"].(float64); !ok || sc["log_loss"] == nil {
			t.Fatalf("%s scores %v", side, sc)
		}
	}
	th := out["threshold"].(map[string]any)
	if th["mode"] != "top_n" || th["top_n"] != 50.0 || out["recommended_threshold"] != th["value"] {
		t.Fatalf("threshold %v", th)
	}
	uri, _ := out["plot_uri"].(string)
	if !strings.HasPrefix(uri, "/artifacts/") {
		t.Fatalf("plot_uri %q is not an API URL", uri)
	}
	if code, body := env.Do("GET", uri, nil); code != 200 || !strings.Contains(string(body), "<svg") {
		t.Fatalf("GET %s: %d %.200s", uri, code, body)
	}
	if strings.HasPrefix(out["matrix_uri"].(string), "matrices/") {
		t.Fatalf("matrix_uri %v is a data-dir path", out["matrix_uri"])
	}

	// A backtest of the same training setup (uncalibrated) reuses the OOF.
	code, bt := env.JSON("POST", "/backtest", map[string]any{"model_id": model, "calibration": "none", "save": false})
	if code != 200 || bt["oof_cached"] != true || bt["oof_key"] != out["oof_key"] {
		t.Fatalf("backtest after calibrate: %d cached=%v key %v vs %v", code, bt["oof_cached"], bt["oof_key"], out["oof_key"])
	}

	env.Run(t, []apitest.Scenario{
		{Name: "target precision", Method: "POST", URL: "/calibrate_thresholds",
			Body:        map[string]any{"model_id": model, "method": "sigmoid", "target_precision": 0.4, "save": false},
			Contains:    []string{`"mode":"target_precision"`, `"target_precision":0.4`, `"oof_cached":true`, `"method":"sigmoid"`},
			NotContains: []string{`"plot_uri"`},
			Check: func(t *testing.T, b map[string]any) {
				th := b["threshold"].(map[string]any)
				if v, ok := th["value"].(float64); ok && th["precision"].(float64) < 0.4 {
					t.Fatalf("threshold %v misses its precision: %v", v, th)
				}
			}},
		{Name: "legacy column warns", Method: "POST", URL: "/calibrate_thresholds",
			Body:     map[string]any{"model_id": model, "column": "score_total", "save": false},
			Contains: []string{"column and metric are not used"}},
		{Name: "both targets", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": model, "target_precision": 0.6, "top_n": 5},
			Status: 422, Contains: []string{`"loc":["body","top_n"]`}},
		{Name: "bad method", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": model, "method": "platt"},
			Status: 422, Contains: []string{"method must be one of"}},
		{Name: "bad splits", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": model, "splits": 1},
			Status: 422, Contains: []string{"splits"}},
		{Name: "no matrix", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": "spy_eq_swing_daily"},
			Status: 404, Contains: []string{"no matrix built"}},
	})
}

// TestCalibrateBracketsPerModel: brackets are chosen on each model's own
// signals simulated over its bars, so two models get different answers
// (before, every model got the same grid arithmetic); the chosen params are
// reported with their parity on the held-out last fold.
func TestCalibrateBracketsPerModel(t *testing.T) {
	models := []string{"spy_eq_intraday_hourly", "spy_eq_swing_daily"}
	env := calibrateEnv(t, models...)
	fast := map[string]any{"n_estimators": 25, "max_depth": 3}
	var answers []map[string]any
	// Both trade their top 30%: on this short demo the regularised default
	// learner's probabilities stay near the base rate, so threshold mode
	// rarely trades.
	extra := []map[string]any{{"top_pct": 0.3}, {"thresholds": "0.4,0.45,0.5"}}
	for i, m := range models {
		body := map[string]any{"model_id": m, "splits": 3, "hyperparams": fast, "time_stop_candidates": "60,120,390"}
		for k, v := range extra[i] {
			body[k] = v
		}
		code, out := env.JSON("POST", "/calibrate_brackets", body)
		if code != 200 {
			t.Fatalf("%s: %d %v", m, code, out)
		}
		par, _ := out["parity"].(map[string]any)
		if par == nil || par["ok"] != true || par["atr_mult_stop"] != out["params"].(map[string]any)["atr_mult_stop"] || out["held_out_fold"] != 2.0 {
			t.Fatalf("%s: parity %v params %v held out %v", m, par, out["params"], out["held_out_fold"])
		}
		if cands := out["candidates"].([]any); len(cands) == 0 || cands[0].(map[string]any)["trades"].(float64) < 1 {
			t.Fatalf("%s: candidates %v", m, out["candidates"])
		}
		if tf := out["train_folds"].([]any); len(tf) != 2 || out["train_signals"].(float64) == 0 {
			t.Fatalf("%s: train folds %v signals %v", m, tf, out["train_signals"])
		}
		t.Logf("%s: signals %v/%v params %v parity %v baseline %v warnings %v", m, out["train_signals"], out["held_out_signals"], out["params"], par, out["baseline"], out["warnings"])
		answers = append(answers, out)
	}
	a, _ := json.Marshal(answers[0]["candidates"])
	b, _ := json.Marshal(answers[1]["candidates"])
	if string(a) == string(b) {
		t.Fatalf("two models, same candidates: %s", a)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "cell cap", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": models[0],
			"k_stop_grid": seq(11), "k_target_grid": seq(11), "time_stop_candidates": seq(11)}, Status: 422, Contains: []string{"at most 1000"}},
		{Name: "bad select", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": models[0], "select_by": "sharpe"},
			Status: 422, Contains: []string{`"loc":["body","select_by"]`}},
		{Name: "desired_rr warns", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": models[0], "splits": 3,
			"hyperparams": fast, "time_stop_candidates": "60,120,390", "top_pct": 0.3, "desired_rr": 2}, Contains: []string{"desired_rr is not used", `"oof_cached":true`}},
	})
}

func seq(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x
}
