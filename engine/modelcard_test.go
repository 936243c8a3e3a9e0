package engine

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigmalab/engine/backtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenCard is a backtest card with the value kinds the writers put in:
// pointers (set and nil), nested maps, structs and struct pointers, times,
// int and float lists, a list of records and an empty list.
func goldenCard() ModelCard {
	f := func(v float64) *float64 { return &v }
	var none *float64
	thr := 0.55
	created := time.Date(2024, 11, 4, 15, 30, 5, 123456789, time.UTC)
	return ModelCard{
		ID: "spy_eq_intraday_hourly-backtest-7", SchemaVersion: ModelCardSchemaVersion, PackID: "momentumsigma",
		ModelID: "spy_eq_intraday_hourly", CreatedAt: created, Event: "backtest", PolicyVersion: 3, RunID: 7,
		Config: CardConfig{Ticker: "SPY", Model: "gbm", Task: "classification",
			TrainWindow: &CardWindow{Start: "2023-01-01", End: "2024-12-31"}},
		Policy: map[string]any{"slippage_bps": 1.5, "size_by_conf": false, "momentum_column": "",
			"brackets": map[string]any{"atr_mult_stop": 1.5, "atr_mult_target": 3.0, "time_stop_minutes": 120}},
		Params: map[string]any{"thresholds": []float64{0.5, 0.55, 0.6}, "top_pct": none,
			"allowed_hours": []int{10, 11, 14}, "calibration": "sigmoid", "splits": 5, "embargo": 0.01, "tag": "",
			"started_at": created.Add(-90 * time.Second)},
		Metrics: map[string]any{
			"best_sharpe_hourly": f(0.0812345678), "best_cum_ret": f(0.15728), "trades": 76, "hit_rate": 0.5394736842105263,
			"max_dd": -0.0312, "gate_pass": false, "gate_reasons": []string{"dsr 0.41 < 0.95"},
			"gate":             &Gate{Pass: true, Reasons: []string{}, MinTrades: 30, MinDSR: 0.95},
			"dsr":              none,
			"periods_per_year": 1764.0, "tiny": 3.2e-7, "big_count": 123456.789,
			"overall":         backtest.Metrics{Rows: 420, Trades: 76, CumRet: 0.15728, SharpeHourly: 0.0812, NTrials: 2},
			"parity":          &backtest.ParityResult{OK: true, Signals: 80, Trades: 76, Wins: 40, HitRate: 0.526, AvgRR: 0.3125, AtrMultStop: 1.5, AtrMultTarget: 3, TimeStopMinutes: 120, EntryMode: "next_session_open"},
			"threshold_table": []backtest.ThresholdRow{{Thr: 0.5, Metrics: backtest.Metrics{Trades: 90, CumRet: 0.1}}, {Thr: 0.55, Metrics: backtest.Metrics{Trades: 60, CumRet: 0.12}}},
			"hour_thr":        []backtest.HourThr{{Hour: 10, Thr: thr}},
		},
		Lineage:  map[string]any{"matrix_sha": "ab12cd", "policy_version": 3, "build_id": "b-20241104"},
		Features: []string{"rsi_14", "ret_1h", "hour_of_day"},
	}
}

// TestCardMarkdownGolden: the card's markdown reads like a document, not a Go
// dump (no pointer addresses, map[…], &{…} or <nil>). Regenerate with
// go test ./engine/ -run TestCardMarkdownGolden -update and read the diff.
func TestCardMarkdownGolden(t *testing.T) {
	got := RenderCardMarkdown(goldenCard())
	for _, bad := range []string{"0x", "map[", "&{", "<nil>", "%!"} {
		if strings.Contains(got, bad) {
			t.Errorf("markdown contains %q:\n%s", bad, got)
		}
	}
	path := filepath.Join("testdata", "modelcard_backtest.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("markdown differs from %s (-update rewrites it):\n%s", path, got)
	}
}

func TestCardFloat(t *testing.T) {
	for f, want := range map[float64]string{0: "0", 76: "76", 0.15728: "0.1573", -0.0312: "-0.0312", 1.23456: "1.235",
		12.3456: "12.35", 1764: "1764", 123456.789: "123456.79", 3.2e-7: "3.2e-07", 0.5: "0.5", -0.00001: "-1e-05"} {
		if got := cardFloat(f); got != want {
			t.Errorf("cardFloat(%v) = %s, want %s", f, got, want)
		}
	}
}
