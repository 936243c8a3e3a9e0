package policy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigmalab/engine/doc"
)

func parse(t *testing.T, s string) any {
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
	if !reflect.DeepEqual(e.ExecutionEffective, Defaults()) {
		t.Fatalf("effective %+v", e.ExecutionEffective)
	}
	if !e.Checks.OK || len(e.Checks.Errors) != 0 || len(e.Checks.Warnings) != 0 {
		t.Fatalf("checks %+v", e.Checks)
	}
	b, _ := json.Marshal(e)
	for _, frag := range []string{`"checks":{"ok":true,"errors":[],"warnings":[]}`, `"dte_target":null`, `"atr_mult_stop":1.5`,
		`"momentum_column":"momentum_score_total"`, `"entry_mode":"next_session_open"`, `"time_stop_minutes":120`, `"weekly_ok":true`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("missing %s in %s", frag, b)
		}
	}
}

func locs(pr *doc.Problems) []string {
	out := []string{}
	for _, f := range pr.Fields {
		out = append(out, doc.Path(f.Loc))
	}
	return out
}

func TestDecodeProblems(t *testing.T) {
	cases := []struct {
		doc  string
		want []string
	}{
		{`[]`, []string{""}},
		{`{"policy": 3}`, []string{"policy"}},
		{`{"risk":{},"execution":{}}`, []string{"alerting"}},
		{`{"policy":{"risk":{},"execution":{},"alerting":{}}}`, []string{}},
		{`{"risk":{"max_drawdown":"x"},"execution":{"slippage_bps":"1","size_by_conf":1,"brackets":{"mode":3,"enabled":"yes"},
		   "options":{"selection":{"dte_target":null,"min_vol":null,"weekly_ok":1,"target_delta":"a"}}},"alerting":{"cooldown_minutes":true}}`,
			[]string{"risk.max_drawdown", "execution.slippage_bps", "execution.size_by_conf", "execution.brackets.enabled",
				"execution.brackets.mode", "execution.options.selection.target_delta", "execution.options.selection.weekly_ok",
				"alerting.cooldown_minutes"}},
		// Ranges: the examples and every guard error.
		{`{"risk":{"max_drawdown":2,"min_dsr":1.5,"min_trades":-1},"alerting":{},"execution":{"slippage_bps":-5,"conf_cap":7,
		   "brackets":{"atr_mult_stop":0,"min_rr":-1,"atr_period":0,"entry_mode":"later","time_stop_minutes":1.5},
		   "options":{"selection":{"target_delta":1,"min_oi":-1}}}}`,
			[]string{"risk.max_drawdown", "risk.min_trades", "risk.min_dsr", "execution.slippage_bps", "execution.conf_cap",
				"execution.brackets.entry_mode", "execution.brackets.atr_period", "execution.brackets.atr_mult_stop",
				"execution.brackets.time_stop_minutes", "execution.brackets.min_rr",
				"execution.options.selection.target_delta", "execution.options.selection.min_oi"}},
	}
	for _, c := range cases {
		_, pr := Decode(parse(t, c.doc))
		got := locs(pr)
		want := append([]string{}, c.want...)
		if strings.Join(sorted(got), ",") != strings.Join(sorted(want), ",") {
			t.Errorf("%s:\n got %q\nwant %q", c.doc, got, want)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestGuardChecks(t *testing.T) {
	// Out-of-range values are schema errors and the guard still reports them.
	e := Explain(parse(t, `{"risk":{},"alerting":{},"execution":{"brackets":{"atr_mult_stop":0,"atr_mult_target":-1,"min_rr":-1,"time_stop_minutes":0},
		"options":{"selection":{"target_delta":1,"min_oi":-1,"dte_target":0,"min_vol":6}}}}`), "")
	wantErrs := []string{"brackets.atr_mult_stop must be > 0", "brackets.min_rr must be >= 0",
		"options.selection.target_delta must be in (0,1)", "options.selection.min_oi must be >= 0"}
	wantWarn := []string{"brackets.atr_mult_target should exceed atr_mult_stop for positive RR",
		"brackets.time_stop_minutes is non-positive; time stop will be disabled",
		"options.selection.dte_target is non-positive; expiries may not resolve",
		"options.selection.min_vol outside [0,5] (interpreted as 0-500%)"}
	if !reflect.DeepEqual(e.Checks.Errors, wantErrs) || !reflect.DeepEqual(e.Checks.Warnings, wantWarn) {
		t.Fatalf("errors %q\nwarnings %q", e.Checks.Errors, e.Checks.Warnings)
	}
	if e.OK || e.SchemaOK || e.Checks.OK || len(e.SchemaErrors) != 5 {
		t.Fatalf("verdict %+v", e)
	}
	// Advice only: a valid policy with warnings is ok.
	e = Explain(parse(t, `{"risk":{},"alerting":{},"execution":{"brackets":{"atr_mult_stop":2,"atr_mult_target":1,"time_stop_minutes":0}}}`), "")
	if !e.OK || len(e.Checks.Warnings) != 2 || len(e.SchemaErrors) != 0 {
		t.Fatalf("%+v", e)
	}
}

func TestEffective(t *testing.T) {
	p, pr := Decode(parse(t, `{"policy":{"risk":{},"alerting":{},"execution":{"slippage_bps":2,"venue":"x","custom":{"a":1},
		"brackets":{"atr_mult_stop":1,"note":"n"},"options":{"selection":{"target_delta":0.3},"strategy":"vertical"}}}}`))
	if len(pr.Fields) != 0 {
		t.Fatal(pr.Fields)
	}
	eff := p.Effective()
	if eff.SlippageBps != 2 || eff.Venue != "x" || eff.Brackets.AtrMultStop != 1 || eff.Brackets.AtrMultTarget != 3 ||
		eff.Options.Selection.TargetDelta != 0.3 || eff.Options.Selection.SpreadWidth != 5 || !eff.Parity {
		t.Fatalf("%+v", eff)
	}
	b, _ := json.Marshal(eff)
	for _, frag := range []string{`"venue":"x"`, `"custom":{"a":1}`, `"note":"n"`, `"strategy":"vertical"`, `"atr_mult_target":3`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("missing %s in %s", frag, b)
		}
	}
	// Parity needs a non-empty, enabled brackets block in the document.
	for _, c := range []struct {
		doc    string
		parity bool
	}{{`{"execution":{}}`, false}, {`{"execution":{"brackets":{}}}`, false},
		{`{"execution":{"brackets":{"enabled":false,"atr_period":5}}}`, false}, {`{"execution":{"brackets":{"enabled":true}}}`, true}} {
		p, _ := Decode(parse(t, c.doc))
		if p.Effective().Parity != c.parity {
			t.Errorf("%s: parity %v", c.doc, !c.parity)
		}
	}
}

// TestRoundTrip: Decode then Doc gives the document back, unknown keys and
// the wrapped shape included.
func TestRoundTrip(t *testing.T) {
	for _, s := range []string{
		`{"name":"n","description":"d","version":3,"risk":{"max_drawdown":0.1,"max_exposure":10000,"custom_limit":5},
		  "execution":{"slippage_bps":1.5,"size_by_conf":true,"conf_cap":0.8,"momentum_gate":true,"momentum_min":5,"momentum_column":"m",
		    "venue":"alpaca","order_type":"limit","extra":[1,2],"brackets":{"enabled":true,"mode":"atr","entry_mode":"next_bar","atr_period":14,
		    "atr_mult_stop":1.5,"atr_mult_target":3,"time_stop_minutes":0,"min_rr":1,"regime_adjust":false,"x":"y"},
		    "options":{"selection":{"target_delta":0.35,"dte_target":2,"min_oi":100,"min_vol":0.2,"spread_width":5,"weekly_ok":true,"z":1},"strategy":"v"}},
		  "alerting":{"cooldown_minutes":5,"max_trades_per_day":10,"min_signal_score":0.62,"channel":"x"},
		  "options":{"strategy_type":"vertical"},"brackets":{"use_atr":true}}`,
		`{"name":"scalps","version":1,"policy":{"risk":{},"execution":{"venue":"alpaca"},"alerting":{},"name":"inner"}}`,
	} {
		in := parse(t, s)
		p, pr := Decode(in)
		if len(pr.Fields) != 0 {
			t.Fatalf("%s: %v", s, pr.Fields)
		}
		b, _ := json.Marshal(p)
		if !reflect.DeepEqual(parse(t, string(b)), in) {
			t.Errorf("round trip:\n in %s\nout %s", s, b)
		}
		var back Policy
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, p) {
			t.Errorf("unmarshal: %v\n%+v\n%+v", err, back, p)
		}
	}
	var bad Policy
	if err := json.Unmarshal([]byte(`{"risk":{},"alerting":{},"execution":{"slippage_bps":"lots"}}`), &bad); err == nil ||
		!strings.Contains(err.Error(), "execution.slippage_bps") {
		t.Fatalf("unmarshal of an invalid policy: %v", err)
	}
}
