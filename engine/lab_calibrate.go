package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"sigmalab/engine/backtest"
	"sigmalab/engine/calibrate"
	"sigmalab/engine/cv"
	"sigmalab/engine/errs"
)

// The two calibration endpoints work on the model's own out-of-fold (OOF)
// predictions, obtained through the backtest machinery (Lab.BacktestOOF, so a
// setup already cross-validated is read from the cache):
//
//   - POST /calibrate_thresholds fits a probability calibrator (sigmoid or
//     isotonic) on the raw OOF scores, walk-forward, and picks the confidence
//     threshold that reaches a precision or a row count (lab_calibrate.go);
//   - POST /calibrate_brackets chooses ATR stop / target / time-stop
//     multiples by simulating the model's signals with bracket parity on the
//     earlier folds and reports the last fold (lab_calibrate_brackets.go).
//
// The predecessor's endpoints of the same name counted a matrix column per
// grid value and ranked bracket pairs by k_target/k_stop alone (reference
// engine.md §7.1); neither looked at a model, so both were replaced.

// Defaults of POST /calibrate_thresholds.
const (
	CalibrateDefaultMethod  = calibrate.Isotonic
	CalibrateDefaultTopN    = 50
	CalibrateDefaultBins    = 10
	CalibrateDefaultMinRows = 20
	// calibMinFitRows is the fewest labelled earlier rows a fold's calibrator
	// is fit on; folds with fewer are not evaluated.
	calibMinFitRows = 30
)

// CalibrateThresholdsRequest is the body of POST /calibrate_thresholds. The
// OOF fields (build_id … features) mean what they mean in POST /backtest; the
// OOF is always the uncalibrated one (calibration none). Lists may be JSON
// arrays or "a,b,c" strings.
type CalibrateThresholdsRequest struct {
	ModelID     string         `json:"model_id"`
	PackID      string         `json:"pack_id,omitempty"`
	BuildID     string         `json:"build_id,omitempty"` // matrix build; "" = latest
	Target      string         `json:"target,omitempty"`
	Splits      int            `json:"splits"`
	Embargo     float64        `json:"embargo"`
	CV          string         `json:"cv,omitempty"`
	TrainHours  IntList        `json:"train_hours,omitempty"`
	Hyperparams map[string]any `json:"hyperparams,omitempty"`
	Features    StringList     `json:"features,omitempty"`
	// Method is the calibrator: isotonic (default) or sigmoid.
	Method string `json:"method"`
	// TargetPrecision picks the lowest grid threshold whose precision on the
	// calibrated confidence reaches it; without it the threshold is the grid
	// value whose row count is nearest TopN (default 50). Not both.
	TargetPrecision *float64  `json:"target_precision"`
	TopN            int       `json:"top_n"`
	Grid            FloatList `json:"grid"`     // confidence thresholds; default 0.30, 0.31, …, 0.95
	Bins            int       `json:"bins"`     // reliability bins; default 10
	MinRows         int       `json:"min_rows"` // rows a precision threshold must keep; default 20
	Save            *bool     `json:"save"`     // store the reliability plot (default true)

	// The predecessor's fields that no longer apply; a request naming them
	// gets a warning instead of silently different behaviour.
	CSV    string `json:"csv,omitempty"`
	Column string `json:"column,omitempty"`
	Metric string `json:"metric,omitempty"`
}

// ThresholdCount is one grid threshold on the calibrated confidence of the
// evaluated rows: how many pass and how many of those called the direction
// right (nil when none pass).
type ThresholdCount struct {
	Threshold float64  `json:"threshold"`
	Count     int      `json:"count"`
	Precision *float64 `json:"precision"`
}

// ThresholdPick is the recommended threshold and how it was found.
type ThresholdPick struct {
	Mode            string   `json:"mode"` // target_precision | top_n
	TargetPrecision *float64 `json:"target_precision,omitempty"`
	TopN            int      `json:"top_n,omitempty"`
	// Value is nil when no grid threshold reaches the target precision with
	// min_rows rows.
	Value     *float64 `json:"value"`
	Count     int      `json:"count"`
	Precision *float64 `json:"precision"`
	// HeldOut repeats the pick without the last evaluated fold and applies
	// it to that fold: how the procedure does on rows it never saw.
	HeldOut *ThresholdHeldOut `json:"held_out,omitempty"`
	Note    string            `json:"note,omitempty"`
}

// ThresholdHeldOut is the held-out check of a threshold pick.
type ThresholdHeldOut struct {
	Fold      int      `json:"fold"`
	Threshold *float64 `json:"threshold"` // chosen on the earlier evaluated folds
	Rows      int      `json:"rows"`
	Count     int      `json:"count"`
	Precision *float64 `json:"precision"`
}

// ProbScores are proper scores of class probabilities over the evaluated rows.
type ProbScores struct {
	// Brier is the multi-class Brier score, mean over rows of Σ_c (p_c −
	// 1[y=c])² (twice the binary Brier score when there are two classes).
	Brier   float64 `json:"brier"`
	LogLoss float64 `json:"log_loss"` // mean −ln p_y, p clipped at 1e-15
	// ECE is the expected calibration error of the confidence max_c p_c
	// against "the top class was right".
	ECE float64 `json:"ece"`
}

// BeforeAfter pairs a figure before and after calibration.
type BeforeAfter[T any] struct {
	Before T `json:"before"`
	After  T `json:"after"`
}

// CalibrationFold is how one OOF fold took part in the walk-forward fit.
type CalibrationFold struct {
	Fold      int    `json:"fold"`
	FitRows   int    `json:"fit_rows"`  // labelled rows of earlier folds known before this fold starts
	EvalRows  int    `json:"eval_rows"` // labelled rows of this fold scored
	Method    string `json:"method"`    // method fitted (sigmoid when isotonic lacks rows), "" when not evaluated
	Evaluated bool   `json:"evaluated"`
	Note      string `json:"note,omitempty"`
}

// CalibrateThresholdsResponse is the answer of POST /calibrate_thresholds.
type CalibrateThresholdsResponse struct {
	ModelID    string `json:"model_id"`
	PackID     string `json:"pack_id"`
	BuildID    string `json:"build_id"`
	MatrixURI  string `json:"matrix_uri"` // API URL of the matrix read
	OOFKey     string `json:"oof_key"`
	OOFCached  bool   `json:"oof_cached"`
	TrainingMS int64  `json:"training_ms"`
	Method     string `json:"method"`
	// Params is the calibrator fitted on every labelled OOF row: the one to
	// apply to the model's new scores. The figures below measure the
	// walk-forward procedure (Evaluation), not Params on its own rows.
	Params      *calibrate.Calibrator                         `json:"params"`
	Evaluation  string                                        `json:"evaluation"`
	Folds       []CalibrationFold                             `json:"folds"`
	Rows        int                                           `json:"rows"` // evaluated rows
	Classes     []string                                      `json:"classes"`
	Reliability BeforeAfter[map[string]calibrate.Reliability] `json:"reliability"`
	Confidence  BeforeAfter[calibrate.Reliability]            `json:"confidence_reliability"`
	Scores      BeforeAfter[ProbScores]                       `json:"scores"`
	Threshold   ThresholdPick                                 `json:"threshold"`
	Grid        []float64                                     `json:"grid"`
	Counts      []ThresholdCount                              `json:"counts"`
	// RecommendedThreshold and ExpectedCount repeat Threshold.Value and
	// Threshold.Count under the predecessor's keys.
	RecommendedThreshold *float64 `json:"recommended_threshold"`
	ExpectedCount        int      `json:"expected_count"`
	TopN                 int      `json:"top_n,omitempty"`
	PlotURI              string   `json:"plot_uri,omitempty"`
	Warnings             []string `json:"warnings,omitempty"`
}

// calibrationEvaluation describes the walk-forward procedure in responses.
const calibrationEvaluation = "walk-forward: each OOF fold after the first is scored with a calibrator fit on the " +
	"labelled rows of the earlier folds whose labels ended before the fold starts; before/after figures are over " +
	"those scored rows; params is the calibrator refit on every labelled OOF row"

// defaultConfGrid is 0.30, 0.31, …, 0.95.
func defaultConfGrid() []float64 {
	g := make([]float64, 0, 66)
	for k := 30; k <= 95; k++ {
		g = append(g, float64(k)/100)
	}
	return g
}

// Normalize fills the defaults and validates; errors are 422 naming fields.
func (r CalibrateThresholdsRequest) Normalize() (CalibrateThresholdsRequest, error) {
	none := calibrate.None
	if r.Splits == 0 {
		r.Splits = 5 // as POST /backtest
	}
	bt, err := BacktestRequest{ModelID: r.ModelID, PackID: r.PackID, BuildID: r.BuildID, Target: r.Target,
		Splits: r.Splits, Embargo: r.Embargo, CV: r.CV, TrainHours: r.TrainHours, Calibration: &none}.Normalize()
	v := &errs.Validation{}
	var ve *errs.Validation
	if errors.As(err, &ve) {
		v.Fields = append(v.Fields, ve.Fields...)
	} else if err != nil {
		return r, err
	}
	r.ModelID, r.Splits, r.CV = bt.ModelID, bt.Splits, bt.CV
	if r.Splits < 2 {
		v.Add("body", "splits", "calibration needs at least 2 splits (earlier folds to fit on, later ones to score)", "value_error")
	}
	if r.Method == "" {
		r.Method = CalibrateDefaultMethod
	}
	if r.Method != calibrate.Sigmoid && r.Method != calibrate.Isotonic {
		v.Add("body", "method", "method must be one of: sigmoid, isotonic", "value_error")
	}
	if r.TargetPrecision != nil {
		if p := *r.TargetPrecision; !(p > 0 && p <= 1) {
			v.Add("body", "target_precision", "target_precision must be in (0, 1]", "value_error")
		}
		if r.TopN != 0 {
			v.Add("body", "top_n", "give target_precision or top_n, not both", "value_error")
		}
	}
	if r.TopN < 0 {
		v.Add("body", "top_n", "top_n must be ≥ 0", "value_error")
	}
	if r.TopN == 0 && r.TargetPrecision == nil {
		r.TopN = CalibrateDefaultTopN
	}
	if len(r.Grid) == 0 {
		r.Grid = defaultConfGrid()
	}
	if len(r.Grid) > 1000 {
		v.Add("body", "grid", "grid has at most 1000 values", "value_error")
	}
	for _, g := range r.Grid {
		if !(g >= 0 && g <= 1) {
			v.Add("body", "grid", "grid values are confidences in [0, 1]", "value_error")
			break
		}
	}
	if r.Bins == 0 {
		r.Bins = CalibrateDefaultBins
	}
	if r.Bins < 2 || r.Bins > 100 {
		v.Add("body", "bins", "bins must be in 2..100", "value_error")
	}
	if r.MinRows == 0 {
		r.MinRows = CalibrateDefaultMinRows
	}
	if r.MinRows < 1 {
		v.Add("body", "min_rows", "min_rows must be ≥ 1", "value_error")
	}
	if r.Save == nil {
		t := true
		r.Save = &t
	}
	return r, v.Err()
}

// CalibrateThresholds is POST /calibrate_thresholds: the model's raw OOF
// class probabilities are calibrated walk-forward (CalibrateOOF), and the
// threshold on the calibrated confidence max(p_up, p_down) is picked from the
// grid for the target precision or row count.
func (l *Lab) CalibrateThresholds(ctx context.Context, req CalibrateThresholdsRequest) (CalibrateThresholdsResponse, error) {
	var resp CalibrateThresholdsResponse
	req, err := req.Normalize()
	if err != nil {
		return resp, err
	}
	src, err := l.BacktestOOF(ctx, OOFSpec{ModelID: req.ModelID, PackID: req.PackID, BuildID: req.BuildID,
		Target: req.Target, CV: cv.Config{Method: req.CV, Splits: req.Splits, Embargo: req.Embargo},
		Calibration: calibrate.None, TrainHours: req.TrainHours, Hyperparams: req.Hyperparams, Features: req.Features})
	if err != nil {
		return resp, err
	}
	cal, err := CalibrateOOF(src.OOF, req.Method, req.Bins)
	if err != nil {
		return resp, err
	}
	resp = CalibrateThresholdsResponse{ModelID: req.ModelID, PackID: src.Model.PackID, BuildID: src.BuildID,
		MatrixURI: "/matrices/" + req.ModelID + "/" + src.BuildID, OOFKey: src.Key, OOFCached: src.Cached,
		TrainingMS: src.TrainingMS, Method: req.Method, Params: cal.Params, Evaluation: calibrationEvaluation,
		Folds: cal.Folds, Rows: len(cal.Rows), Classes: src.OOF.Classes, Reliability: cal.Reliability,
		Confidence: cal.Confidence, Scores: cal.Scores, Grid: req.Grid, Warnings: src.Warnings}
	if req.CSV != "" || req.Column != "" || req.Metric != "" {
		resp.Warnings = append(resp.Warnings, "csv, column and metric are not used: the model's own out-of-fold "+
			"probabilities are calibrated and thresholds apply to the UP/DOWN confidence max(p_up, p_down)")
	}
	resp.Counts, resp.Threshold = cal.PickThreshold(req.Grid, req.TargetPrecision, req.TopN, req.MinRows)
	resp.RecommendedThreshold, resp.ExpectedCount = resp.Threshold.Value, resp.Threshold.Count
	if req.TargetPrecision == nil {
		resp.TopN = req.TopN
	}
	if *req.Save {
		svg, err := ReliabilityPlot(cal, req.ModelID+" ("+req.Method+")")
		if err != nil {
			resp.Warnings = append(resp.Warnings, "plot: "+err.Error())
		} else {
			name := "cal-" + strings.ReplaceAll(l.now().UTC().Format("20060102t150405.000"), ".", "") + "-" + src.Key[:10]
			if uri, err := l.putBacktestArtifact(ctx, src, "plots", name, ".svg", "image/svg+xml", svg); err != nil {
				resp.Warnings = append(resp.Warnings, "plots: "+err.Error())
			} else if uri != "" {
				if l.ArtifactRegistry != nil {
					resp.PlotURI = "/artifacts/" + name + "-svg"
				} else {
					resp.Warnings = append(resp.Warnings, "plot stored without an artifact registry: no API URL for it")
				}
			}
		}
	}
	return resp, nil
}

// OOFCalibration is the walk-forward calibration of one OOF.
type OOFCalibration struct {
	Method string
	Params *calibrate.Calibrator // fit on every labelled row
	Folds  []CalibrationFold
	// Rows are the evaluated OOF rows; Before and After their raw and
	// calibrated probabilities [class][k], Label their classes.
	Rows          []int
	Before, After [][]float64
	Label         []int
	Classes       []string
	Fold          []int // OOF fold of each evaluated row
	Reliability   BeforeAfter[map[string]calibrate.Reliability]
	Confidence    BeforeAfter[calibrate.Reliability]
	Scores        BeforeAfter[ProbScores]
}

// CalibrateOOF fits method on o's probabilities walk-forward: for each fold g
// ≥ 1 a calibrator is fit on the labelled rows of folds < g whose label end
// (T1) is at or before fold g's first row time, and applied to fold g's
// labelled rows. A fold whose fit rows are fewer than 30 or lack a class is
// not evaluated. Isotonic falls back to sigmoid below 200 fit rows (its steps
// are noise there). Params is then fit on every labelled row.
func CalibrateOOF(o *backtest.OOF, method string, bins int) (OOFCalibration, error) {
	out := OOFCalibration{Method: method, Classes: o.Classes}
	k := len(o.Classes)
	if k < 2 {
		return out, errs.Invalidf("calibrate: the OOF has %d classes", k)
	}
	usable := func(i int) bool {
		if o.Label == nil || o.Label[i] < 0 {
			return false
		}
		for c := 0; c < k; c++ {
			if p := o.Probs[c][i]; math.IsNaN(p) || math.IsInf(p, 0) {
				return false
			}
		}
		return true
	}
	gather := func(rows []int) ([][]float64, []int) {
		p := make([][]float64, k)
		for c := range p {
			p[c] = make([]float64, len(rows))
			for j, i := range rows {
				p[c][j] = o.Probs[c][i]
			}
		}
		y := make([]int, len(rows))
		for j, i := range rows {
			y[j] = o.Label[i]
		}
		return p, y
	}
	fitOn := func(rows []int) (*calibrate.Calibrator, string, string) {
		if len(rows) < calibMinFitRows {
			return nil, "", fmt.Sprintf("only %d labelled earlier rows (need %d)", len(rows), calibMinFitRows)
		}
		p, y := gather(rows)
		seen := make([]bool, k)
		for _, c := range y {
			seen[c] = true
		}
		for c, s := range seen {
			if !s {
				return nil, "", "earlier rows have no " + o.Classes[c] + " label"
			}
		}
		m := method
		if m == calibrate.Isotonic && len(rows) < minIsotonicRows {
			m = calibrate.Sigmoid
		}
		cal, err := calibrate.Fit(m, p, y)
		if err != nil {
			return nil, "", err.Error()
		}
		return cal, m, ""
	}
	var fit, pending []int // usable earlier rows: label known / not yet known
	next := 0              // first row not yet considered
	for g := 0; g < o.Folds(); g++ {
		lo, hi := o.FoldStart[g], o.FoldStart[g+1]
		info := CalibrationFold{Fold: g}
		if lo == hi {
			info.Note = "empty fold"
			out.Folds = append(out.Folds, info)
			continue
		}
		// Earlier rows enter the fit set once their label is known at this
		// fold's start (rows are in time order, so a pending row stays
		// pending only until a later fold).
		for i := next; i < lo; i++ {
			if usable(i) {
				pending = append(pending, i)
			}
		}
		next = lo
		kept := pending[:0]
		for _, i := range pending {
			if o.T1 == nil || o.T1[i] <= o.TS[lo] {
				fit = append(fit, i)
			} else {
				kept = append(kept, i)
			}
		}
		pending = kept
		info.FitRows = len(fit)
		var eval []int
		for i := lo; i < hi; i++ {
			if usable(i) {
				eval = append(eval, i)
			}
		}
		if g == 0 {
			info.Note = "first fold: no earlier rows to fit on"
			out.Folds = append(out.Folds, info)
			continue
		}
		cal, m, note := fitOn(fit)
		if cal == nil {
			info.Note = note
			out.Folds = append(out.Folds, info)
			continue
		}
		p, y := gather(eval)
		after := make([][]float64, k)
		for c := range p {
			after[c] = append([]float64(nil), p[c]...)
		}
		cal.Apply(after)
		info.Method, info.Evaluated, info.EvalRows = m, true, len(eval)
		if m != method {
			info.Note = fmt.Sprintf("isotonic needs %d fit rows; sigmoid fitted", minIsotonicRows)
		}
		out.Folds = append(out.Folds, info)
		out.Rows = append(out.Rows, eval...)
		out.Label = append(out.Label, y...)
		for range eval {
			out.Fold = append(out.Fold, g)
		}
		if out.Before == nil {
			out.Before, out.After = make([][]float64, k), make([][]float64, k)
		}
		for c := 0; c < k; c++ {
			out.Before[c] = append(out.Before[c], p[c]...)
			out.After[c] = append(out.After[c], after[c]...)
		}
	}
	if len(out.Rows) == 0 {
		var why []string
		for _, f := range out.Folds {
			if f.Note != "" {
				why = append(why, fmt.Sprintf("fold %d: %s", f.Fold, f.Note))
			}
		}
		return out, fmt.Errorf("calibrate: no fold could be scored walk-forward (%s): %w", strings.Join(why, "; "), errs.ErrNoData)
	}
	var all []int
	for i := 0; i < o.Len(); i++ {
		if usable(i) {
			all = append(all, i)
		}
	}
	cal, _, note := fitOn(all)
	if cal == nil {
		return out, fmt.Errorf("calibrate: %s: %w", note, errs.ErrNoData)
	}
	out.Params = cal
	out.Reliability.Before, out.Reliability.After = map[string]calibrate.Reliability{}, map[string]calibrate.Reliability{}
	for c, name := range o.Classes {
		hit := make([]bool, len(out.Label))
		for j, y := range out.Label {
			hit[j] = y == c
		}
		out.Reliability.Before[name] = calibrate.Curve(out.Before[c], hit, bins)
		out.Reliability.After[name] = calibrate.Curve(out.After[c], hit, bins)
	}
	out.Scores.Before, out.Confidence.Before = out.probScores(out.Before, bins)
	out.Scores.After, out.Confidence.After = out.probScores(out.After, bins)
	return out, nil
}

// direction returns the UP/DOWN call of probs row j: its confidence
// max(p_up, p_down), and whether the realised label is the called class
// (dir 0 on a tie: no call).
func (c *OOFCalibration) direction(probs [][]float64, j int) (conf float64, dir int, hit bool) {
	up, down := -1, -1
	for k, name := range c.Classes {
		switch name {
		case backtest.ClassUp:
			up = k
		case backtest.ClassDown:
			down = k
		}
	}
	var pu, pd float64
	if up >= 0 {
		pu = probs[up][j]
	}
	if down >= 0 {
		pd = probs[down][j]
	}
	switch {
	case pu > pd:
		return pu, 1, c.Label[j] == up
	case pd > pu:
		return pd, -1, c.Label[j] == down
	}
	return pu, 0, false
}

// probScores are the Brier score and log loss of probs against y, and the
// reliability of the UP/DOWN confidence (the number thresholds act on).
func (c *OOFCalibration) probScores(probs [][]float64, bins int) (ProbScores, calibrate.Reliability) {
	var s ProbScores
	n := len(c.Label)
	conf := make([]float64, 0, n)
	hit := make([]bool, 0, n)
	for j, y := range c.Label {
		for k := range probs {
			t := 0.0
			if k == y {
				t = 1
			}
			s.Brier += (probs[k][j] - t) * (probs[k][j] - t)
		}
		s.LogLoss -= math.Log(math.Max(probs[y][j], 1e-15))
		if cf, dir, h := c.direction(probs, j); dir != 0 {
			conf, hit = append(conf, cf), append(hit, h)
		}
	}
	if n > 0 {
		s.Brier /= float64(n)
		s.LogLoss /= float64(n)
	}
	rel := calibrate.Curve(conf, hit, bins)
	s.ECE = rel.ECE
	return s, rel
}

// thresholdStats counts the rows (of fold sel, or all when sel < 0) whose
// calibrated confidence is ≥ thr, and those whose call was right.
func (c *OOFCalibration) thresholdStats(thr float64, sel func(fold int) bool) (count, right int) {
	for j := range c.Label {
		if !sel(c.Fold[j]) {
			continue
		}
		if cf, dir, h := c.direction(c.After, j); dir != 0 && cf >= thr {
			count++
			if h {
				right++
			}
		}
	}
	return count, right
}

func precisionOf(count, right int) *float64 {
	if count == 0 {
		return nil
	}
	p := float64(right) / float64(count)
	return &p
}

// pick chooses a grid index on the rows sel admits: the lowest threshold
// whose precision reaches target with at least minRows rows, or (target nil)
// the threshold whose count is nearest topN, first in grid order on ties.
// −1 when no threshold reaches the target.
func (c *OOFCalibration) pick(grid []float64, target *float64, topN, minRows int, sel func(int) bool) int {
	best := -1
	for g, thr := range grid {
		n, r := c.thresholdStats(thr, sel)
		if target != nil {
			if p := precisionOf(n, r); p != nil && n >= minRows && *p >= *target && (best < 0 || thr < grid[best]) {
				best = g
			}
			continue
		}
		if best < 0 {
			best = g
			continue
		}
		if nb, _ := c.thresholdStats(grid[best], sel); absInt(n-topN) < absInt(nb-topN) {
			best = g
		}
	}
	return best
}

// PickThreshold tabulates the grid over every evaluated row and picks the
// threshold (see pick); the held-out check repeats the pick without the last
// evaluated fold and scores that fold with it.
func (c *OOFCalibration) PickThreshold(grid []float64, target *float64, topN, minRows int) ([]ThresholdCount, ThresholdPick) {
	all := func(int) bool { return true }
	counts := make([]ThresholdCount, len(grid))
	for g, thr := range grid {
		n, r := c.thresholdStats(thr, all)
		counts[g] = ThresholdCount{Threshold: thr, Count: n, Precision: precisionOf(n, r)}
	}
	tp := ThresholdPick{Mode: "top_n", TopN: topN}
	if target != nil {
		tp = ThresholdPick{Mode: "target_precision", TargetPrecision: target}
	}
	if b := c.pick(grid, target, topN, minRows, all); b >= 0 {
		v := grid[b]
		tp.Value, tp.Count, tp.Precision = &v, counts[b].Count, counts[b].Precision
	} else {
		tp.Note = fmt.Sprintf("no grid threshold reaches precision %.3g with at least %d rows", *target, minRows)
	}
	last := -1
	for _, f := range c.Fold {
		last = max(last, f)
	}
	earlier := func(f int) bool { return f < last }
	if n, _ := c.thresholdStats(math.Inf(-1), earlier); n > 0 {
		ho := &ThresholdHeldOut{Fold: last}
		for _, f := range c.Fold {
			if f == last {
				ho.Rows++
			}
		}
		if b := c.pick(grid, target, topN, minRows, earlier); b >= 0 {
			v := grid[b]
			ho.Threshold = &v
			n, r := c.thresholdStats(v, func(f int) bool { return f == last })
			ho.Count, ho.Precision = n, precisionOf(n, r)
		}
		tp.HeldOut = ho
	}
	return counts, tp
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// checkIDs validates the optional pack_id and build_id body fields.
func checkIDs(v *errs.Validation, packID, buildID string) {
	if packID != "" && !ValidID(packID) {
		v.Add("body", "pack_id", "pack_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if buildID != "" && buildID != "latest" && !ValidID(buildID) {
		v.Add("body", "build_id", "build_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
}
