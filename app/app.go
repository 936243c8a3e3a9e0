// Package app wires the pieces (data dir, bbolt, engine, HTTP API) from a Config.
// main and the API test helper both use it, so tests run exactly the production
// wiring. Domains add their adapters (Parquet, Bleve, market data, jobs) here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"sigmalab/assets"
	"sigmalab/engine"
	"sigmalab/engine/market"
	"sigmalab/httpapi"
	"sigmalab/storage/artifacts"
	"sigmalab/storage/bolt"
	"sigmalab/storage/files"
)

// Config is what the process was asked to run with (flags > env > defaults).
type Config struct {
	DataDir string

	// MinFreeBytes is the free space below which /healthz reports the data dir
	// full (0: files.DefaultMinFree).
	MinFreeBytes uint64

	Demo bool // seed the demo market on an empty data dir
	// DemoMarket overrides the seeded demo market (tests use a short range);
	// nil seeds market.DefaultDemoConfig(market.DemoSeed).
	DemoMarket *market.DemoConfig
	Version    string
	Log        *slog.Logger     // nil: discard
	Now        func() time.Time // nil: wall clock
	MaxBody    int64            // request body cap (0: default)
	// HTTP are the API's loopback-safety settings and limits (listen address,
	// allowed hosts, CORS origins, timeouts, heavy-work wait); MaxBody, Log and
	// Now above take precedence over the same fields in it.
	HTTP httpapi.Options
	// MaxQueued bounds the job queue (0: jobs.DefaultMaxQueued).
	MaxQueued int
}

// App is a wired, open application.
type App struct {
	Cfg    Config
	Layout files.Layout
	DB     *bolt.DB
	Lab    *engine.Lab
	API    *httpapi.Server

	closers  []func() error // run in reverse order by Close
	registry *artifacts.Registry
}

// Open prepares the data dir, opens storage and builds the Lab and the API.
func Open(cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	layout, err := files.NewLayout(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := layout.Init(); err != nil {
		return nil, err
	}
	db, err := bolt.Open(layout.DBPath())
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, Layout: layout, DB: db}
	a.closers = append(a.closers, db.Close)

	a.Lab = &engine.Lab{
		Configs: db.Configs(),
		PacksFS: assets.Packs(),
		Now:     cfg.Now,
		Log:     cfg.Log,
		Version: cfg.Version,
		HealthChecks: map[string]func(context.Context) error{
			"db": func(context.Context) error { return db.Ping() },
			"data_dirs": func(context.Context) error {
				return layout.CheckDirs(files.DirMarket, files.DirMatrices, files.DirArtifacts, files.DirExports)
			},
			"index_dir": func(context.Context) error { return layout.CheckDirs(files.DirIndex) },
		},
	}
	a.wireDataDir()
	// The shipped packs' model configs and policies become stored models on a
	// fresh data dir (never overwriting edits), so GET /models lists them.
	if _, err := a.Lab.SeedPacks(context.Background()); err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("seed packs: %w", err)
	}
	// Extension point: other domains attach their ports to a.Lab here (Parquet
	// matrix store, Bleve indexes, market data, job runner) and register closers.
	// Cards before jobs: Close runs closers newest first, so running jobs stop
	// before the card index they may write to is closed.
	if err := a.wireCards(); err != nil {
		_ = a.Close()
		return nil, err
	}
	if err := a.wireSignals(); err != nil {
		_ = a.Close()
		return nil, err
	}
	if err := a.wireJobs(); err != nil {
		_ = a.Close()
		return nil, err
	}
	// Extension point: demo seeding (cfg.Demo) runs here once the market exists.
	if err := a.wireMarket(); err != nil {
		_ = a.Close()
		return nil, err
	}
	if err := a.wireMatrix(); err != nil {
		_ = a.Close()
		return nil, err
	}

	if err := a.wireTrain(); err != nil {
		_ = a.Close()
		return nil, err
	}
	if err := a.wireBacktest(); err != nil {
		_ = a.Close()
		return nil, err
	}
	a.wireBackup()

	api := cfg.HTTP
	api.MaxBody, api.Log, api.Now = cfg.MaxBody, cfg.Log, cfg.Now
	api.DBPath = layout.DBPath()
	a.wireAuth(&api.Auth)
	a.API = httpapi.New(a.Lab, api)
	return a, nil
}

// Handler is the HTTP handler of the API.
func (a *App) Handler() http.Handler { return a.API.Handler() }

// Close releases everything Open acquired, newest first.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	if len(errs) > 0 {
		return fmt.Errorf("close: %w", errors.Join(errs...))
	}
	return nil
}
