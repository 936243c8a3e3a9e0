package httpapi_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLongSyncRequestBecomesJob: a synchronous backtest or sweep whose
// training (rows × folds × rounds) is beyond the bound answers 202 with a job
// id and why, and the job completes; under the bound it answers in place.
func TestLongSyncRequestBecomesJob(t *testing.T) {
	env := demoEnvWithMatrix(t)
	model := demoModel
	body := map[string]any{"model_id": model, "splits": 3, "save": false, "hyperparams": map[string]any{"n_estimators": 20, "max_depth": 3}}
	if code, out := env.JSON("POST", "/backtest", body); code != 200 || out["result"] == nil {
		t.Fatalf("under the bound: %d %v", code, out["error"])
	}
	env.App.Lab.MaxSyncWork = 1000 // rows × 3 folds × 20 rounds is far beyond
	for _, route := range []string{"/backtest", "/backtest_sweep"} {
		code, out := env.JSON("POST", route, body)
		msg, _ := out["message"].(string)
		id, _ := out["job_id"].(string)
		if code != 202 || id == "" || !strings.Contains(msg, "running as a job") {
			t.Fatalf("%s beyond the bound: %d %v", route, code, out)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			_, j := env.JSON("GET", "/jobs/"+id, nil)
			job, _ := j["job"].(map[string]any)
			if job == nil {
				job = j
			}
			if st := job["status"]; st == "completed" {
				break
			} else if st == "failed" || time.Now().After(deadline) {
				t.Fatalf("%s job: %v", route, j)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestBacktestJobProgressPerFold: a backtest job's progress moves fold by
// fold ("training fold k of n"), not from its start straight to done.
func TestBacktestJobProgressPerFold(t *testing.T) {
	env := demoEnvWithMatrix(t)
	model := demoModel
	code, out := env.JSON("POST", "/backtest", map[string]any{"model_id": model, "splits": 6, "save": false, "async": true,
		"hyperparams": map[string]any{"n_estimators": 400, "max_depth": 4}})
	id, _ := out["job_id"].(string)
	if code != 202 || id == "" {
		t.Fatalf("submit: %d %v", code, out)
	}
	jobID, _ := strconv.ParseInt(id, 10, 64)
	seen := map[string]bool{}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j, err := env.App.Lab.Jobs.Get(context.Background(), jobID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Progress > 0.05 && j.Progress < 1 && strings.HasPrefix(j.Message, "training fold ") {
			seen[j.Message] = true
		}
		if j.Status == "completed" {
			break
		}
		if j.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("job %+v", j)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if len(seen) < 2 {
		t.Fatalf("progress moved through %d fold steps (%v), want several", len(seen), seen)
	}
}
