package engine

import (
	"encoding/json"
	"math"
	"sort"
	"strings"

	"sigmalab/engine/policy"
)

// CardConfig is the config summary a card shows (the model's decoded config,
// naming fields normalised).
type CardConfig struct {
	Ticker      string      `json:"ticker,omitempty"`
	Model       string      `json:"model,omitempty"`
	Algo        string      `json:"algo,omitempty"`
	Task        string      `json:"task,omitempty"`
	AssetType   string      `json:"asset_type,omitempty"`
	Horizon     string      `json:"horizon,omitempty"`
	Cadence     string      `json:"cadence,omitempty"`
	TrainWindow *CardWindow `json:"train_window,omitempty"`
}

// CardWindow is the config's informational train window.
type CardWindow struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

func cardConfig(c ModelConfig) CardConfig {
	out := CardConfig{Ticker: c.Ticker, Model: c.Model, Algo: c.Algo, Task: c.Task, AssetType: c.AssetType,
		Horizon: c.Horizon, Cadence: c.Cadence}
	if w := c.TrainWindow; w != nil && (w.Start != "" || w.End != "") {
		out.TrainWindow = &CardWindow{Start: w.Start, End: w.End}
	}
	return out
}

// cardPolicy is the execution block a card shows (nil when the policy has
// none); it marshals as the policy document's execution section.
func cardPolicy(p policy.Policy) *policy.Execution { return p.Execution }

// BuildCardParams are a build card's params: the run's and where it went.
type BuildCardParams struct {
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Ticker      string   `json:"ticker"`
	KSigma      float64  `json:"k_sigma"`
	FixedBP     *float64 `json:"fixed_bp"`
	DistanceMax int      `json:"distance_max"`
	DumpRaw     bool     `json:"dump_raw"`
	BuildID     string   `json:"build_id"`
	MatrixURI   string   `json:"matrix_uri"`
	Tag         string   `json:"tag"`
}

// BuildCardMetrics are a build card's metrics (the predecessor's
// columns_count and rows, plus label counts).
type BuildCardMetrics struct {
	ColumnsCount int            `json:"columns_count"`
	Rows         int            `json:"rows"`
	Labels       map[string]int `json:"labels"`
}

// TrainCardMetrics are a training card's metrics: holdout scores and sizes.
type TrainCardMetrics struct {
	Rows        int            `json:"rows"`
	TrainRows   int            `json:"train_rows"`
	HoldoutRows int            `json:"holdout_rows"`
	Classes     []string       `json:"classes"`
	ClassCounts map[string]int `json:"class_counts"`
	Trees       int            `json:"trees"`
	Calibration string         `json:"calibration"`
	AUC         *float64       `json:"auc,omitempty"`
	Logloss     *float64       `json:"logloss,omitempty"`
	Accuracy    *float64       `json:"accuracy,omitempty"`
	Brier       *float64       `json:"brier,omitempty"`
	TopFeatures []string       `json:"top_features,omitempty"` // the five most important
}

// BacktestCardParams are a backtest card's params: the trading rules as run.
type BacktestCardParams struct {
	Thresholds        []float64 `json:"thresholds"`
	TopPct            *float64  `json:"top_pct"`
	AllowedHours      []int     `json:"allowed_hours"`
	PerHourThresholds bool      `json:"per_hour_thresholds"`
	PerHourSelectBy   string    `json:"per_hour_select_by"`
	Calibration       string    `json:"calibration"`
	CV                string    `json:"cv"`
	Splits            int       `json:"splits"`
	Embargo           float64   `json:"embargo"`
	SlippageBps       float64   `json:"slippage_bps"`
	SizeByConf        bool      `json:"size_by_conf"`
	ConfCap           float64   `json:"conf_cap"`
	BuildID           string    `json:"build_id"`
	Tag               string    `json:"tag"`
}

// BacktestCardMetrics are a backtest card's metrics: the reported path's
// figures and its gate.
type BacktestCardMetrics struct {
	BestSharpeHourly *float64 `json:"best_sharpe_hourly"`
	BestCumRet       *float64 `json:"best_cum_ret"`
	Trades           int      `json:"trades"`
	HitRate          float64  `json:"hit_rate"`
	MaxDD            float64  `json:"max_dd"`
	SharpeAnn        float64  `json:"sharpe_ann"`
	Sortino          float64  `json:"sortino"`
	CompRet          float64  `json:"comp_ret"`
	PSR              float64  `json:"psr"`
	DSR              *float64 `json:"dsr"`
	NTrials          int      `json:"n_trials"`
	PeriodsPerYear   float64  `json:"periods_per_year"`
	GatePass         bool     `json:"gate_pass"`
	GateReasons      []string `json:"gate_reasons"`
	Parity           any      `json:"parity,omitempty"`
}

// SweepCardParams are a sweep card's params: the grid and guardrails.
type SweepCardParams struct {
	SweepID              int64     `json:"sweep_id"`
	Tag                  string    `json:"tag"`
	ThresholdsVariants   []string  `json:"thresholds_variants"`
	AllowedHoursVariants []string  `json:"allowed_hours_variants"`
	TopPctVariants       []float64 `json:"top_pct_variants"`
	SlippageBpsVariants  []float64 `json:"slippage_bps_variants"`
	SizeByConfVariants   []bool    `json:"size_by_conf_variants"`
	Splits               int       `json:"splits"`
	Embargo              float64   `json:"embargo"`
	Calibration          string    `json:"calibration"`
	MinTrades            int       `json:"min_trades"`
	MinSharpe            *float64  `json:"min_sharpe"`
	BuildID              string    `json:"build_id"`
	ReportPath           string    `json:"report_path"`
}

// SweepCardMetrics are a sweep card's metrics: counts, timing, overfitting
// and the best cells.
type SweepCardMetrics struct {
	Count            int             `json:"count"`
	Filtered         int             `json:"filtered"`
	Best             []SweepCardCell `json:"best"`
	TrainingMS       int64           `json:"training_ms"`
	EvalMS           int64           `json:"eval_ms"`
	PBO              *float64        `json:"pbo"`
	NTrials          int             `json:"n_trials"`
	BestSharpeHourly *float64        `json:"best_sharpe_hourly,omitempty"`
	BestCumRet       *float64        `json:"best_cum_ret,omitempty"`
}

// SweepCardCell is one of a sweep card's best cells.
type SweepCardCell struct {
	Rank             int      `json:"rank"`
	Kind             string   `json:"kind"`
	Thresholds       string   `json:"thresholds"`
	TopPct           *float64 `json:"top_pct"`
	AllowedHours     string   `json:"allowed_hours"`
	BestSharpeHourly *float64 `json:"best_sharpe_hourly"`
	BestCumRet       *float64 `json:"best_cum_ret"`
	Trades           int      `json:"trades"`
	DSR              *float64 `json:"dsr"`
	PassGate         bool     `json:"pass_gate"`
	BacktestRunID    int64    `json:"backtest_run_id"`
}

// BacktestLineage hashes what a backtest or sweep read (sha256 of canonical
// JSON, see canonicalSHA).
type BacktestLineage struct {
	MatrixSHA     string `json:"matrix_sha"`
	ConfigSHA     string `json:"config_sha"`
	BuildID       string `json:"build_id"`
	OOFKey        string `json:"oof_key"`
	PolicySHA     string `json:"policy_sha,omitempty"`
	PolicyVersion int    `json:"policy_version,omitempty"`
	RiskProfile   string `json:"risk_profile,omitempty"`
	// Matrix are the matrix's own lineage entries (its *_sha metadata,
	// source, data_source, ticker), written beside the fields above.
	Matrix map[string]string `json:"-"`
}

// backtestLineageFields are the JSON names of BacktestLineage's own fields.
var backtestLineageFields = map[string]bool{"matrix_sha": true, "config_sha": true, "build_id": true,
	"oof_key": true, "policy_sha": true, "policy_version": true, "risk_profile": true}

// MarshalJSON writes the fields and the matrix entries as one flat object
// (the shape stored rows have always had).
func (l BacktestLineage) MarshalJSON() ([]byte, error) {
	type plain BacktestLineage
	b, err := json.Marshal(plain(l))
	if err != nil || len(l.Matrix) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(l.Matrix))
	for k := range l.Matrix {
		if !backtestLineageFields[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.Write(b[:len(b)-1])
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(l.Matrix[k])
		sb.WriteByte(',')
		sb.Write(kb)
		sb.WriteByte(':')
		sb.Write(vb)
	}
	sb.WriteByte('}')
	return []byte(sb.String()), nil
}

// UnmarshalJSON reads the flat object back: known fields into fields, other
// string entries into Matrix.
func (l *BacktestLineage) UnmarshalJSON(b []byte) error {
	type plain BacktestLineage
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, raw := range all {
		var s string
		if backtestLineageFields[k] || json.Unmarshal(raw, &s) != nil {
			continue
		}
		if p.Matrix == nil {
			p.Matrix = map[string]string{}
		}
		p.Matrix[k] = s
	}
	*l = BacktestLineage(p)
	return nil
}

// finitePtr is x, or nil when x is NaN or ±Inf (absent in JSON).
func finitePtr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
