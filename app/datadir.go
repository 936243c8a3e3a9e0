package app

import (
	"context"

	"sigmalab/storage/files"
)

// wireDataDir cleans up after a kill and watches the data dir's health: it runs
// once the database lock is held (no other process uses the dir) and before any
// store writes. Atomic-write temp files and uploads in flight that a killed
// process left are removed (import staging folders are the market store's to
// recover), and /healthz gains data_writable: a write probe plus a free-space
// floor, so a read-only or full disk shows before a run fails on it.
func (a *App) wireDataDir() {
	if n, err := a.Layout.RemoveOrphans(); err != nil {
		a.Cfg.Log.Warn("removing temp files left by a stop", "removed", n, "err", err)
	} else if n > 0 {
		a.Cfg.Log.Info("removed temp files left by a stop", "removed", n)
	}
	minFree := a.Cfg.MinFreeBytes
	if minFree == 0 {
		minFree = files.DefaultMinFree
	}
	layout := a.Layout
	a.Lab.HealthChecks["data_writable"] = func(context.Context) error { return layout.ProbeWritable(minFree) }
}
