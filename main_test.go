package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"version"}, &out, &errb); rc != 0 || strings.TrimSpace(out.String()) != "sigmalab "+version {
		t.Fatalf("version: rc %d out %q", rc, out.String())
	}
	errb.Reset()
	if rc := run([]string{"frobnicate"}, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown: rc %d %q", rc, errb.String())
	}
	if rc := run(nil, &out, &errb); rc != 2 || !strings.Contains(errb.String(), "serve") {
		t.Fatalf("usage: rc %d", rc)
	}
}

// Flags beat env, env beats defaults.
func TestServeFlagPrecedence(t *testing.T) {
	var errb bytes.Buffer
	t.Setenv("SIGMA_DATA_DIR", "")
	t.Setenv("SIGMA_ADDR", "")
	f, err := parseServe(nil, &errb)
	if err != nil || f.data != "./sigmalab-data" || f.addr != "127.0.0.1:8001" || !f.demo {
		t.Fatalf("defaults: %+v %v", f, err)
	}
	t.Setenv("SIGMA_DATA_DIR", "/srv/lab")
	t.Setenv("SIGMA_ADDR", "127.0.0.1:9000")
	f, _ = parseServe(nil, &errb)
	if f.data != "/srv/lab" || f.addr != "127.0.0.1:9000" {
		t.Fatalf("env: %+v", f)
	}
	f, _ = parseServe([]string{"--data", "x", "--addr", ":1", "--demo=false"}, &errb)
	if f.data != "x" || f.addr != ":1" || f.demo {
		t.Fatalf("flags: %+v", f)
	}
	if _, err := parseServe([]string{"extra"}, &errb); err == nil {
		t.Fatal("stray argument accepted")
	}
}

func TestDemoRangeFlag(t *testing.T) {
	var errb bytes.Buffer
	for _, bad := range []string{"2024-01-02", "2024-13-01:2024-12-31", "2024-06-01:2024-01-02", "2024-01-02:2024-06-28:2024-07-01", "a:b:c:d"} {
		if _, err := parseServe([]string{"--demo-range", bad}, &errb); err == nil {
			t.Errorf("--demo-range %q accepted", bad)
		}
	}
	cases := []struct{ spec, start, end, opts string }{
		{"2024-09-03:2024-12-31", "2024-09-03", "2024-12-31", "2024-10-01"},
		{"2024-11-01:2024-12-31", "2024-11-01", "2024-12-31", "2024-11-01"},
		{"2023-01-03:2023-03-31", "2023-01-03", "2023-03-31", "2023-01-03"},
		{"2024-01-02:2024-06-28:2024-05-01", "2024-01-02", "2024-06-28", "2024-05-01"},
	}
	for _, c := range cases {
		cfg, err := demoMarket(c.spec)
		if err != nil || cfg == nil || cfg.Start != c.start || cfg.End != c.end || cfg.OptionsFrom != c.opts {
			t.Errorf("%s: %+v %v", c.spec, cfg, err)
		}
	}
	if cfg, err := demoMarket(""); cfg != nil || err != nil {
		t.Errorf("empty range: %v %v", cfg, err)
	}
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8001": true, "localhost:8001": true, "[::1]:8001": true, "127.0.0.2:1": true,
		":8001": false, "0.0.0.0:8001": false, "10.0.0.5:8001": false, "[::]:8001": false, "example.com:80": false, "nonsense": false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}
