package main

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

// The loopback-safety and limit flags of serve: defaults, env, flags, and
// malformed values refused.
func TestServeSafetyFlags(t *testing.T) {
	var errb bytes.Buffer
	for _, k := range []string{"SIGMA_ALLOWED_HOSTS", "SIGMA_CORS_ORIGINS", "SIGMA_MAX_CONNS", "SIGMA_MAX_QUEUED", "SIGMA_HEAVY_WAIT"} {
		t.Setenv(k, "")
	}
	f, err := parseServe(nil, &errb)
	if err != nil || f.allowedHosts != nil || f.corsOrigins != nil || f.maxConns != 256 || f.maxQueued != 64 || f.heavyWait != 30*time.Second {
		t.Fatalf("defaults: %+v %v", f, err)
	}
	t.Setenv("SIGMA_ALLOWED_HOSTS", "lab.internal, box:8001")
	t.Setenv("SIGMA_CORS_ORIGINS", "http://localhost:5173")
	t.Setenv("SIGMA_MAX_CONNS", "32")
	t.Setenv("SIGMA_HEAVY_WAIT", "5s")
	f, err = parseServe(nil, &errb)
	if err != nil || !slices.Equal(f.allowedHosts, []string{"lab.internal", "box:8001"}) ||
		!slices.Equal(f.corsOrigins, []string{"http://localhost:5173"}) || f.maxConns != 32 || f.heavyWait != 5*time.Second {
		t.Fatalf("env: %+v %v", f, err)
	}
	f, err = parseServe([]string{"--cors-origins", "https://ui.example", "--max-queued", "8", "--max-conns", "4"}, &errb)
	if err != nil || !slices.Equal(f.corsOrigins, []string{"https://ui.example"}) || f.maxQueued != 8 || f.maxConns != 4 {
		t.Fatalf("flags: %+v %v", f, err)
	}
	for _, bad := range [][]string{
		{"--cors-origins", "ui.example"}, {"--cors-origins", "http://ui.example/path"},
		{"--allowed-hosts", "http://lab.internal"}, {"--max-conns", "0"}, {"--max-queued", "-1"}, {"--heavy-wait", "0s"},
	} {
		if _, err := parseServe(bad, &errb); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
