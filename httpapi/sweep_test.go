package httpapi_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/backtest"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

func sweepOOF(t *testing.T, n int) *backtest.OOF {
	rng := rand.New(rand.NewPCG(1, 2))
	up, down := make([]float64, n), make([]float64, n)
	ts, ret, hour := make([]int64, n), make([]float64, n), make([]int32, n)
	for i := 0; i < n; i++ {
		ts[i], hour[i] = int64(i)*3_600_000, int32(9+i%7)
		ret[i] = rng.NormFloat64() * 0.002
		u := math.Min(math.Max(0.5+40*ret[i]+rng.NormFloat64()*0.1, 0.01), 0.98) * 0.8
		up[i], down[i] = u, (1-u)*0.7
	}
	oof, err := backtest.NewOOF(&backtest.OOF{Classes: []string{"DOWN", "UP"}, Probs: [][]float64{down, up},
		TS: ts, Hour: hour, Ret: ret, FoldStart: []int{0, n / 3, 2 * n / 3, n}})
	if err != nil {
		t.Fatal(err)
	}
	return oof
}

func TestSweepRoutes(t *testing.T) {
	env := apitest.New(t)
	// A stored sweep, produced by the engine on known predictions.
	resp, err := env.App.Lab.RunSweep(context.Background(), engine.SweepRequest{ModelID: "spy_opt_0dte_hourly", Tag: "t1",
		ThresholdsVariants: []string{"0.5,0.52", "0.6"}, TopPctVariants: []float64{0.2}, AllowedHoursVariants: []string{"13,14", ""}},
		engine.SweepSource{OOF: sweepOOF(t, 2100)}, engine.SweepOptions{})
	if err != nil || resp.Count != 6 || resp.ReportPath == nil {
		t.Fatalf("%+v %v", resp, err)
	}
	// The report is a registered artifact: its id downloads the file.
	if resp.ReportArtifactID != "sweep_1" {
		t.Fatalf("report artifact id %q", resp.ReportArtifactID)
	}
	want, err := os.ReadFile(filepath.Join(env.Dir, *resp.ReportPath))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := env.Do("GET", "/artifacts/"+resp.ReportArtifactID, nil); code != 200 || string(body) != string(want) {
		t.Fatalf("GET /artifacts/%s: %d %.200s", resp.ReportArtifactID, code, body)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "list", URL: "/sweeps?model_id=spy_opt_0dte_hourly", Contains: []string{`"rows":[{"id":1,`, `"status":"completed"`,
			`"spec":{"thresholds_variants":["0.5,0.52","0.6"]`, `"total":1`, `"next_offset":null`}},
		{Name: "list by tag miss", URL: "/sweeps?tag=other", Contains: []string{`"rows":[]`, `"total":0`}},
		{Name: "list bad status", URL: "/sweeps?status=done", Status: 422},
		{Name: "list bad limit", URL: "/sweeps?limit=x", Status: 422},
		{Name: "detail", URL: "/sweeps/1", Contains: []string{`"sweep":{"id":1`, `"results":[{"id":1,"sweep_id":1,"kind":"thresholds"`,
			`"params":{"index":5,"kind":"top_pct","top_pct":0.2,"allowed_hours":""}`, `"report_path":"artifacts/reports/sweep_1.json"`, `"report_artifact_id":"sweep_1"`}},
		{Name: "detail bad id", URL: "/sweeps/zero", Status: 422, Contains: []string{`"loc":["path","sweep_id"]`}},
		{Name: "detail missing", URL: "/sweeps/42", Status: 404},
		{Name: "sweep needs model", Method: "POST", URL: "/backtest_sweep", Body: map[string]any{}, Status: 422,
			Contains: []string{`"loc":["body","model_id"]`}},
		{Name: "sweep bad variant", Method: "POST", URL: "/backtest_sweep", Status: 422,
			Body:     `{"model_id":"m1","thresholds_variants":["0.5,zz"]}`,
			Contains: []string{`"loc":["body","thresholds_variants"]`}},
		{Name: "sweep bad hours", Method: "POST", URL: "/backtest_sweep", Status: 422,
			Body: `{"model_id":"m1","allowed_hours_variants":[[13,99]]}`, Contains: []string{`hour 99`}},
		{Name: "sweep malformed json", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":`, Status: 400},
		{Name: "sweep unknown model", Method: "POST", URL: "/backtest_sweep", Body: `{"model_id":"m1"}`, Status: 404,
			Contains: []string{`"code":"not_found"`}},
		{Name: "sweep async", Method: "POST", URL: "/backtest_sweep", Status: 202,
			Body:     `{"model_id":"m1","async":true,"thresholds_variants":"0.5,0.6;0.55","top_pct_variants":"0.1,0.2"}`,
			Contains: []string{`"job_id":"1"`, `"status":"queued"`}},
	})
	// The async job ran the same use case; for an unknown model it fails with the reason.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, body := env.JSON("GET", "/jobs/1", nil)
		if body["status"] == "failed" {
			if body["kind"] != engine.SweepJobKind || body["error"] == "" {
				t.Fatalf("%v", body)
			}
			p := body["params"].(map[string]any)
			if tv := p["thresholds_variants"].([]any); len(tv) != 2 || tv[0] != "0.5,0.6" {
				t.Fatalf("params %v", p)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %v", body)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSweepPipeline sweeps a model built on the demo market: one training for
// the whole grid (and none on a repeat: the OOF is cached), every cell stored
// as a result row and as a tagged backtest run on the leaderboard, the report
// written, and the async path reaching the same result through a job.
func TestSweepPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-10-31", "2024-10-28"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
	model := "spy_eq_intraday_hourly"
	if code, out := env.JSON("POST", "/build_matrix", map[string]any{"model_id": model, "start": "2024-07-01", "end": "2024-10-31"}); code != 200 {
		t.Fatalf("build: %d %v", code, out)
	}
	// No pack_id: the model's own pack (momentumsigma) is used, not a default pack.
	body := map[string]any{"model_id": model, "splits": 3, "tag": "grid1",
		"thresholds_variants": []string{"0.40,0.45", "0.5,0.55"}, "allowed_hours_variants": []any{"10,11,12", ""},
		"top_pct_variants": []float64{0.2}, "min_trades": 1,
		"hyperparams": map[string]any{"n_estimators": 20, "max_depth": 3}}
	code, out := env.JSON("POST", "/backtest_sweep", body)
	if code != 200 {
		t.Fatalf("sweep: %d %v", code, out)
	}
	if out["count"] != 6.0 || out["status"] != "completed" || out["sweep_id"] != 1.0 || out["report_path"] != "artifacts/reports/sweep_1.json" {
		t.Fatalf("%v", out)
	}
	if tm, _ := out["training_ms"].(float64); tm <= 0 {
		t.Fatalf("first sweep must train: %v", out["training_ms"])
	}
	runs := out["runs"].([]any)
	if len(runs) != int(out["filtered"].(float64)) || len(runs) == 0 {
		t.Fatalf("runs %d filtered %v", len(runs), out["filtered"])
	}
	first := runs[0].(map[string]any)
	if first["rank"] != 1.0 || first["backtest_run_id"] == nil || first["result"].(map[string]any)["_summary"] == nil {
		t.Fatalf("top run %v", first)
	}
	if _, err := os.Stat(filepath.Join(env.Dir, "artifacts", "reports", "sweep_1.json")); err != nil {
		t.Fatal(err)
	}
	if code, out := env.JSON("GET", "/sweeps?pack_id=momentumsigma", nil); code != 200 || out["total"] != 1.0 {
		t.Fatalf("sweep not filed under the model's pack: %d %v", code, out)
	}
	if card, _ := out["card_uri"].(string); card == "" {
		t.Fatalf("no model card: %v", out["card_uri"])
	} else if _, err := os.Stat(filepath.Join(env.Dir, card)); err != nil {
		t.Fatal(err)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "cells on the leaderboard", URL: "/leaderboard?tag=grid1&limit=50", Contains: []string{`"total":6`, `"sweep_id":1`}},
		{Name: "sweep detail", URL: "/sweeps/1", Contains: []string{`"status":"completed"`, `"oof_key":"`, `"backtest_run_id":`}},
	})
	// Same training setup, other trading rules: no training.
	body["thresholds_variants"], body["tag"] = []string{"0.6"}, "grid2"
	code, out = env.JSON("POST", "/backtest_sweep", body)
	if code != 200 || out["training_ms"] != 0.0 || out["count"] != 4.0 {
		t.Fatalf("cached sweep: %d %v", code, out)
	}
	// Async: 202, then the job completes with the sweep as its result.
	body["async"], body["save"] = true, false
	code, out = env.JSON("POST", "/backtest_sweep", body)
	if code != 202 {
		t.Fatalf("async: %d %v", code, out)
	}
	id := out["job_id"].(string)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, j := env.JSON("GET", "/jobs/"+id, nil)
		if j["status"] == "completed" {
			res := j["result"].(map[string]any)
			if res["sweep_id"] != 3.0 || res["count"] != 4.0 || j["progress"] != 1.0 {
				t.Fatalf("job %v", j)
			}
			break
		}
		if j["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("job %v", j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "unsaved sweep adds no runs", URL: "/leaderboard?limit=50&model_id=" + model, Contains: []string{`"total":10`}},
		{Name: "list sweeps", URL: "/sweeps?model_id=" + model + "&limit=2", Contains: []string{`"total":3`, `"next_offset":2`, `"rows":[{"id":3,`}},
	})
}
