package httpapi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

// TestBacktestPipeline builds a demo matrix, backtests it (fast GBDT settings),
// checks the predecessor's response keys, the stored run, folds, plot and card
// files, the leaderboard, the OOF cache on a second run, and the async job.
func TestBacktestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-10-31", "2024-10-28"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
	model := "spy_eq_intraday_hourly"
	code, out := env.JSON("POST", "/build_matrix", map[string]any{"model_id": model, "start": "2024-07-01", "end": "2024-10-31"})
	if code != 200 {
		t.Fatalf("build: %d %v", code, out)
	}
	body := map[string]any{"model_id": model, "splits": 3, "thresholds": "0.4,0.5,0.6",
		"hyperparams": map[string]any{"n_estimators": 25, "max_depth": 3}, "tag": "t1", "risk_profile": "Balanced"}
	code, out = env.JSON("POST", "/backtest", body)
	if code != 200 {
		t.Fatalf("backtest: %d %v", code, out)
	}
	for _, k := range []string{"result", "best_sharpe_hourly", "best_cum_ret", "parity", "run_id", "oof_key", "folds", "reliability",
		"gate", "pass_gate"} {
		if _, ok := out[k]; !ok {
			t.Fatalf("response lacks %q: %v", k, out)
		}
	}
	res := out["result"].(map[string]any)
	folds := res["threshold_results"].([]any)
	if len(folds) != 3 || folds[0].(map[string]any)["thr"].(float64) != 0.5 {
		t.Fatalf("folds %v", folds)
	}
	overall := res["overall"].(map[string]any)
	if out["best_sharpe_hourly"] != overall["sharpe_hourly"] || out["best_cum_ret"] != overall["cum_ret"] {
		t.Fatalf("best_* must be the overall OOF figures: %v vs %v", out["best_sharpe_hourly"], overall)
	}
	// Honest numbers: psr/dsr with the trials counted, the holding calendar,
	// one gate (min trades and dsr), no top-pct field in threshold mode.
	if _, ok := overall["dsr"].(float64); !ok || overall["n_trials"] != 1.0 || overall["psr"] == nil || overall["periods_per_year"] == nil {
		t.Fatalf("overall lacks psr/dsr/n_trials: %v", overall)
	}
	if h := res["holding"].(map[string]any); h["mode"] != "overlap" || h["max_concurrent"] != 1.0 || h["marked_to_market"] != true {
		t.Fatalf("holding %v", h)
	}
	gate := out["gate"].(map[string]any)
	if gate["min_trades"] != 30.0 || gate["min_dsr"] != 0.95 || out["pass_gate"] != gate["pass"] {
		t.Fatalf("gate %v pass_gate %v", gate, out["pass_gate"])
	}
	if _, ok := res["top_pct_result"]; ok {
		t.Fatal("top_pct_result in threshold mode")
	}
	t.Logf("overall %v\nparity %v\nfolds %v\nwarnings %v", overall, out["parity"], out["folds"], out["warnings"])
	if out["oof_cached"] != false {
		t.Fatal("first run cannot be cached")
	}
	runID := int(out["run_id"].(float64))
	for _, k := range []string{"plots_uri", "card_uri"} {
		if p, _ := out[k].(string); p == "" {
			t.Fatalf("%s missing", k)
		} else if _, err := os.Stat(filepath.Join(env.Dir, p)); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}

	// The same training setup with other trading rules reuses the OOF.
	body["top_pct"], body["allowed_hours"], body["save"] = 0.2, []int{10, 11, 12, 13, 14, 15}, false
	code, out2 := env.JSON("POST", "/backtest", body)
	if code != 200 || out2["oof_cached"] != true || out2["oof_key"] != out["oof_key"] || out2["run_id"] != nil {
		t.Fatalf("second run: %d cached=%v run=%v", code, out2["oof_cached"], out2["run_id"])
	}
	if out2["result"].(map[string]any)["mode"] != "top_pct" {
		t.Fatal("top_pct mode expected")
	}

	// A sweep over the same training setup evaluates the cached OOF (no training).
	code, sw := env.JSON("POST", "/backtest_sweep", map[string]any{"model_id": model, "pack_id": "momentumsigma",
		"splits": 3, "calibration": "sigmoid", "hyperparams": map[string]any{"n_estimators": 25, "max_depth": 3},
		"thresholds_variants": []string{"0.4,0.5", "0.5,0.6"}, "save": false})
	if code != 200 || sw["training_ms"] != 0.0 || sw["count"] != 2.0 {
		t.Fatalf("sweep on the cached OOF: %d training_ms=%v count=%v %v", code, sw["training_ms"], sw["count"], sw["error"])
	}
	// Two cells plus the one saved run on this model and matrix.
	if _, ok := sw["pbo"].(float64); !ok || sw["n_trials"] != 3.0 {
		t.Fatalf("sweep pbo %v n_trials %v", sw["pbo"], sw["n_trials"])
	}
	if cell := sw["runs"].([]any)[0].(map[string]any)["metrics"].(map[string]any); cell["dsr"] == nil || cell["pass_gate"] == nil {
		t.Fatalf("sweep cell metrics %v", cell)
	}

	env.Run(t, []apitest.Scenario{
		{Name: "leaderboard", URL: "/leaderboard?model_id=" + model, Contains: []string{`"total":1`, fmt.Sprintf(`"id":%d`, runID), `"tag":"t1"`, `"risk_profile":"balanced"`, `"next_offset":null`}},
		{Name: "leaderboard by tag and risk", URL: "/leaderboard?tag=t1&risk_profile=balanced&order_by=cum_ret", Contains: []string{`"total":1`}},
		{Name: "leaderboard other tag", URL: "/leaderboard?tag=zz", Contains: []string{`"total":0`, `"rows":[]`}},
		{Name: "leaderboard bad order", URL: "/leaderboard?order_by=alpha", Status: 422},
		{Name: "leaderboard by dsr", URL: "/leaderboard?order_by=dsr&min_dsr=0", Contains: []string{`"total":1`, `"order_by":"dsr"`, `"dsr":`}},
		{Name: "leaderboard dsr floor", URL: "/leaderboard?min_dsr=1.01", Status: 422, Contains: []string{"min_dsr"}},
		{Name: "bad holding", Method: "POST", URL: "/backtest", Body: map[string]any{"model_id": model, "holding": "long"}, Status: 422, Contains: []string{"holding"}},
		{Name: "run detail", URL: fmt.Sprintf("/backtests/%d", runID), Contains: []string{`"folds":[{"run_id":`, `"thr_used":0.5`}},
		{Name: "run missing", URL: "/backtests/999", Status: 404},
		{Name: "bad calibration", Method: "POST", URL: "/backtest", Body: map[string]any{"model_id": model, "calibration": "platt"}, Status: 422, Contains: []string{"calibration must be one of"}},
		{Name: "bad hours", Method: "POST", URL: "/backtest", Body: map[string]any{"model_id": model, "allowed_hours": "a,b"}, Status: 422, Contains: []string{"allowed_hours must be a list of ints"}},
		{Name: "bad select", Method: "POST", URL: "/backtest", Body: map[string]any{"model_id": model, "per_hour_select_by": "x"}, Status: 422},
		{Name: "no model id", Method: "POST", URL: "/backtest", Body: map[string]any{}, Status: 422, Contains: []string{"model_id"}},
		{Name: "unknown model", Method: "POST", URL: "/backtest", Body: map[string]any{"model_id": "nope"}, Status: 404},
		{Name: "wrong pack", Method: "POST", URL: "/backtest", Body: map[string]any{"model_id": model, "pack_id": "zerosigma"}, Status: 404},
		// Calibration runs on the model's OOF (the sigmoid one of the runs
		// above for brackets, the uncalibrated one for thresholds).
		{Name: "brackets without signals", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": model, "splits": 3,
			"hyperparams": map[string]any{"n_estimators": 25, "max_depth": 3}}, Status: 422, Contains: []string{"gave no parity trade"}},
		{Name: "brackets default", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": model, "splits": 3,
			"hyperparams": map[string]any{"n_estimators": 25, "max_depth": 3}, "top_pct": 0.3},
			Contains: []string{`"oof_cached":true`, `"params":{"atr_period":14,`, `"parity":{"ok":true`, `"held_out_fold":2`, `"candidates":[{`}},
		{Name: "brackets bad grid", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": model, "k_stop_grid": "0,1"}, Status: 422,
			Contains: []string{"k_stop_grid"}},
		{Name: "thresholds", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": model, "splits": 3,
			"hyperparams": map[string]any{"n_estimators": 25, "max_depth": 3}, "grid": []float64{0.3, 0.5, 0.7}, "top_n": 100},
			Contains: []string{`"counts":[{"threshold":0.3,`, `"recommended_threshold":`, `"params":{"method":"isotonic"`, `"plot_uri":"/artifacts/`}},
		{Name: "thresholds missing column", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": model, "column": "score_total",
			"splits": 3, "hyperparams": map[string]any{"n_estimators": 25, "max_depth": 3}, "save": false},
			Contains: []string{`"oof_cached":true`, "column and metric are not used"}},
	})

	code, acc := env.JSON("POST", "/backtest", map[string]any{"model_id": model, "splits": 3, "async": true, "save": false,
		"hyperparams": map[string]any{"n_estimators": 25, "max_depth": 3}})
	if code != 202 || acc["job_id"] == nil {
		t.Fatalf("async: %d %v", code, acc)
	}
}

// TestCalibrateModelIDs: the calibration endpoints validate their ids (422
// naming the field) and answer 404 for a model that does not exist, instead of
// ignoring the model.
func TestCalibrateModelIDs(t *testing.T) {
	env := apitest.New(t)
	env.Run(t, []apitest.Scenario{
		{Name: "brackets traversal id", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "../etc"},
			Status: 422, Contains: []string{`"loc":["body","model_id"]`}},
		{Name: "brackets bad pack", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "spy_opt_0dte_hourly", "pack_id": "A/B"},
			Status: 422, Contains: []string{`"loc":["body","pack_id"]`}},
		{Name: "brackets unknown model", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "nope"}, Status: 404},
		{Name: "brackets wrong pack", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "spy_opt_0dte_hourly", "pack_id": "longsigma"}, Status: 404},
		{Name: "brackets known model", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "spy_opt_0dte_hourly"},
			Status: 404, Contains: []string{"no matrix built for model spy_opt_0dte_hourly"}},
		{Name: "thresholds traversal id", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": "../etc"},
			Status: 422, Contains: []string{`"loc":["body","model_id"]`}},
		{Name: "thresholds bad build", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": "spy_opt_0dte_hourly", "build_id": "../x"},
			Status: 422, Contains: []string{`"loc":["body","build_id"]`}},
		{Name: "thresholds unknown model", Method: "POST", URL: "/calibrate_thresholds", Body: map[string]any{"model_id": "nope"}, Status: 404},
	})
}

// TestLeaderboardBodyIsJSON: the hand-assembled page is valid JSON with the
// envelope and paging keys.
func TestLeaderboardBodyIsJSON(t *testing.T) {
	env := apitest.New(t)
	for _, url := range []string{"/leaderboard", "/leaderboard?tag=x&order_by=created_at&limit=3"} {
		code, out := env.JSON("GET", url, nil)
		if code != 200 || out["ok"] != true || out["rows"] == nil || out["limit"] == nil || out["order_by"] == nil {
			t.Fatalf("%s: %d %v", url, code, out)
		}
	}
}
