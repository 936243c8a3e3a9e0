package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

// readmeBody is one request body of a curl example in README.md.
type readmeBody struct {
	route string
	body  string
}

// curlBodyRE finds `curl … localhost:8001/ROUTE … --json '{…}'` (or -d); the
// body may span lines.
var curlBodyRE = regexp.MustCompile(`curl [^\n]*?localhost:8001(/[a-z_/]+)[^'\n]*?(?:--json|-d) '([^']*)'`)

// cliRoutes maps each long-running route to the subcommand that takes its
// body as --body.
var cliRoutes = map[string][]string{
	"/build_matrix":       {"build"},
	"/build_stock_matrix": {"build", "--stock"},
	"/preview_matrix":     {"build", "--preview"},
	"/train":              {"train"},
	"/backtest":           {"backtest"},
	"/backtest_sweep":     {"sweep"},
	"/data/import":        {"import"},
}

func readmeBodies(t *testing.T) []readmeBody {
	t.Helper()
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []readmeBody
	for _, m := range curlBodyRE.FindAllStringSubmatch(string(text), -1) {
		out = append(out, readmeBody{route: m[1], body: m[2]})
	}
	return out
}

// TestReadmeBodies runs every request body of the README's curl examples for
// the long-running routes through the API and through the CLI's --body, each
// on its own copy of one freshly seeded data dir, and checks that both answer
// the same JSON. The README's other examples that change state (POST /models)
// set up both copies, as does a smaller tree count for the two models trained
// (setup only: the bodies run verbatim).
func TestReadmeBodies(t *testing.T) {
	bodies := readmeBodies(t)
	seen := map[string]bool{}
	var cases, setup []readmeBody
	for _, b := range bodies {
		if !json.Valid([]byte(b.body)) {
			t.Fatalf("README body of %s is not JSON: %s", b.route, b.body)
		}
		if cliRoutes[b.route] != nil {
			seen[b.route] = true
			cases = append(cases, b)
		} else if b.route == "/models" {
			setup = append(setup, b)
		}
	}
	for r := range cliRoutes {
		if !seen[r] {
			t.Errorf("README has no curl example with a body for %s", r)
		}
	}
	if len(setup) == 0 {
		t.Error("README has no POST /models example")
	}
	if t.Failed() {
		return
	}
	if testing.Short() {
		t.Skip("seeds a demo year and trains several models")
	}

	seed := filepath.Join(t.TempDir(), "seed")
	seedReadmeData(t, seed, setup, cases)
	apiDir, cliDir := filepath.Join(t.TempDir(), "api"), filepath.Join(t.TempDir(), "cli")
	copyTree(t, seed, apiDir)
	copyTree(t, seed, cliDir)

	env := apitest.NewWith(t, app.Config{DataDir: apiDir})
	bodyFile := filepath.Join(t.TempDir(), "req.json")
	for i, c := range cases {
		name := fmt.Sprintf("%d %s", i+1, c.route)
		api := apiAnswer(t, env, c)

		if err := os.WriteFile(bodyFile, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		args := append(append([]string{}, cliRoutes[c.route]...), "--data", cliDir, "--body", bodyFile, "--progress", "never")
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("%s: sigmalab %s: exit %d: %s", name, strings.Join(args, " "), code, errb.String())
		}
		var cli map[string]any
		if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
			t.Fatalf("%s: CLI output is not JSON: %v: %.300s", name, err, out.String())
		}
		if cli["ok"] != true {
			t.Fatalf("%s: CLI answer without ok:true: %.300s", name, out.String())
		}
		t.Logf("%s: %d keys, API and CLI", name, len(api))
		if diffs := jsonDiff("", normalizeAnswer(api), normalizeAnswer(cli)); len(diffs) > 0 {
			if len(diffs) > 20 {
				diffs = append(diffs[:20], fmt.Sprintf("… %d more", len(diffs)-20))
			}
			t.Errorf("%s %s: API and CLI answers differ:\n%s", name, c.body, strings.Join(diffs, "\n"))
		}
	}
}

// seedReadmeData seeds a demo market covering every README body (SPY only),
// runs the README's setup bodies, trims the trees of the models the bodies
// train, and puts the file the import body names in place.
func seedReadmeData(t *testing.T, dir string, setup, cases []readmeBody) {
	t.Helper()
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-01-02", "2024-12-31", "2024-10-01"
	cfg.Tickers = cfg.Tickers[:1]
	if cfg.Tickers[0].Ticker != "SPY" {
		t.Fatalf("demo ticker %q, want SPY first", cfg.Tickers[0].Ticker)
	}
	env := apitest.NewWith(t, app.Config{DataDir: dir, Demo: true, DemoMarket: &cfg})
	for _, s := range setup {
		if st, b := env.Do("POST", s.route, s.body); st != 200 {
			t.Fatalf("setup POST %s %s: %d %s", s.route, s.body, st, b)
		}
	}
	models := map[string]bool{}
	for _, c := range cases {
		var b struct {
			ModelID string `json:"model_id"`
			Path    string `json:"path"`
		}
		if err := json.Unmarshal([]byte(c.body), &b); err != nil {
			t.Fatal(err)
		}
		if b.ModelID != "" && (c.route == "/train" || c.route == "/backtest" || c.route == "/backtest_sweep") {
			models[b.ModelID] = true
		}
		if b.Path != "" {
			writePolygonCacheFile(t, filepath.Join(dir, filepath.FromSlash(b.Path)))
		}
	}
	for m := range models {
		if st, b := env.Do("PATCH", "/models/"+m, `{"config":{"hyperparams":{"n_estimators":30}}}`); st != 200 {
			t.Fatalf("setup PATCH %s: %d %s", m, st, b)
		}
	}
	// Close now so the copies are of a closed data dir (the cleanup then has
	// nothing left to close).
	env.Server.Close()
	if err := env.App.Close(); err != nil {
		t.Fatal(err)
	}
	env.App, env.Server = nil, nil
}

// writePolygonCacheFile writes hourly SPY bars in the Polygon cache-file
// format (the name says ticker, timeframe and range).
func writePolygonCacheFile(t *testing.T, path string) {
	t.Helper()
	var rows []string
	px := 545.0
	for _, day := range []string{"2024-07-01", "2024-07-02", "2024-07-03"} {
		for h := 14; h < 20; h++ {
			rows = append(rows, fmt.Sprintf(`{"date": "%s %02d:00:00+00:00", "open": %.2f, "high": %.2f, "low": %.2f, "close": %.2f, "volume": %d}`,
				day, h, px, px+0.8, px-0.6, px+0.3, 40000+h*100))
			px += 0.3
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("["+strings.Join(rows, ", ")+"]"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// apiAnswer sends one body to its route; an async body (202 and a job) is
// waited for and answers with the job's result, which is what the route
// answers without async and what the CLI prints.
func apiAnswer(t *testing.T, env *apitest.Env, c readmeBody) map[string]any {
	t.Helper()
	st, b := env.Do("POST", c.route, c.body)
	var ans map[string]any
	if err := json.Unmarshal(b, &ans); err != nil {
		t.Fatalf("POST %s: not JSON: %.300s", c.route, b)
	}
	switch st {
	case 200:
		return ans
	case 202:
	default:
		t.Fatalf("POST %s %s: %d %.500s", c.route, c.body, st, b)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		st, b := env.Do("GET", fmt.Sprintf("/jobs/%v", ans["job_id"]), nil)
		var job map[string]any
		if st != 200 || json.Unmarshal(b, &job) != nil {
			t.Fatalf("GET /jobs/%v: %d %.300s", ans["job_id"], st, b)
		}
		switch job["status"] {
		case "completed":
			res, _ := job["result"].(map[string]any)
			if res == nil {
				t.Fatalf("job %v: no result: %.300s", ans["job_id"], b)
			}
			res["ok"] = true
			return res
		case "failed", "cancelled", "interrupted":
			t.Fatalf("job %v: %.500s", ans["job_id"], b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %v not done: %.300s", ans["job_id"], b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Normalised before comparing: durations (keys ending in _ms: train_ms,
// training_ms, eval_ms), the run ids of a sweep's cells (backtest_run_id,
// given in the order the parallel workers finish the cells), and time stamps
// inside strings (artifact names such as bt-20260102t150405000-… in
// plots_uri: the API runs on a fixed test clock, the CLI on the wall clock).
var clockNamed = regexp.MustCompile(`\d{8}t\d{6,9}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)

// normalizeAnswer replaces durations, cell run ids and time stamps.
func normalizeAnswer(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k == "backtest_run_id" || strings.HasSuffix(k, "_ms") {
				out[k] = "<volatile>"
				continue
			}
			out[k] = normalizeAnswer(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeAnswer(e)
		}
		return out
	case string:
		return clockNamed.ReplaceAllString(x, "<time>")
	}
	return v
}

// jsonDiff lists the paths where a and b differ.
func jsonDiff(path string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %.80v vs %.80v", path, a, b)}
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		var out []string
		for _, k := range names {
			out = append(out, jsonDiff(path+"."+k, x[k], y[k])...)
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return []string{fmt.Sprintf("%s: %.80v vs %.80v", path, a, b)}
		}
		var out []string
		for i := range x {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return []string{fmt.Sprintf("%s: %.80v vs %.80v", path, a, b)}
	}
	return nil
}

// copyTree copies a closed data dir.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(to, info.Mode().Perm()|0o700)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copy data dir: %v", err)
	}
}
