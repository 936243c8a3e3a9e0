package app

import (
	"context"

	"sigmalab/engine"
	"sigmalab/storage/files"
	"sigmalab/storage/search"
)

// signalsIndexRel is the signals index folder inside the data dir.
const signalsIndexRel = files.DirIndex + "/signals.bleve"

// wireSignals attaches the signal store (bbolt) and its full-text index
// (index/signals.bleve, rebuilt from the store when missing, corrupt or
// behind it). It runs before wireJobs so that Close stops jobs (which may
// be generating signals) before it closes the index.
func (a *App) wireSignals() error {
	store := a.DB.Signals()
	idx, err := search.OpenSignals(context.Background(), search.SignalsOptions{
		Root: a.Layout.Root, IndexRel: signalsIndexRel, Source: store, Log: a.Cfg.Log,
	})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, idx.Close)
	a.Lab.Signals = engine.SignalPorts{Store: store, Index: idx}
	a.Lab.HealthChecks["signals_index"] = idx.Check
	return nil
}
