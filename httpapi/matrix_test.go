package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
	"sigmalab/storage/parquet"
)

// spyEnv is a server over one SPY market.
type spyEnv struct {
	name string
	env  *apitest.Env
	real bool
	rows int // rows of the 0DTE options matrix of 2024-07-01..03
}

// spyEnvs gives the matrix route tests their markets: a demo market (the
// project's generator) always, and the shared real SPY sample beside the
// repository as an extra case when it is present.
func spyEnvs(t *testing.T) []spyEnv {
	t.Helper()
	envs := []spyEnv{{name: "demo", env: demoSPYEnv(t), rows: 18}}
	if env, ok := realSPYEnv(t); ok {
		envs = append(envs, spyEnv{name: "real", env: env, real: true, rows: 19})
	}
	return envs
}

// demoSPYEnv starts a server seeded with a demo SPY market over the real
// sample's dates: bars from 2024-05-01 (warm-up) to 2024-07-05, 0DTE option
// minute bars from 2024-07-01. Its 0DTE options stop at the 13:00 close of the
// 2024-07-03 half day (the real ones trade until 13:15: one row more).
func demoSPYEnv(t *testing.T) *apitest.Env {
	t.Helper()
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Tickers = cfg.Tickers[:1] // SPY
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-05-01", "2024-07-05", "2024-07-01"
	return apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
}

// realSPYEnv starts a server without demo data and imports the shared real SPY
// sample (hourly bars and 0DTE option minute bars) with the market importer;
// ok is false when the sample is absent.
func realSPYEnv(t *testing.T) (env *apitest.Env, ok bool) {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", "polygon-cache")
	if _, err := os.Stat(dir); err != nil {
		return nil, false
	}
	env = apitest.New(t)
	files, _ := filepath.Glob(filepath.Join(dir, "O_SPY24070[123]*.json"))
	files = append(files, filepath.Join(dir, "SPY_hour_2024-06-25_2024-07-05.json"), filepath.Join(dir, "SPY_hour_2024-07-01_2024-07-03.json"))
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	res, err := env.App.Lab.ImportMarket(context.Background(), files, names, market.ImportOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("import rejected: %+v", res.Rejected)
	}
	return env, true
}

func TestBuildMatrixSPY(t *testing.T) {
	for _, e := range spyEnvs(t) {
		t.Run(e.name, func(t *testing.T) { testBuildMatrixSPY(t, e) })
	}
}

func testBuildMatrixSPY(t *testing.T, e spyEnv) {
	env := e.env
	source := "demo"
	if e.real {
		source = "real"
	}
	body := map[string]any{"model_id": "spy_opt_0dte_hourly", "start": "2024-07-01", "end": "2024-07-03",
		"distance_max": 5, "out_csv": "spy_preview.csv", "dump_raw": true}
	code, out := env.JSON("POST", "/build_matrix", body)
	if code != 200 {
		t.Fatalf("build: %d %v", code, out)
	}
	if out["rows"].(float64) != float64(e.rows) || out["build_id"] == "" {
		t.Fatalf("build result %v", out)
	}
	lin := out["lineage"].(map[string]any)
	if lin["data_source"] != source || len(lin["data_sha"].(string)) != 64 || len(lin["model_config_sha"].(string)) != 64 {
		t.Fatalf("lineage %v", lin)
	}
	if uri, _ := out["card_uri"].(string); uri == "" {
		t.Fatalf("no build model card: %v", out["card_uri"])
	}
	if out["out_csv"] != "exports/spy_preview.csv" {
		t.Fatalf("out_csv %v", out["out_csv"])
	}
	csv, err := os.ReadFile(filepath.Join(env.Dir, "exports", "spy_preview.csv"))
	if err != nil || !bytes.Contains(csv, []byte("calls_sold_d-5")) {
		t.Fatalf("csv export: %v", err)
	}
	if _, err := os.Stat(filepath.Join(env.Dir, "exports", "spy_preview_raw.csv")); err != nil {
		t.Fatalf("raw export: %v", err)
	}
	buildID := out["build_id"].(string)

	// The stored Parquet matrix holds the hand-checked cells of the real sample (see
	// engine/matrix opt_test.go, which checks the demo's cells against its bars).
	st := parquet.NewMatrixStore(filepath.Join(env.Dir, "matrices"))
	m, err := st.Get("spy_opt_0dte_hourly", buildID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.TS {
		if e.real && m.Date[i] == "2024-07-01" && m.HourET[i] == 10 {
			if m.Col("calls_sold_d0")[i] != 74679 || math.Abs(m.Col("puts_premium_d0")[i]-10195778.02) > 1e-4 {
				t.Fatalf("cell 07-01 h10 d0: %v %v", m.Col("calls_sold_d0")[i], m.Col("puts_premium_d0")[i])
			}
		}
	}
	if m.Len() != e.rows || m.Meta["data_source"] != source || m.Meta["build_id"] != buildID {
		t.Fatalf("rows %d meta %v", m.Len(), m.Meta)
	}

	// Downloads and listings.
	code, raw := env.Do("GET", "/matrices/spy_opt_0dte_hourly/"+buildID+"?format=csv", nil)
	if code != 200 || !bytes.HasPrefix(raw, []byte("ts,date,hour_et,t1,calls_sold_d-5")) {
		t.Fatalf("csv download %d %.80s", code, raw)
	}
	code, raw = env.Do("GET", "/matrices/spy_opt_0dte_hourly/"+buildID, nil)
	if code != 200 || !bytes.HasPrefix(raw, []byte("PAR1")) {
		t.Fatalf("parquet download %d", code)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "list matrices", URL: "/matrices/spy_opt_0dte_hourly", Contains: []string{`"build_id":"` + buildID + `"`, fmt.Sprintf(`"rows":%d`, e.rows), `"total":1`}},
		{Name: "build runs", URL: "/build_runs?model_id=spy_opt_0dte_hourly", Contains: []string{`"status":"completed"`, `"columns_count"`, `"lineage":{`, `"total":1`}},
		{Name: "build runs bad limit", URL: "/build_runs?limit=abc", Status: 422},
		{Name: "one build run", URL: "/build_runs/1", Contains: []string{`"run":{"id":1`, `"build_id":"` + buildID + `"`, `"data_source":"` + source + `"`}},
		{Name: "missing build run", URL: "/build_runs/999", Status: 404},
		{Name: "bad build run id", URL: "/build_runs/abc", Status: 422},
		{Name: "json download", URL: "/matrices/spy_opt_0dte_hourly/" + buildID + "?format=json", Contains: []string{`"calls_sold_d-5":[`}},
		{Name: "unknown build", URL: "/matrices/spy_opt_0dte_hourly/b99999999", Status: 404},
		{Name: "bad format", URL: "/matrices/spy_opt_0dte_hourly/" + buildID + "?format=xls", Status: 422},
		{Name: "bad build id", URL: "/matrices/spy_opt_0dte_hourly/..sigmalab", Status: 400},
		{Name: "bad model id", URL: "/matrices/SPY%20x", Status: 422},
	})
}

func TestBuildMatrixBadInput(t *testing.T) {
	for _, e := range spyEnvs(t) {
		t.Run(e.name, func(t *testing.T) { testBuildMatrixBadInput(t, e.env) })
	}
}

func testBuildMatrixBadInput(t *testing.T, env *apitest.Env) {
	ok := map[string]any{"model_id": "spy_opt_0dte_hourly", "start": "2024-07-01", "end": "2024-07-03", "distance_max": 5}
	with := func(k string, v any) map[string]any {
		b := map[string]any{}
		for kk, vv := range ok {
			b[kk] = vv
		}
		b[k] = v
		return b
	}
	env.Run(t, []apitest.Scenario{
		{Name: "bad date", Method: "POST", URL: "/build_matrix", Body: with("start", "2024-13-01"), Status: 422, Contains: []string{`"start"`, "YYYY-MM-DD"}},
		{Name: "reversed", Method: "POST", URL: "/build_matrix", Body: with("end", "2024-06-01"), Status: 422, Contains: []string{"end must be on or after start"}},
		{Name: "no data", Method: "POST", URL: "/build_matrix", Body: map[string]any{"model_id": "spy_opt_0dte_hourly", "start": "2023-02-01", "end": "2023-02-28"}, Status: 422, Contains: []string{"no_data", "no 0DTE option trading"}},
		{Name: "weekend", Method: "POST", URL: "/build_matrix", Body: map[string]any{"model_id": "spy_opt_0dte_hourly", "start": "2024-07-06", "end": "2024-07-07"}, Status: 422, Contains: []string{"no trading session"}},
		{Name: "unknown model", Method: "POST", URL: "/build_matrix", Body: with("model_id", "nope_model"), Status: 404, Contains: []string{"unknown model_id"}},
		{Name: "missing model", Method: "POST", URL: "/build_matrix", Body: with("model_id", ""), Status: 422, Contains: []string{"model_id is required"}},
		{Name: "bad distance", Method: "POST", URL: "/build_matrix", Body: with("distance_max", 0), Status: 422, Contains: []string{"distance_max must be a positive integer"}},
		{Name: "bad k_sigma type", Method: "POST", URL: "/build_matrix", Body: with("k_sigma", "x"), Status: 422},
		{Name: "out_csv traversal", Method: "POST", URL: "/build_matrix", Body: with("out_csv", "../x.csv"), Status: 400, Contains: []string{"out path not allowed"}},
		{Name: "out_csv absolute", Method: "POST", URL: "/build_matrix", Body: with("out_csv", "/tmp/x.csv"), Status: 400},
		{Name: "raw_out traversal", Method: "POST", URL: "/build_matrix", Body: with("raw_out", "../../r.csv"), Status: 200},
		{Name: "malformed json", Method: "POST", URL: "/build_matrix", Body: "{", Status: 400},
		{Name: "stock no ticker", Method: "POST", URL: "/build_stock_matrix", Body: map[string]any{"start": "2024-07-01", "end": "2024-07-03"}, Status: 422, Contains: []string{"ticker"}},
		{Name: "stock bad ticker", Method: "POST", URL: "/build_stock_matrix", Body: map[string]any{"ticker": "sp y/", "start": "2024-07-01", "end": "2024-07-03"}, Status: 422},
		{Name: "stock bad label", Method: "POST", URL: "/build_stock_matrix", Body: map[string]any{"ticker": "SPY", "start": "2024-07-01", "end": "2024-07-03", "label_kind": "moon"}, Status: 422},
	})
	// raw_out is only used with dump_raw; with it a traversal is refused and nothing is stored
	code, out := env.JSON("POST", "/build_matrix", with("dump_raw", true))
	if code != 200 {
		t.Fatalf("dump_raw default: %d %v", code, out)
	}
	b := with("dump_raw", true)
	b["raw_out"] = "../../r.csv"
	before := countRuns(t, env)
	if code, _ := env.JSON("POST", "/build_matrix", b); code != 400 {
		t.Fatalf("raw_out traversal: %d", code)
	}
	if countRuns(t, env) != before {
		t.Fatal("a refused build left a build_runs row")
	}
}

func countRuns(t *testing.T, env *apitest.Env) float64 {
	_, out := env.JSON("GET", "/build_runs", nil)
	return out["total"].(float64)
}

func TestPreviewAndStockMatrixSPY(t *testing.T) {
	for _, e := range spyEnvs(t) {
		t.Run(e.name, func(t *testing.T) { testPreviewAndStockMatrix(t, e) })
	}
}

func testPreviewAndStockMatrix(t *testing.T, e spyEnv) {
	env := e.env
	code, out := env.JSON("POST", "/preview_matrix", map[string]any{"model_id": "spy_opt_0dte_hourly", "start": "2024-07-01",
		"end": "2024-07-03", "distance_max": 5, "max_rows": 10})
	if code != 200 || out["rows"].(float64) != 10 || out["total_rows"].(float64) != float64(e.rows) {
		t.Fatalf("preview %d %v", code, out)
	}
	qa := out["qa"].(map[string]any)
	for _, k := range []string{"monotonic_time", "non_negative_vol", "session_alignment", "iv_sanity", "nan"} {
		if qa[k] == nil {
			t.Fatalf("qa.%s missing: %v", k, qa)
		}
	}
	if qa["session_alignment"].(map[string]any)["ok"] != true || qa["monotonic_time"].(map[string]any)["ok"] != true {
		t.Fatalf("qa %v", qa)
	}
	code, out = env.JSON("POST", "/build_stock_matrix", map[string]any{"ticker": "spy", "start": "2024-06-26", "end": "2024-07-03", "label_kind": "fwd_ret_1d"})
	if code != 200 || out["model_id"] != "spy" || out["rows"].(float64) < 60 {
		t.Fatalf("stock %d %v", code, out)
	}
	cols := fmt.Sprint(out["columns"])
	if !strings.Contains(cols, "ret_fwd_1d") || !strings.Contains(cols, "volume") {
		t.Fatalf("stock columns %v", cols)
	}
	// async build → job
	code, out = env.JSON("POST", "/build_stock_matrix", map[string]any{"ticker": "SPY", "start": "2024-06-26", "end": "2024-07-03", "async": true})
	if code != 202 || out["job_id"] == nil {
		t.Fatalf("async %d %v", code, out)
	}
	_ = json.Valid
}

// TestDemoBuildsEveryModel builds every built-in model on a short demo market.
func TestDemoBuildsEveryModel(t *testing.T) {
	if testing.Short() {
		t.Skip("demo seeding")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-10-01", "2024-10-31", "2024-10-24"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
	_, models := env.JSON("GET", "/models?limit=500", nil)
	list, _ := models["models"].([]any)
	if len(list) == 0 {
		t.Fatalf("no models: %v", models)
	}
	for _, it := range list {
		id := it.(map[string]any)["id"].(string)
		t.Run(id, func(t *testing.T) {
			body := map[string]any{"model_id": id, "start": "2024-10-21", "end": "2024-10-31", "distance_max": 5}
			if strings.HasPrefix(id, "universe_") {
				body["ticker"] = "AAPL"
			}
			code, out := env.JSON("POST", "/build_matrix", body)
			if code != 200 {
				t.Fatalf("%d %v", code, out)
			}
			if out["lineage"].(map[string]any)["data_source"] != "demo" || out["rows"].(float64) == 0 {
				t.Fatalf("%v", out)
			}
		})
	}
}
