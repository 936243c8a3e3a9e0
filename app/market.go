package app

import (
	"context"
	"fmt"

	"sigmalab/engine/market"
	"sigmalab/storage/files"
	"sigmalab/storage/parquet"
)

// wireMarket attaches the Parquet market store (data dir market/) to the Lab and, with
// Config.Demo on an empty market dir, seeds the demo market so every endpoint has data
// on a fresh install. A market dir holding anything (demo or imported) is left alone.
// An import a kill interrupted is finished (committed) or discarded (not yet
// committed) first, so nothing reads a half-published import.
func (a *App) wireMarket() error {
	st := parquet.NewMarketStoreIn(a.Layout.Dir(files.DirMarket))
	rs, err := st.Recover()
	if err != nil {
		return fmt.Errorf("recover market imports: %w", err)
	}
	if rs.RolledForward+rs.RolledBack > 0 {
		a.Cfg.Log.Warn("recovered imports interrupted by a stop", "completed", rs.RolledForward, "discarded", rs.RolledBack)
	}
	if rs.Migrated > 0 || len(rs.NotMigrated) > 0 {
		a.Cfg.Log.Info("moved market files to hive-style folders", "moved", rs.Migrated, "not_moved", rs.NotMigrated)
	}
	a.Lab.Market = st
	a.Lab.MarketTables = parquet.OpenTable
	// POST /data/import {path} reads exports/ and the imports/ inbox only.
	a.Lab.ResolveDataPath = a.Layout.ResolveImport
	if !a.Cfg.Demo || !st.IsEmpty() {
		return nil
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	if a.Cfg.DemoMarket != nil {
		cfg = *a.Cfg.DemoMarket
	}
	sum, err := market.SeedDemo(context.Background(), st, cfg)
	if err != nil {
		return fmt.Errorf("seed demo market: %w", err)
	}
	a.Cfg.Log.Info("seeded demo market", "tickers", sum.Tickers, "start", sum.Start, "end", sum.End,
		"options_from", sum.OptionsFrom, "rows", sum.Rows, "elapsed", sum.Elapsed)
	return nil
}
