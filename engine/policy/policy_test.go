package policy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func doc(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestExplainMissing(t *testing.T) {
	e := Explain(nil, "zerosigma/policy_templates/x.yaml")
	if e.OK || e.SchemaOK || len(e.SchemaErrors) != 1 || !strings.HasPrefix(e.SchemaErrors[0], "missing policy: ") {
		t.Fatalf("%+v", e)
	}
	if !reflect.DeepEqual(e.ExecutionEffective, DefaultExecution()) {
		t.Fatalf("effective %v", e.ExecutionEffective)
	}
	if !e.Checks.OK || len(e.Checks.Errors) != 0 || len(e.Checks.Warnings) != 0 {
		t.Fatalf("checks %+v", e.Checks)
	}
	b, _ := json.Marshal(e)
	for _, frag := range []string{`"checks":{"ok":true,"errors":[],"warnings":[]}`, `"dte_target":null`, `"atr_mult_stop":1.5`,
		`"momentum_column":"momentum_score_total"`, `"entry_mode":"next_session_open"`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("missing %s in %s", frag, b)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		doc  string
		want []string
	}{
		{`[]`, []string{"policy root must be a mapping"}},
		{`{"policy": 3}`, []string{"'policy' must be a mapping if present; otherwise provide keys at root"}},
		{`{"risk":{},"execution":{}}`, []string{"missing or invalid section: alerting"}},
		{`{"policy":{"risk":{},"execution":{},"alerting":{}}}`, []string{}},
		{`{"risk":{"max_drawdown":"x"},"execution":{"slippage_bps":"1","size_by_conf":1,"brackets":{"mode":3,"enabled":"yes"},
		   "options":{"selection":{"dte_target":null,"min_vol":null,"weekly_ok":1,"target_delta":"a"}}},"alerting":{"cooldown_minutes":true}}`,
			[]string{"execution.slippage_bps must be a number", "execution.size_by_conf must be a boolean",
				"alerting.cooldown_minutes must be a number", "risk.max_drawdown must be a number",
				"execution.brackets.enabled must be a boolean", "execution.brackets.mode must be a string",
				"execution.options.selection.target_delta must be a number", "execution.options.selection.weekly_ok must be a boolean"}},
	}
	for _, c := range cases {
		got := Validate(doc(t, c.doc))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.doc, got, c.want)
		}
	}
}

func TestGuardChecks(t *testing.T) {
	cases := []struct {
		exec     string
		errs     []string
		warnings []string
	}{
		{`{"brackets":{"atr_mult_stop":0,"atr_mult_target":0,"min_rr":-1,"time_stop_minutes":0},
		   "options":{"selection":{"target_delta":1,"min_oi":-1,"dte_target":0,"min_vol":6}}}`,
			[]string{"brackets.atr_mult_stop must be > 0", "brackets.min_rr must be >= 0",
				"options.selection.target_delta must be in (0,1)", "options.selection.min_oi must be >= 0"},
			[]string{"brackets.atr_mult_target should exceed atr_mult_stop for positive RR",
				"brackets.time_stop_minutes is non-positive; time stop will be disabled",
				"options.selection.dte_target is non-positive; expiries may not resolve",
				"options.selection.min_vol outside [0,5] (interpreted as 0-500%)"}},
		{`{"brackets":{"atr_mult_stop":"abc","min_rr":-5},"options":{"selection":{"target_delta":"x","dte_target":"y","min_oi":"z"}}}`,
			[]string{},
			[]string{"brackets values contain non-numeric entries", "options.selection.target_delta not numeric",
				"options.selection.dte_target not numeric", "options.selection.min_oi not numeric"}},
		{`{"brackets":{"atr_mult_stop":"2","atr_mult_target":"4"},"options":{"selection":{"target_delta":"0.3"}}}`, []string{}, []string{}},
		{`{"brackets":{"atr_mult_stop":null,"atr_mult_target":1}}`, []string{}, []string{}},
	}
	for _, c := range cases {
		d := map[string]any{"risk": map[string]any{}, "alerting": map[string]any{}, "execution": doc(t, c.exec)}
		e := Explain(d, "")
		if !reflect.DeepEqual(e.Checks.Errors, c.errs) || !reflect.DeepEqual(e.Checks.Warnings, c.warnings) {
			t.Errorf("%s:\n errors %q\n warnings %q", c.exec, e.Checks.Errors, e.Checks.Warnings)
		}
		if e.Checks.OK != (len(c.errs) == 0) || e.OK != (e.SchemaOK && e.Checks.OK) {
			t.Errorf("%s: verdict %+v", c.exec, e)
		}
	}
}

func TestEffectiveMerge(t *testing.T) {
	d := doc(t, `{"policy":{"risk":{},"alerting":{},"execution":{"slippage_bps":2,"venue":"x",
		"brackets":{"atr_mult_stop":1},"options":{"selection":{"target_delta":0.3},"strategy":"vertical"}}}}`)
	eff := Effective(d)
	br := eff["brackets"].(map[string]any)
	sel := eff["options"].(map[string]any)["selection"].(map[string]any)
	if eff["slippage_bps"] != 2.0 || eff["venue"] != "x" || br["atr_mult_stop"] != 1.0 || br["atr_mult_target"] != 3.0 ||
		sel["target_delta"] != 0.3 || sel["spread_width"] != 5.0 || eff["options"].(map[string]any)["strategy"] != "vertical" {
		t.Fatalf("%v", eff)
	}
	// Defaults are fresh copies: mutating one result must not leak.
	br["atr_mult_stop"] = 99.0
	if DefaultExecution()["brackets"].(map[string]any)["atr_mult_stop"] != 1.5 {
		t.Fatal("defaults shared")
	}
}
