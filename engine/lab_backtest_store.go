package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
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
	Owner       string             `json:"owner,omitempty"` // who asked for it ("" on an open loopback server or the CLI)
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
	PlotsURI         string   `json:"plots_uri"`           // equity curve SVG (data-dir relative)
	PlotsURL         string   `json:"plots_url,omitempty"` // GET it to download the plot
	// OOFURL, TradesURL and EquityURL download the run's OOF predictions,
	// trades and equity curve (Parquet); empty for runs stored before them.
	OOFURL     string `json:"oof_url,omitempty"`
	TradesURL  string `json:"trades_url,omitempty"`
	EquityURL  string `json:"equity_url,omitempty"`
	MatrixURL  string `json:"matrix_url,omitempty"` // GET it to download the matrix the run read
	PlotPNGURI string `json:"plot_png_uri"`         // same as PNG
	DataCSVURI string `json:"data_csv_uri"`         // the matrix the run read
	CardURI    string `json:"card_uri"`             // model card JSON
	OOFKey     string `json:"oof_key"`              // cache key of the OOF predictions
	SweepID    int64  `json:"sweep_id,omitempty"`
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
	Research                                 // benchmark, bootstrap, placebo
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

// BacktestTables encodes a backtest's per-row outputs as files a quant opens
// elsewhere (zstd Parquet, columns in the row types' field order).
type BacktestTables interface {
	EncodeOOFPredictions(rows []OOFPredictionRow) ([]byte, error)
	EncodeTrades(rows []TradeRow) ([]byte, error)
	EncodeEquity(rows []EquityRow) ([]byte, error)
}

// OOFPredictionRow is one out-of-fold prediction of a backtest: the row's
// time, its test fold, the calibrated class probabilities, the realised
// label (null when unknown) and the forward return of the label horizon
// (null when not tradeable).
type OOFPredictionRow struct {
	TS     time.Time `parquet:"ts,timestamp(millisecond)"`
	Fold   int32     `parquet:"fold"`
	PUp    float64   `parquet:"p_up"`
	PDown  float64   `parquet:"p_down"`
	Y      *string   `parquet:"y,optional"`
	RetFwd *float64  `parquet:"ret_fwd,optional"`
}

// TradeRow is one position of the reported path: opened at entry (the
// close of the row it was decided on), closed at exit (the label's end),
// long or short, its size (1, or the confidence sizing) and its return net
// of slippage on its capital slot (pos·ret − slippage·|pos|; the portfolio
// gives each slot 1/max_concurrent of capital in overlap mode).
type TradeRow struct {
	Entry time.Time `parquet:"entry,timestamp(millisecond)"`
	Exit  time.Time `parquet:"exit,timestamp(millisecond)"`
	Side  string    `parquet:"side"`
	Size  float64   `parquet:"size"`
	PnL   float64   `parquet:"pnl"`
	Fold  int32     `parquet:"fold"`
}

// EquityRow is the reported path's equity curve, one row per OOF period:
// the portfolio's return over the period and the running sum (the cum_ret
// of the metrics and the equity plot).
type EquityRow struct {
	TS        time.Time `parquet:"ts,timestamp(millisecond)"`
	Fold      int32     `parquet:"fold"`
	PeriodRet float64   `parquet:"period_ret"`
	CumRet    float64   `parquet:"cum_ret"`
}

// BacktestOutputs are a backtest's per-row output tables.
type BacktestOutputs struct {
	OOF    []OOFPredictionRow
	Trades []TradeRow
	Equity []EquityRow
}

// backtestOutputs lays out the OOF predictions, the trades and the equity
// curve of an evaluation kept with its series (TradeParams.KeepSeries).
func backtestOutputs(o *backtest.OOF, res backtest.Result, p backtest.TradeParams) BacktestOutputs {
	n := o.Len()
	out := BacktestOutputs{OOF: make([]OOFPredictionRow, n)}
	ms := func(v int64) time.Time { return time.UnixMilli(v).UTC() }
	slip := p.SlippageBps / 1e4
	keep := len(res.Pos) == n && len(res.PnL) == n
	if keep {
		out.Equity = make([]EquityRow, n)
	}
	cum := 0.0
	for f := 0; f < o.Folds(); f++ {
		for i := o.FoldStart[f]; i < o.FoldStart[f+1]; i++ {
			r := OOFPredictionRow{TS: ms(o.TS[i]), Fold: int32(f), PUp: o.PUp[i], PDown: o.PDown[i]}
			if o.Label != nil && o.Label[i] >= 0 && o.Label[i] < len(o.Classes) {
				y := o.Classes[o.Label[i]]
				r.Y = &y
			}
			if ret := o.Ret[i]; !math.IsNaN(ret) && !math.IsInf(ret, 0) {
				r.RetFwd = &ret
			}
			out.OOF[i] = r
			if !keep {
				continue
			}
			cum += res.PnL[i]
			out.Equity[i] = EquityRow{TS: r.TS, Fold: int32(f), PeriodRet: res.PnL[i], CumRet: cum}
			if pos := res.Pos[i]; pos != 0 && r.RetFwd != nil {
				t := TradeRow{Entry: r.TS, Exit: r.TS, Side: "long", Size: math.Abs(pos),
					PnL: pos**r.RetFwd - slip*math.Abs(pos), Fold: int32(f)}
				if o.Entry != nil && o.Entry[i] != 0 {
					t.Entry = ms(o.Entry[i])
				}
				if o.T1 != nil {
					t.Exit = ms(o.T1[i])
				}
				if pos < 0 {
					t.Side = "short"
				}
				out.Trades = append(out.Trades, t)
			}
		}
	}
	return out
}

// putBacktestOutputs stores the OOF predictions, trades and equity curve of
// a saved run as Parquet artifacts named after it; their download URLs in
// that order.
func (l *Lab) putBacktestOutputs(ctx context.Context, src OOFSource, name string, outs BacktestOutputs) (oof, trades, equity string, err error) {
	if l.BacktestTables == nil {
		return "", "", "", nil
	}
	const ctype = "application/vnd.apache.parquet"
	put := func(suffix string, enc func() ([]byte, error)) (string, error) {
		b, err := enc()
		if err != nil {
			return "", fmt.Errorf("%s table: %w", suffix, err)
		}
		uri, err := l.putBacktestArtifact(ctx, src, "backtests", name+"-"+suffix, ".parquet", ctype, b)
		if err != nil {
			return "", fmt.Errorf("%s table: %w", suffix, err)
		}
		return ArtifactURL(uri), nil
	}
	if oof, err = put("oof", func() ([]byte, error) { return l.BacktestTables.EncodeOOFPredictions(outs.OOF) }); err != nil {
		return
	}
	if trades, err = put("trades", func() ([]byte, error) { return l.BacktestTables.EncodeTrades(outs.Trades) }); err != nil {
		return
	}
	equity, err = put("equity", func() ([]byte, error) { return l.BacktestTables.EncodeEquity(outs.Equity) })
	return
}
