// Package signals is the pure side of the live workflow: what a signal and an
// option overlay are, how signals are selected from model scores, their ATR
// brackets, the execution-log format, the live metrics computed over signals
// and executions, the overlay's contract choice and premium estimates, and
// the rule-based scanner. It does no I/O; package engine reads and stores.
package signals

import (
	"fmt"
	"time"
)

// Sources of a signal row.
const (
	SourceModel  = "model"  // POST /signals/generate: a trained model's scores
	SourceScan   = "scan"   // POST /scan: the rule-based scanner
	SourceImport = "import" // POST /signals/import: an execution log row without a generated signal
)

// Sides of a signal.
const (
	Buy  = "buy"
	Sell = "sell"
)

// Execution statuses counted by the metrics (others are kept but not counted).
const (
	StatusFilled   = "filled"
	StatusCanceled = "canceled"
	StatusPending  = "pending"
)

// Signal is one stored signal: what to trade when (generated or scanned) and,
// once an execution log names it, how it was executed. Rows are keyed (and
// upserted) on (Date, HourET, ModelID, Ticker). Prices are in the
// underlying's currency per share; optional numbers are nil when unknown.
type Signal struct {
	ID      string    `json:"id"`      // ModelID:Date:HH:Ticker (Key)
	Date    string    `json:"date"`    // ET session date of the signal, YYYY-MM-DD
	HourET  int       `json:"hour_et"` // ET hour of the bar the signal was read from (0 for daily rows)
	TS      time.Time `json:"ts"`      // signal time (bar end), or the execution time of an imported row
	ModelID string    `json:"model_id"`
	PackID  string    `json:"pack_id,omitempty"`
	Ticker  string    `json:"ticker"`
	Side    string    `json:"side"` // buy | sell
	Source  string    `json:"source"`
	Owner   string    `json:"owner,omitempty"` // user who generated or imported it ("" in open mode)

	// Plan (generated and scanned rows).
	EntryMode       string   `json:"entry_mode,omitempty"`
	EntryRefPx      *float64 `json:"entry_ref_px"`
	StopPx          *float64 `json:"stop_px"`
	TargetPx        *float64 `json:"target_px"`
	AtrEff          *float64 `json:"atr_eff,omitempty"` // max(ATR, 0.0005·close), price units
	TimeStopMinutes int      `json:"time_stop_minutes,omitempty"`
	RR              *float64 `json:"rr"` // planned reward/risk = |target−entry|/|entry−stop| (R multiples)

	// Scores: a model's confidence (probability of PredictedLabel, 0..1), or
	// the scanner's components (0..1). Rank runs 1..n within one generation.
	PredictedLabel    string   `json:"predicted_label,omitempty"`
	Confidence        *float64 `json:"confidence,omitempty"`
	ScoreTotal        *float64 `json:"score_total"`
	ScoreBreakout     *float64 `json:"score_breakout,omitempty"`
	ScoreMomentum     *float64 `json:"score_momentum,omitempty"`
	ScoreTrendQuality *float64 `json:"score_trend_quality,omitempty"`
	ScoreAlignment    *float64 `json:"score_alignment,omitempty"`
	Rank              int      `json:"rank,omitempty"`

	// Execution (imported rows).
	RiskProfile string     `json:"risk_profile,omitempty"`
	Status      string     `json:"status,omitempty"` // filled | canceled | pending | …
	ExecTS      *time.Time `json:"exec_ts,omitempty"`
	FillPx      *float64   `json:"fill_px,omitempty"`
	Slippage    *float64   `json:"slippage,omitempty"` // as logged (price units per share)
	PnL         *float64   `json:"pnl,omitempty"`      // realised P&L as logged (the log's units)
	Tag         string     `json:"tag,omitempty"`

	Lineage   Lineage   `json:"lineage"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Lineage is what a signal was produced from.
type Lineage struct {
	ArtifactID      string `json:"artifact_id,omitempty"` // trained model artifact
	TrainingRunID   int64  `json:"training_run_id,omitempty"`
	BuildID         string `json:"build_id,omitempty"`
	MatrixSHA       string `json:"matrix_sha,omitempty"`
	PolicyVersion   int    `json:"policy_version,omitempty"`
	ConfigVersion   int    `json:"config_version,omitempty"`
	PackSHA         string `json:"pack_sha,omitempty"`
	IndicatorSetSHA string `json:"indicator_set_sha,omitempty"`
	ModelConfigSHA  string `json:"model_config_sha,omitempty"`
	PolicySHA       string `json:"policy_sha,omitempty"`
	ImportFile      string `json:"import_file,omitempty"` // execution log the row came from
	ImportLine      int    `json:"import_line,omitempty"`
}

// Key is the signal id of (date, hour, model, ticker): the upsert key.
func Key(modelID, date string, hour int, ticker string) string {
	return fmt.Sprintf("%s:%s:%02d:%s", modelID, date, hour, ticker)
}

// Text is what full-text search indexes besides the keyword fields.
func (s Signal) Text() string {
	return s.ModelID + " " + s.PackID + " " + s.Ticker + " " + s.Side + " " + s.Tag + " " + s.RiskProfile + " " +
		s.Status + " " + s.Source + " " + s.PredictedLabel + " " + s.Date
}

// Executed reports whether the row carries an execution status.
func (s Signal) Executed() bool { return s.Status != "" }

// F returns a pointer to v (optional numbers).
func F(v float64) *float64 { return &v }
