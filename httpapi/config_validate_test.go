package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"sigmalab/engine"
	"sigmalab/httpapi/apitest"
)

// Every write of a config or policy is validated before it is stored. The
// 422's loc is the path of the offending value in the request body as sent:
//
//	PUT /policy          {"policy":{…}}  → ["body","policy","execution","slippage_bps"]
//	PUT /model_config    {"config":{…}}  → ["body","config","cadence"]
//	PATCH /models/{id}   {"config":{…}}  → ["body","config","cadence"]
//	POST /models         flat body       → ["body","asset_type"]
//	PUT /indicator_set   {"data":{…}}    → ["body","data"]

const qqq = "qqq_opt_0dte_hourly"

// del marks a key to delete from the base document.
type delKey struct{}

var del = delKey{}

// setPath sets a dotted path in a document, creating objects on the way.
func setPath(d map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := d[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			d[k] = next
		}
		d = next
	}
	if v == del {
		delete(d, keys[len(keys)-1])
		return
	}
	d[keys[len(keys)-1]] = v
}

type badValue struct {
	path string // where the value goes (dotted)
	val  any
	loc  string // expected loc below the document ("" = path)
}

var badPolicyValues = []badValue{
	{"name", 3, ""}, {"description", true, ""},
	{"risk", "x", ""}, {"risk", del, ""}, {"execution", []any{}, ""}, {"execution", del, ""}, {"alerting", 5, ""}, {"alerting", del, ""},
	{"risk.max_drawdown", "x", ""}, {"risk.max_drawdown", 2, ""}, {"risk.max_drawdown", -0.1, ""},
	{"risk.max_exposure", -1, ""}, {"risk.max_exposure", "lots", ""},
	{"risk.min_trades", -1, ""}, {"risk.min_trades", 2.5, ""},
	{"risk.min_dsr", 1.5, ""}, {"risk.min_dsr", "x", ""},
	{"risk.max_position_pct", -1, ""}, {"risk.max_daily_trades", -1, ""}, {"risk.stop_loss_bps", "x", ""},
	{"execution.slippage_bps", "lots", ""}, {"execution.slippage_bps", -5, ""}, {"execution.slippage_bps", 20000, ""},
	{"execution.slippage_bps", "1.5", ""},
	{"execution.size_by_conf", "yes", ""}, {"execution.size_by_conf", 1, ""},
	{"execution.conf_cap", 7, ""}, {"execution.conf_cap", 0, ""}, {"execution.conf_cap", "x", ""},
	{"execution.momentum_gate", "on", ""}, {"execution.momentum_min", "x", ""},
	{"execution.momentum_column", 5, ""}, {"execution.momentum_column", "", ""},
	{"execution.venue", 3, ""}, {"execution.order_type", false, ""},
	{"execution.brackets", "x", ""},
	{"execution.brackets.enabled", "yes", ""}, {"execution.brackets.mode", 3, ""}, {"execution.brackets.mode", "", ""},
	{"execution.brackets.entry_mode", "later", ""}, {"execution.brackets.entry_mode", 3, ""},
	{"execution.brackets.atr_period", 0, ""}, {"execution.brackets.atr_period", 1.5, ""}, {"execution.brackets.atr_period", "14", ""},
	{"execution.brackets.atr_mult_stop", 0, ""}, {"execution.brackets.atr_mult_stop", -1, ""}, {"execution.brackets.atr_mult_stop", "x", ""},
	{"execution.brackets.atr_mult_target", 0, ""}, {"execution.brackets.atr_mult_target", "x", ""},
	{"execution.brackets.time_stop_minutes", -1, ""}, {"execution.brackets.time_stop_minutes", 2.5, ""},
	{"execution.brackets.min_rr", -1, ""}, {"execution.brackets.regime_adjust", 1, ""},
	{"execution.options", 3, ""}, {"execution.options.selection", []any{}, ""},
	{"execution.options.selection.target_delta", 0, ""}, {"execution.options.selection.target_delta", 1, ""},
	{"execution.options.selection.target_delta", "x", ""},
	{"execution.options.selection.dte_target", "x", ""}, {"execution.options.selection.min_oi", -1, ""},
	{"execution.options.selection.min_vol", "x", ""}, {"execution.options.selection.spread_width", -1, ""},
	{"execution.options.selection.weekly_ok", "y", ""},
	{"alerting.cooldown_minutes", -1, ""}, {"alerting.cooldown_minutes", "x", ""},
	{"alerting.max_trades_per_day", -1, ""}, {"alerting.min_signal_score", "x", ""},
}

var badConfigValues = []badValue{
	// model_id is not in the table: the id is the route's key and replaces
	// whatever the body's config says.
	{"ticker", "1AB", ""}, {"ticker", 5, ""},
	{"asset_type", "bond", ""}, {"asset_type", 3, ""},
	{"horizon", "decade", ""}, {"cadence", "weekly", ""}, {"cadence", 5, ""}, {"session", "night", ""},
	{"indicator_set", "Bad Name", ""}, {"indicator_set_name", "../x", ""},
	{"model", "svm", ""}, {"algo", "svm", ""}, {"task", 5, ""}, {"variant", 5, ""}, {"template_id", 5, ""},
	{"template_version", "v1", ""}, {"notes", []any{}, ""},
	{"distance_max", 0, ""}, {"distance_max", 51, ""}, {"distance_max", "7", ""},
	{"hyperparams", "deep", ""}, {"hyperparams.max_depth", -1, ""}, {"hyperparams.learning_rate", "NaN", ""},
	{"hyperparams.learning_rate", 0, "hyperparams"},
	{"features", 3, ""}, {"features", []any{"a", 2}, "features.1"},
	{"features.flow", "x", ""}, {"features.flow.per_distance", "yes", ""}, {"features.flow.totals", 1, ""},
	{"features.flow.ratios", "no", ""}, {"features.flow.atm", 0, ""}, {"features.flow.distance_max", 0, ""},
	{"features.dealer.mm_profit_dir_simple", 1, ""}, {"features.dealer.divergence_score", "y", ""},
	{"features.dealer.sold_premium_inferred", 1, ""}, {"features.oi.include", 1, ""},
	{"features.time.day_of_week", 1, ""}, {"features.time.hour_of_day", "y", ""},
	{"features.momentum.include", 1, ""}, {"features.momentum.hourly_horizons", "1,3", ""},
	{"features.volatility.hourly_horizons", []any{0}, ""}, {"features.indicator_set", "Bad Name", ""},
	{"labels", "x", ""}, {"labels.kind", "bogus", ""}, {"labels.kind", 3, ""},
	{"labels.params.k_sigma", -1, ""}, {"labels.params.k_sigma", "x", ""}, {"labels.params.fixed_bp", -1, ""},
	{"labels.params.threshold_bp", "x", ""}, {"labels.params.band", 2, ""}, {"labels.params.open_time", "25:00", ""},
	{"labels.params.window_end", 930, ""}, {"labels.params.drift_start_time", "x", ""},
	{"labels.params.min_open_move_atr", -1, ""}, {"labels.params.min_reversal_move_atr", "x", ""},
	{"labels.params.min_pull_atr", -1, ""}, {"labels.params.target", 5, ""},
	{"train_window.start", "2024-13-01", ""}, {"train_window.end", 5, ""},
}

func locJSON(prefix []string, path string) string {
	b, _ := json.Marshal(append(append([]string(nil), prefix...), strings.Split(path, ".")...))
	return `"loc":` + string(b)
}

// snapshot is a GET's body (for "nothing stored" checks).
func snapshot(t *testing.T, env *apitest.Env, url string) []byte {
	t.Helper()
	status, body := env.Do("GET", url, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	return body
}

func expect422(t *testing.T, env *apitest.Env, method, url string, body any, loc string) {
	t.Helper()
	status, out := env.Do(method, url, body)
	if status != http.StatusUnprocessableEntity || !bytes.Contains(out, []byte(loc)) {
		b, _ := json.Marshal(body)
		t.Errorf("%s %s %s: %d, want 422 with %s\n%s", method, url, b, status, loc, out)
	}
}

func basePolicy() map[string]any {
	return map[string]any{"risk": map[string]any{"max_drawdown": 0.1}, "alerting": map[string]any{},
		"execution": map[string]any{"slippage_bps": 1.0, "brackets": map[string]any{"atr_mult_stop": 1.5}}}
}

// TestWritesValidatePolicy sends an invalid value for every policy field to
// PUT /policy (flat and wrapped documents): 422 at the value's loc, and the
// stored policy is unchanged.
func TestWritesValidatePolicy(t *testing.T) {
	env := apitest.New(t)
	if st, out := env.Do("POST", "/models", `{"ticker":"qqq"}`); st != 200 {
		t.Fatalf("create: %d %s", st, out)
	}
	before := snapshot(t, env, "/policy?model_id="+qqq)
	for _, c := range badPolicyValues {
		loc := c.loc
		if loc == "" {
			loc = c.path
		}
		flat := basePolicy()
		setPath(flat, c.path, c.val)
		expect422(t, env, "PUT", "/policy", map[string]any{"model_id": qqq, "policy": flat}, locJSON([]string{"body", "policy"}, loc))
		wrapped := basePolicy()
		setPath(wrapped, c.path, c.val)
		expect422(t, env, "PUT", "/policy", map[string]any{"model_id": qqq, "bump_version": false,
			"policy": map[string]any{"name": "w", "policy": wrapped}}, locJSON([]string{"body", "policy", "policy"}, loc))
	}
	if after := snapshot(t, env, "/policy?model_id="+qqq); !bytes.Equal(before, after) {
		t.Fatalf("an invalid PUT /policy stored something:\nbefore %s\nafter  %s", before, after)
	}
	// The valid base document is accepted (the table's failures are the values').
	if st, out := env.Do("PUT", "/policy", map[string]any{"model_id": qqq, "policy": basePolicy()}); st != 200 {
		t.Fatalf("valid policy: %d %s", st, out)
	}
}

// TestWritesValidateConfig sends an invalid value for every config field to
// PUT /model_config and PATCH /models/{id}: 422 at the value's loc, and the
// stored config is unchanged.
func TestWritesValidateConfig(t *testing.T) {
	env := apitest.New(t)
	if st, out := env.Do("POST", "/models", `{"ticker":"qqq"}`); st != 200 {
		t.Fatalf("create: %d %s", st, out)
	}
	before := snapshot(t, env, "/model_config?model_id="+qqq)
	for _, c := range badConfigValues {
		loc := c.loc
		if loc == "" {
			loc = c.path
		}
		want := locJSON([]string{"body", "config"}, loc)
		full := map[string]any{"ticker": "QQQ", "labels": map[string]any{"kind": "next_hour"}}
		setPath(full, c.path, c.val)
		expect422(t, env, "PUT", "/model_config", map[string]any{"pack_id": "zerosigma", "model_id": qqq, "config": full}, want)
		patch := map[string]any{}
		setPath(patch, c.path, c.val)
		expect422(t, env, "PATCH", "/models/"+qqq, map[string]any{"config": patch}, want)
	}
	if after := snapshot(t, env, "/model_config?model_id="+qqq); !bytes.Equal(before, after) {
		t.Fatalf("an invalid write stored a config:\nbefore %s\nafter  %s", before, after)
	}
}

// TestWritesValidateCreateAndIndicatorSet: POST /models rejects the naming
// fields it takes, PUT /indicator_set its data, and neither stores anything.
func TestWritesValidateCreateAndIndicatorSet(t *testing.T) {
	env := apitest.New(t)
	models := snapshot(t, env, "/models?limit=500")
	for _, c := range []struct{ body, loc string }{
		{`{"ticker":"qqq","asset_type":"bond"}`, "asset_type"},
		{`{"ticker":"qqq","horizon":"decade"}`, "horizon"},
		{`{"ticker":"qqq","cadence":"weekly"}`, "cadence"},
		{`{"ticker":"qqq","algo":"svm"}`, "algo"},
		{`{"ticker":"qqq","indicator_set_name":"Bad Name"}`, "indicator_set_name"},
		{`{"ticker":"1AB"}`, "ticker"},
		{`{"ticker":5}`, "ticker"},
		{`{"ticker":"qqq","variant":"Bad Variant!"}`, "variant"},
	} {
		expect422(t, env, "POST", "/models", c.body, locJSON([]string{"body"}, c.loc))
	}
	for _, data := range []string{`{"indicators":[{"name":"nonexistent_ind"}]}`, `{"indicators":[{"name":"rsi","period":"x"}]}`, `{"indicators":3}`} {
		expect422(t, env, "PUT", "/indicator_set", `{"pack_id":"zerosigma","scope":"pack","name":"bad","data":`+data+`}`, `"loc":["body","data"]`)
	}
	if after := snapshot(t, env, "/models?limit=500"); !bytes.Equal(models, after) {
		t.Fatal("an invalid POST /models stored a model")
	}
	if st, _ := env.Do("GET", "/indicator_set?pack_id=zerosigma&name=bad", nil); st != http.StatusNotFound {
		t.Fatalf("invalid indicator set stored: %d", st)
	}
}

// TestWritesUnknownPack: an unknown pack_id is 404 on every write route alike,
// and nothing is stored.
func TestWritesUnknownPack(t *testing.T) {
	env := apitest.New(t)
	if st, out := env.Do("POST", "/models", `{"ticker":"qqq"}`); st != 200 {
		t.Fatalf("create: %d %s", st, out)
	}
	pol := snapshot(t, env, "/policy?model_id="+qqq)
	cfg := snapshot(t, env, "/model_config?model_id="+qqq)
	for _, c := range []struct{ method, url, body string }{
		{"PUT", "/policy", `{"model_id":"` + qqq + `","pack_id":"nopack","policy":{"risk":{},"execution":{},"alerting":{}}}`},
		{"PUT", "/model_config", `{"model_id":"` + qqq + `","pack_id":"nopack","config":{}}`},
		{"PATCH", "/models/" + qqq, `{"pack_id":"nopack","config":{"notes":"x"}}`},
		{"PUT", "/indicator_set", `{"pack_id":"nopack","scope":"pack","name":"s","data":{"indicators":["rsi"]}}`},
		{"POST", "/models", `{"ticker":"iwm","pack_id":"nopack"}`},
	} {
		if st, out := env.Do(c.method, c.url, c.body); st != http.StatusNotFound || !bytes.Contains(out, []byte(`"code":"not_found"`)) {
			t.Errorf("%s %s: %d, want 404\n%s", c.method, c.url, st, out)
		}
	}
	if !bytes.Equal(pol, snapshot(t, env, "/policy?model_id="+qqq)) || !bytes.Equal(cfg, snapshot(t, env, "/model_config?model_id="+qqq)) {
		t.Fatal("a write to an unknown pack stored something")
	}
	for _, url := range []string{"/indicator_set?pack_id=nopack&name=s", "/models/iwm_opt_0dte_hourly"} {
		if st, _ := env.Do("GET", url, nil); st != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", url, st)
		}
	}
}

// TestStoredInvalid: a config or policy that an older version stored without
// validation (written straight into the store here) is reported by
// /policy/explain, and builds, trainings and backtests of the model fail
// with an error naming the stored document, not a body field.
func TestStoredInvalid(t *testing.T) {
	env := apitest.New(t)
	if st, out := env.Do("POST", "/models", `{"ticker":"qqq"}`); st != 200 {
		t.Fatalf("create: %d %s", st, out)
	}
	ctx := context.Background()
	store := env.App.Lab.Configs
	_, err := store.PutPolicy(ctx, engine.PolicyRecord{ModelID: qqq, PackID: "zerosigma",
		Policy: map[string]any{"risk": map[string]any{}, "alerting": map[string]any{}, "execution": map[string]any{"slippage_bps": "lots", "conf_cap": 7.0}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	env.Run(t, []apitest.Scenario{
		{Name: "explain reports the stored policy", URL: "/policy/explain?model_id=" + qqq,
			Contains: []string{`"ok":false`, `"schema_ok":false`, `"execution.slippage_bps must be a number"`, `"execution.conf_cap must be in (0, 1]"`,
				`"source":"store"`, `"policy_version":2`}},
	})
	runs := []struct{ url, body string }{
		{"/build_matrix", `{"model_id":"` + qqq + `","start":"2024-07-01","end":"2024-07-02"}`},
		{"/backtest", `{"model_id":"` + qqq + `"}`},
		{"/train", `{"model_id":"` + qqq + `"}`},
	}
	for _, r := range runs {
		st, out := env.Do("POST", r.url, r.body)
		if st != http.StatusConflict || !bytes.Contains(out, []byte("stored policy of model "+qqq+" (version 2) is invalid")) ||
			bytes.Contains(out, []byte(`"loc"`)) {
			t.Errorf("POST %s with a stored invalid policy: %d %s", r.url, st, out)
		}
	}
	// A valid PUT repairs it.
	if st, out := env.Do("PUT", "/policy", map[string]any{"model_id": qqq, "policy": basePolicy()}); st != 200 {
		t.Fatalf("repair: %d %s", st, out)
	}

	rec, err := store.GetModel(ctx, qqq)
	if err != nil {
		t.Fatal(err)
	}
	rec.Config["cadence"] = "weekly"
	if _, err := store.PutModel(ctx, rec); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		st, out := env.Do("POST", r.url, r.body)
		if st != http.StatusConflict || !bytes.Contains(out, []byte("stored model config of model "+qqq+" (version 2) is invalid: cadence")) {
			t.Errorf("POST %s with a stored invalid config: %d %s", r.url, st, out)
		}
	}
	// A patch that leaves the bad key alone is refused as a stored problem; one that fixes it is accepted.
	env.Run(t, []apitest.Scenario{
		{Name: "patch elsewhere", Method: "PATCH", URL: "/models/" + qqq, Body: `{"config":{"notes":"x"}}`, Status: 409,
			Contains: []string{"stored model config", "cadence"}, NotContains: []string{`"loc"`}},
		{Name: "patch fixes", Method: "PATCH", URL: "/models/" + qqq, Body: `{"config":{"cadence":"hourly"}}`,
			Contains: []string{`"version":3`, `"cadence":"hourly"`}},
	})
}
