package app

import (
	"context"
	"fmt"

	"sigmalab/engine/market"
	"sigmalab/storage/parquet"
)

// wireMarket attaches the Parquet market store (data dir market/) to the Lab and, with
// Config.Demo on an empty market dir, seeds the demo market so every endpoint has data
// on a fresh install. A market dir holding anything (demo or imported) is left alone.
func (a *App) wireMarket() error {
	st := parquet.NewMarketStore(a.Layout.Market())
	a.Lab.Market = st
	a.Lab.MarketTables = parquet.OpenTable
	a.Lab.ResolveDataPath = a.Layout.Resolve
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
