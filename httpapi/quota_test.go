package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/jobs"
	"sigmalab/httpapi"
	"sigmalab/httpapi/apitest"
)

// TestQuotasTripAndReset: the daily quota admits exactly its limit, answers
// 429 naming the quota and its reset with Retry-After, and resets at UTC
// midnight; the concurrent quota counts the user's queued and running jobs;
// refused or failed requests do not use the quota.
func TestQuotasTripAndReset(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	env := &authEnv{Env: apitest.NewWith(t, app.Config{Now: clock,
		HTTP: httpapi.Options{Auth: httpapi.AuthOptions{AdminToken: testAdminToken}}}),
		tokens: map[string]string{"admin": testAdminToken}}
	env.tokens["researcher"] = env.createUser(t, "rita", "researcher")

	// Trainings block until released, so they stay running while counted.
	release := make(chan struct{})
	jobs.Register(env.App.Lab.Jobs, engine.TrainJobKind, jobs.Light, func(ctx context.Context, _ *jobs.Task, _ json.RawMessage) (any, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return map[string]int{"done": 1}, nil
	})
	train := map[string]any{"model_id": "spy_opt_0dte_hourly", "async": true}
	post := func() (*http.Response, []byte) {
		return env.DoResponse("POST", "/train", train, env.bearer("researcher"))
	}
	env.Run(t, []apitest.Scenario{{Name: "limits", Method: "PATCH", URL: "/admin/quotas", Headers: env.bearer("admin"),
		Body: map[string]any{"user_id": "rita", "train_per_day": 3, "train_concurrent": 2}}})

	// A refused request (422) does not count.
	if resp, body := env.DoResponse("POST", "/train", map[string]any{"model_id": "x", "calibration": "bogus", "async": true},
		env.bearer("researcher")); resp.StatusCode != 422 {
		t.Fatalf("bad train: %d %s", resp.StatusCode, body)
	}
	for i := 0; i < 2; i++ {
		if resp, body := post(); resp.StatusCode != 202 {
			t.Fatalf("train %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := post()
	if resp.StatusCode != 429 || !strings.Contains(string(body), "train_concurrent") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third concurrent train: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	close(release)
	waitJobs(t, env.App.Lab.Jobs)

	if resp, body := post(); resp.StatusCode != 202 {
		t.Fatalf("third train of the day: %d %s", resp.StatusCode, body)
	}
	waitJobs(t, env.App.Lab.Jobs)
	resp, body = post()
	if resp.StatusCode != 429 || !strings.Contains(string(body), `quota train_per_day exceeded for user rita: 3 per day; resets at 2026-01-03T00:00:00Z`) ||
		!strings.Contains(string(body), `"code":"quota_exceeded"`) || resp.Header.Get("Retry-After") != "3600" {
		t.Fatalf("fourth train: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	_, body = env.DoHeaders("GET", "/admin/quotas?user=rita", nil, env.bearer("admin"))
	if !strings.Contains(string(body), `"train_today":3`) {
		t.Errorf("usage: %s", body)
	}
	// The admin token has no quota.
	if resp, body := env.DoResponse("POST", "/train", train, env.bearer("admin")); resp.StatusCode != 202 {
		t.Fatalf("admin train: %d %s", resp.StatusCode, body)
	}
	waitJobs(t, env.App.Lab.Jobs)

	mu.Lock()
	now = now.Add(time.Hour) // UTC midnight: a new day
	mu.Unlock()
	if resp, body := post(); resp.StatusCode != 202 {
		t.Fatalf("after the reset: %d %s", resp.StatusCode, body)
	}
	waitJobs(t, env.App.Lab.Jobs)
}

// waitJobs waits until no job is queued or running, in the runner and in
// the stored records (the quota counts the stored ones).
func waitJobs(t *testing.T, r *jobs.Runner) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	active := func(s jobs.Status) int {
		_, n, err := r.List(context.Background(), jobs.Filter{Status: s, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for time.Now().Before(deadline) {
		st := r.Stats()
		if len(st.Queued) == 0 && len(st.Running) == 0 && active(jobs.Queued) == 0 && active(jobs.Running) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("jobs did not finish")
}

func TestRateLimitPerToken(t *testing.T) {
	env := newAuthEnv(t, httpapi.AuthOptions{RateLimitPerMin: 3})
	// newAuthEnv spent two requests of the admin token's bucket creating users.
	for i := 0; i < 3; i++ {
		if st, body := env.DoHeaders("GET", "/models", nil, env.bearer("viewer")); st != 200 {
			t.Fatalf("request %d: %d %s", i+1, st, body)
		}
	}
	resp, body := env.DoResponse("GET", "/models", nil, env.bearer("viewer"))
	if resp.StatusCode != 429 || !strings.Contains(string(body), `"code":"rate_limited"`) || resp.Header.Get("Retry-After") != "20" {
		t.Fatalf("fourth request: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	// Another token has its own bucket; anonymous callers share their address's.
	if st, body := env.DoHeaders("GET", "/models", nil, env.bearer("researcher")); st != 200 {
		t.Fatalf("other token: %d %s", st, body)
	}
	for i := 0; i < 3; i++ {
		env.Do("GET", "/models", nil)
	}
	if st, _ := env.Do("GET", "/models", nil); st != 429 {
		t.Fatalf("anonymous fourth: %d", st)
	}
}

// TestFlagsGateBehaviour: each flag changes what its route does.
func TestFlagsGateBehaviour(t *testing.T) {
	env := newAuthEnv(t, httpapi.AuthOptions{})
	adm := env.bearer("admin")
	env.Run(t, []apitest.Scenario{
		{Name: "import off", Method: "PATCH", URL: "/admin/flags", Headers: adm, Body: map[string]any{"key": "data_import", "enabled": false}},
		{Name: "import refused", Method: "POST", URL: "/data/import", Body: map[string]any{"paths": []string{"x.csv"}}, Status: 403,
			Contains: []string{`"code":"disabled"`, `data_import`}},
		{Name: "async only", Method: "PATCH", URL: "/admin/flags", Headers: adm,
			Body: map[string]any{"flags": map[string]bool{"async_only_heavy": true, "data_import": true}}},
		{Name: "sync heavy refused", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "spy_opt_0dte_hourly"},
			Status: 409, Contains: []string{`"code":"async_required"`}},
		{Name: "sync allowed again", Method: "PATCH", URL: "/flags", Headers: adm, Body: map[string]any{"key": "async_only_heavy", "enabled": false}},
		{Name: "import back on: reaches the route", Method: "POST", URL: "/data/import", Body: map[string]any{"paths": []string{"x.csv"}},
			NotContains: []string{`"code":"disabled"`}, Status: 422},
	})
	if env.App.API.FlagEnabled(context.Background(), "signals_generate") != true {
		t.Error("signals_generate defaults to on")
	}
	env.DoHeaders("PATCH", "/admin/flags", map[string]any{"key": "signals_generate", "enabled": false}, adm)
	if err := env.App.API.CheckFlag(context.Background(), "signals_generate"); err == nil || !strings.Contains(err.Error(), "signals_generate") {
		t.Errorf("CheckFlag after disabling: %v", err)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "generation refused", Method: "POST", URL: "/signals/generate", Body: map[string]any{"model_id": "spy_opt_0dte_hourly"},
			Status: 403, Contains: []string{`"code":"disabled"`, `signals_generate`}},
	})
}

// TestTokensNeverInClear greps every file of the data dir and the captured
// log for a token that was created, used, rotated and sent wrong.
func TestTokensNeverInClear(t *testing.T) {
	var logBuf syncBuffer
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, Log: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP: httpapi.Options{Auth: httpapi.AuthOptions{AdminToken: testAdminToken}}}
	env := &authEnv{Env: apitest.NewWith(t, cfg), tokens: map[string]string{"admin": testAdminToken}}
	tok := env.createUser(t, "rita", "researcher")
	env.tokens["researcher"] = tok
	env.DoHeaders("GET", "/models", nil, env.bearer("researcher"))
	env.DoHeaders("GET", "/models", nil, map[string]string{"X-Admin-Token": tok + "x"})
	env.DoHeaders("POST", "/admin/users/rita/rotate_token", nil, env.bearer("admin"))
	env.DoHeaders("GET", "/jobs", nil, env.bearer("researcher"))
	env.Restart() // flush everything to disk
	secrets := []string{tok, tok[len("sl_"):], testAdminToken}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds a token in clear", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if logBuf.Len() == 0 {
		t.Fatal("nothing was logged: the check would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(logBuf.String(), s) {
			t.Errorf("the log holds a token in clear")
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Len() }

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
