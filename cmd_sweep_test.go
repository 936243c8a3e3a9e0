package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseSweepFlags(t *testing.T) {
	body := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(body, []byte(`{"model_id":"from_file","tag":"filetag","top_pct_variants":[0.3],"min_trades":9}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	_, r, err := parseOverBody("sweep", []string{"--body", body, "--thresholds", "0.5,0.52;0.6", "--hours", "13,14;", "--top-pct", "0.1,0.2",
		"--tag", "cli", "--min-sharpe", "0.01", "--save=false"}, &stderr, sweepFlags)
	if err != nil {
		t.Fatal(err)
	}
	if r.ModelID != "from_file" || r.Tag != "cli" || r.MinTrades != 9 || *r.Save || *r.MinSharpe != 0.01 {
		t.Fatalf("%+v", r)
	}
	if !slices.Equal(r.ThresholdsVariants, []string{"0.5,0.52", "0.6"}) || !slices.Equal(r.AllowedHoursVariants, []string{"13,14", ""}) ||
		!slices.Equal(r.TopPctVariants, []float64{0.1, 0.2}) {
		t.Fatalf("%+v", r)
	}
	if _, _, err := parseOverBody("sweep", []string{"--top-pct", "x"}, &stderr, sweepFlags); err == nil {
		t.Fatal("bad --top-pct accepted")
	}
	if code := run([]string{"sweep", "--data", t.TempDir()}, &stderr, &stderr); code != 2 {
		t.Fatalf("missing model id: exit %d", code)
	}
}

func TestProgressBar(t *testing.T) {
	var w bytes.Buffer
	b := newProgressBar(&w, "always")
	b.update(0.5, "cell 5/10")
	b.update(1, "cell 10/10")
	b.done()
	out := w.String()
	if !strings.Contains(out, "[###############...............]  50% cell 5/10") || !strings.Contains(out, "100% cell 10/10") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("%q", out)
	}
	w.Reset()
	nb := newProgressBar(&w, "auto") // a buffer is not a terminal
	nb.update(0.5, "x")
	nb.done()
	if w.Len() != 0 {
		t.Fatalf("bar drawn off a terminal: %q", w.String())
	}
}
