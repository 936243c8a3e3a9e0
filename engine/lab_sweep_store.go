package engine

import (
	"context"
	"time"

	"sigmalab/engine/sweep"
)

// Sweep states. A sweep row mirrors its job: running while cells are evaluated,
// then completed, failed, cancelled (finished cells kept) or interrupted (the
// process stopped; a job retry resumes it).
const (
	SweepRunning     = "running"
	SweepCompleted   = "completed"
	SweepFailed      = "failed"
	SweepCancelled   = "cancelled"
	SweepInterrupted = "interrupted"
)

// SweepSpec is the stored request of a sweep: the predecessor's spec fields plus
// the grid as parsed, the guardrails and the execution settings shared by every cell.
type SweepSpec struct {
	ThresholdsVariants   []string  `json:"thresholds_variants"`
	AllowedHoursVariants []string  `json:"allowed_hours_variants"`
	TopPctVariants       []float64 `json:"top_pct_variants"`
	SlippageBpsVariants  []float64 `json:"slippage_bps_variants,omitempty"`
	SizeByConfVariants   []bool    `json:"size_by_conf_variants,omitempty"`
	Splits               int       `json:"splits"`
	Embargo              float64   `json:"embargo"`
	Calibration          string    `json:"calibration"`
	MinTrades            int       `json:"min_trades"`
	MinSharpe            *float64  `json:"min_sharpe"`
	Save                 bool      `json:"save"`
	Cells                int       `json:"cells"`
	// Training setup beyond the predecessor's spec (empty: defaults).
	BuildID     string         `json:"build_id,omitempty"`
	Target      string         `json:"target,omitempty"`
	CV          string         `json:"cv,omitempty"`
	TrainHours  []int          `json:"train_hours,omitempty"`
	Hyperparams map[string]any `json:"hyperparams,omitempty"`
}

// SweepRecord is one sweep (bucket sweeps). Field names follow the predecessor's
// backtest_sweeps table; the rest are additions.
type SweepRecord struct {
	ID         int64     `json:"id"`
	Owner      string    `json:"owner,omitempty"` // who asked for it ("" on an open loopback server or the CLI)
	PackID     string    `json:"pack_id"`
	ModelID    string    `json:"model_id"`
	Tag        string    `json:"tag"`
	Status     string    `json:"status"`
	Spec       SweepSpec `json:"spec"`
	JobID      int64     `json:"job_id,omitempty"` // the job running it, when async
	Count      int       `json:"count"`            // cells evaluated so far
	Filtered   int       `json:"filtered"`         // cells passing the guardrails (at the end)
	ReportPath string    `json:"report_path,omitempty"`
	ReportURL  string    `json:"report_url,omitempty"` // GET it to download the report
	// ReportArtifactID is the report's id for GET /artifacts/{id}.
	ReportArtifactID string `json:"report_artifact_id,omitempty"`
	CardURI          string `json:"card_uri,omitempty"` // model card of a completed sweep
	Error            string `json:"error,omitempty"`
	// PBO is the probability of backtest overfitting of the grid (CSCV over
	// the cells' per-period returns); NTrials the trials its cells' DSR
	// counts. Set when the cells are evaluated.
	PBO        *float64   `json:"pbo,omitempty"`
	NTrials    int        `json:"n_trials,omitempty"`
	TrainingMS int64      `json:"training_ms"` // time spent producing OOF predictions (0 when cached)
	EvalMS     int64      `json:"eval_ms"`     // time spent evaluating cells
	OOFKey     string     `json:"oof_key,omitempty"`
	Lineage    any        `json:"lineage,omitempty"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// SweepResult is one evaluated cell (nested bucket sweeps/results).
type SweepResult struct {
	ID            int64         `json:"id"` // cell index + 1, unique within the sweep
	SweepID       int64         `json:"sweep_id"`
	Kind          string        `json:"kind"`
	Params        sweep.Cell    `json:"params"`
	Metrics       sweep.Outcome `json:"metrics"`
	Error         string        `json:"error,omitempty"`
	Rank          int           `json:"rank"` // 1 = best; 0 = not ranked (dropped, or sweep unfinished)
	Passed        bool          `json:"passed"`
	Reason        string        `json:"reason,omitempty"`
	CSVURI        *string       `json:"csv_uri"`
	BacktestRunID int64         `json:"backtest_run_id,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
}

// SweepFilter selects sweeps for GET /sweeps. Empty fields do not filter.
type SweepFilter struct {
	PackID, ModelID, Tag, Status string
	Limit, Offset                int
}

// SweepStore persists sweeps and their results (bbolt in production).
type SweepStore interface {
	// CreateSweep inserts s, assigning s.ID.
	CreateSweep(ctx context.Context, s *SweepRecord) error
	// PutSweep overwrites sweep s.ID.
	PutSweep(ctx context.Context, s *SweepRecord) error
	// GetSweep loads a sweep or returns an error wrapping ErrNotFound.
	GetSweep(ctx context.Context, id int64) (SweepRecord, error)
	// SweepByJob finds the sweep a job created (found=false when none).
	SweepByJob(ctx context.Context, jobID int64) (SweepRecord, bool, error)
	// ListSweeps returns matching sweeps newest first and the total count.
	ListSweeps(ctx context.Context, f SweepFilter) ([]SweepRecord, int, error)
	// PutSweepResults upserts result rows (keyed by sweep and id) and, when s is
	// not nil, the sweep row too, in one transaction.
	PutSweepResults(ctx context.Context, s *SweepRecord, rows []SweepResult) error
	// SweepResults returns every result row of a sweep in cell order.
	SweepResults(ctx context.Context, sweepID int64) ([]SweepResult, error)
	// InterruptSweeps marks running sweeps interrupted (start-up after a crash).
	InterruptSweeps(ctx context.Context, at time.Time) (int, error)
}
