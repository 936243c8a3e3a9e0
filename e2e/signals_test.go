package e2e

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// postCSV sends an execution log as text/csv.
func postCSV(t *testing.T, s *server, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSignalsPipeline is the live path against the real binary: demo data →
// build → train → generate signals (sync and as a job) → options overlay →
// execution log → summary; then kill -9 and a restart: the signals index
// agrees with the store.
func TestSignalsPipeline(t *testing.T) {
	bin := binary(t)
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, bin, data, "--demo-range", pipelineDemoRange)
	const model = "spy_opt_0dte_hourly"
	getJSON(t, s, "PATCH", "/models/"+model, `{"config":{"hyperparams":{"n_estimators":30,"max_depth":3}}}`, 200)
	getJSON(t, s, "POST", "/build_matrix", `{"model_id":"`+model+`","start":"2024-10-01","end":"2024-12-31"}`, 200)
	getJSON(t, s, "POST", "/train", `{"model_id":"`+model+`"}`, 200)

	gen := getJSON(t, s, "POST", "/signals/generate", `{"model_id":"`+model+`","mode":"top_n","top_n":3,"tag":"e2e-live"}`, 200)
	if num(t, gen, "count") != 3 || gen["date"] != "2024-12-31" {
		t.Fatalf("generate: %.500v", gen)
	}
	job := getJSON(t, s, "POST", "/signals/generate", `{"model_id":"`+model+`","mode":"top_n","top_n":3,"tag":"e2e-live","async":true}`, 202)
	waitJob(t, s, job["job_id"].(string), time.Minute)

	for _, mode := range []string{"single", "vertical"} {
		ov := getJSON(t, s, "POST", "/options_overlay", `{"model_id":"`+model+`","option_mode":"`+mode+`","spread_width":2}`, 200)
		if num(t, ov, "count") != 3 || num(t, ov, "written") != 3 {
			t.Fatalf("%s overlay: %.500v", mode, ov)
		}
	}
	os := getJSON(t, s, "GET", "/option_signals?model_id="+model, "", 200)
	if num(t, os, "total") != 3 {
		t.Fatalf("option_signals: %.300v", os)
	}

	// Fill two of the signals: one winner, one loser.
	sigs := gen["signals"].([]any)
	row := func(i int, pnl string) string {
		sg := sigs[i].(map[string]any)
		ts, _ := time.Parse(time.RFC3339, sg["ts"].(string))
		return fmt.Sprintf("%s,%s,balanced,SPY,%s,%v,%v,0.01,filled,2,%s,e2e-fill\n", ts.Add(2*time.Minute).Format(time.RFC3339), model,
			sg["side"], sg["entry_ref_px"], sg["entry_ref_px"], pnl)
	}
	csv := "ts,model_id,risk_profile,ticker,side,entry_ref_px,fill_px,slippage,status,rr,pnl,tag\n" + row(0, "12.5") + row(1, "-3.2")
	st, body := postCSV(t, s, "/signals/import", csv)
	expect(t, st, body, 200, `"updated":2`)
	st, body = postCSV(t, s, "/signals/import", csv)
	expect(t, st, body, 200, `"unchanged":2`)
	sum := getJSON(t, s, "GET", "/signals/summary?model_id="+model+"&start=2024-12-31&end=2024-12-31", "", 200)
	if num(t, sum, "metrics.trades") != 2 || num(t, sum, "metrics.win_rate") != 0.5 || sum["metrics"].(map[string]any)["perf_source"] != "pnl" {
		t.Fatalf("summary: %.500v", sum)
	}
	getJSON(t, s, "GET", "/signals/leaderboard", "", 200)
	getJSON(t, s, "GET", "/models/"+model+"/performance", "", 200)
	if n := num(t, getJSON(t, s, "GET", "/signals?q=tag:e2e-fill", "", 200), "total"); n != 2 {
		t.Fatalf("search by tag: %v", n)
	}

	// kill -9 right after a write, then restart: the index agrees with the store.
	getJSON(t, s, "POST", "/scan", `{"tickers":"SPY,AAPL,MSFT","start":"2024-10-01","end":"2024-12-31","gates_only":false,"tag":"e2e-scan"}`, 200)
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s = start(t, bin, data)
	defer s.stop(t)
	if n := num(t, getJSON(t, s, "GET", "/signals?q=tag:e2e-scan", "", 200), "total"); n != 3 {
		t.Fatalf("scan signals after kill -9: %v", n)
	}
	if n := num(t, getJSON(t, s, "GET", "/signals?q="+model, "", 200), "total"); n != 3 {
		t.Fatalf("model signals after kill -9: %v", n)
	}
}
