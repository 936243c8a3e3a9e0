package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"sigmalab/engine/backtest"
	"sigmalab/engine/errs"
)

// These are the predecessor's "calibration" endpoints (reference engine.md
// §7.1): they pick a score threshold and ATR bracket multipliers. They have
// nothing to do with probability calibration (engine/calibrate).

// CalibrateThresholdsRequest is the body of POST /calibrate_thresholds.
type CalibrateThresholdsRequest struct {
	ModelID string    `json:"model_id"`
	PackID  string    `json:"pack_id,omitempty"`
	BuildID string    `json:"build_id,omitempty"` // matrix build; "" = latest
	CSV     string    `json:"csv,omitempty"`      // accepted for compatibility; the stored matrix is read
	Metric  string    `json:"metric,omitempty"`   // accepted, unused (as in the predecessor)
	Column  string    `json:"column,omitempty"`   // default score_total
	Grid    []float64 `json:"grid"`               // default 0.50,0.55,0.60,0.65,0.70
	TopN    int       `json:"top_n"`              // 0 → 50
}

// ThresholdCount is one grid point.
type ThresholdCount struct {
	Threshold float64 `json:"threshold"`
	Count     int     `json:"count"`
}

// CalibrateThresholdsResponse keeps the predecessor's keys.
type CalibrateThresholdsResponse struct {
	ModelID              string           `json:"model_id"`
	SourceCSV            string           `json:"source_csv"` // the matrix read (data-dir relative)
	BuildID              string           `json:"build_id"`
	Column               string           `json:"column"`
	TopN                 int              `json:"top_n"`
	Grid                 []float64        `json:"grid"`
	Counts               []ThresholdCount `json:"counts"`
	RecommendedThreshold float64          `json:"recommended_threshold"`
	ExpectedCount        int              `json:"expected_count"`
	Rows                 int              `json:"rows"` // rows with a value in column
}

// RecommendThreshold counts, for every grid value, the values ≥ it and picks
// the grid value whose count is nearest topN (the first in grid order on ties).
// NaN values never count.
func RecommendThreshold(values, grid []float64, topN int) ([]ThresholdCount, int) {
	counts := make([]ThresholdCount, len(grid))
	best := 0
	for g, thr := range grid {
		c := 0
		for _, v := range values {
			if v >= thr {
				c++
			}
		}
		counts[g] = ThresholdCount{Threshold: thr, Count: c}
		if absInt(c-topN) < absInt(counts[best].Count-topN) {
			best = g
		}
	}
	return counts, best
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// CalibrateThresholds reads the model's stored matrix and recommends the score
// threshold that lets about top_n rows through.
func (l *Lab) CalibrateThresholds(ctx context.Context, req CalibrateThresholdsRequest) (CalibrateThresholdsResponse, error) {
	var resp CalibrateThresholdsResponse
	v := &errs.Validation{}
	if strings.TrimSpace(req.ModelID) == "" {
		v.Add("body", "model_id", "model_id is required", "missing")
	} else if !ValidID(req.ModelID) {
		v.Add("body", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	checkIDs(v, req.PackID, req.BuildID)
	if req.Column == "" {
		req.Column = "score_total"
	}
	if len(req.Grid) == 0 {
		req.Grid = []float64{0.50, 0.55, 0.60, 0.65, 0.70}
	}
	for _, g := range req.Grid {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			v.Add("body", "grid", "grid values must be finite numbers", "value_error")
			break
		}
	}
	if req.TopN < 0 {
		v.Add("body", "top_n", "top_n must be ≥ 0", "value_error")
	}
	if req.TopN == 0 {
		req.TopN = 50
	}
	if err := v.Err(); err != nil {
		return resp, err
	}
	if _, err := l.verifyModel(ctx, req.ModelID, req.PackID); err != nil {
		return resp, err
	}
	m, buildID, err := l.LoadMatrix(ctx, req.ModelID, req.BuildID)
	if err != nil {
		return resp, err
	}
	col := m.Col(req.Column)
	if col == nil {
		return resp, errs.Field("body", "column", fmt.Sprintf("column %q not in the matrix of %s (build %s)", req.Column, req.ModelID, buildID))
	}
	counts, best := RecommendThreshold(col, req.Grid, req.TopN)
	rows := 0
	for _, x := range col {
		if !math.IsNaN(x) {
			rows++
		}
	}
	return CalibrateThresholdsResponse{ModelID: req.ModelID, SourceCSV: "matrices/" + req.ModelID + "/" + buildID + ".parquet",
		BuildID: buildID, Column: req.Column, TopN: req.TopN, Grid: req.Grid, Counts: counts,
		RecommendedThreshold: req.Grid[best], ExpectedCount: counts[best].Count, Rows: rows}, nil
}

// CalibrateBracketsRequest is the body of POST /calibrate_brackets.
type CalibrateBracketsRequest struct {
	ModelID            string    `json:"model_id"`
	PackID             string    `json:"pack_id,omitempty"`
	DesiredRR          float64   `json:"desired_rr"` // 0 → 2.0
	KStopGrid          []float64 `json:"k_stop_grid"`
	KTargetGrid        []float64 `json:"k_target_grid"`
	TimeStopCandidates []float64 `json:"time_stop_candidates"`
}

// BracketCandidate is one (k_stop, k_target) pair.
type BracketCandidate struct {
	KStop   float64 `json:"k_stop"`
	KTarget float64 `json:"k_target"`
	RR      float64 `json:"rr"`
	Delta   float64 `json:"delta"`
}

// BracketRecommendation is the pick.
type BracketRecommendation struct {
	AtrMultStop     float64 `json:"atr_mult_stop"`
	AtrMultTarget   float64 `json:"atr_mult_target"`
	RRImplied       float64 `json:"rr_implied"`
	TimeStopMinutes int     `json:"time_stop_minutes"`
}

// CalibrateBracketsResponse keeps the predecessor's keys, plus the model it
// was asked for and that model's current policy brackets (absent when its
// policy has none).
type CalibrateBracketsResponse struct {
	ModelID     string                `json:"model_id,omitempty"`
	PackID      string                `json:"pack_id,omitempty"`
	Current     *backtest.Brackets    `json:"current_brackets,omitempty"`
	DesiredRR   float64               `json:"desired_rr"`
	Recommended BracketRecommendation `json:"recommended"`
	Candidates  []BracketCandidate    `json:"candidates"`
	Note        string                `json:"note"`
}

// CalibrateBrackets ranks every (k_stop, k_target) pair by |k_target/k_stop −
// desired_rr| then k_stop (stable, grid order), keeps ten and picks the first;
// the time stop is the candidate nearest 120 minutes (the first on ties).
func CalibrateBrackets(req CalibrateBracketsRequest) (CalibrateBracketsResponse, error) {
	v := &errs.Validation{}
	if strings.TrimSpace(req.ModelID) == "" {
		v.Add("body", "model_id", "model_id is required", "missing")
	} else if !ValidID(req.ModelID) {
		v.Add("body", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	checkIDs(v, req.PackID, "")
	if req.DesiredRR == 0 {
		req.DesiredRR = 2.0
	}
	if !(req.DesiredRR > 0) || math.IsInf(req.DesiredRR, 0) {
		v.Add("body", "desired_rr", "desired_rr must be a positive number", "value_error")
	}
	if len(req.KStopGrid) == 0 {
		req.KStopGrid = []float64{0.8, 1.0, 1.2, 1.4}
	}
	if len(req.KTargetGrid) == 0 {
		req.KTargetGrid = []float64{1.6, 2.0, 2.4, 3.0}
	}
	if len(req.TimeStopCandidates) == 0 {
		req.TimeStopCandidates = []float64{60, 90, 120, 180}
	}
	for _, k := range req.KStopGrid {
		if !(k > 0) || math.IsInf(k, 0) {
			v.Add("body", "k_stop_grid", "k_stop values must be positive numbers", "value_error")
			break
		}
	}
	for _, k := range req.KTargetGrid {
		if !(k > 0) || math.IsInf(k, 0) {
			v.Add("body", "k_target_grid", "k_target values must be positive numbers", "value_error")
			break
		}
	}
	for _, t := range req.TimeStopCandidates {
		if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 || t > 1e6 {
			v.Add("body", "time_stop_candidates", "time stops must be minutes in [0, 1e6]", "value_error")
			break
		}
	}
	if err := v.Err(); err != nil {
		return CalibrateBracketsResponse{}, err
	}
	var cands []BracketCandidate
	for _, ks := range req.KStopGrid {
		for _, kt := range req.KTargetGrid {
			rr := kt / ks
			cands = append(cands, BracketCandidate{KStop: ks, KTarget: kt, RR: rr, Delta: math.Abs(rr - req.DesiredRR)})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Delta != cands[j].Delta {
			return cands[i].Delta < cands[j].Delta
		}
		return cands[i].KStop < cands[j].KStop
	})
	if len(cands) > 10 {
		cands = cands[:10]
	}
	ts := int(req.TimeStopCandidates[0]) // int(float(x)), as the predecessor parsed them
	for _, t := range req.TimeStopCandidates[1:] {
		if absInt(int(t)-120) < absInt(ts-120) {
			ts = int(t)
		}
	}
	pick := cands[0]
	return CalibrateBracketsResponse{DesiredRR: req.DesiredRR,
		Recommended: BracketRecommendation{AtrMultStop: pick.KStop, AtrMultTarget: pick.KTarget, RRImplied: pick.RR, TimeStopMinutes: ts},
		Candidates:  cands,
		Note:        "RR under ATR brackets is k_target/k_stop (constant per-row). Consider regime-aware adjustments later."}, nil
}

// CalibrateBrackets is POST /calibrate_brackets: the request is validated
// first (422 naming the field), then the model must exist (404, in pack_id
// when given); the grid pick is CalibrateBrackets and the response names the
// model and its current policy brackets.
func (l *Lab) CalibrateBrackets(ctx context.Context, req CalibrateBracketsRequest) (CalibrateBracketsResponse, error) {
	resp, err := CalibrateBrackets(req)
	if err != nil {
		return resp, err
	}
	rec, err := l.verifyModel(ctx, req.ModelID, req.PackID)
	if err != nil {
		return CalibrateBracketsResponse{}, err
	}
	resp.ModelID, resp.PackID = rec.ModelID, rec.PackID
	if pol, err := l.Configs.LatestPolicy(ctx, rec.PackID, rec.ModelID); err == nil {
		_, resp.Current = ExecutionParams(pol.Policy)
	} else if !errors.Is(err, errs.ErrNotFound) {
		return CalibrateBracketsResponse{}, err
	}
	return resp, nil
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

// verifyModel returns the stored model (ErrNotFound when unknown or in
// another pack than packID).
func (l *Lab) verifyModel(ctx context.Context, modelID, packID string) (ModelRecord, error) {
	if l.Configs == nil {
		return ModelRecord{}, errs.NotFoundf("model %s: no config store", modelID)
	}
	return l.GetModelConfig(ctx, modelID, packID)
}
