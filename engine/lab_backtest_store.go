package engine

import (
	"context"
	"encoding/json"
	"time"

	"sigmalab/engine/backtest"
)

// OOFCache is the in-memory LRU of out-of-fold predictions (see backtest.Cache).
type OOFCache = backtest.Cache

// BacktestRun is one stored backtest (bucket backtest_runs). The predecessor's
// columns keep their names; the UI/mock aliases (sharpe, trades, win_rate,
// max_drawdown, cum_ret, gate, lineage) are filled from the same figures.
type BacktestRun struct {
	ID          int64              `json:"id"`
	PackID      string             `json:"pack_id"`
	ModelID     string             `json:"model_id"`
	BuildID     string             `json:"build_id"`
	Tag         string             `json:"tag"`
	RiskProfile string             `json:"risk_profile"`
	Status      string             `json:"status"`
	StartedAt   time.Time          `json:"started_at"`
	FinishedAt  time.Time          `json:"finished_at"`
	CreatedAt   time.Time          `json:"created_at"`
	Params      BacktestParams     `json:"params"`
	Metrics     BacktestRunMetrics `json:"metrics"`
	// BestSharpeHourly and BestCumRet are the overall OOF figures of the
	// reported path (not the best fold); nil when the run has no rows.
	BestSharpeHourly *float64 `json:"best_sharpe_hourly"`
	BestCumRet       *float64 `json:"best_cum_ret"`
	TradesTotal      int      `json:"trades_total"`
	PlotsURI         string   `json:"plots_uri"`            // equity curve SVG (data-dir relative)
	PlotsURL         string   `json:"plots_url,omitempty"`  // GET it to download the plot
	MatrixURL        string   `json:"matrix_url,omitempty"` // GET it to download the matrix the run read
	PlotPNGURI       string   `json:"plot_png_uri"`         // same as PNG
	DataCSVURI       string   `json:"data_csv_uri"`         // the matrix the run read
	CardURI          string   `json:"card_uri"`             // model card JSON
	OOFKey           string   `json:"oof_key"`              // cache key of the OOF predictions
	SweepID          int64    `json:"sweep_id,omitempty"`
	// DSR is the overall deflated Sharpe ratio (see backtest.Metrics.DSR);
	// nil for runs stored before it existed.
	DSR      *float64        `json:"dsr"`
	Gate     Gate            `json:"gate"`
	GatePass bool            `json:"gate_pass"`
	Lineage  BacktestLineage `json:"lineage"`

	// UI aliases.
	Sharpe      *float64 `json:"sharpe"`
	Trades      int      `json:"trades"`
	WinRate     float64  `json:"win_rate"`
	MaxDrawdown float64  `json:"max_drawdown"`
	CumRet      *float64 `json:"cum_ret"`
}

// Gate is the risk gate verdict of a run: it passes when Reasons is empty.
type Gate struct {
	Pass    bool     `json:"pass"`
	Reasons []string `json:"reasons"`
	// The bounds applied (see GateBounds).
	MinTrades int     `json:"min_trades"`
	MinDSR    float64 `json:"min_dsr"`
}

// BacktestParams are the setup and trading rules a stored run was computed
// with (the request as normalised, with the policy's execution settings).
type BacktestParams struct {
	Target            string    `json:"target"`
	Thresholds        []float64 `json:"thresholds"`
	Splits            int       `json:"splits"`
	Embargo           float64   `json:"embargo"`
	CV                string    `json:"cv"`
	TopPct            *float64  `json:"top_pct"`
	AllowedHours      []int     `json:"allowed_hours"`
	TrainHours        []int     `json:"train_hours"`
	SlippageBps       float64   `json:"slippage_bps"`
	SizeByConf        bool      `json:"size_by_conf"`
	ConfCap           float64   `json:"conf_cap"`
	Holding           string    `json:"holding"`
	PerHourThresholds bool      `json:"per_hour_thresholds"`
	PerHourSelectBy   string    `json:"per_hour_select_by"`
	Calibration       string    `json:"calibration"`
	MomentumGate      bool      `json:"momentum_gate"`
	MomentumMin       float64   `json:"momentum_min"`
	MomentumColumn    string    `json:"momentum_column"`
	NFeatures         int       `json:"n_features"`
	// PolicySnapshot is the model's stored policy document, raw (an older
	// one need not pass today's validation); PolicyVersion its version.
	PolicySnapshot json.RawMessage `json:"policy_snapshot,omitempty"`
	PolicyVersion  int             `json:"policy_version"`
	SweepCell      *int            `json:"sweep_cell,omitempty"` // the cell, for a sweep's runs
}

// BacktestRunMetrics are a stored run's results: the overall metrics of the
// reported path, how it held positions, the hindsight table and parity.
type BacktestRunMetrics struct {
	Overall          backtest.Metrics        `json:"overall"`
	Mode             string                  `json:"mode"`
	Holding          backtest.Holding        `json:"holding"`
	ThresholdTable   []backtest.ThresholdRow `json:"threshold_table,omitempty"`
	BestSharpeHourly *float64                `json:"best_sharpe_hourly,omitempty"`
	BestCumRet       *float64                `json:"best_cum_ret,omitempty"`
	Parity           *backtest.ParityResult  `json:"parity,omitempty"`
}

// BacktestFold is one fold of a stored run (nested bucket folds).
type BacktestFold struct {
	RunID        int64              `json:"run_id"`
	Fold         int                `json:"fold"`
	ThrUsed      *float64           `json:"thr_used"`
	CumRet       float64            `json:"cum_ret"`
	SharpeHourly float64            `json:"sharpe_hourly"`
	Trades       int                `json:"trades"`
	Sortino      float64            `json:"sortino"`
	MaxDD        float64            `json:"max_dd"`
	Metrics      backtest.Metrics   `json:"metrics"`
	HourThr      []backtest.HourThr `json:"hour_thr,omitempty"`
}

// BacktestWrite is a run with its folds, stored together.
type BacktestWrite struct {
	Run   BacktestRun
	Folds []BacktestFold
}

// Leaderboard orders.
const (
	OrderSharpe    = "sharpe_hourly"
	OrderCumRet    = "cum_ret"
	OrderCreatedAt = "created_at"
	OrderDSR       = "dsr"
)

// LeaderboardQuery filters and orders GET /leaderboard. Empty strings and a
// nil PassGate match everything.
type LeaderboardQuery struct {
	PackID      string
	ModelID     string
	Tag         string
	RiskProfile string
	PassGate    *bool
	MinDSR      *float64 // runs with dsr ≥ MinDSR (runs without dsr never match)
	OrderBy     string   // sharpe_hourly (default) | cum_ret | dsr | created_at
	Limit       int
	Offset      int
}

// BacktestStore is the port for backtest runs, their folds and the
// leaderboard index.
type BacktestStore interface {
	// SaveBacktests stores runs with their folds and index entries in one
	// transaction, assigning ids (returned in order).
	SaveBacktests(ctx context.Context, runs []BacktestWrite) ([]int64, error)
	// DeleteBacktests removes runs with their folds and index entries in one
	// transaction (work that failed after storing them); unknown ids are
	// skipped.
	DeleteBacktests(ctx context.Context, ids []int64) error
	// GetBacktest returns a run and its folds (ErrNotFound when absent).
	GetBacktest(ctx context.Context, id int64) (BacktestRun, []BacktestFold, error)
	// Leaderboard returns one page of runs in index order and the number of
	// matching runs. Runs without the metric sort last; ties newest first.
	Leaderboard(ctx context.Context, q LeaderboardQuery) ([]BacktestRun, int, error)
	// LeaderboardJSON is Leaderboard returning each run's stored JSON document
	// (a BacktestRun) undecoded: the API's hot path sends it as is.
	LeaderboardJSON(ctx context.Context, q LeaderboardQuery) ([]json.RawMessage, int, error)
}

// ArtifactStore reads and writes artifact files artifacts/<kind>/<name>
// atomically; paths returned are data-dir relative.
type ArtifactStore interface {
	WriteArtifact(ctx context.Context, kind, name string, data []byte) (string, error)
	// ReadArtifact returns ErrNotFound when the file is absent.
	ReadArtifact(ctx context.Context, kind, name string) ([]byte, error)
}
