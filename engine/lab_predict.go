package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/matrix"
)

// MaxPredictRows caps the JSON rows one POST /models/{id}/predict may score
// (a stored build is scored whole).
const MaxPredictRows = 10000

// PredictRequest is the body of POST /models/{model_id}/predict: rows given as
// feature name → value (null: missing, routed as the trees route missing
// values), or a stored build of the model (build_id, "latest" for the newest).
// TrainingRunID picks a training; 0 is the model's latest completed one.
type PredictRequest struct {
	ModelID       string                `json:"-"`
	Rows          []map[string]*float64 `json:"rows,omitempty"`
	BuildID       string                `json:"build_id,omitempty"`
	TrainingRunID int64                 `json:"training_run_id,omitempty"`
}

// PredictResponse holds class probabilities by class name, one per row, in
// the order of the rows sent (or of the build's rows, with their times).
type PredictResponse struct {
	ModelID       string               `json:"model_id"`
	TrainingRunID int64                `json:"training_run_id"`
	BuildID       string               `json:"build_id,omitempty"`
	Classes       []string             `json:"classes"`
	Features      []string             `json:"features"`
	Calibration   string               `json:"calibration"`
	Rows          int                  `json:"rows"`
	TS            []int64              `json:"ts,omitempty"` // build rows: bar start, unix ms
	Proba         map[string][]float64 `json:"proba"`
	Warnings      []string             `json:"warnings,omitempty"`
}

// Scores are a trained model's calibrated class probabilities over rows.
type Scores struct {
	Classes []string
	Probs   [][]float64 // Probs[class][row]
}

// Class returns the probabilities of the named class, nil when the model
// has no such class.
func (s Scores) Class(name string) []float64 {
	for k, c := range s.Classes {
		if c == name {
			return s.Probs[k]
		}
	}
	return nil
}

// ScoreMatrix scores every row of m with the trained model: the one scoring
// path shared by POST /models/{id}/predict and signal generation. Features
// are looked up by name (hour_et from the key column); a matrix lacking one
// is an ErrInvalid error.
func ScoreMatrix(tm *TrainedModel, m *matrix.Matrix) (Scores, error) {
	probs, err := tm.PredictMatrix(m)
	if err != nil {
		return Scores{}, err
	}
	return Scores{Classes: tm.Classes, Probs: probs}, nil
}

// LoadTrainedModel returns the model's trained artifact of training run
// runID, or of its newest completed training when runID is 0.
func (l *Lab) LoadTrainedModel(ctx context.Context, modelID string, runID int64) (*TrainedModel, TrainingRun, error) {
	var run TrainingRun
	if !ValidID(modelID) {
		return nil, run, errs.Field("path", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$")
	}
	if l.TrainingRuns == nil || l.ArtifactRegistry == nil {
		return nil, run, errs.NotFoundf("no trained model store")
	}
	if runID > 0 {
		r, err := l.TrainingRuns.GetTrainingRun(ctx, runID)
		if err != nil {
			return nil, run, err
		}
		if r.ModelID != modelID || r.Status != TrainCompleted {
			return nil, run, errs.Msgf(errs.ErrNotFound, "training run %d is not a completed training of model %s",
				runID, modelID)
		}
		run = r
	} else {
		runs, _, err := l.TrainingRuns.ListTrainingRuns(ctx, TrainingRunFilter{ModelID: modelID, Status: TrainCompleted}, 0, 1)
		if err != nil {
			return nil, run, err
		}
		if len(runs) == 0 {
			return nil, run, errs.Msgf(errs.ErrNotFound, "model %s has no completed training; POST /train first", modelID)
		}
		run = runs[0]
	}
	if run.ArtifactID == "" {
		return nil, run, errs.Msgf(errs.ErrNotFound, "training run %d stored no model artifact", run.ID)
	}
	_, b, err := l.ArtifactRegistry.GetArtifact(ctx, run.ArtifactID)
	if err != nil {
		return nil, run, fmt.Errorf("model artifact of training run %d: %w", run.ID, err)
	}
	tm, err := DecodeTrainedModel(b)
	if err != nil {
		return nil, run, fmt.Errorf("model artifact of training run %d: %w", run.ID, err)
	}
	return tm, run, nil
}

// Predict scores the request's rows (or stored build) with the model's
// trained GBDT and calibrator.
func (l *Lab) Predict(ctx context.Context, req PredictRequest) (PredictResponse, error) {
	var resp PredictResponse
	v := &errs.Validation{}
	switch {
	case req.Rows == nil && req.BuildID == "":
		v.Add("body", "rows", "give rows (a list of {feature: value} objects) or build_id", "missing")
	case req.Rows != nil && req.BuildID != "":
		v.Add("body", "build_id", "give rows or build_id, not both", "value_error")
	case req.Rows != nil && len(req.Rows) == 0:
		v.Add("body", "rows", "at least one row", "value_error")
	case len(req.Rows) > MaxPredictRows:
		v.Add("body", "rows", fmt.Sprintf("at most %d rows per request (score a stored build with build_id)",
			MaxPredictRows), "value_error")
	case req.BuildID != "" && req.BuildID != "latest" && !ValidID(req.BuildID):
		v.Add("body", "build_id", "build_id must match ^[a-z0-9][a-z0-9_-]{0,63}$ or be latest", "value_error")
	}
	if req.TrainingRunID < 0 {
		v.Add("body", "training_run_id", "must be a positive run id", "value_error")
	}
	if err := v.Err(); err != nil {
		return resp, err
	}
	tm, run, err := l.LoadTrainedModel(ctx, req.ModelID, req.TrainingRunID)
	if err != nil {
		return resp, err
	}
	resp = PredictResponse{ModelID: req.ModelID, TrainingRunID: run.ID, Classes: tm.Classes, Features: tm.Features,
		Calibration: tm.Calibration}
	var m *matrix.Matrix
	if req.BuildID != "" {
		if m, resp.BuildID, err = l.LoadMatrix(ctx, req.ModelID, req.BuildID); err != nil {
			return resp, err
		}
		for _, name := range tm.Features {
			if featureColumn(m, name) == nil {
				return resp, errs.Field("body", "build_id", fmt.Sprintf("build %s lacks feature %q of training run %d",
					resp.BuildID, name, run.ID))
			}
		}
		resp.TS = m.TS
	} else {
		if m, resp.Warnings, err = rowsMatrix(tm.Features, req.Rows); err != nil {
			return resp, err
		}
	}
	sc, err := ScoreMatrix(tm, m)
	if err != nil {
		return resp, err
	}
	resp.Rows = m.Len()
	resp.Proba = make(map[string][]float64, len(sc.Classes))
	for k, c := range sc.Classes {
		resp.Proba[c] = sc.Probs[k]
	}
	return resp, nil
}

// rowsMatrix lays JSON rows out as feature columns. Every feature must be
// present in every row (null is a missing value); other keys are reported
// once as a warning.
func rowsMatrix(features []string, rows []map[string]*float64) (*matrix.Matrix, []string, error) {
	v := &errs.Validation{}
	want := make(map[string]bool, len(features))
	for _, f := range features {
		want[f] = true
	}
	cols := make([][]float64, len(features))
	for j := range cols {
		cols[j] = make([]float64, len(rows))
	}
	extra := map[string]bool{}
	for i, row := range rows {
		loc := []string{"body", "rows", strconv.Itoa(i)}
		var missing []string
		for j, f := range features {
			x, ok := row[f]
			switch {
			case !ok:
				missing = append(missing, f)
			case x == nil:
				cols[j][i] = math.NaN()
			default:
				cols[j][i] = *x
			}
		}
		if len(missing) > 0 && len(v.Fields) < 10 {
			if len(missing) > 5 {
				missing = append(missing[:5], fmt.Sprintf("… %d more", len(missing)-5))
			}
			v.Fields = append(v.Fields, errs.FieldError{Loc: loc, Type: "missing",
				Msg: "missing features " + strings.Join(missing, ", ") + " (send null for a missing value)"})
		}
		for k := range row {
			if !want[k] {
				extra[k] = true
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var warn []string
	if len(extra) > 0 {
		names := make([]string, 0, len(extra))
		for k := range extra {
			names = append(names, k)
		}
		sort.Strings(names)
		if len(names) > 10 {
			names = append(names[:10], "…")
		}
		warn = append(warn, "ignored keys that are not features of the model: "+strings.Join(names, ", "))
	}
	m := &matrix.Matrix{TS: make([]int64, len(rows)), Names: features, Cols: cols}
	return m, warn, nil
}

// ModelExport is a trained model written in another library's format.
type ModelExport struct {
	Name        string // file name for Content-Disposition
	ContentType string
	Body        []byte
	ModTime     time.Time
}

// ExportFormats are the formats GET /models/{id}/export writes.
var ExportFormats = []string{"xgboost"}

// ExportModel writes the model's trained GBDT (training run runID, 0 = the
// latest) in format: xgboost is XGBoost's JSON model format, loadable with
// xgboost.Booster(model_file="….json"). The calibrator is not part of it:
// XGBoost gives the raw GBDT probabilities.
func (l *Lab) ExportModel(ctx context.Context, modelID, format string, runID int64) (ModelExport, error) {
	var out ModelExport
	if format == "" {
		format = "xgboost"
	}
	if format != "xgboost" {
		return out, errs.Field("query", "format", "must be one of "+strings.Join(ExportFormats, "|"))
	}
	tm, run, err := l.LoadTrainedModel(ctx, modelID, runID)
	if err != nil {
		return out, err
	}
	m := *tm.Model()
	m.FeatureNames = tm.Features
	b, err := m.ExportXGBoost()
	if err != nil {
		return out, fmt.Errorf("export training run %d: %w", run.ID, err)
	}
	out = ModelExport{Name: fmt.Sprintf("%s-run%d-xgboost.json", modelID, run.ID), ContentType: "application/json",
		Body: b, ModTime: tm.TrainedAt}
	if run.FinishedAt != nil {
		out.ModTime = *run.FinishedAt
	}
	return out, nil
}
