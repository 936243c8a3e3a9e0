package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
	"sigmalab/httpapi/apitest"
)

// getURL GETs a URL an answer pointed to and checks it serves something.
func getURL(t *testing.T, env *apitest.Env, what, u string) {
	t.Helper()
	if !strings.HasPrefix(u, "/") {
		t.Fatalf("%s: %q is not an API URL", what, u)
	}
	if code, body := env.Do("GET", u, nil); code != 200 || len(body) == 0 {
		t.Fatalf("%s: GET %s: %d %.300s", what, u, code, body)
	}
}

// TestStoredThingsHaveURLs: build, train, backtest and sweep answers point
// to what they stored with an API URL a client can GET (beside the data-dir
// paths they already carried), and a sweep's runs[i].result carries
// best_sharpe_hourly and best_cum_ret at its top level, as POST /backtest does.
func TestStoredThingsHaveURLs(t *testing.T) {
	if testing.Short() {
		t.Skip("demo market and training")
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-09-30", "2024-09-27"
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
	model := "spy_eq_intraday_hourly"
	hp := map[string]any{"n_estimators": 15, "max_depth": 3}

	code, b := env.JSON("POST", "/build_matrix", map[string]any{"model_id": model, "start": "2024-07-01", "end": "2024-09-30"})
	if code != 200 {
		t.Fatalf("build: %d %v", code, b)
	}
	// out_csv stays (the predecessor's key: here the matrix file's data-dir
	// path); matrix_url downloads it.
	if p, _ := b["out_csv"].(string); !strings.HasSuffix(p, ".parquet") || b["matrix_path"] != p {
		t.Fatalf("out_csv %v matrix_path %v", b["out_csv"], b["matrix_path"])
	}
	if b["matrix_url"] != "/matrices/"+model+"/"+b["build_id"].(string) {
		t.Fatalf("matrix_url %v", b["matrix_url"])
	}
	getURL(t, env, "matrix_url", b["matrix_url"].(string))
	getURL(t, env, "build card_url", b["card_url"].(string))

	code, tr := env.JSON("POST", "/train", map[string]any{"model_id": model, "hyperparams": hp})
	if code != 200 {
		t.Fatalf("train: %d %v", code, tr)
	}
	if tr["model_out_url"] != "/artifacts/"+tr["artifact_id"].(string) || tr["model_out_uri"] == "" {
		t.Fatalf("model_out_url %v artifact %v", tr["model_out_url"], tr["artifact_id"])
	}
	getURL(t, env, "model_out_url", tr["model_out_url"].(string))
	getURL(t, env, "train card_url", tr["card_url"].(string))

	code, bt := env.JSON("POST", "/backtest", map[string]any{"model_id": model, "splits": 3, "thresholds": "0.4,0.5",
		"hyperparams": hp, "save": true})
	if code != 200 {
		t.Fatalf("backtest: %d %v", code, bt)
	}
	for _, k := range []string{"plots_url", "card_url"} {
		u, _ := bt[k].(string)
		if !strings.HasPrefix(u, "/artifacts/") || bt[strings.TrimSuffix(k, "url")+"uri"] == "" {
			t.Fatalf("%s %v (uri %v)", k, bt[k], bt[strings.TrimSuffix(k, "url")+"uri"])
		}
		getURL(t, env, k, u)
	}

	code, sw := env.JSON("POST", "/backtest_sweep", map[string]any{"model_id": model, "splits": 3,
		"thresholds_variants": []string{"0.4", "0.5"}, "hyperparams": hp, "tag": "urls"})
	if code != 200 {
		t.Fatalf("sweep: %d %v", code, sw)
	}
	if sw["report_url"] != "/artifacts/"+sw["report_artifact_id"].(string) || sw["report_path"] == nil {
		t.Fatalf("report_url %v report_path %v", sw["report_url"], sw["report_path"])
	}
	getURL(t, env, "report_url", sw["report_url"].(string))
	runs := sw["runs"].([]any)
	if len(runs) == 0 {
		t.Fatalf("no runs: %v", sw)
	}
	res := runs[0].(map[string]any)["result"].(map[string]any)
	met := runs[0].(map[string]any)["metrics"].(map[string]any)
	for _, k := range []string{"best_sharpe_hourly", "best_cum_ret"} {
		v, ok := res[k]
		if !ok || v != met[k] || v != res["_summary"].(map[string]any)[k] {
			t.Fatalf("runs[0].result.%s = %v (present %v), metrics %v", k, v, ok, met[k])
		}
	}
	// The stored rows carry the URLs too.
	rowURL := func(listURL, key string) {
		t.Helper()
		_, l := env.JSON("GET", listURL, nil)
		rows, _ := l["rows"].([]any)
		if len(rows) == 0 {
			t.Fatalf("%s: no rows: %v", listURL, l)
		}
		u := ""
		for _, r := range rows { // sweep cells have no plot: the saved backtest does
			if v, _ := r.(map[string]any)[key].(string); v != "" && u == "" {
				u = v
			}
		}
		getURL(t, env, listURL+" "+key, u)
	}
	rowURL("/build_runs?model_id="+model, "matrix_url")
	rowURL("/training_runs?model_id="+model, "model_out_url")
	rowURL("/leaderboard?model_id="+model+"&order_by=created_at&limit=100", "plots_url")
	rowURL("/leaderboard?model_id="+model+"&order_by=created_at&limit=100", "matrix_url")
	_, rec := env.JSON("GET", fmt.Sprintf("/sweeps/%v", sw["sweep_id"]), nil)
	if sr, _ := rec["sweep"].(map[string]any); sr == nil || sr["report_url"] != sw["report_url"] {
		t.Fatalf("stored sweep lacks report_url: %v", rec)
	}
	trim, _ := json.Marshal(map[string]any{"matrix_url": b["matrix_url"], "model_out_url": tr["model_out_url"],
		"plots_url": bt["plots_url"], "card_url": bt["card_url"], "report_url": sw["report_url"],
		"result.best_sharpe_hourly": res["best_sharpe_hourly"], "result.best_cum_ret": res["best_cum_ret"]})
	t.Logf("%s", trim)
}

// TestModelDocumentPaths: POST /models answers paths {config, policy}, PATCH
// answers path and config, GET /models rows carry path; every one is an API
// URL that serves the stored document, never a server file path.
func TestModelDocumentPaths(t *testing.T) {
	env := apitest.New(t)
	cfgURL := "/model_config?model_id=qqq_opt_0dte_hourly&pack_id=zerosigma"
	polURL := "/policy?model_id=qqq_opt_0dte_hourly&pack_id=zerosigma"
	env.Run(t, []apitest.Scenario{
		{Name: "create", Method: "POST", URL: "/models", Body: map[string]any{"ticker": "qqq"},
			Contains: []string{`"model_id":"qqq_opt_0dte_hourly"`, `"paths":{"config":"` + cfgURL + `","policy":"` + polURL + `"}`,
				`"message":"created"`}, NotContains: []string{`.yaml`, `packs/`}},
		{Name: "patch", Method: "PATCH", URL: "/models/qqq_opt_0dte_hourly", Body: `{"config":{"notes":"x"}}`,
			Contains: []string{`"path":"` + cfgURL + `"`, `"config":{`, `"notes":"x"`}},
		{Name: "list", URL: "/models?pack_id=zerosigma",
			Contains: []string{`"id":"qqq_opt_0dte_hourly","pack_id":"zerosigma"`, `"path":"` + cfgURL + `"`}},
		{Name: "one", URL: "/models/qqq_opt_0dte_hourly", Contains: []string{`"paths":{"config":"` + cfgURL + `"`}},
		{Name: "config path serves the config", URL: cfgURL, Contains: []string{`"config":{`, `"notes":"x"`, `"version":2`}},
		{Name: "policy path serves the policy", URL: polURL, Contains: []string{`"policy":{`, `"execution":`}},
	})
	var rows struct {
		Models []struct{ ID, Path string }
	}
	_, body := env.Do("GET", "/models?limit=500", nil)
	if err := json.Unmarshal(body, &rows); err != nil || len(rows.Models) < 2 {
		t.Fatalf("%v %s", err, body)
	}
	for _, m := range rows.Models {
		if !strings.HasPrefix(m.Path, "/model_config?model_id="+m.ID+"&pack_id=") {
			t.Fatalf("model %s path %q", m.ID, m.Path)
		}
	}
}

// TestPatchMergeDepth: PATCH /models/{id} is a JSON merge patch (RFC 7396).
// Patching one nested key keeps its siblings at every depth; null deletes a
// key; a list replaces the list it meets.
func TestPatchMergeDepth(t *testing.T) {
	env := apitest.New(t)
	if code, b := env.Do("POST", "/models", map[string]any{"ticker": "qqq"}); code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	url := "/models/qqq_opt_0dte_hourly"
	env.Run(t, []apitest.Scenario{
		// Two levels down: features.flow keeps per_distance, totals, ratios,
		// atm; features keeps dealer and time.
		{Name: "one key two levels down", Method: "PATCH", URL: url, Body: `{"config":{"features":{"flow":{"distance_max":5}}}}`,
			Contains: []string{`"flow":{"atm":true,"distance_max":5,"per_distance":true,"ratios":true,"totals":true}`,
				`"dealer":{`, `"time":{`}},
		// One level down: hyperparams keeps its other settings.
		{Name: "one key one level down", Method: "PATCH", URL: url, Body: `{"config":{"hyperparams":{"max_depth":6}}}`,
			Contains: []string{`"max_depth":6`, `"n_estimators":300`, `"learning_rate":0.08`}},
		{Name: "labels params sibling kept", Method: "PATCH", URL: url, Body: `{"config":{"labels":{"params":{"fixed_bp":2}}}}`,
			Contains: []string{`"k_sigma":0.3`, `"fixed_bp":2`, `"kind":"next_hour"`}},
		{Name: "null deletes", Method: "PATCH", URL: url, Body: `{"config":{"hyperparams":{"subsample":null}}}`,
			Contains: []string{`"max_depth":6`}, NotContains: []string{`"subsample"`}},
		{Name: "stored as merged", URL: "/model_config?model_id=qqq_opt_0dte_hourly",
			Contains:    []string{`"distance_max":5`, `"per_distance":true`, `"max_depth":6`, `"n_estimators":300`, `"version":5`},
			NotContains: []string{`"subsample"`}},
		{Name: "route summary says it", URL: "/", Contains: []string{"JSON merge patch (RFC 7396"}},
	})
}

// TestPolicyExplainPolicyAndNotes: GET /policy/explain keeps the contract
// shape (test_contract_policy_explain_shape: ok, schema_ok, schema_errors,
// execution_effective and checks objects) and adds policy (the document
// explained, null when none) and notes (its settings in sentences).
func TestPolicyExplainPolicyAndNotes(t *testing.T) {
	env := apitest.New(t)
	contract := func(t *testing.T, b map[string]any) {
		for _, k := range []string{"ok", "schema_ok", "schema_errors"} {
			if _, ok := b[k]; !ok {
				t.Fatalf("no %s: %v", k, b)
			}
		}
		if _, ok := b["execution_effective"].(map[string]any); !ok {
			t.Fatalf("execution_effective %v", b["execution_effective"])
		}
		if _, ok := b["checks"].(map[string]any); !ok {
			t.Fatalf("checks %v", b["checks"])
		}
		if _, ok := b["notes"].([]any); !ok {
			t.Fatalf("notes %v", b["notes"])
		}
	}
	if code, b := env.Do("POST", "/models", map[string]any{"ticker": "qqq"}); code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	pol := map[string]any{"risk": map[string]any{"max_drawdown": 0.2, "min_trades": 40}, "alerting": map[string]any{},
		"execution": map[string]any{"slippage_bps": 2.5, "size_by_conf": true, "conf_cap": 0.8, "momentum_gate": true,
			"momentum_min": 0.1, "brackets": map[string]any{"atr_mult_stop": 2, "atr_mult_target": 4, "entry_mode": "next_bar"}}}
	env.Run(t, []apitest.Scenario{
		{Name: "contract: no policy", URL: "/policy/explain?model_id=nonexistent_model&pack_id=zerosigma", Check: contract,
			Contains: []string{`"ok":false`, `"schema_ok":false`, `"missing policy: `, `"policy":null`,
				`"no policy stored: the defaults below apply"`, `"slippage 1 bp per trade, charged once on entry per unit of position"`,
				`"brackets: stop 1.5×ATR(14), target 3×ATR, time stop 120 min, entry next session open (defaults; bracket parity off`,
				`"gate: a backtest passes with at least 30 positions and a deflated Sharpe ≥ 0.95 (balanced risk profile`}},
		{Name: "alias", URL: "/validate_policy?model_id=nonexistent_model&pack_id=zerosigma", Check: contract, Contains: []string{`"policy":null`}},
		{Name: "scaffolded policy", URL: "/policy/explain?model_id=qqq_opt_0dte_hourly", Check: contract,
			Contains: []string{`"source":"store"`, `"policy":{`, `"execution":{`, `time stop 60 min, entry next bar (bracket parity on`}},
		{Name: "store a policy", Method: "PUT", URL: "/policy", Body: map[string]any{"model_id": "qqq_opt_0dte_hourly", "policy": pol}},
		{Name: "stored policy explained", URL: "/policy/explain?model_id=qqq_opt_0dte_hourly", Check: contract,
			Contains: []string{`"ok":true`, `"policy":{`, `"slippage_bps":2.5`,
				`"slippage 2.5 bps per trade`, `"size by confidence: min(max(0, 2·conf − 1), 0.8) per position"`,
				`"momentum gate: a row trades only when momentum_score_total ≥ 0.1"`,
				`"brackets: stop 2×ATR(14), target 4×ATR, time stop 120 min, entry next bar (bracket parity on`,
				`"gate: a backtest passes with at least 40 positions and a deflated Sharpe ≥ 0.95 (this policy's risk.min_trades`,
				`"max drawdown 20%: a run with a deeper drawdown fails the gate"`}},
	})
}

// TestListRoutesValidatePages: every list route reads limit and offset the
// same way (a non-integer or a negative offset is a 422 naming the field; a
// limit out of 1..500 is clamped) and pages with limit, offset, next_offset
// and total; /options/expirations honours weeks.
func TestListRoutesValidatePages(t *testing.T) {
	env := apitest.NewWith(t, app.Config{Demo: true, DemoMarket: shortDemo()})
	lists := []string{"/packs", "/model_templates", "/indicators", "/data/coverage", "/options/expirations?ticker=SPY",
		"/packs/zerosigma/templates", "/packs/zerosigma/indicator_sets", "/models", "/jobs", "/build_runs", "/training_runs",
		"/sweeps", "/leaderboard", "/model_cards", "/matrices/spy_opt_0dte_hourly"}
	var sc []apitest.Scenario
	for _, u := range lists {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		sc = append(sc,
			apitest.Scenario{Name: u + " limit=abc", URL: u + sep + "limit=abc", Status: 422,
				Contains: []string{`"loc":["query","limit"]`, `"type":"int_parsing"`}},
			apitest.Scenario{Name: u + " offset=-1", URL: u + sep + "offset=-1", Status: 422,
				Contains: []string{`"loc":["query","offset"]`, `"must be >= 0"`}},
			apitest.Scenario{Name: u + " offset=x", URL: u + sep + "offset=x", Status: 422, Contains: []string{`"loc":["query","offset"]`}},
			apitest.Scenario{Name: u + " limit clamped", URL: u + sep + "limit=9999", Contains: []string{`"limit":500`, `"next_offset":`}},
		)
	}
	sc = append(sc, []apitest.Scenario{
		{Name: "packs page", URL: "/packs?limit=2&offset=1",
			Contains: []string{`"packs":[{"id":"momentumsigma"`, `"count":2`, `"limit":2`, `"offset":1`, `"next_offset":3`, `"total":5`}},
		{Name: "templates page", URL: "/model_templates?limit=1", Contains: []string{`"count":1`, `"next_offset":1`, `"total":`}},
		{Name: "indicators page", URL: "/indicators?limit=5&offset=78",
			Contains: []string{`"count":2`, `"next_offset":null`, `"total":80`}},
		{Name: "coverage page", URL: "/data/coverage?ticker=SPY&limit=1", Contains: []string{`"count":1`, `"next_offset":1`, `"tickers":["SPY"]`}},
		// The demo's option data ends 2024-07-12; its last chain lists
		// expiries up to 2024-08-16.
		{Name: "expirations: weeks from the data's last date", URL: "/options/expirations?ticker=SPY&weeks=1",
			Contains: []string{`"start":"2024-07-12"`, `"end":"2024-07-19"`, `"start_from":"last_data_date"`, `"weeks":1`,
				`"date":"2024-07-12"`, `"date":"2024-07-15"`, `"total":2`},
			NotContains: []string{`"date":"2024-07-11"`, `"date":"2024-07-19"`}},
		{Name: "expirations: 12 weeks by default", URL: "/options/expirations?ticker=SPY",
			Contains: []string{`"weeks":12`, `"date":"2024-08-16"`, `"total":5`}},
		{Name: "expirations: from start", URL: "/options/expirations?ticker=SPY&start=2024-07-01&weeks=2",
			Contains:    []string{`"start":"2024-07-01"`, `"end":"2024-07-15"`, `"start_from":"request"`, `"date":"2024-07-01"`, `"date":"2024-07-12"`},
			NotContains: []string{`"date":"2024-06-28"`, `"date":"2024-07-15"`}},
		{Name: "expirations: paginated", URL: "/options/expirations?ticker=SPY&limit=2&offset=1",
			Contains: []string{`"expirations":[{"date":"2024-07-15"`, `"count":2`, `"next_offset":3`, `"total":5`}},
		{Name: "expirations: weeks=0", URL: "/options/expirations?ticker=SPY&weeks=0", Status: 422,
			Contains: []string{`"loc":["query","weeks"]`}},
		{Name: "expirations: no option data", URL: "/options/expirations?ticker=QQQ",
			Contains: []string{`"start":null`, `"start_from":"none"`, `"expirations":[]`, `"total":0`}},
	}...)
	env.Run(t, sc)
}

// TestErrorsSayItOnce: a not-found error names the thing once ("card x: not
// found", not "card not found: x: not found"), a status enum lists no empty
// option and echoes the value sent, and a malformed path or date parameter
// is quoted as the client sent it.
func TestErrorsSayItOnce(t *testing.T) {
	env := apitest.New(t)
	once := func(t *testing.T, b map[string]any) {
		msg, _ := b["error"].(string)
		if strings.Count(msg, "not found") != 1 {
			t.Fatalf("error says not found %d times: %q", strings.Count(msg, "not found"), msg)
		}
	}
	env.Run(t, []apitest.Scenario{
		{Name: "card", URL: "/model_card?id=nope", Status: 404, Check: once, Contains: []string{`"error":"card nope: not found"`}},
		{Name: "pack", URL: "/packs/nopack", Status: 404, Check: once, Contains: []string{`"error":"pack nopack: not found"`}},
		{Name: "pack templates", URL: "/packs/nopack/templates", Status: 404, Check: once},
		{Name: "pack of a new model", Method: "POST", URL: "/models", Body: map[string]any{"ticker": "qqq", "pack_id": "nopack"},
			Status: 404, Check: once, Contains: []string{`"error":"pack nopack: not found"`}},
		{Name: "model", URL: "/models/nope", Status: 404, Check: once},
		{Name: "build run", URL: "/build_runs/99", Status: 404, Check: once},
		{Name: "sweep", URL: "/sweeps/99", Status: 404, Check: once},
		{Name: "artifact", URL: "/artifacts/nope", Status: 404, Check: once},

		{Name: "build_runs status enum", URL: "/build_runs?status=bogus", Status: 422,
			Contains: []string{`"msg":"must be one of running|completed|failed`, `got \"bogus\""`}, NotContains: []string{`one of |`, `||`}},
		{Name: "training_runs status enum", URL: "/training_runs?status=bogus", Status: 422,
			Contains: []string{`"loc":["query","status"]`, `got \"bogus\"`}, NotContains: []string{`one of |`, `||`}},
		{Name: "jobs status enum", URL: "/jobs?status=bogus", Status: 422,
			Contains: []string{`"msg":"must be one of queued|running|completed|failed|cancelled|interrupted, got \"bogus\""`}},
		{Name: "runs: empty status is no filter", URL: "/build_runs?status=", Contains: []string{`"rows":[]`}},

		{Name: "job id", URL: "/jobs/abc", Status: 422,
			Contains: []string{`"loc":["path","id"]`, `"msg":"invalid id \"abc\": must be an integer >= 1"`}},
		{Name: "build run id", URL: "/build_runs/0", Status: 422, Contains: []string{`"msg":"invalid build run id \"0\": must be an integer >= 1"`}},
		{Name: "training run id", URL: "/training_runs/x1", Status: 422, Contains: []string{`invalid training run id \"x1\"`}},
		{Name: "backtest run id", URL: "/backtests/abc", Status: 422,
			Contains: []string{`"loc":["path","run_id"]`, `invalid id \"abc\"`}},
		{Name: "sweep id", URL: "/sweeps/-3", Status: 422, Contains: []string{`"loc":["path","sweep_id"]`, `invalid id \"-3\"`}},
		{Name: "model id", URL: "/models/Bad%20Id", Status: 422, Contains: []string{`invalid id \"Bad Id\"`}},
		{Name: "runs start", URL: "/build_runs?start=yesterday", Status: 422,
			Contains: []string{`"loc":["query","start"]`, `invalid date \"yesterday\"`}},
	})
}
