// Package engine is the domain of the lab: the use cases (configure models, build
// matrices, train, backtest, sweep, signals …) written against small storage
// interfaces (ports) that the storage/ adapters implement. It imports no HTTP,
// bbolt, Parquet or Bleve code so that it can run from the CLI, the server and
// tests alike.
//
// Each domain adds its own use-case file (config.go, build.go, train.go, …) with
// methods on Lab, and its ports as fields of Lab. Lab is wired once (package app)
// and shared by the HTTP layer and the CLI.
package engine

import (
	"context"
	"io/fs"
	"log/slog"
	"sort"
	"time"

	"sigmalab/engine/jobs"
	"sigmalab/engine/market"
)

// Lab holds the ports and injected dependencies every use case needs.
// Fields are set by the wiring code; a nil optional port means the feature is
// unavailable and its use cases answer ErrInvalid/ErrNoData rather than panic.
type Lab struct {
	// Configs stores model configs, versioned policies, indicator sets and
	// user-added packs/templates (bbolt in production).
	Configs ConfigStore
	// PacksFS holds the built-in packs: <pack>/pack.yaml, indicator_sets/*.yaml,
	// model_configs/*.yaml, policy_templates/*.yaml, model_templates/*.yaml.
	PacksFS fs.FS

	// Now is the clock; tests inject a fixed one.
	Now func() time.Time
	// Log receives structured logs.
	Log *slog.Logger
	// HealthChecks are named probes run by Health (db, index dirs, …).
	// Wiring code and other domains add their own.
	HealthChecks map[string]func(context.Context) error
	// Version is the build version of the binary.
	Version string

	// Jobs runs long work in the background (async:true requests); nil where use
	// cases run inline (CLI). Kinds are registered with jobs.Register.
	Jobs *jobs.Runner
	// Sweeps stores sweeps and their per-cell results.
	Sweeps SweepStore

	// TrainingRuns records trainings (bucket training_runs).
	TrainingRuns TrainingRunStore
	// ArtifactRegistry stores downloadable artifacts (file + artifacts row), e.g. trained models.
	ArtifactRegistry ArtifactRegistry
	// Cards stores model cards (nil: cards are not written).
	Cards CardStore
	// CardIndex searches and reads stored model cards (nil: GET /model_cards
	// answers no_data).
	CardIndex CardReader

	// Market stores bars, option bars and chains (Parquet under market/).
	Market market.Store
	// MarketTables opens .parquet files for import (nil: Parquet import refused).
	MarketTables market.TableOpener
	// ResolveDataPath confines a client-supplied path to the data dir (ErrInvalid otherwise).
	ResolveDataPath func(rel string) (string, error)

	// Matrices stores built matrices (matrices/<model_id>/<build_id>.parquet).
	Matrices MatrixStore
	// BuildRuns records matrix builds (bucket build_runs).
	BuildRuns BuildRunStore
	// Exports writes user-named output files (out_csv, raw_out) under exports/.
	Exports ExportWriter

	// Backtests stores backtest runs, folds and the leaderboard index.
	Backtests BacktestStore
	// Artifacts reads and writes artifacts/<kind>/<name> (plots, OOF predictions).
	Artifacts ArtifactStore
	// BacktestTables writes saved backtests' OOF, trades and equity tables (nil: not written).
	BacktestTables BacktestTables
	// OOFs caches out-of-fold predictions in memory (nil: no cache).
	OOFs *OOFCache
	// MaxSweepCells caps the cells of one sweep (0: DefaultMaxSweepCells).
	MaxSweepCells int
	// MaxSyncWork bounds the training a synchronous backtest or sweep may do
	// (rows × folds × rounds; 0: DefaultMaxSyncWork); beyond it the request
	// runs as a job and answers 202.
	MaxSyncWork float64
	// Backup streams an archive of the data dir (POST /admin/backup; nil: not wired).
	Backup BackupWriter

	// Signals stores signals and option overlays and searches them (lab_signals.go).
	Signals SignalPorts

	packs packCache // built-in packs, parsed once (see config_packs.go)
}

// now returns the injected clock's time in UTC, defaulting to the wall clock.
func (l *Lab) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

// logger returns the injected logger or a discard logger.
func (l *Lab) logger() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.New(slog.DiscardHandler)
}

// HealthReport is the outcome of Health: per-check ok flags and error texts.
type HealthReport struct {
	OK     bool              `json:"ok"`
	Checks map[string]bool   `json:"checks"`
	Errors map[string]string `json:"errors"`
}

// Health runs every registered health check in name order.
func (l *Lab) Health(ctx context.Context) HealthReport {
	rep := HealthReport{OK: true, Checks: map[string]bool{}, Errors: map[string]string{}}
	names := make([]string, 0, len(l.HealthChecks))
	for n := range l.HealthChecks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := l.HealthChecks[n](ctx); err != nil {
			rep.OK = false
			rep.Checks[n] = false
			rep.Errors[n] = err.Error()
			continue
		}
		rep.Checks[n] = true
	}
	return rep
}
