package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/matrix"
	"sigmalab/httpapi/apitest"
)

const trainModel = "spy_opt_0dte_hourly" // seeded from the built-in pack (dict features config)

// storeTrainMatrix stores a synthetic flow matrix with a learnable UP/DOWN/FLAT
// label as the model's latest build, the way a build would (Parquet file +
// completed build_runs row).
func storeTrainMatrix(t *testing.T, env *apitest.Env, buildID string, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(42, 7))
	m := &matrix.Matrix{TS: make([]int64, n), Date: make([]string, n), HourET: make([]int32, n), T1: make([]int64, n),
		Meta: map[string]string{"data_source": "demo"}}
	const hour = int64(3_600_000)
	start := time.Date(2024, 1, 2, 14, 0, 0, 0, time.UTC)
	cols := map[string][]float64{}
	names := []string{"calls_sold_d-1", "calls_sold_d0", "calls_sold_d1", "puts_sold_d-1", "puts_sold_d0", "puts_sold_d1",
		"calls_sold_total", "puts_sold_total", "pc_ratio", "imbalance", "day_of_week", "ret_fwd", "close"}
	for _, nm := range names {
		cols[nm] = make([]float64, n)
	}
	y := make([]string, n)
	for i := 0; i < n; i++ {
		day, h := i/7, i%7
		ts := start.Add(time.Duration(day) * 24 * time.Hour).Add(time.Duration(h) * time.Hour)
		m.TS[i], m.T1[i] = ts.UnixMilli(), ts.UnixMilli()+hour
		m.Date[i], m.HourET[i] = ts.Format("2006-01-02"), int32(9+h)
		for _, nm := range names {
			cols[nm][i] = rng.Float64() * 1000
		}
		cols["day_of_week"][i] = float64(ts.Weekday())
		s := (cols["calls_sold_d0"][i]-cols["puts_sold_d0"][i])/400 + 0.3*rng.NormFloat64()
		cols["ret_fwd"][i] = s / 100
		switch {
		case s > 0.4:
			y[i] = "UP"
		case s < -0.4:
			y[i] = "DOWN"
		default:
			y[i] = "FLAT"
		}
	}
	for _, nm := range names {
		m.AddCol(nm, cols[nm])
	}
	m.AddText("y", y)
	// Targets a training must refuse: one class, and one class per row.
	one, many := make([]string, n), make([]string, n)
	for i := range one {
		one[i], many[i] = "UP", "c"+strconv.Itoa(i)
	}
	m.AddText("y_one", one)
	m.AddText("y_many", many)
	lab := env.App.Lab
	path, _, err := lab.Matrices.Put(trainModel, buildID, m)
	if err != nil {
		t.Fatal(err)
	}
	now := apitest.FixedNow
	if _, err := lab.BuildRuns.CreateBuildRun(context.Background(), engine.BuildRun{BuildID: buildID, PackID: "zerosigma",
		ModelID: trainModel, Kind: "opt", Status: engine.BuildCompleted, MatrixURI: path, Rows: n, Columns: len(names),
		StartedAt: &now, FinishedAt: &now, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
}

func TestTrainEndToEnd(t *testing.T) {
	env := apitest.New(t)
	storeTrainMatrix(t, env, "b1", 1400)
	code, out := env.JSON("POST", "/train", map[string]any{"model_id": trainModel, "hyperparams": map[string]any{"n_estimators": 60}})
	if code != 200 || out["ok"] != true {
		t.Fatalf("train: %d %v", code, out)
	}
	met := out["metrics"].(map[string]any)
	if auc := met["auc"].(float64); auc < 0.9 {
		t.Fatalf("holdout auc %v", auc)
	}
	if met["rows"].(float64) != 1400 || met["holdout_rows"].(float64) != 280 || met["calibration"] != "sigmoid" || met["calibration_applied"] != true {
		t.Fatalf("metrics %v", met)
	}
	if len(met["per_class"].([]any)) != 3 || len(met["top_features"].([]any)) == 0 {
		t.Fatalf("per-class/top features %v", met)
	}
	feats := fmt.Sprint(out["features"])
	if !strings.Contains(feats, "calls_sold_d0") || strings.Contains(feats, "ret_fwd") || strings.Contains(feats, "close") {
		t.Fatalf("features %v", feats)
	}
	uri, art := out["model_out_uri"].(string), out["artifact_id"].(string)
	if uri != "artifacts/models/"+art+".json.zst" || out["build_id"] != "b1" {
		t.Fatalf("uri %q artifact %q build %v", uri, art, out["build_id"])
	}
	runID := strconv.Itoa(int(out["training_run_id"].(float64)))

	// The artifact downloads and scores the stored matrix with the reported classes.
	status, blob := env.Do("GET", "/artifacts/"+art, nil)
	if status != 200 {
		t.Fatalf("artifact download %d", status)
	}
	tm, err := engine.DecodeTrainedModel(blob)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := env.App.Lab.LoadMatrix(context.Background(), trainModel, "b1")
	if err != nil {
		t.Fatal(err)
	}
	probs, err := tm.PredictMatrix(m)
	if err != nil || len(probs) != 3 || fmt.Sprint(tm.Classes) != "[DOWN FLAT UP]" {
		t.Fatalf("predict: %v classes %v", err, tm.Classes)
	}
	for i := range probs[0] {
		if s := probs[0][i] + probs[1][i] + probs[2][i]; math.Abs(s-1) > 1e-9 {
			t.Fatalf("row %d sums to %v", i, s)
		}
	}

	env.Run(t, []apitest.Scenario{
		{Name: "list runs", URL: "/training_runs?model_id=" + trainModel, Contains: []string{`"status":"completed"`, `"model_out_uri":"` + uri, `"total":1`, `"policy_snapshot"`}},
		{Name: "one run", URL: "/training_runs/" + runID, Contains: []string{`"auc":`, `"artifact_id":"` + art}},
		{Name: "card", URL: "/artifacts/" + art + "-card", Contains: []string{`"event": "train"`, `"schema_version": "1.0"`}},
		{Name: "unknown run", URL: "/training_runs/999", Status: 404},
		{Name: "bad run id", URL: "/training_runs/abc", Status: 422},
		{Name: "unknown artifact", URL: "/artifacts/nope", Status: 404},
		{Name: "bad artifact id", URL: "/artifacts/Bad.ID", Status: 422},
		{Name: "bad list status", URL: "/training_runs?status=weird", Status: 422},
	})
}

func TestTrainOptionsAndBadInput(t *testing.T) {
	env := apitest.New(t)
	storeTrainMatrix(t, env, "b1", 700)
	body := func(kv ...any) map[string]any {
		b := map[string]any{"model_id": trainModel, "hyperparams": map[string]any{"n_estimators": 20}}
		for i := 0; i < len(kv); i += 2 {
			b[kv[i].(string)] = kv[i+1]
		}
		return b
	}
	env.Run(t, []apitest.Scenario{
		{Name: "hours as string", Method: "POST", URL: "/train", Body: body("allowed_hours", "13,14", "calibration", "isotonic"),
			Contains: []string{`"rows":200`, `"allowed_hours":[13,14]`, `"calibration":"isotonic"`, `sigmoid fitted instead`}},
		{Name: "hours as list, no calibration", Method: "POST", URL: "/train", Body: body("allowed_hours", []int{10}, "calibration", nil),
			Contains: []string{`"rows":100`, `"calibration":"none"`, `"calibration_applied":false`}},
		{Name: "explicit build", Method: "POST", URL: "/train", Body: body("build_id", "b1", "target", "y", "holdout_frac", 0.3), Contains: []string{`"holdout_rows":210`}},
		{Name: "missing model", Method: "POST", URL: "/train", Body: map[string]any{}, Status: 422, Contains: []string{"model_id is required"}},
		{Name: "bad calibration", Method: "POST", URL: "/train", Body: body("calibration", "platt"), Status: 422, Contains: []string{"calibration must be one of: none, sigmoid, isotonic"}},
		{Name: "bad hours", Method: "POST", URL: "/train", Body: body("allowed_hours", "x,14"), Status: 422, Contains: []string{"allowed_hours must be a list of ints or comma-separated ints"}},
		{Name: "fractional hour", Method: "POST", URL: "/train", Body: body("allowed_hours", []float64{13.5}), Status: 422, Contains: []string{"allowed_hours must be a list of ints or comma-separated ints"}},
		{Name: "hours as object", Method: "POST", URL: "/train", Body: body("allowed_hours", map[string]any{"a": 1}), Status: 422, Contains: []string{`"loc":["body","allowed_hours"]`}},
		{Name: "hour out of range", Method: "POST", URL: "/train", Body: body("allowed_hours", []int{25}), Status: 422},
		{Name: "bad hyperparam", Method: "POST", URL: "/train", Body: body("hyperparams", map[string]any{"max_depth": -2}), Status: 422, Contains: []string{"hyperparams"}},
		{Name: "csv refused", Method: "POST", URL: "/train", Body: body("csv", "m.csv"), Status: 422},
		{Name: "unknown model", Method: "POST", URL: "/train", Body: body("model_id", "nope_model"), Status: 404},
		{Name: "no matrix", Method: "POST", URL: "/train", Body: body("model_id", "spy_opt_0dte_hourly_gamma"), Status: 404, Contains: []string{"build_matrix"}},
		{Name: "unknown build", Method: "POST", URL: "/train", Body: body("build_id", "b9"), Status: 404},
		{Name: "unknown target", Method: "POST", URL: "/train", Body: body("target", "nope"), Status: 422},
		{Name: "price as target", Method: "POST", URL: "/train", Body: body("target", "close"), Status: 422,
			Contains: []string{`"loc":["body","target"]`, `not a class label`}, NotContains: []string{`"model_out_uri"`}},
		{Name: "forward return as target", Method: "POST", URL: "/train", Body: body("target", "ret_fwd"), Status: 422,
			Contains: []string{`"loc":["body","target"]`}},
		{Name: "single-class target", Method: "POST", URL: "/train", Body: body("target", "y_one"), Status: 422,
			Contains: []string{`"loc":["body","target"]`, `target needs at least two classes`}},
		{Name: "many-class text target", Method: "POST", URL: "/train", Body: body("target", "y_many"), Status: 422,
			Contains: []string{`"loc":["body","target"]`, `more than 20 classes`}},
		{Name: "unknown feature", Method: "POST", URL: "/train", Body: body("features", []string{"calls_sold_d0", "nope", "nope2"}), Status: 422,
			Contains: []string{`"loc":["body","features"]`, `not numeric matrix columns: nope, nope2`}},
		{Name: "label as feature", Method: "POST", URL: "/train", Body: body("features", "calls_sold_d0,ret_fwd"), Status: 422,
			Contains: []string{`"loc":["body","features"]`, `ret_fwd`}},
		{Name: "explicit features", Method: "POST", URL: "/train", Body: body("features", "calls_sold_d0, puts_sold_d0,calls_sold_d0"),
			Contains: []string{`"features":["calls_sold_d0","puts_sold_d0"]`}},
		{Name: "hours without rows", Method: "POST", URL: "/train", Body: body("allowed_hours", "3"), Status: 422, Contains: []string{"no_data"}},
		{Name: "malformed", Method: "POST", URL: "/train", Body: "{", Status: 400},
	})
	_, out := env.JSON("GET", "/training_runs", nil)
	if out["total"].(float64) != 4 { // the four trainings above that answer 200
		t.Fatalf("refused requests must not leave runs: total %v", out["total"])
	}
}

func TestTrainAsyncJob(t *testing.T) {
	env := apitest.New(t)
	if env.App.Lab.Jobs == nil {
		t.Skip("no job runner wired")
	}
	storeTrainMatrix(t, env, "b1", 700)
	code, out := env.JSON("POST", "/train", map[string]any{"model_id": trainModel, "async": true, "hyperparams": map[string]any{"n_estimators": 20}})
	if code != 202 {
		t.Fatalf("async: %d %v", code, out)
	}
	id := out["job_id"].(string)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, j := env.JSON("GET", "/jobs/"+id, nil)
		job, _ := j["job"].(map[string]any)
		if job == nil {
			job = j
		}
		switch job["status"] {
		case "completed":
			res, _ := json.Marshal(job["result"])
			if !strings.Contains(string(res), `"model_out_uri"`) {
				t.Fatalf("job result %s", res)
			}
			return
		case "failed", "cancelled", "interrupted":
			t.Fatalf("job %v", job)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %v", job["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
