// Package apptest opens the real application (bbolt, Parquet, Bleve, the job
// runner) on a temp data dir for tests of the engine's use cases, wired
// exactly as production wires it, without an HTTP server (httpapi/apitest
// adds one).
package apptest

import (
	"testing"
	"time"

	"sigmalab/app"
	"sigmalab/engine/market"
)

// FixedNow is the clock of apps opened by New.
var FixedNow = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// New opens the app on a fresh t.TempDir() with no demo market and a fixed
// clock, and closes it when the test ends.
func New(t testing.TB) *app.App {
	t.Helper()
	return NewWith(t, app.Config{})
}

// NewWith opens the app with cfg; an empty DataDir becomes t.TempDir() and a
// nil clock FixedNow.
func NewWith(t testing.TB, cfg app.Config) *app.App {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return FixedNow }
	}
	a, err := app.Open(cfg)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close app: %v", err)
		}
	})
	return a
}

// Demo opens the app with the demo market seeded over [start, end], option
// data from optionsFrom.
func Demo(t testing.TB, start, end, optionsFrom string) *app.App {
	t.Helper()
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = start, end, optionsFrom
	return NewWith(t, app.Config{Demo: true, DemoMarket: &cfg})
}
