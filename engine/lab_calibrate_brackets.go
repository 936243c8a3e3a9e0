package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"sigmalab/engine/backtest"
	"sigmalab/engine/cv"
	"sigmalab/engine/errs"
)

// Bracket selection objectives (CalibrateBracketsRequest.SelectBy).
const (
	BracketsByTotalReturn = "total_return" // Σ per-trade return: rewards both edge and trade count
	BracketsByAvgReturn   = "avg_return"   // mean per-trade return
	BracketsByAvgRR       = "avg_rr"       // mean R multiple (return over the stop distance)
)

// Limits and defaults of POST /calibrate_brackets.
const (
	BracketsMaxCells        = 1000
	BracketsDefaultMinTrade = 10
)

// Default grids of POST /calibrate_brackets (the predecessor's).
var (
	DefaultKStopGrid          = []float64{0.8, 1.0, 1.2, 1.4}
	DefaultKTargetGrid        = []float64{1.6, 2.0, 2.4, 3.0}
	DefaultTimeStopCandidates = []float64{60, 90, 120, 180}
)

// CalibrateBracketsRequest is the body of POST /calibrate_brackets. The model
// fields (build_id … allowed_hours) mean what they mean in POST /backtest and
// give the signals; the grids give the bracket candidates. Lists may be JSON
// arrays or "a,b,c" strings.
type CalibrateBracketsRequest struct {
	ModelID      string         `json:"model_id"`
	PackID       string         `json:"pack_id,omitempty"`
	BuildID      string         `json:"build_id,omitempty"`
	Target       string         `json:"target,omitempty"`
	Splits       int            `json:"splits"`
	Embargo      float64        `json:"embargo"`
	CV           string         `json:"cv,omitempty"`
	Calibration  *string        `json:"calibration"`
	TrainHours   IntList        `json:"train_hours,omitempty"`
	Hyperparams  map[string]any `json:"hyperparams,omitempty"`
	Features     StringList     `json:"features,omitempty"`
	Thresholds   FloatList      `json:"thresholds"`
	TopPct       *float64       `json:"top_pct"`
	AllowedHours IntList        `json:"allowed_hours"`

	KStopGrid          FloatList `json:"k_stop_grid"`          // default 0.8, 1.0, 1.2, 1.4
	KTargetGrid        FloatList `json:"k_target_grid"`        // default 1.6, 2.0, 2.4, 3.0
	TimeStopCandidates FloatList `json:"time_stop_candidates"` // minutes; default 60, 90, 120, 180
	AtrPeriod          int       `json:"atr_period"`           // default the policy's, else 14
	EntryMode          string    `json:"entry_mode"`           // default the policy's, else next_session_open
	SelectBy           string    `json:"select_by"`            // total_return (default) | avg_return | avg_rr
	MinTrades          int       `json:"min_trades"`           // training trades a pick needs; default 10

	// DesiredRR is the predecessor's target k_target/k_stop; it no longer
	// decides anything and a request naming it gets a warning.
	DesiredRR *float64 `json:"desired_rr,omitempty"`
}

// BracketParams are one set of bracket settings.
type BracketParams struct {
	AtrPeriod       int     `json:"atr_period"`
	AtrMultStop     float64 `json:"atr_mult_stop"`
	AtrMultTarget   float64 `json:"atr_mult_target"`
	TimeStopMinutes int     `json:"time_stop_minutes"`
	EntryMode       string  `json:"entry_mode"`
}

func (p BracketParams) brackets() backtest.Brackets {
	return backtest.Brackets{AtrPeriod: p.AtrPeriod, AtrMultStop: p.AtrMultStop, AtrMultTarget: p.AtrMultTarget,
		TimeStopMinutes: p.TimeStopMinutes, EntryMode: p.EntryMode}
}

// BracketCandidate is one grid cell simulated on the training folds.
type BracketCandidate struct {
	KStop          float64 `json:"k_stop"`
	KTarget        float64 `json:"k_target"`
	TimeStop       int     `json:"time_stop_minutes"`
	RR             float64 `json:"rr"` // k_target / k_stop
	Trades         int     `json:"trades"`
	HitRate        float64 `json:"hit_rate"`
	AvgRR          float64 `json:"avg_rr"`
	AvgReturnPct   float64 `json:"avg_return_pct"`
	TotalReturnPct float64 `json:"total_return_pct"`
	Score          float64 `json:"score"` // the select_by figure
}

// BracketRecommendation is the pick under the predecessor's keys.
type BracketRecommendation struct {
	AtrMultStop     float64 `json:"atr_mult_stop"`
	AtrMultTarget   float64 `json:"atr_mult_target"`
	RRImplied       float64 `json:"rr_implied"`
	TimeStopMinutes int     `json:"time_stop_minutes"`
}

// BracketBaseline is the brackets the model has today (its policy's, else the
// parity defaults) on the held-out fold, for comparison with the pick.
type BracketBaseline struct {
	Source string                `json:"source"` // policy | defaults
	Params BracketParams         `json:"params"`
	Parity backtest.ParityResult `json:"parity"`
}

// CalibrateBracketsResponse is the answer of POST /calibrate_brackets.
type CalibrateBracketsResponse struct {
	ModelID    string `json:"model_id"`
	PackID     string `json:"pack_id"`
	BuildID    string `json:"build_id"`
	MatrixURI  string `json:"matrix_uri"`
	OOFKey     string `json:"oof_key"`
	OOFCached  bool   `json:"oof_cached"`
	TrainingMS int64  `json:"training_ms"`
	// Params are the chosen brackets; Parity is their simulation on the
	// held-out fold, which played no part in choosing them.
	Params      BracketParams         `json:"params"`
	Parity      backtest.ParityResult `json:"parity"`
	Baseline    BracketBaseline       `json:"baseline"`
	Recommended BracketRecommendation `json:"recommended"`
	// Candidates are every grid cell on the training folds, best first.
	Candidates  []BracketCandidate `json:"candidates"`
	SelectBy    string             `json:"select_by"`
	MinTrades   int                `json:"min_trades"`
	TrainFolds  []int              `json:"train_folds"`
	HeldOutFold int                `json:"held_out_fold"`
	// TrainSignals and HeldOutSignals count the model's positions given to
	// parity on each side.
	TrainSignals   int                `json:"train_signals"`
	HeldOutSignals int                `json:"held_out_signals"`
	Current        *backtest.Brackets `json:"current_brackets,omitempty"`
	Note           string             `json:"note"`
	Warnings       []string           `json:"warnings,omitempty"`
}

// bracketsNote explains the procedure in responses.
const bracketsNote = "the model's walk-forward positions (as POST /backtest takes them) are simulated with ATR " +
	"brackets over the stored bars; every grid cell is scored on the folds before the last (signals whose trade " +
	"could reach into the last fold are left out), the best is params, and parity is params on the last fold"

// Normalize fills the defaults and validates (422 naming fields), returning
// the backtest request that produces the signals.
func (r CalibrateBracketsRequest) Normalize() (CalibrateBracketsRequest, BacktestRequest, error) {
	no := false
	if r.Splits == 0 {
		r.Splits = 5 // as POST /backtest
	}
	bt, err := BacktestRequest{ModelID: r.ModelID, PackID: r.PackID, BuildID: r.BuildID, Target: r.Target,
		Thresholds: r.Thresholds, Splits: r.Splits, Embargo: r.Embargo, CV: r.CV, TopPct: r.TopPct,
		AllowedHours: r.AllowedHours, TrainHours: r.TrainHours, Calibration: r.Calibration,
		Hyperparams: r.Hyperparams, Features: r.Features, Save: &no}.Normalize()
	v := &errs.Validation{}
	var ve *errs.Validation
	if errors.As(err, &ve) {
		v.Fields = append(v.Fields, ve.Fields...)
	} else if err != nil {
		return r, bt, err
	}
	r.ModelID = bt.ModelID
	if bt.Splits < 2 {
		v.Add("body", "splits", "bracket calibration needs at least 2 splits (earlier folds to choose on, the last held out)", "value_error")
	}
	if len(r.KStopGrid) == 0 {
		r.KStopGrid = DefaultKStopGrid
	}
	if len(r.KTargetGrid) == 0 {
		r.KTargetGrid = DefaultKTargetGrid
	}
	if len(r.TimeStopCandidates) == 0 {
		r.TimeStopCandidates = DefaultTimeStopCandidates
	}
	positive := func(field string, xs []float64, max float64, what string) {
		for _, x := range xs {
			if !(x > 0 && x <= max) {
				v.Add("body", field, what, "value_error")
				return
			}
		}
	}
	positive("k_stop_grid", r.KStopGrid, 100, "k_stop values must be numbers in (0, 100]")
	positive("k_target_grid", r.KTargetGrid, 100, "k_target values must be numbers in (0, 100]")
	positive("time_stop_candidates", r.TimeStopCandidates, 1e6, "time stops must be minutes in (0, 1e6]")
	if n := len(r.KStopGrid) * len(r.KTargetGrid) * len(r.TimeStopCandidates); n > BracketsMaxCells {
		v.Add("body", "k_stop_grid", fmt.Sprintf("the grids give %d cells; at most %d", n, BracketsMaxCells), "value_error")
	}
	if r.AtrPeriod < 0 || r.AtrPeriod > 500 {
		v.Add("body", "atr_period", "atr_period must be in 1..500", "value_error")
	}
	if r.EntryMode != "" && r.EntryMode != backtest.EntryNextSessionOpen && r.EntryMode != backtest.EntryNextBar {
		v.Add("body", "entry_mode", "entry_mode must be one of: next_session_open, next_bar", "value_error")
	}
	if r.SelectBy == "" {
		r.SelectBy = BracketsByTotalReturn
	}
	switch r.SelectBy {
	case BracketsByTotalReturn, BracketsByAvgReturn, BracketsByAvgRR:
	default:
		v.Add("body", "select_by", "select_by must be one of: total_return, avg_return, avg_rr", "value_error")
	}
	if r.MinTrades == 0 {
		r.MinTrades = BracketsDefaultMinTrade
	}
	if r.MinTrades < 1 {
		v.Add("body", "min_trades", "min_trades must be ≥ 1", "value_error")
	}
	return r, bt, v.Err()
}

// CalibrateBrackets is POST /calibrate_brackets: the model's out-of-fold
// positions (the reported path of POST /backtest with the same fields) are
// simulated with bracket parity (Lab.parityFor) for every grid cell on the
// folds before the last; the best cell by select_by among those with at least
// min_trades trades (else the best overall, with a warning) is then simulated
// on the last fold, as are the model's current brackets (baseline).
func (l *Lab) CalibrateBrackets(ctx context.Context, req CalibrateBracketsRequest) (CalibrateBracketsResponse, error) {
	var resp CalibrateBracketsResponse
	req, bt, err := req.Normalize()
	if err != nil {
		return resp, err
	}
	src, err := l.BacktestOOF(ctx, OOFSpec{ModelID: bt.ModelID, PackID: bt.PackID, BuildID: bt.BuildID,
		Target: bt.Target, CV: cv.Config{Method: bt.CV, Splits: bt.Splits, Embargo: bt.Embargo},
		Calibration: *bt.Calibration, TrainHours: bt.TrainHours, Hyperparams: bt.Hyperparams, Features: bt.Features})
	if err != nil {
		return resp, err
	}
	o := src.OOF
	resp = CalibrateBracketsResponse{ModelID: bt.ModelID, PackID: src.Model.PackID, BuildID: src.BuildID,
		MatrixURI: "/matrices/" + bt.ModelID + "/" + src.BuildID, OOFKey: src.Key, OOFCached: src.Cached,
		TrainingMS: src.TrainingMS, SelectBy: req.SelectBy, MinTrades: req.MinTrades, Note: bracketsNote,
		Warnings: src.Warnings}
	if req.DesiredRR != nil {
		resp.Warnings = append(resp.Warnings, "desired_rr is not used: brackets are chosen by select_by on simulated trades "+
			"(each candidate's rr is reported)")
	}
	if o.Folds() < 2 {
		return resp, errs.Field("body", "splits", "calibrate_brackets needs at least two folds (one to choose on, one held out)")
	}
	base, current := executionParams(src.Pol)
	resp.Current = current
	params := bt.tradeParams(base)
	params.KeepSeries = true
	if params.MomentumGate && o.Aux[params.MomentumColumn] == nil {
		params.MomentumGate = false
		resp.Warnings = append(resp.Warnings, "momentum_gate: column "+params.MomentumColumn+
			" is not among the OOF's columns; signals are taken without the gate")
	}
	res, err := backtest.Evaluate(o, params)
	if err != nil {
		return resp, err
	}
	baseline := BracketBaseline{Source: "defaults", Params: BracketParams{AtrPeriod: 14, AtrMultStop: 1.5,
		AtrMultTarget: 3, TimeStopMinutes: 120, EntryMode: backtest.EntryNextSessionOpen}}
	if current != nil {
		baseline.Source = "policy"
		baseline.Params = BracketParams{AtrPeriod: current.AtrPeriod, AtrMultStop: current.AtrMultStop,
			AtrMultTarget: current.AtrMultTarget, TimeStopMinutes: current.TimeStopMinutes, EntryMode: current.EntryMode}
	}
	bp := &baseline.Params // the policy may leave fields out: show what parity runs
	if bp.AtrPeriod <= 0 {
		bp.AtrPeriod = 14
	}
	if bp.AtrMultStop <= 0 {
		bp.AtrMultStop = 1.5
	}
	if bp.AtrMultTarget <= 0 {
		bp.AtrMultTarget = 3
	}
	if bp.TimeStopMinutes <= 0 {
		bp.TimeStopMinutes = 120
	}
	if bp.EntryMode != backtest.EntryNextBar {
		bp.EntryMode = backtest.EntryNextSessionOpen
	}
	period, entry := bp.AtrPeriod, bp.EntryMode
	if req.AtrPeriod > 0 {
		period = req.AtrPeriod
	}
	if req.EntryMode != "" {
		entry = req.EntryMode
	}

	// The held-out fold is the last; training signals stop early enough that
	// their trades (entry up to a few days later plus the longest time stop)
	// end before it.
	held := o.Folds() - 1
	heldStart := o.FoldStart[held]
	longest := 0.0
	for _, t := range req.TimeStopCandidates {
		longest = max(longest, t)
	}
	cutoff := int64(math.MaxInt64)
	if heldStart < o.Len() {
		cutoff = o.TS[heldStart] - int64(longest)*60_000 - 4*24*3600_000
	}
	train, test := res, res
	train.Pos, test.Pos = make([]float64, len(res.Pos)), make([]float64, len(res.Pos))
	for i, p := range res.Pos {
		switch {
		case p == 0:
		case i >= heldStart:
			test.Pos[i] = p
			resp.HeldOutSignals++
		case o.TS[i] < cutoff:
			train.Pos[i] = p
			resp.TrainSignals++
		}
	}
	for f := 0; f < held; f++ {
		resp.TrainFolds = append(resp.TrainFolds, f)
	}
	resp.HeldOutFold = held

	var bestOK []BracketCandidate
	firstFail := ""
	for _, ks := range req.KStopGrid {
		for _, kt := range req.KTargetGrid {
			for _, ts := range req.TimeStopCandidates {
				bp := BracketParams{AtrPeriod: period, AtrMultStop: ks, AtrMultTarget: kt, TimeStopMinutes: int(ts), EntryMode: entry}
				pr := l.parityFor(ctx, src.Matrix, o, train, bp.brackets())
				if !pr.OK {
					if firstFail == "" {
						firstFail = pr.Reason
					}
					continue
				}
				c := BracketCandidate{KStop: ks, KTarget: kt, TimeStop: int(ts), RR: kt / ks, Trades: pr.Trades,
					HitRate: pr.HitRate, AvgRR: pr.AvgRR, AvgReturnPct: pr.AvgReturnPct,
					TotalReturnPct: pr.AvgReturnPct * float64(pr.Trades)}
				switch req.SelectBy {
				case BracketsByAvgReturn:
					c.Score = c.AvgReturnPct
				case BracketsByAvgRR:
					c.Score = c.AvgRR
				default:
					c.Score = c.TotalReturnPct
				}
				bestOK = append(bestOK, c)
			}
		}
	}
	if len(bestOK) == 0 {
		return resp, fmt.Errorf("calibrate_brackets: the model's %d training signals gave no parity trade (%s): %w",
			resp.TrainSignals, firstFail, errs.ErrNoData)
	}
	// Best first; ties keep grid order.
	sort.SliceStable(bestOK, func(i, j int) bool { return bestOK[i].Score > bestOK[j].Score })
	resp.Candidates = bestOK
	pick := -1
	for i, c := range bestOK {
		if c.Trades >= req.MinTrades {
			pick = i
			break
		}
	}
	if pick < 0 {
		pick = 0
		resp.Warnings = append(resp.Warnings, fmt.Sprintf("no candidate has %d training trades; the pick rests on %d",
			req.MinTrades, bestOK[0].Trades))
	}
	c := bestOK[pick]
	resp.Params = BracketParams{AtrPeriod: period, AtrMultStop: c.KStop, AtrMultTarget: c.KTarget,
		TimeStopMinutes: c.TimeStop, EntryMode: entry}
	resp.Recommended = BracketRecommendation{AtrMultStop: c.KStop, AtrMultTarget: c.KTarget, RRImplied: c.RR,
		TimeStopMinutes: c.TimeStop}
	resp.Parity = l.parityFor(ctx, src.Matrix, o, test, resp.Params.brackets())
	baseline.Parity = l.parityFor(ctx, src.Matrix, o, test, baseline.Params.brackets())
	resp.Baseline = baseline
	return resp, nil
}
