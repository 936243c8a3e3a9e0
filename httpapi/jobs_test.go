package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"sigmalab/engine/jobs"
	"sigmalab/httpapi/apitest"
)

// TestJobRoutes drives a job kind registered the way domains register theirs,
// through the real wiring (bbolt in a temp dir), then restarts the app mid-job.
func TestJobRoutes(t *testing.T) {
	env := apitest.New(t)
	release := make(chan struct{})
	register := func() {
		jobs.Register(env.App.Lab.Jobs, "echo", jobs.Light, func(ctx context.Context, tk *jobs.Task, p struct {
			N     int  `json:"n"`
			Wait  bool `json:"wait"`
			Block bool `json:"block"`
		}) (any, error) {
			tk.Progress(0.25, "a quarter")
			if p.Block {
				<-ctx.Done()
				return map[string]int{"partial": p.N}, ctx.Err()
			}
			if p.Wait {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-release:
				}
			}
			return map[string]int{"n": p.N}, nil
		})
	}
	register()
	submit := func(params any) int64 {
		t.Helper()
		j, err := env.App.Lab.Jobs.Submit(context.Background(), "echo", "", params)
		if err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	waitFor := func(id int64, status string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, body := env.JSON("GET", "/jobs/"+itoa(id), nil)
			if code == 200 && body["status"] == status {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d: %d %v, want %s", id, code, body, status)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	done := submit(map[string]int{"n": 3})
	body := waitFor(done, "completed")
	if body["progress"] != 1.0 || body["job_id"] != itoa(done) || body["kind"] != "echo" {
		t.Fatalf("%v", body)
	}
	if r, _ := json.Marshal(body["result"]); string(r) != `{"n":3}` {
		t.Fatalf("result %s", r)
	}
	running := submit(map[string]any{"n": 4, "wait": true})
	waitFor(running, "running")

	env.Run(t, []apitest.Scenario{
		{Name: "list", URL: "/jobs?limit=1", Contains: []string{`"rows":[{"id":` + itoa(running), `"next_offset":1`, `"total":2`}},
		{Name: "list by status", URL: "/jobs?status=completed", Contains: []string{`"total":1`}, NotContains: []string{`"result"`}},
		{Name: "list with results", URL: "/jobs?status=completed&include_result=true", Contains: []string{`"result":{"n":3}`}},
		{Name: "bad status", URL: "/jobs?status=done", Status: 422, Contains: []string{`"loc":["query","status"]`}},
		{Name: "bad id", URL: "/jobs/abc", Status: 422, Contains: []string{`"loc":["path","id"]`}},
		{Name: "unknown id", URL: "/jobs/999", Status: 404, Contains: []string{`"code":"not_found"`}},
		{Name: "retry completed", Method: "POST", URL: "/jobs/" + itoa(done) + "/retry", Status: 409},
		{Name: "cancel completed", Method: "POST", URL: "/jobs/" + itoa(done) + "/cancel", Status: 409},
	})

	// Restart while the job runs: it must come back interrupted and retry must finish it.
	env.Restart()
	register()
	close(release)
	waitFor(running, "interrupted")
	env.Run(t, []apitest.Scenario{
		{Name: "retry interrupted", Method: "POST", URL: "/jobs/" + itoa(running) + "/retry", Status: 202,
			Contains: []string{`"job_id":"` + itoa(running) + `"`}},
	})
	body = waitFor(running, "completed")
	if body["attempts"] != 2.0 {
		t.Fatalf("%v", body)
	}

	// Cancel a running job through the API.
	blocked := submit(map[string]any{"n": 5, "block": true})
	waitFor(blocked, "running")
	env.Run(t, []apitest.Scenario{
		{Name: "cancel running", Method: "POST", URL: "/jobs/" + itoa(blocked) + "/cancel", Contains: []string{`"message":"cancel requested"`}},
	})
	body = waitFor(blocked, "cancelled")
	if r, _ := json.Marshal(body["result"]); string(r) != `{"partial":5}` {
		t.Fatalf("partial result %s", r)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
