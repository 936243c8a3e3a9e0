package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseBacktestFlags(t *testing.T) {
	var errb bytes.Buffer
	_, r, err := parseBacktest([]string{"--model-id", "m1", "--thresholds", "0.5, 0.6", "--hours", "13,14",
		"--top-pct", "0.1", "--calibration", "isotonic", "--save=false", "--cv", "kfold"}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if r.ModelID != "m1" || len(r.Thresholds) != 2 || len(r.AllowedHours) != 2 || *r.TopPct != 0.1 ||
		*r.Calibration != "isotonic" || *r.Save || r.CV != "kfold" || r.SlippageBps != nil {
		t.Fatalf("%+v", r)
	}
	if _, err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseBacktest([]string{"--hours", "x"}, &errb); err == nil || !strings.Contains(err.Error(), "hour") {
		t.Fatalf("bad hours: %v", err)
	}
	var out bytes.Buffer
	if code := run([]string{"backtest", "--data", t.TempDir()}, &out, &errb); code != 2 {
		t.Fatalf("missing model id: exit %d", code)
	}
}
