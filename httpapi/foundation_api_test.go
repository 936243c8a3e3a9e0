package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sigmalab/httpapi/apitest"
)

func TestFoundationRoutes(t *testing.T) {
	env := apitest.New(t)
	qqq := "/models/qqq_opt_0dte_hourly"
	env.Run(t, []apitest.Scenario{
		// Index and health.
		{Name: "index", URL: "/", Contains: []string{`"ok":true`, `"name":"Sigmatiq Sigma API"`, `"/validate_policy"`, `"path":"/policy/explain"`}},
		{Name: "health", URL: "/health", Contains: []string{`{"ok":true,"version":"test"}`}},
		{Name: "healthz", URL: "/healthz", Contains: []string{`"ok":true`, `"db":true`, `"index_dir":true`, `"data_dirs":true`}, NotContains: []string{`false`}},
		{Name: "health wrong method", Method: "POST", URL: "/health", Status: 405, Contains: []string{`"ok":false`, `"code":"method_not_allowed"`}},
		{Name: "unknown route", URL: "/nope", Status: 404, Contains: []string{`"ok":false`, `"code":"not_found"`}},

		// Packs.
		{Name: "packs", URL: "/packs", Contains: []string{`"count":5`, `"id":"longsigma"`, `"id":"momentumsigma"`, `"id":"overnightsigma"`,
			`"id":"swingsigma"`, `"id":"zerosigma"`, `"default_template":"gbm_0dte"`}},
		{Name: "pack detail", URL: "/packs/zerosigma", Contains: []string{`"pack":{"id":"zerosigma"`, `{"name":"zerosigma_default"}`,
			`"template_id":"gbm_0dte"`, `"spy_opt_0dte_hourly_pin_1500"`}, NotContains: []string{"zeroedge"}},
		{Name: "pack unknown", URL: "/packs/nopack", Status: 404, Contains: []string{`"code":"not_found"`, `"error":"pack nopack: not found"`}},
		{Name: "pack bad id", URL: "/packs/Bad!/templates", Status: 422, Contains: []string{`"loc":["path","pack_id"]`}},
		{Name: "pack templates", URL: "/packs/swingsigma/templates", Contains: []string{`"template_id":"swing_eq_daily"`, `"template_id":"swing_opt_daily"`, `"horizon":"swing"`}},
		{Name: "pack indicator sets", URL: "/packs/swingsigma/indicator_sets", Contains: []string{`{"name":"swing_eq_default"}`, `{"name":"swing_eq_vol_contraction_scanner"}`}},
		{Name: "pack indicator sets unknown", URL: "/packs/nopack/indicator_sets", Status: 404},
		{Name: "templates all", URL: "/model_templates", Contains: []string{`"pack":"longsigma"`, `"pack":"zerosigma"`, `"template_id":"momo_eq_hourly"`}},
		{Name: "templates one pack", URL: "/model_templates?pack=longsigma", Contains: []string{`"template_id":"long_eq_daily"`}, NotContains: []string{`"zerosigma"`}},
		{Name: "templates unknown pack", URL: "/model_templates?pack=zzz", Status: 404},

		// Models.
		{Name: "seeded models", URL: "/models", Contains: []string{`"total":22`, `"id":"spy_eq_long_daily"`, `"next_offset":null`}},
		{Name: "create existing (seeded) is 409", Method: "POST", URL: "/models", Body: `{"ticker":"spy"}`, Status: 409, Contains: []string{`"code":"conflict"`, "spy_opt_0dte_hourly"}},
		{Name: "create default", Method: "POST", URL: "/models", Body: `{"ticker":"qqq"}`,
			Contains: []string{`"model_id":"qqq_opt_0dte_hourly"`, `"pack_id":"zerosigma"`, `"template_id":"gbm_0dte"`, `"message":"created"`, `"ticker":"QQQ"`, `"indicator_set":"zerosigma_default"`}},
		{Name: "create normalised", Method: "POST", URL: "/models",
			Body:     `{"ticker":"AAPL","asset_type":"Stock","horizon":"Swing","cadence":"Daily","variant":"v2","pack_id":"swingsigma","extra":1}`,
			Contains: []string{`"model_id":"aapl_eq_swing_daily_v2"`, `"template_id":"swing_eq_daily"`, `"asset_type":"eq"`}},
		{Name: "create again 409", Method: "POST", URL: "/models", Body: `{"ticker":"AAPL","asset_type":"eq","horizon":"swing","cadence":"daily","variant":"v2","pack_id":"swingsigma"}`, Status: 409},
		{Name: "create missing ticker", Method: "POST", URL: "/models", Body: `{}`, Status: 422, Contains: []string{`"loc":["body","ticker"]`, `"type":"missing"`}},
		{Name: "create empty body", Method: "POST", URL: "/models", Status: 422, Contains: []string{`"loc":["body","ticker"]`}},
		{Name: "create bad ticker", Method: "POST", URL: "/models", Body: `{"ticker":"1AB"}`, Status: 422, Contains: []string{`"loc":["body","ticker"]`}},
		{Name: "create bad enums", Method: "POST", URL: "/models", Body: `{"ticker":"x","asset_type":"bond","cadence":"weekly"}`, Status: 422,
			Contains: []string{`"loc":["body","asset_type"]`, `"loc":["body","cadence"]`}},
		{Name: "create wrong type", Method: "POST", URL: "/models", Body: `{"ticker":5}`, Status: 422, Contains: []string{`"loc":["body","ticker"]`}},
		{Name: "create malformed", Method: "POST", URL: "/models", Body: `{"ticker":`, Status: 400, Contains: []string{`"code":"bad_json"`}},
		{Name: "create unknown pack", Method: "POST", URL: "/models", Body: `{"ticker":"qqq","pack_id":"nopack"}`, Status: 404},
		{Name: "create unknown template", Method: "POST", URL: "/models", Body: `{"ticker":"iwm","template_id":"nope"}`, Status: 404},
		{Name: "get model", URL: qqq, Contains: []string{`"model_id":"qqq_opt_0dte_hourly"`, `"version":1`, `"policy_version":1`, `"slippage_bps":1`}},
		{Name: "get model unknown", URL: "/models/zzz_opt_0dte_hourly", Status: 404},
		{Name: "get model bad id", URL: "/models/BAD", Status: 422, Contains: []string{`"loc":["path","model_id"]`}},
		{Name: "patch model", Method: "PATCH", URL: qqq, Body: `{"config":{"hyperparams":{"max_depth":6},"notes":"deeper","model_id":"renamed"}}`,
			Contains: []string{`"version":2`, `"max_depth":6`, `"learning_rate":0.08`, `"notes":"deeper"`, `"model_id":"qqq_opt_0dte_hourly"`}, NotContains: []string{"renamed"}},
		{Name: "patch wrong pack", Method: "PATCH", URL: qqq, Body: `{"pack_id":"longsigma","config":{}}`, Status: 404},
		{Name: "patch missing config", Method: "PATCH", URL: qqq, Body: `{}`, Status: 422, Contains: []string{`"loc":["body","config"]`}},
		{Name: "patch unknown", Method: "PATCH", URL: "/models/zzz", Body: `{"config":{}}`, Status: 404},
		{Name: "models wrong method", Method: "DELETE", URL: qqq, Status: 405, Contains: []string{`"code":"method_not_allowed"`}},
		{Name: "models page", URL: "/models?pack_id=swingsigma&limit=2", Contains: []string{`"count":2`, `"limit":2`, `"offset":0`, `"next_offset":2`, `"total":11`}},
		{Name: "models last page", URL: "/models?pack_id=swingsigma&limit=5&offset=10", Contains: []string{`"count":1`, `"next_offset":null`}},
		{Name: "models limit clamp", URL: "/models?limit=100000", Contains: []string{`"limit":500`}},
		{Name: "models bad limit", URL: "/models?limit=abc", Status: 422, Contains: []string{`"loc":["query","limit"]`}},
		{Name: "models bad offset", URL: "/models?offset=-1", Status: 422, Contains: []string{`"loc":["query","offset"]`}},
		{Name: "models bad pack", URL: "/models?pack_id=Bad", Status: 422, Contains: []string{`"loc":["query","pack_id"]`}},

		// Config stores.
		{Name: "model config", URL: "/model_config?model_id=qqq_opt_0dte_hourly", Contains: []string{`"version":2`, `"pack_id":"zerosigma"`}},
		{Name: "model config other pack", URL: "/model_config?model_id=qqq_opt_0dte_hourly&pack_id=longsigma", Status: 404},
		{Name: "model config missing id", URL: "/model_config", Status: 422, Contains: []string{`"loc":["query","model_id"]`, `"type":"missing"`}},
		{Name: "put model config", Method: "PUT", URL: "/model_config", Body: `{"pack_id":"longsigma","model_id":"custom_long","config":{"ticker":"SPY","a":1}}`,
			Contains: []string{`"version":1`}},
		{Name: "get put model config", URL: "/model_config?model_id=custom_long", Contains: []string{`"a":1`, `"model_id":"custom_long"`, `"pack_id":"longsigma"`}},
		{Name: "put model config again", Method: "PUT", URL: "/model_config", Body: `{"pack_id":"longsigma","model_id":"custom_long","config":{"b":2}}`,
			Contains: []string{`"version":2`}},
		{Name: "model config replaced", URL: "/model_config?model_id=custom_long", Contains: []string{`"b":2`}, NotContains: []string{`"a":1`}},
		{Name: "put model config missing", Method: "PUT", URL: "/model_config", Body: `{"pack_id":"longsigma"}`, Status: 422,
			Contains: []string{`"loc":["body","model_id"]`, `"loc":["body","config"]`}},
		{Name: "put model config unknown pack", Method: "PUT", URL: "/model_config", Body: `{"pack_id":"nopack","model_id":"m","config":{}}`, Status: 404},

		// Policies.
		{Name: "policy", URL: "/policy?model_id=qqq_opt_0dte_hourly", Contains: []string{`"version":1`, `"execution":{`}},
		{Name: "policy unknown", URL: "/policy?model_id=nomodel", Status: 404, Contains: []string{`"code":"not_found"`}},
		{Name: "policy bad id", URL: "/policy?model_id=No!", Status: 422, Contains: []string{`"loc":["query","model_id"]`}},
		{Name: "put policy bump", Method: "PUT", URL: "/policy", Body: `{"model_id":"qqq_opt_0dte_hourly","policy":{"risk":{},"alerting":{},"execution":{"slippage_bps":2}}}`,
			Contains: []string{`"version":2`, `"schema_ok":true`}},
		{Name: "put policy in place", Method: "PUT", URL: "/policy", Body: `{"model_id":"qqq_opt_0dte_hourly","bump_version":false,"policy":{"risk":{},"alerting":{},"execution":{"slippage_bps":3,"brackets":{"atr_mult_stop":2,"atr_mult_target":1}}}}`,
			Contains: []string{`"version":2`}},
		{Name: "latest policy wins", URL: "/policy?model_id=qqq_opt_0dte_hourly", Contains: []string{`"version":2`, `"slippage_bps":3`}},
		{Name: "put policy invalid is 422", Method: "PUT", URL: "/policy", Body: `{"model_id":"draft_model","policy":{"execution":[]}}`,
			Status: 422, Contains: []string{`"loc":["body","policy","execution"]`, `"loc":["body","policy","risk"]`}},
		{Name: "put policy guard error is 422", Method: "PUT", URL: "/policy", Body: `{"model_id":"qqq_opt_0dte_hourly","policy":{"risk":{},"alerting":{},"execution":{"brackets":{"atr_mult_stop":0}}}}`,
			Status: 422, Contains: []string{`"loc":["body","policy","execution","brackets","atr_mult_stop"]`}},
		{Name: "put policy missing", Method: "PUT", URL: "/policy", Body: `{"model_id":"x"}`, Status: 422, Contains: []string{`"loc":["body","policy"]`}},
		{Name: "put policy malformed", Method: "PUT", URL: "/policy", Body: `{"model_id":"x",}`, Status: 400, Contains: []string{`"code":"bad_json"`}},

		// Policy explain: the verdict is in ok, the status stays 200.
		{Name: "explain no policy", URL: "/policy/explain?model_id=nomodel",
			Contains: []string{`"ok":false`, `"schema_ok":false`, `"schema_errors":["missing policy: zerosigma/policy_templates/nomodel.yaml"]`,
				`"checks":{"ok":true,"errors":[],"warnings":[]}`, `"slippage_bps":1`, `"size_by_conf":false`, `"conf_cap":1`,
				`"momentum_column":"momentum_score_total"`, `"atr_mult_stop":1.5`, `"atr_mult_target":3`, `"time_stop_minutes":120`,
				`"entry_mode":"next_session_open"`, `"target_delta":0.35`, `"dte_target":null`, `"min_vol":null`, `"spread_width":5`, `"weekly_ok":true`,
				`"source":"none"`}},
		{Name: "validate_policy alias", URL: "/validate_policy?model_id=nomodel&pack_id=swingsigma",
			Contains: []string{`"ok":false`, `"missing policy: swingsigma/policy_templates/nomodel.yaml"`}},
		{Name: "explain seeded", URL: "/policy/explain?model_id=spy_opt_0dte_hourly", Contains: []string{`"ok":true`, `"schema_ok":true`, `"source":"store"`, `"entry_mode":"next_bar"`}},
		{Name: "explain guard warning", URL: "/policy/explain?model_id=qqq_opt_0dte_hourly",
			Contains: []string{`"ok":true`, `"schema_ok":true`, `"brackets.atr_mult_target should exceed atr_mult_stop for positive RR"`}},
		{Name: "explain missing id", URL: "/policy/explain", Status: 422, Contains: []string{`"loc":["query","model_id"]`}},

		// Indicator sets.
		{Name: "indicator set from pack", URL: "/indicator_set?pack_id=zerosigma&name=zerosigma_default", Contains: []string{`"name":"zerosigma_default"`, `"name":"iv_skew25_delta"`}},
		{Name: "indicator set needs key", URL: "/indicator_set?pack_id=zerosigma", Status: 422, Contains: []string{`provide model_id or name`}},
		{Name: "indicator set needs pack", URL: "/indicator_set?name=x", Status: 422, Contains: []string{`"loc":["query","pack_id"]`}},
		{Name: "indicator set unknown", URL: "/indicator_set?pack_id=zerosigma&name=nothere", Status: 404},
		{Name: "put indicator set", Method: "PUT", URL: "/indicator_set", Body: `{"pack_id":"zerosigma","scope":"pack","name":"custom","data":{"indicators":[{"name":"rsi","period":7},"atr"]}}`,
			Contains: []string{`"version":1`}},
		{Name: "put indicator set v2", Method: "PUT", URL: "/indicator_set", Body: `{"pack_id":"zerosigma","scope":"Pack","name":"custom","data":{"indicators":[{"name":"rsi","period":9}]}}`,
			Contains: []string{`"version":2`}},
		{Name: "get indicator set latest", URL: "/indicator_set?pack_id=zerosigma&name=custom", Contains: []string{`"period":9`, `"version":2`}},
		{Name: "put model indicator set", Method: "PUT", URL: "/indicator_set", Body: `{"pack_id":"zerosigma","scope":"model","model_id":"qqq_opt_0dte_hourly","data":{"name":"m","indicators":["ema"]}}`,
			Contains: []string{`"version":1`, `"scope":"model"`}},
		{Name: "get model indicator set", URL: "/indicator_set?pack_id=zerosigma&model_id=qqq_opt_0dte_hourly", Contains: []string{`"indicators":["ema"]`}},
		{Name: "put indicator set unknown indicator", Method: "PUT", URL: "/indicator_set", Body: `{"pack_id":"zerosigma","scope":"pack","name":"bad","data":{"indicators":[{"name":"nonexistent_ind"}]}}`,
			Status: 422, Contains: []string{`"loc":["body","data"]`, `nonexistent_ind`}},
		{Name: "put indicator set bad scope", Method: "PUT", URL: "/indicator_set", Body: `{"pack_id":"zerosigma","scope":"global","name":"x","data":{}}`,
			Status: 422, Contains: []string{`"loc":["body","scope"]`}},
		{Name: "put indicator set model scope needs id", Method: "PUT", URL: "/indicator_set", Body: `{"pack_id":"zerosigma","scope":"model","data":{"indicators":[]}}`,
			Status: 422, Contains: []string{`"loc":["body","model_id"]`}},
	})

	// Bodies over the cap are refused with 413 JSON.
	big := `{"ticker":"` + strings.Repeat("A", 11<<20) + `"}`
	if status, body := env.Do("POST", "/models", big); status != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"code":"too_large"`) {
		t.Errorf("big body: %d %.200s", status, body)
	}

	// Everything written survives a restart (bbolt closed and reopened).
	env.Restart()
	env.Run(t, []apitest.Scenario{
		{Name: "model after restart", URL: qqq, Contains: []string{`"version":2`, `"notes":"deeper"`, `"policy_version":2`}},
		{Name: "models after restart", URL: "/models", Contains: []string{`"total":25`}},
		{Name: "policy after restart", URL: "/policy?model_id=qqq_opt_0dte_hourly", Contains: []string{`"slippage_bps":3`}},
		{Name: "indicator set after restart", URL: "/indicator_set?pack_id=zerosigma&name=custom", Contains: []string{`"period":9`}},
		{Name: "config after restart", URL: "/model_config?model_id=custom_long", Contains: []string{`"b":2`, `"version":2`}},
	})
}

// TestSeedDoesNotOverwrite checks that re-seeding at start keeps user edits of
// shipped models.
func TestSeedDoesNotOverwrite(t *testing.T) {
	env := apitest.New(t)
	env.Run(t, []apitest.Scenario{{Name: "edit seeded", Method: "PATCH", URL: "/models/spy_eq_long_daily",
		Body: `{"config":{"notes":"mine"}}`, Contains: []string{`"version":2`}}})
	env.Restart()
	env.Run(t, []apitest.Scenario{{Name: "kept", URL: "/models/spy_eq_long_daily", Contains: []string{`"notes":"mine"`, `"version":2`}}})
}

// FuzzCreateModel feeds arbitrary bodies to POST /models: every answer must be
// a JSON envelope with a 2xx/4xx status, never a 500 or a panic.
func FuzzCreateModel(f *testing.F) {
	for _, seed := range []string{`{"ticker":"qqq"}`, `{"ticker":"AAPL","asset_type":"stock","variant":"v1"}`, `{`, `[]`, `null`,
		`{"ticker":"a","pack_id":"../x"}`, `{"ticker":1e999}`, "\x00", `{"ticker":"qqq","template_id":"gbm_0dte","horizon":"0DTE"}`} {
		f.Add(seed)
	}
	env := apitest.New(f)
	h := env.App.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range []struct{ method, url string }{{"POST", "/models"}, {"PUT", "/policy"}, {"PUT", "/indicator_set"}, {"PATCH", "/models/qqq_opt_0dte_hourly"}} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, apitest.Request(target.method, target.url, body))
			if rec.Code >= 500 {
				t.Fatalf("%s %s %q: status %d %s", target.method, target.url, body, rec.Code, rec.Body)
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s %q: not JSON: %s", target.url, body, rec.Body)
			}
			if _, ok := m["ok"]; !ok {
				t.Fatalf("%s %q: no ok key: %s", target.url, body, rec.Body)
			}
		}
	})
}

// FuzzQuery feeds arbitrary query strings to the GET routes.
func FuzzQuery(f *testing.F) {
	for _, seed := range []string{"model_id=spy_opt_0dte_hourly", "limit=-1&offset=x", "pack_id=%00", "model_id=a&pack_id=b&name=c"} {
		f.Add(seed)
	}
	env := apitest.New(f)
	h := env.App.Handler()
	f.Fuzz(func(t *testing.T, q string) {
		for _, path := range []string{"/models", "/model_config", "/policy", "/policy/explain", "/indicator_set", "/model_templates"} {
			req := apitest.Request("GET", "/", "")
			req.URL.Path, req.URL.RawQuery = path, q
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s?%s: %d %s", path, q, rec.Code, rec.Body)
			}
		}
	})
}
