package app

import (
	"sigmalab/engine/backtest"
	"sigmalab/storage/parquet"
)

// oofCacheEntries bounds the in-memory OOF cache (each entry is a few MB for
// 100k rows); older setups are reloaded from their persisted artifact.
const oofCacheEntries = 16

// wireBacktest attaches the backtest run store (bbolt), the artifact files
// (plots, model cards, persisted OOF predictions) and the OOF cache.
func (a *App) wireBacktest() error {
	a.Lab.Backtests = a.DB.Backtests()
	a.Lab.Artifacts = a.artifacts()
	a.Lab.OOFs = backtest.NewCache(oofCacheEntries)
	a.Lab.BacktestTables = parquet.BacktestTables{}
	return nil
}
