package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// jobState polls GET /jobs/{id} and decodes it.
func jobState(t *testing.T, s *server, id string) map[string]any {
	t.Helper()
	st, b := s.call(t, "GET", "/jobs/"+id, "")
	if st != 200 {
		t.Fatalf("GET /jobs/%s: %d %s", id, st, b)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(b), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSweepSurvivesKill9 starts a sweep job, kills the server with SIGKILL
// while the job trains its predictions, restarts it, and checks the job comes
// back interrupted with no sweep row left behind (a sweep is recorded once its
// predictions are ready, so a request that fails before leaves none), that a
// retry completes it, and that the database is intact.
func TestSweepSurvivesKill9(t *testing.T) {
	bin := binary(t)
	data := filepath.Join(t.TempDir(), "data")
	// The half year the matrix is built on, options only in its last week.
	s := start(t, bin, data, "--demo-range", "2024-01-02:2024-06-28:2024-06-24")
	st, b := s.call(t, "POST", "/build_matrix", `{"model_id":"spy_eq_intraday_hourly","start":"2024-01-02","end":"2024-06-28"}`)
	expect(t, st, b, 200, `"build_id":"b00000001"`)
	// Enough trees (early stopping off) that training takes seconds: the kill lands while the job runs.
	st, b = s.call(t, "POST", "/backtest_sweep", `{"model_id":"spy_eq_intraday_hourly","pack_id":"momentumsigma","async":true,
		"thresholds_variants":["0.5,0.52","0.55,0.6"],"allowed_hours_variants":["13,14,15",""],"top_pct_variants":[0.1,0.2],
		"hyperparams":{"n_estimators":3000,"max_depth":4,"early_stopping_rounds":0}}`)
	expect(t, st, b, 202, `"job_id":"1"`)
	deadline := time.Now().Add(60 * time.Second)
	for jobState(t, s, "1")["status"] != "running" {
		if time.Now().After(deadline) {
			t.Fatal("job never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if j := jobState(t, s, "1"); j["status"] != "running" {
		t.Fatalf("job finished before the kill; make it longer: %v", j["status"])
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()

	s = start(t, bin, data)
	defer s.stop(t)
	j := jobState(t, s, "1")
	if j["status"] != "interrupted" || j["finished_at"] == nil {
		t.Fatalf("after kill -9: %v", j)
	}
	st, b = s.call(t, "GET", "/sweeps", "")
	expect(t, st, b, 200, `"total":0`)
	st, b = s.call(t, "GET", "/healthz", "")
	expect(t, st, b, 200, `"db":true`)

	st, b = s.call(t, "POST", "/jobs/1/retry", "")
	expect(t, st, b, 202, `"job_id":"1"`)
	deadline = time.Now().Add(5 * time.Minute)
	for {
		j = jobState(t, s, "1")
		if j["status"] == "completed" {
			break
		}
		if j["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("retry: %v", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if j["attempts"] != 2.0 {
		t.Fatalf("attempts %v", j["attempts"])
	}
	res := j["result"].(map[string]any)
	if res["sweep_id"] != 1.0 || res["count"] != 8.0 || res["status"] != "completed" {
		t.Fatalf("result %v", res)
	}
	st, b = s.call(t, "GET", "/sweeps/1", "")
	expect(t, st, b, 200, `"status":"completed"`, `"count":8`)
	st, b = s.call(t, "GET", "/leaderboard?tag=sweep&limit=50", "")
	expect(t, st, b, 200, `"total":8`)
}
