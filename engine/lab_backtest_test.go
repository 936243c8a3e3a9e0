package engine

import (
	"testing"

	"sigmalab/engine/backtest"
	"sigmalab/engine/policy"
)

// decodePolicy decodes a policy document a test writes (nil: no policy); the
// documents here set only the sections they test, so a missing section is
// not an error.
func decodePolicy(t *testing.T, d map[string]any) policy.Policy {
	t.Helper()
	if d == nil {
		return policy.Policy{}
	}
	p, _ := policy.Decode(d)
	return p
}

func TestExecutionParamsDefaults(t *testing.T) {
	p, br := executionParams(policy.Policy{})
	if p.SlippageBps != 1 || p.ConfCap != 1 || p.MomentumColumn != "momentum_score_total" || br != nil {
		t.Fatalf("defaults: %+v %v", p, br)
	}
	pol := map[string]any{"execution": map[string]any{"slippage_bps": 2.5, "size_by_conf": true, "conf_cap": 0.6,
		"momentum_gate": true, "momentum_min": 0.1, "brackets": map[string]any{"atr_mult_stop": 1.2, "entry_mode": "next_bar"}}}
	p, br = executionParams(decodePolicy(t, pol))
	if p.SlippageBps != 2.5 || !p.SizeByConf || p.ConfCap != 0.6 || !p.MomentumGate || p.MomentumMin != 0.1 {
		t.Fatalf("%+v", p)
	}
	if br == nil || br.AtrMultStop != 1.2 || br.AtrMultTarget != 3 || br.TimeStopMinutes != 120 || br.EntryMode != backtest.EntryNextBar {
		t.Fatalf("brackets %+v", br)
	}
	// Wrapped policies and disabled brackets.
	_, br = executionParams(decodePolicy(t, map[string]any{"policy": map[string]any{"execution": map[string]any{"brackets": map[string]any{"enabled": false}}}}))
	if br != nil {
		t.Fatalf("disabled brackets still run parity: %+v", br)
	}
}

func TestPassGate(t *testing.T) {
	dsr := func(v float64) *float64 { return &v }
	g := gate(backtest.Metrics{Trades: 30, SharpeHourly: 0.1, MaxDD: -0.05, Exposure: 0.3, DSR: dsr(0.96)}, policy.Policy{}, "")
	if !g.Pass || len(g.Reasons) != 0 || g.MinTrades != 30 || g.MinDSR != 0.95 {
		t.Fatalf("%+v", g)
	}
	// A one-trade run and a lucky-looking Sharpe do not pass.
	for _, m := range []backtest.Metrics{{Trades: 1, SharpeHourly: 0.5, DSR: dsr(0.99)}, {Trades: 300, SharpeHourly: 0.05, DSR: dsr(0.9)},
		{Trades: 300, SharpeHourly: 0.05}} {
		if g := gate(m, policy.Policy{}, ""); g.Pass || len(g.Reasons) != 1 {
			t.Fatalf("%+v passed: %+v", m, g)
		}
	}
	pol := map[string]any{"risk": map[string]any{"max_drawdown": 0.04, "max_exposure": 0.2}}
	g = gate(backtest.Metrics{Trades: 0, SharpeHourly: 0, MaxDD: -0.05, Exposure: 0.3, DSR: dsr(0.5)}, decodePolicy(t, pol), "")
	if g.Pass || len(g.Reasons) != 4 {
		t.Fatalf("%+v", g)
	}
	// Risk profiles and the policy's overrides.
	m := backtest.Metrics{Trades: 40, DSR: dsr(0.96)}
	if gate(m, policy.Policy{}, "conservative").Pass || !gate(m, policy.Policy{}, "aggressive").Pass || !gate(m, policy.Policy{}, "balanced").Pass {
		t.Fatal("risk profile bounds not applied")
	}
	over := map[string]any{"policy": map[string]any{"risk": map[string]any{"min_trades": 50, "min_dsr": 0.5}}}
	if g := gate(m, decodePolicy(t, over), ""); g.Pass || g.MinTrades != 50 || g.MinDSR != 0.5 {
		t.Fatalf("policy bounds: %+v", g)
	}
}

func TestBacktestRequestNormalize(t *testing.T) {
	r, err := BacktestRequest{ModelID: "m"}.Normalize()
	if err != nil || r.PackID != "" || r.Splits != 5 || r.CV != "walk_forward" || *r.Calibration != "sigmoid" || !*r.Save {
		t.Fatalf("%+v %v", r, err)
	}
	bad := []BacktestRequest{{}, {ModelID: "M/x"}, {ModelID: "m", Splits: 1, CV: "kfold"}, {ModelID: "m", Embargo: 1},
		{ModelID: "m", TrainHours: []int{24}}, {ModelID: "m", Thresholds: []float64{2}}, {ModelID: "m", PerHourSelectBy: "x"}}
	for _, b := range bad {
		if _, err := b.Normalize(); err == nil {
			t.Errorf("%+v accepted", b)
		}
	}
}
