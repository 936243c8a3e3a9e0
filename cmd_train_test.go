package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/market"
)

func TestParseTrainFlags(t *testing.T) {
	body := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(body, []byte(`{"model_id":"from_file","tag":"filetag","target":"y_syn","allowed_hours":[9]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	f, r, err := parseOverBody("train", []string{"--body", body, "--data", "d", "--hours", "13, 14", "--features", "a,b", "--calibration", "none",
		"--holdout-frac", "0.3", "--hyperparams", `{"n_estimators":20}`, "--tag", "cli"}, &errb, trainFlags)
	if err != nil {
		t.Fatal(err)
	}
	if f.data != "d" || r.ModelID != "from_file" || r.Target != "y_syn" || r.Tag != "cli" || !slices.Equal(r.AllowedHours, []int{13, 14}) ||
		!slices.Equal(r.Features, []string{"a", "b"}) || *r.Calibration != "none" || *r.HoldoutFrac != 0.3 || r.Hyperparams["n_estimators"] != 20.0 {
		t.Fatalf("%+v", r)
	}
	for _, bad := range [][]string{{"--hours", "x"}, {"--holdout-frac", "a"}, {"--hyperparams", "[1]"}, {"extra"}} {
		if _, _, err := parseOverBody("train", bad, &errb, trainFlags); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	var out bytes.Buffer
	if code := run([]string{"train", "--data", t.TempDir()}, &out, &errb); code != 2 {
		t.Fatalf("missing model id: exit %d", code)
	}
	if code := run([]string{"build", "--data", t.TempDir()}, &out, &errb); code != 2 {
		t.Fatalf("build without model id: exit %d", code)
	}
	_, b, err := parseOverBody("build", []string{"--stock", "--ticker", "SPY", "--k-sigma", "0.5", "--distance-max", "4"}, &errb, buildFlags)
	if err != nil || !b.stock || b.Ticker != "SPY" || *b.KSigma != 0.5 || *b.DistanceMax != 4 {
		t.Fatalf("build flags %+v %v", b, err)
	}
}

// TestBuildThenTrainCommands builds a matrix and trains on it from the command
// line over a short demo market.
func TestBuildThenTrainCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("demo seeding")
	}
	dir := t.TempDir()
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-09-02", "2024-10-31", "2024-10-31"
	cfg.Tickers = cfg.Tickers[:1]
	a, err := app.Open(app.Config{DataDir: dir, Demo: true, DemoMarket: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"build", "--data", dir, "--model-id", "spy_eq_intraday_hourly", "--start", "2024-09-03", "--end", "2024-10-31",
		"--progress", "always"}, &out, &errb); code != 0 {
		t.Fatalf("build: exit %d: %s", code, errb.String())
	}
	var built map[string]any
	if err := json.Unmarshal(out.Bytes(), &built); err != nil || built["ok"] != true || built["build_id"] == "" || built["rows"].(float64) < 100 {
		t.Fatalf("build output %v %s", err, out.String())
	}
	if !strings.Contains(errb.String(), "building matrix spy_eq_intraday_hourly") {
		t.Fatalf("build drew no progress bar: %q", errb.String())
	}
	out.Reset()
	if code := run([]string{"train", "--data", dir, "--model-id", "spy_eq_intraday_hourly", "--progress", "never", "--hyperparams", `{"n_estimators":20}`}, &out, &errb); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errb.String())
	}
	var trained map[string]any
	if err := json.Unmarshal(out.Bytes(), &trained); err != nil || !strings.HasPrefix(trained["model_out_uri"].(string), "artifacts/models/") ||
		trained["build_id"] != built["build_id"] {
		t.Fatalf("train output %v %s", err, out.String())
	}
	if code := run([]string{"train", "--data", dir, "--model-id", "spy_eq_intraday_hourly", "--target", "close"}, &out, &errb); code != 2 ||
		!strings.Contains(errb.String(), "not a class label") {
		t.Fatalf("price target: exit %d: %s", code, errb.String())
	}
}
