package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseBacktestFlags(t *testing.T) {
	var errb bytes.Buffer
	_, r, err := parseOverBody("backtest", []string{"--model-id", "m1", "--thresholds", "0.5, 0.6", "--hours", "13,14",
		"--top-pct", "0.1", "--calibration", "isotonic", "--save=false", "--cv", "kfold"}, &errb, backtestFlags)
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
	if _, _, err := parseOverBody("backtest", []string{"--hours", "x"}, &errb, backtestFlags); err == nil || !strings.Contains(err.Error(), "hour") {
		t.Fatalf("bad hours: %v", err)
	}
	var out bytes.Buffer
	if code := run([]string{"backtest", "--data", t.TempDir()}, &out, &errb); code != 2 {
		t.Fatalf("missing model id: exit %d", code)
	}
}

// TestBacktestBodyAsTheAPI: --body decodes as POST /backtest does (the
// README's "thresholds":"0.45,0.5,0.55" string list once exited 2), flags
// override the file's fields, and a bad field is refused as the API refuses it.
func TestBacktestBodyAsTheAPI(t *testing.T) {
	dir := t.TempDir()
	body := filepath.Join(dir, "req.json")
	if err := os.WriteFile(body, []byte(`{"model_id":"from_file","splits":4,"thresholds":"0.45,0.5,0.55","allowed_hours":"13,14",`+
		`"top_pct":"","save":true,"tag":"first"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	_, r, err := parseOverBody("backtest", []string{"--body", body, "--tag", "cli", "--splits", "3"}, &errb, backtestFlags)
	if err != nil {
		t.Fatal(err)
	}
	if r.ModelID != "from_file" || r.Splits != 3 || r.Tag != "cli" || !slices.Equal(r.Thresholds, []float64{0.45, 0.5, 0.55}) ||
		!slices.Equal(r.AllowedHours, []int{13, 14}) || r.TopPct != nil || !*r.Save {
		t.Fatalf("%+v", r)
	}
	if err := os.WriteFile(body, []byte(`{"model_id":"m","allowed_hours":"a,b"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"backtest", "--data", dir, "--body", body}, &bytes.Buffer{}, &errb); code != 2 ||
		!strings.Contains(errb.String(), "allowed_hours must be a list of ints") {
		t.Fatalf("bad hours in --body: exit %d: %s", code, errb.String())
	}
}
