package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pipelineDemoRange is a short demo market (one quarter, 0DTE options
// throughout): it seeds in a second or two and still gives a few hundred
// labelled hourly rows.
const pipelineDemoRange = "2024-10-01:2024-12-31"

// getJSON calls the server and decodes the answer, failing on a status other
// than want or on a body that is not JSON (NaN or Inf would not be).
func getJSON(t *testing.T, s *server, method, path, body string, want int) map[string]any {
	t.Helper()
	st, b := s.call(t, method, path, body)
	if st != want {
		t.Fatalf("%s %s: status %d want %d: %.500s", method, path, st, want, b)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(b), &m); err != nil {
		t.Fatalf("%s %s: not JSON (%v): %.300s", method, path, err, b)
	}
	return m
}

// num reads a finite number at a dotted path of m.
func num(t *testing.T, m map[string]any, path string) float64 {
	t.Helper()
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not an object in %.300v", path, k, cur)
		}
		cur = obj[k]
	}
	f, ok := cur.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		t.Fatalf("%s = %v, want a finite number", path, cur)
	}
	return f
}

// waitJob polls GET /jobs/{id} until the job is completed (fails on failed,
// cancelled or a timeout) and returns it.
func waitJob(t *testing.T, s *server, id string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j := jobState(t, s, id)
		switch j["status"] {
		case "completed":
			return j
		case "failed", "cancelled", "interrupted":
			t.Fatalf("job %s: %v", id, j)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not done after %s: %v", id, timeout, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPipeline runs what a researcher does on a fresh install, over HTTP
// against the real binary: create a model, build its matrix, train, backtest
// and save, sweep, read the leaderboard, download the matrix, the same work
// again as async jobs, import a file; then bad input on the same routes.
func TestPipeline(t *testing.T) {
	bin := binary(t)
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, bin, data, "--demo-range", pipelineDemoRange)
	defer s.stop(t)

	getJSON(t, s, "GET", "/health", "", 200)
	if packs := getJSON(t, s, "GET", "/packs", "", 200); num(t, packs, "count") != 5 {
		t.Fatalf("packs: %v", packs)
	}
	cov := getJSON(t, s, "GET", "/data/coverage?ticker=SPY", "", 200)
	if !strings.Contains(fmt.Sprint(cov), "source:demo") {
		t.Fatalf("coverage: %v", cov)
	}

	// A new 0DTE options model from the zerosigma template; fewer trees keep the run short.
	const model = "spy_opt_0dte_hourly_e2e"
	created := getJSON(t, s, "POST", "/models", `{"ticker":"spy","pack_id":"zerosigma","variant":"e2e"}`, 200)
	if created["model_id"] != model {
		t.Fatalf("create: %v", created)
	}
	getJSON(t, s, "POST", "/models", `{"ticker":"spy","pack_id":"zerosigma","variant":"e2e"}`, 409)
	getJSON(t, s, "PATCH", "/models/"+model, `{"config":{"hyperparams":{"n_estimators":40,"max_depth":3}}}`, 200)

	build := getJSON(t, s, "POST", "/build_matrix",
		`{"model_id":"`+model+`","pack_id":"zerosigma","start":"2024-10-01","end":"2024-12-31"}`, 200)
	rows := num(t, build, "rows")
	buildID, _ := build["build_id"].(string)
	if rows < 200 || buildID == "" || num(t, build, "columns_count") < 50 {
		t.Fatalf("build: rows %v build %q columns %v", rows, buildID, build["columns_count"])
	}
	if lin, _ := build["lineage"].(map[string]any); lin["data_source"] != "demo" {
		t.Fatalf("lineage: %v", build["lineage"])
	}
	prev := getJSON(t, s, "POST", "/preview_matrix",
		`{"model_id":"`+model+`","start":"2024-10-01","end":"2024-10-31","max_rows":40}`, 200)
	if num(t, prev, "rows") != 40 || prev["qa"] == nil {
		t.Fatalf("preview: %.300v", prev)
	}
	stock := getJSON(t, s, "POST", "/build_stock_matrix",
		`{"model_id":"spy_eq_intraday_hourly","ticker":"SPY","start":"2024-10-01","end":"2024-12-31"}`, 200)
	if num(t, stock, "rows") < 200 {
		t.Fatalf("stock build: %.300v", stock)
	}

	// The stored matrix downloads as CSV with one line per row.
	st, body := s.call(t, "GET", "/matrices/"+model+"/"+buildID+"?format=csv", "")
	if st != 200 {
		t.Fatalf("csv download: %d %.200s", st, body)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || float64(len(recs)-1) != rows {
		t.Fatalf("csv: %d lines for %v rows (%v)", len(recs), rows, err)
	}
	csvSize := len(body)
	st, body = s.call(t, "GET", "/matrices/"+model+"/"+buildID+"?format=parquet", "")
	if st != 200 || !strings.HasPrefix(body, "PAR1") || len(body) >= csvSize {
		t.Fatalf("parquet download: %d, %d bytes (csv %d)", st, len(body), csvSize)
	}

	train := getJSON(t, s, "POST", "/train", `{"model_id":"`+model+`"}`, 200)
	for _, k := range []string{"metrics.logloss", "metrics.auc", "metrics.accuracy", "metrics.holdout_rows"} {
		num(t, train, k)
	}
	getJSON(t, s, "GET", "/training_runs?model_id="+model, "", 200)

	bt := getJSON(t, s, "POST", "/backtest",
		`{"model_id":"`+model+`","pack_id":"zerosigma","splits":3,"top_pct":0.2,"save":true,"tag":"e2e"}`, 200)
	runID := num(t, bt, "run_id")
	num(t, bt, "best_sharpe_hourly")
	num(t, bt, "best_cum_ret")
	if trades := num(t, bt, "result.overall.trades"); trades <= 0 {
		t.Fatalf("backtest made no trades: %.500v", bt["result"])
	}
	if folds, _ := bt["folds"].([]any); len(folds) != 3 {
		t.Fatalf("folds: %v", bt["folds"])
	}

	// 2 threshold variants × 2 hour variants + 1 top_pct variant × 2 hour variants.
	sw := getJSON(t, s, "POST", "/backtest_sweep", `{"model_id":"`+model+`","pack_id":"zerosigma","splits":3,"tag":"e2e-sweep",
		"thresholds_variants":["0.4,0.45","0.5"],"allowed_hours_variants":["10,11,12,13",""],"top_pct_variants":[0.2]}`, 200)
	if num(t, sw, "count") != 6 || sw["status"] != "completed" {
		t.Fatalf("sweep: count %v status %v", sw["count"], sw["status"])
	}
	runs, _ := sw["runs"].([]any)
	if len(runs) != 6 {
		t.Fatalf("sweep runs: %d", len(runs))
	}
	last := math.Inf(1)
	for i, r := range runs {
		sh := num(t, r.(map[string]any), "metrics.best_sharpe_hourly")
		if sh > last {
			t.Fatalf("sweep rank %d: sharpe %v after %v", i+1, sh, last)
		}
		last = sh
	}
	sweepID := num(t, sw, "sweep_id")
	one := getJSON(t, s, "GET", fmt.Sprintf("/sweeps/%v", sweepID), "", 200)
	if !strings.Contains(fmt.Sprint(one), "count:6") {
		t.Fatalf("GET /sweeps/%v: %.300v", sweepID, one)
	}

	lb := getJSON(t, s, "GET", "/leaderboard?model_id="+model+"&limit=50", "", 200)
	if num(t, lb, "total") != 7 {
		t.Fatalf("leaderboard total %v, want the saved run and 6 sweep cells", lb["total"])
	}
	found := false
	prevSharpe := math.Inf(1)
	for _, r := range lb["rows"].([]any) {
		row := r.(map[string]any)
		if row["id"] == runID && row["tag"] == "e2e" {
			found = true
		}
		sh := num(t, row, "metrics.best_sharpe_hourly")
		if sh > prevSharpe {
			t.Fatalf("leaderboard not ordered by sharpe: %v after %v", sh, prevSharpe)
		}
		prevSharpe = sh
	}
	if !found {
		t.Fatalf("saved run %v not on the leaderboard", runID)
	}
	if lb := getJSON(t, s, "GET", "/leaderboard?tag=e2e", "", 200); num(t, lb, "total") != 1 {
		t.Fatalf("leaderboard tag=e2e: %v", lb["total"])
	}

	// The same steps as jobs.
	job := getJSON(t, s, "POST", "/backtest", `{"model_id":"`+model+`","pack_id":"zerosigma","splits":3,"async":true}`, 202)
	j := waitJob(t, s, job["job_id"].(string), time.Minute)
	res, _ := j["result"].(map[string]any)
	if res == nil {
		t.Fatalf("backtest job without a result: %v", j)
	}
	num(t, res, "best_sharpe_hourly")
	job = getJSON(t, s, "POST", "/train", `{"model_id":"`+model+`","async":true}`, 202)
	waitJob(t, s, job["job_id"].(string), time.Minute)
	jobs := getJSON(t, s, "GET", "/jobs", "", 200)
	if num(t, jobs, "total") < 2 {
		t.Fatalf("jobs: %.300v", jobs)
	}

	// Import real bars for a new ticker (multipart upload); demo tickers are untouched.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "qqq_daily.csv")
	fmt.Fprint(fw, "date,open,high,low,close,volume\n2024-12-02,510,512,508,511,1000\n2024-12-03,511,515,510,514,1200\n")
	_ = mw.WriteField("ticker", "QQQ")
	_ = mw.Close()
	req, _ := http.NewRequest("POST", s.base+"/data/import", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	imp, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(imp), `"added":2`) {
		t.Fatalf("import: %d %s", resp.StatusCode, imp)
	}
	cov = getJSON(t, s, "GET", "/data/coverage?ticker=QQQ", "", 200)
	if !strings.Contains(fmt.Sprint(cov), "source:file") || num(t, cov, "count") != 1 {
		t.Fatalf("coverage after import: %v", cov)
	}

	// Bad input: clear JSON 4xx, never a 5xx.
	bad := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/build_matrix", `{bad`, 400},
		{"POST", "/build_matrix", `{"model_id":"` + model + `","start":"2024-13-01","end":"2024-12-31"}`, 422},
		{"POST", "/build_matrix", `{"model_id":"` + model + `","start":"2024-12-31","end":"2024-10-01"}`, 422},
		{"POST", "/build_matrix", `{"model_id":"` + model + `","start":"2024-10-01","end":"2024-10-31","out_csv":"../x.csv"}`, 400},
		{"POST", "/build_matrix", `{"model_id":"no_such_model","start":"2024-10-01","end":"2024-10-31"}`, 404},
		{"POST", "/train", `{"model_id":"` + model + `","hyperparams":{"learning_rate":"NaN"}}`, 422},
		{"POST", "/backtest", `{"model_id":"` + model + `","splits":-2}`, 422},
		{"POST", "/backtest", `{"model_id":"` + model + `","thresholds":"a,b"}`, 422},
		{"POST", "/backtest_sweep", `{"model_id":"` + model + `","top_pct_variants":[-1]}`, 422},
		{"GET", "/leaderboard?order_by=bogus", "", 422},
		{"GET", "/leaderboard?offset=-1", "", 422},
		{"GET", "/jobs/999", "", 404},
		{"GET", "/artifacts/nope", "", 404},
	}
	for _, c := range bad {
		m := getJSON(t, s, c.method, c.path, c.body, c.status)
		if m["ok"] != false || m["error"] == "" || m["code"] == "" {
			t.Errorf("%s %s: %v", c.method, c.path, m)
		}
	}
}
