package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"sigmalab/engine/backtest"
	"sigmalab/engine/calibrate"
	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/jobs"
	"sigmalab/engine/logreg"
	"sigmalab/engine/matrix"
)

// TrainJobKind is the job kind of asynchronous trainings.
const TrainJobKind = "train"

// Training defaults.
const (
	DefaultTrainCalibration = calibrate.Sigmoid // the predecessor router's default
	DefaultHoldoutFrac      = 0.2               // time-ordered tail used for the reported metrics
	calibrationFrac         = 0.2               // tail of the training rows used to fit the calibrator
	minCalibrationRows      = 20
	// minIsotonicRows: below this, isotonic steps collapse to 0/1 and wreck the
	// logloss; sigmoid (two parameters) is fit instead, and the metrics say so.
	minIsotonicRows = 200
	topFeatureCount = 20
)

// Training-run states.
const (
	TrainRunning   = "running"
	TrainCompleted = "completed"
	TrainFailed    = "failed"
	// TrainInterrupted is a training the process stopped (kill, crash) before it
	// finished; set at the next start so no row stays running forever.
	TrainInterrupted = "interrupted"
)

// TrainingRunStore is the port for training_runs rows.
type TrainingRunStore interface {
	CreateTrainingRun(ctx context.Context, r TrainingRun) (TrainingRun, error)
	UpdateTrainingRun(ctx context.Context, r TrainingRun) error
	GetTrainingRun(ctx context.Context, id int64) (TrainingRun, error)
	// ListTrainingRuns lists rows newest first; total counts all matches.
	ListTrainingRuns(ctx context.Context, f TrainingRunFilter, offset, limit int) ([]TrainingRun, int, error)
}

// ArtifactRegistry is the port for registered artifacts: files under
// artifacts/<kind>/<id><ext> with a row in the artifacts bucket, so they can be
// downloaded by id (GET /artifacts/{id}).
type ArtifactRegistry interface {
	// PutArtifact writes data atomically as artifacts/<a.Kind>/<a.ID><ext>,
	// fills URI, SHA256 and SizeBytes, and stores the row.
	PutArtifact(ctx context.Context, a Artifact, ext string, data []byte) (Artifact, error)
	// GetArtifact returns the row and the file content (ErrNotFound when absent).
	GetArtifact(ctx context.Context, id string) (Artifact, []byte, error)
}

// Artifact is one stored file (model, plot, report, card …).
type Artifact struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"` // models, plots, reports, cards
	PackID        string    `json:"pack_id,omitempty"`
	ModelID       string    `json:"model_id,omitempty"`
	URI           string    `json:"uri"` // data-dir relative path
	ContentType   string    `json:"content_type"`
	SHA256        string    `json:"sha256"`
	SizeBytes     int64     `json:"size_bytes"`
	BuildRunID    int64     `json:"build_run_id,omitempty"`
	TrainingRunID int64     `json:"training_run_id,omitempty"`
	BacktestRunID int64     `json:"backtest_run_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// TrainingRunFilter selects training_runs rows by the columns build runs are
// filtered on; empty fields match everything.
type TrainingRunFilter = BuildRunFilter

// TrainingRun is one training_runs row: the predecessor's columns (id, pack_id,
// model_id, started_at, finished_at, params, metrics, model_out_uri, features,
// lineage, tag, created_at) plus status, error, build and artifact ids.
//
// TrainParams and TrainLineage are its params and lineage.
type TrainingRun struct {
	ID          int64         `json:"id"`
	Owner       string        `json:"owner,omitempty"` // who asked for it ("" on an open loopback server or the CLI)
	PackID      string        `json:"pack_id"`
	ModelID     string        `json:"model_id"`
	BuildID     string        `json:"build_id"`
	Status      string        `json:"status"`
	Error       string        `json:"error,omitempty"`
	Params      TrainParams   `json:"params"`
	Metrics     *TrainMetrics `json:"metrics"`
	ModelOutURI string        `json:"model_out_uri"`
	ModelOutURL string        `json:"model_out_url,omitempty"` // GET it to download the model
	ArtifactID  string        `json:"artifact_id,omitempty"`
	Features    []string      `json:"features"`
	Lineage     TrainLineage  `json:"lineage"`
	Tag         string        `json:"tag,omitempty"`
	StartedAt   *time.Time    `json:"started_at"`
	FinishedAt  *time.Time    `json:"finished_at"`
	CreatedAt   time.Time     `json:"created_at"`
}

// TrainRequest is the body of POST /train and of `sigmalab train --body`
// (api-contract §4.6 plus build_id, features, hyperparams, holdout_frac, tag
// and async). Lists may be JSON arrays or "a,b,c" strings.
type TrainRequest struct {
	ModelID string `json:"model_id"`
	// Owner is set by the server from the authenticated caller (a body value is replaced).
	Owner        string         `json:"owner,omitempty"`
	PackID       string         `json:"pack_id,omitempty"`
	BuildID      string         `json:"build_id,omitempty"` // "" or "latest": the newest completed build
	AllowedHours IntList        `json:"allowed_hours,omitempty"`
	Calibration  *string        `json:"calibration,omitempty"` // none|sigmoid|isotonic; default sigmoid
	Target       string         `json:"target,omitempty"`
	Features     StringList     `json:"features,omitempty"`    // instead of the config's selection
	Hyperparams  map[string]any `json:"hyperparams,omitempty"` // override the config's
	HoldoutFrac  *float64       `json:"holdout_frac,omitempty"`
	ModelOut     string         `json:"model_out,omitempty"` // accepted for compatibility; artifacts have fixed paths
	CSV          string         `json:"csv,omitempty"`       // refused: training reads stored matrices
	Tag          string         `json:"tag,omitempty"`
	Async        bool           `json:"async,omitempty"`
}

// Normalize validates the request and fills defaults (422 naming body fields).
func (r TrainRequest) Normalize() (TrainRequest, error) {
	v := &errs.Validation{}
	r.ModelID = strings.TrimSpace(r.ModelID)
	r.PackID = strings.TrimSpace(r.PackID)
	r.BuildID = strings.TrimSpace(r.BuildID)
	checkModelID(v, r.ModelID)
	checkIDs(v, r.PackID, r.BuildID)
	cal := DefaultTrainCalibration
	if r.Calibration != nil {
		cal = strings.ToLower(strings.TrimSpace(*r.Calibration))
		if cal == "" || cal == "null" {
			cal = calibrate.None
		}
	}
	if cal != calibrate.None && cal != calibrate.Sigmoid && cal != calibrate.Isotonic {
		v.Add("body", "calibration", "calibration must be one of: none, sigmoid, isotonic", "enum")
	}
	r.Calibration = &cal
	for _, h := range r.AllowedHours {
		if h < 0 || h > 23 {
			v.Add("body", "allowed_hours", "allowed_hours must be a list of ints or comma-separated ints (0..23)", "value_error")
			break
		}
	}
	if len(r.AllowedHours) > 0 {
		hs := slices.Clone(r.AllowedHours)
		slices.Sort(hs)
		r.AllowedHours = slices.Compact(hs)
	}
	frac := DefaultHoldoutFrac
	if r.HoldoutFrac != nil {
		frac = *r.HoldoutFrac
		if !(frac > 0 && frac <= 0.5) {
			v.Add("body", "holdout_frac", "holdout_frac must be in (0, 0.5]", "value_error")
		}
	}
	r.HoldoutFrac = &frac
	if strings.TrimSpace(r.CSV) != "" {
		v.Add("body", "csv", "training reads the model's stored matrices; build one with POST /build_matrix and pass build_id", "value_error")
	}
	r.Target = strings.TrimSpace(r.Target)
	if len(r.Tag) > 200 {
		v.Add("body", "tag", "tag is too long (max 200)", "value_error")
	}
	return r, v.Err()
}

// FeatureImportance is one feature's importance in a trained model.
type FeatureImportance struct {
	Feature string  `json:"feature"`
	Gain    float64 `json:"gain"`
	GainPct float64 `json:"gain_pct"`
	Splits  int     `json:"splits"`
}

// TrainMetrics are the figures of a training run. Holdout metrics come from a
// time-ordered tail the model never saw (training rows whose label window
// reaches into it are purged).
type TrainMetrics struct {
	Rows               int                 `json:"rows"` // labelled rows after the hour filter
	TrainRows          int                 `json:"train_rows"`
	CalibrationRows    int                 `json:"calibration_rows"`
	HoldoutRows        int                 `json:"holdout_rows"`
	PurgedRows         int                 `json:"purged_rows"`
	UnlabelledRows     int                 `json:"unlabelled_rows"`
	HoldoutStart       string              `json:"holdout_start"` // first holdout session date
	HoldoutEnd         string              `json:"holdout_end"`
	Classes            []string            `json:"classes"`
	ClassCounts        map[string]int      `json:"class_counts"`
	TrainClassCounts   map[string]int      `json:"train_class_counts"`
	HoldoutClassCounts map[string]int      `json:"holdout_class_counts"`
	Logloss            *float64            `json:"logloss"`
	LoglossRaw         *float64            `json:"logloss_uncalibrated"`
	Brier              *float64            `json:"brier"`
	AUC                *float64            `json:"auc"` // binary: of the second class; multiclass: macro one-vs-rest
	Accuracy           *float64            `json:"accuracy"`
	PerClass           []ClassMetrics      `json:"per_class"`
	Calibration        string              `json:"calibration"`
	CalibrationApplied bool                `json:"calibration_applied"`
	CalibrationNote    string              `json:"calibration_note,omitempty"`
	TopFeatures        []FeatureImportance `json:"top_features"`
	Trees              int                 `json:"trees"`
	Rounds             int                 `json:"rounds"`
	BestIteration      int                 `json:"best_iteration"`
	TrainMS            int64               `json:"train_ms"`
}

// TrainResult is what POST /train returns.
type TrainResult struct {
	ModelOutURI       string         `json:"model_out_uri"`
	ModelOut          string         `json:"model_out"`     // predecessor name of the same path
	ModelOutURL       string         `json:"model_out_url"` // GET /artifacts/{artifact_id} downloads the model
	Rows              int            `json:"rows"`
	Metrics           *TrainMetrics  `json:"metrics"`
	Features          []string       `json:"features"`
	TrainingRunID     int64          `json:"training_run_id"`
	ArtifactID        string         `json:"artifact_id"`
	ModelID           string         `json:"model_id"`
	PackID            string         `json:"pack_id"`
	BuildID           string         `json:"build_id"`
	Target            string         `json:"target"`
	Classes           []string       `json:"classes"`
	AllowedHours      []int          `json:"allowed_hours"`
	Calibration       string         `json:"calibration"`
	Hyperparams       gbdt.Params    `json:"hyperparams"`
	LogRegParams      *logreg.Params `json:"logreg_params,omitempty"` // algo logreg: its parameters (hyperparams is then unused)
	IgnoredHyperparam []string       `json:"ignored_hyperparams,omitempty"`
	CardPath          string         `json:"card_path,omitempty"`
	CardURL           string         `json:"card_url,omitempty"` // GET /artifacts/{card id}
}

// TrainData is a labelled, time-ordered training table in columns.
type TrainData struct {
	Features []string
	Cols     [][]float64 // Cols[f][row]
	Y        []int       // class index per row
	Classes  []string    // sorted class labels
	TS       []int64     // row time (unix ms), non-decreasing
	T1       []int64     // label end time per row; nil when unknown
	Date     []string
}

// PrepareTrainData filters m to labelled rows in allowedHours (nil = all),
// encodes the target (classes sorted by label) and gathers the feature
// columns. Rows are put in time order.
func PrepareTrainData(m *matrix.Matrix, features []string, target string, allowedHours []int) (*TrainData, string, int, error) {
	target, labels, err := TargetLabels(m, target)
	if err != nil {
		return nil, "", 0, err
	}
	hourOK := func(h int32) bool { return len(allowedHours) == 0 || slices.Contains(allowedHours, int(h)) }
	var rows []int
	unlabelled := 0
	for i := 0; i < m.Len(); i++ {
		if !hourOK(m.HourET[i]) {
			continue
		}
		if labels[i] == "" {
			unlabelled++
			continue
		}
		rows = append(rows, i)
	}
	if len(rows) == 0 {
		return nil, target, unlabelled, fmt.Errorf("no labelled rows in the matrix for the requested hours: %w", errs.ErrNoData)
	}
	sort.SliceStable(rows, func(a, b int) bool { return m.TS[rows[a]] < m.TS[rows[b]] })
	set := map[string]bool{}
	for _, i := range rows {
		set[labels[i]] = true
	}
	classes := make([]string, 0, len(set))
	for c := range set {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	if len(classes) < 2 {
		return nil, target, unlabelled, singleClassError(target, set, " in the selected rows")
	}
	index := make(map[string]int, len(classes))
	for k, c := range classes {
		index[c] = k
	}
	d := &TrainData{Features: features, Classes: classes, Y: make([]int, len(rows)), TS: make([]int64, len(rows)),
		Date: make([]string, len(rows)), Cols: make([][]float64, len(features))}
	if m.T1 != nil {
		d.T1 = make([]int64, len(rows))
	}
	for k, i := range rows {
		d.Y[k] = index[labels[i]]
		d.TS[k] = m.TS[i]
		d.Date[k] = m.Date[i]
		if d.T1 != nil {
			d.T1[k] = m.T1[i]
		}
	}
	for f, name := range features {
		src := featureColumn(m, name)
		if src == nil {
			return nil, target, unlabelled, errs.Invalidf("feature %q is not a numeric matrix column", name)
		}
		col := make([]float64, len(rows))
		for k, i := range rows {
			col[k] = src[i]
		}
		d.Cols[f] = col
	}
	return d, target, unlabelled, nil
}

// FitOutcome is the result of FitAndEvaluate.
type FitOutcome struct {
	Model      *gbdt.Model   // gbm
	LogReg     *logreg.Model // logreg
	Calibrator *calibrate.Calibrator
	Metrics    TrainMetrics
}

// purgeBefore drops rows of [0, end) whose label window reaches the block
// starting at row start (t1 ≥ ts[start]); without t1 nothing is purged. It is
// engine/cv's purge rule specialised to a held-out tail: cv purges a training
// row whose [t0, t1] overlaps the test block's span [t0(first), max t1]; when
// the block is every row from start on, each earlier row starts before the
// span, so the overlap test reduces to t1 ≥ t0(start).
func (d *TrainData) purgeBefore(end, start int) (kept []int, purged int) {
	for i := 0; i < end; i++ {
		if d.T1 != nil && d.T1[i] >= d.TS[start] {
			purged++
			continue
		}
		kept = append(kept, i)
	}
	return kept, purged
}

// FitAndEvaluate trains on the head of d and reports metrics on its
// time-ordered tail (holdoutFrac of the rows). With a calibration method the
// model is fit on the first part of the training rows and the calibrator on
// the rest (both time-ordered and purged), so the stored model and calibrator
// are exactly the evaluated ones.
func FitAndEvaluate(ctx context.Context, d *TrainData, p gbdt.Params, calibration string, holdoutFrac float64) (*FitOutcome, error) {
	return fitAndEvaluate(ctx, d, LearnerSpec{Algo: AlgoGBM, GBM: p}, calibration, holdoutFrac)
}

// fitAndEvaluate is FitAndEvaluate for any learner.
func fitAndEvaluate(ctx context.Context, d *TrainData, spec LearnerSpec, calibration string, holdoutFrac float64) (*FitOutcome, error) {
	n := len(d.Y)
	nh := int(math.Ceil(holdoutFrac * float64(n)))
	if nh < 1 || n-nh < 2 {
		return nil, fmt.Errorf("%d labelled rows are too few to train and hold out %.0f%%: %w", n, 100*holdoutFrac, errs.ErrNoData)
	}
	hStart := n - nh
	trainRows, purged := d.purgeBefore(hStart, hStart)
	met := TrainMetrics{Rows: n, HoldoutRows: nh, PurgedRows: purged, Classes: d.Classes,
		HoldoutStart: d.Date[hStart], HoldoutEnd: d.Date[n-1], Calibration: calibration}
	fitRows := trainRows
	var calRows []int
	if calibration != calibrate.None {
		nc := int(math.Ceil(calibrationFrac * float64(len(trainRows))))
		if nc < minCalibrationRows || len(trainRows)-nc < 2 {
			met.CalibrationNote = fmt.Sprintf("calibration skipped: %d training rows are too few for a calibration holdout", len(trainRows))
		} else {
			if calibration == calibrate.Isotonic && nc < minIsotonicRows {
				met.CalibrationNote = fmt.Sprintf("isotonic needs ≥ %d calibration rows (have %d); sigmoid fitted instead", minIsotonicRows, nc)
				calibration = calibrate.Sigmoid
			}
			cStart := trainRows[len(trainRows)-nc]
			calRows = trainRows[len(trainRows)-nc:]
			fitRows = nil
			for _, i := range trainRows[:len(trainRows)-nc] {
				if d.T1 != nil && d.T1[i] >= d.TS[cStart] {
					met.PurgedRows++
					continue
				}
				fitRows = append(fitRows, i)
			}
		}
	}
	if len(fitRows) < 2 {
		return nil, fmt.Errorf("only %d training rows left after purging: %w", len(fitRows), errs.ErrNoData)
	}
	met.TrainRows, met.CalibrationRows = len(fitRows), len(calRows)
	count := func(rows []int) map[string]int {
		out := map[string]int{}
		for _, i := range rows {
			out[d.Classes[d.Y[i]]]++
		}
		return out
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	met.ClassCounts = count(all)
	met.TrainClassCounts = count(fitRows)
	met.HoldoutClassCounts = count(all[hStart:])
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("train: %w", errs.ErrCancelled)
	}
	t0 := time.Now()
	var model interface {
		PredictProba(cols [][]float64) [][]float64
	}
	var gm *gbdt.Model
	var lm *logreg.Model
	if spec.Algo == AlgoLogReg {
		m, err := logreg.Fit(d.Cols, fitRows, d.Y, len(d.Classes), spec.LogReg)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		model, lm = m, m
	} else {
		p := spec.GBM
		ds, err := gbdt.NewDataset(d.Cols, p.MaxBins)
		if err != nil {
			return nil, err
		}
		// The early-stopping tail is purged like the calibration holdout.
		opt := &gbdt.Options{FeatureNames: d.Features}
		if p.EarlyStopping > 0 && p.ValidFraction > 0 && d.T1 != nil {
			y := d.Y
			var f []int
			if f, opt.ValidRows = backtest.PurgedTail(fitRows, d.TS, d.T1, y, p); opt.ValidRows != nil {
				fitRows = f
			}
		}
		m, err := gbdt.TrainRows(ds, fitRows, d.Y, len(d.Classes), p, opt)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		model, gm = m, m
	}
	met.TrainMS = time.Since(t0).Milliseconds()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("train: %w", errs.ErrCancelled)
	}
	gather := func(rows []int) [][]float64 {
		out := make([][]float64, len(d.Cols))
		for f, c := range d.Cols {
			s := make([]float64, len(rows))
			for k, i := range rows {
				s[k] = c[i]
			}
			out[f] = s
		}
		return out
	}
	labels := func(rows []int) []int {
		out := make([]int, len(rows))
		for k, i := range rows {
			out[k] = d.Y[i]
		}
		return out
	}
	var cal *calibrate.Calibrator
	if len(calRows) > 0 {
		c, err := calibrate.Fit(calibration, model.PredictProba(gather(calRows)), labels(calRows))
		if err != nil {
			met.CalibrationNote = "calibration skipped: " + err.Error()
		} else {
			cal = c
		}
	}
	met.CalibrationApplied = cal != nil
	hRows := all[hStart:]
	yh := labels(hRows)
	probs := model.PredictProba(gather(hRows))
	if cal != nil {
		raw := Classify(d.Classes, probs, yh)
		met.LoglossRaw = raw.Logloss
		cal.Apply(probs)
	}
	cl := Classify(d.Classes, probs, yh)
	if cal == nil {
		met.LoglossRaw = cl.Logloss
	}
	met.Logloss, met.Brier, met.AUC, met.Accuracy, met.PerClass = cl.Logloss, cl.Brier, cl.AUC, cl.Accuracy, cl.PerClass
	if gm != nil {
		for _, im := range gm.TopImportance(topFeatureCount) {
			met.TopFeatures = append(met.TopFeatures, FeatureImportance{Feature: im.Name, Gain: im.Gain, GainPct: im.GainPct, Splits: im.Splits})
		}
		met.Trees, met.Rounds, met.BestIteration = len(gm.Trees), gm.Rounds, gm.BestIteration
	}
	return &FitOutcome{Model: gm, LogReg: lm, Calibrator: cal, Metrics: met}, nil
}

// TrainJob runs Train as a background job.
func (l *Lab) TrainJob(ctx context.Context, t *jobs.Task, req TrainRequest) (any, error) {
	return l.train(ctx, req, t.Progress)
}

// Train fits the model's GBDT on its latest (or the given) matrix build and
// stores the run, the model artifact and a model card (POST /train).
func (l *Lab) Train(ctx context.Context, req TrainRequest) (TrainResult, error) {
	return l.train(ctx, req, nil)
}

// TrainWithProgress is Train reporting its progress (fraction, message), for
// the command line's progress bar.
func (l *Lab) TrainWithProgress(ctx context.Context, req TrainRequest, progress func(float64, string)) (TrainResult, error) {
	return l.train(ctx, req, progress)
}

func (l *Lab) train(ctx context.Context, req TrainRequest, progress func(float64, string)) (TrainResult, error) {
	if progress == nil {
		progress = func(float64, string) {}
	}
	req, err := req.Normalize()
	if err != nil {
		return TrainResult{}, err
	}
	plan, err := l.resolvePlan(ctx, BuildRequest{ModelID: req.ModelID, PackID: req.PackID})
	if err != nil {
		return TrainResult{}, err
	}
	lspec, ignored, err := learnerSpec(plan.config, req.Hyperparams) // exactly as backtests resolve them
	if err != nil {
		return TrainResult{}, err
	}
	algo, params := lspec.Algo, lspec.GBM
	var lrParams *logreg.Params
	if algo == AlgoLogReg {
		params, lrParams = gbdt.Params{}, &lspec.LogReg
	}
	progress(0.05, "loading matrix")
	m, buildID, err := l.LoadMatrix(ctx, req.ModelID, req.BuildID)
	if err != nil {
		return TrainResult{}, err
	}
	target, _, err := TargetLabels(m, req.Target)
	if err != nil {
		return TrainResult{}, err
	}
	features, err := ResolveFeatures(m, plan.config.Features, req.Features, target)
	if err != nil {
		return TrainResult{}, err
	}
	data, target, unlabelled, err := PrepareTrainData(m, features, target, req.AllowedHours)
	if err != nil {
		return TrainResult{}, err
	}
	calibration := *req.Calibration
	started := l.now()
	run := TrainingRun{Owner: req.Owner, PackID: plan.packID, ModelID: req.ModelID, BuildID: buildID, Status: TrainRunning,
		Features: features, Tag: req.Tag, StartedAt: &started, CreatedAt: started,
		Params: TrainParams{Algo: algo, Target: target, Calibration: calibration, AllowedHours: req.AllowedHours,
			HoldoutFrac: *req.HoldoutFrac, BuildID: buildID, Hyperparams: params, LogRegParams: lrParams, Tag: req.Tag},
		Lineage: TrainLineage{MatrixSHA: m.Hash(), BuildID: buildID, DataSource: m.Meta["data_source"],
			DataSHA: m.Meta["data_sha"], ModelConfigSHA: canonicalSHA(plan.config), PolicySHA: canonicalSHA(plan.policy),
			IndicatorSetSHA: m.Meta["indicator_set_sha"], HyperparamsSHA: canonicalSHA(lspec.Params()),
			ConfigVersion: plan.configVersion, PolicyVersion: plan.policyVersion}}
	if snap, err := json.Marshal(plan.policy); err == nil {
		run.Params.PolicySnapshot = snap
	}
	if l.TrainingRuns != nil {
		if run, err = l.TrainingRuns.CreateTrainingRun(ctx, run); err != nil {
			return TrainResult{}, fmt.Errorf("record training run: %w", err)
		}
	}
	fail := func(cause error) (TrainResult, error) {
		if l.TrainingRuns != nil {
			fin := l.now()
			run.Status, run.Error, run.FinishedAt = TrainFailed, cause.Error(), &fin
			// A failure to record the failure must not hide the cause.
			if err := l.TrainingRuns.UpdateTrainingRun(context.WithoutCancel(ctx), run); err != nil {
				l.logger().Error("mark training run failed", "run", run.ID, "err", err)
			}
		}
		return TrainResult{}, cause
	}
	progress(0.15, fmt.Sprintf("training on %d rows × %d features", len(data.Y), len(features)))
	out, err := fitAndEvaluate(ctx, data, lspec, calibration, *req.HoldoutFrac)
	if err != nil {
		return fail(err)
	}
	out.Metrics.UnlabelledRows = unlabelled
	progress(0.85, "storing model")
	fitted := calibrate.None // what the artifact applies (a skipped or substituted calibration shows here)
	if out.Calibrator != nil {
		fitted = out.Calibrator.Method
	}
	tm := &TrainedModel{ModelID: req.ModelID, PackID: plan.packID, BuildID: buildID, TrainingRunID: run.ID, Algo: algo,
		Target: target, Classes: data.Classes, Features: features, AllowedHours: req.AllowedHours,
		Calibration: fitted, Calibrator: out.Calibrator, TrainedAt: started, model: out.Model, LogReg: out.LogReg}
	blob, err := tm.Encode()
	if err != nil {
		return fail(err)
	}
	art := Artifact{ID: trainArtifactID(req.ModelID, run.ID, started), Kind: "models", PackID: plan.packID,
		ModelID: req.ModelID, ContentType: "application/zstd", TrainingRunID: run.ID, CreatedAt: started}
	if l.ArtifactRegistry != nil {
		if art, err = l.ArtifactRegistry.PutArtifact(ctx, art, ".json.zst", blob); err != nil {
			return fail(fmt.Errorf("store model artifact: %w", err))
		}
	} else {
		art.URI = "artifacts/models/" + art.ID + ".json.zst"
	}
	fin := l.now()
	run.Status, run.Metrics, run.ModelOutURI, run.ArtifactID, run.FinishedAt = TrainCompleted, &out.Metrics, art.URI, art.ID, &fin
	run.ModelOutURL = artifactIDURL(art.ID)
	res := TrainResult{ModelOutURI: art.URI, ModelOut: art.URI, Rows: len(data.Y), Metrics: &out.Metrics, Features: features,
		TrainingRunID: run.ID, ArtifactID: art.ID, ModelID: req.ModelID, PackID: plan.packID, BuildID: buildID,
		Target: target, Classes: data.Classes, AllowedHours: req.AllowedHours, Calibration: calibration,
		Hyperparams: params, LogRegParams: lrParams, IgnoredHyperparam: ignored, ModelOutURL: ArtifactURL(art.URI)}
	if l.Cards != nil {
		card := l.trainCard(plan, run, &out.Metrics)
		path, err := l.Cards.PutCard(ctx, card, RenderCardMarkdown(card))
		if err != nil {
			return fail(fmt.Errorf("write model card: %w", err))
		}
		res.CardPath, res.CardURL = path, ArtifactURL(path)
	}
	if l.TrainingRuns != nil {
		if err := l.TrainingRuns.UpdateTrainingRun(ctx, run); err != nil {
			return TrainResult{}, fmt.Errorf("record training run %d: %w", run.ID, err)
		}
	}
	progress(1, "trained "+art.ID)
	return res, nil
}

// trainArtifactID names a model artifact after its model and run; it stays
// a valid id (≤ 64 characters) with room for a "-card" suffix.
func trainArtifactID(modelID string, runID int64, at time.Time) string {
	suffix := fmt.Sprintf("-t%d", runID)
	if runID == 0 {
		suffix = "-" + at.UTC().Format("20060102t150405")
	}
	if len(modelID)+len(suffix) > 59 {
		modelID = strings.TrimRight(modelID[:59-len(suffix)], "-_")
	}
	return modelID + suffix
}

func (l *Lab) trainCard(plan *modelPlan, run TrainingRun, met *TrainMetrics) ModelCard {
	metrics := TrainCardMetrics{Rows: met.Rows, TrainRows: met.TrainRows, HoldoutRows: met.HoldoutRows,
		Classes: met.Classes, ClassCounts: met.ClassCounts, Trees: met.Trees, Calibration: met.Calibration,
		AUC: met.AUC, Logloss: met.Logloss, Accuracy: met.Accuracy, Brier: met.Brier}
	for i, f := range met.TopFeatures {
		if i == 5 {
			break
		}
		metrics.TopFeatures = append(metrics.TopFeatures, f.Feature)
	}
	return ModelCard{
		ID:            trainArtifactID(plan.modelID, run.ID, run.CreatedAt) + "-card",
		SchemaVersion: ModelCardSchemaVersion, PackID: plan.packID, ModelID: plan.modelID, CreatedAt: l.now(),
		Event: "train", PolicyVersion: plan.policyVersion, Lineage: run.Lineage,
		Config: cardConfig(plan.config), Policy: cardPolicy(plan.policy), Params: run.Params, Metrics: metrics,
		Features: run.Features, RunID: run.ID, ArtifactID: run.ArtifactID,
	}
}

// TrainParams are what a training ran with, stored with its run.
type TrainParams struct {
	Algo         string         `json:"algo"`
	Target       string         `json:"target"`
	Calibration  string         `json:"calibration"`
	AllowedHours []int          `json:"allowed_hours"`
	HoldoutFrac  float64        `json:"holdout_frac"`
	BuildID      string         `json:"build_id"`
	Hyperparams  gbdt.Params    `json:"hyperparams"`
	LogRegParams *logreg.Params `json:"logreg_params,omitempty"` // algo logreg
	// PolicySnapshot is the model's policy when it trained, raw (an older
	// snapshot need not pass today's validation).
	PolicySnapshot json.RawMessage `json:"policy_snapshot,omitempty"`
	Tag            string          `json:"tag"`
}

// TrainLineage hashes what a training read (sha256 of RFC 8785 canonical JSON, lineage_hash.go).
type TrainLineage struct {
	MatrixSHA       string `json:"matrix_sha"`
	BuildID         string `json:"build_id"`
	DataSource      string `json:"data_source"`
	DataSHA         string `json:"data_sha"`
	ModelConfigSHA  string `json:"model_config_sha"`
	PolicySHA       string `json:"policy_sha"`
	IndicatorSetSHA string `json:"indicator_set_sha"`
	HyperparamsSHA  string `json:"hyperparams_sha"`
	ConfigVersion   int    `json:"config_version"`
	PolicyVersion   int    `json:"policy_version"`
}

// ListTrainingRuns pages training_runs newest first.
func (l *Lab) ListTrainingRuns(ctx context.Context, f TrainingRunFilter, offset, limit int) ([]TrainingRun, int, error) {
	if l.TrainingRuns == nil {
		return []TrainingRun{}, 0, nil
	}
	return l.TrainingRuns.ListTrainingRuns(ctx, f, offset, limit)
}

// GetTrainingRun returns one training run.
func (l *Lab) GetTrainingRun(ctx context.Context, id int64) (TrainingRun, error) {
	if l.TrainingRuns == nil {
		return TrainingRun{}, errs.NotFoundf("training run %d", id)
	}
	return l.TrainingRuns.GetTrainingRun(ctx, id)
}

// GetArtifact returns a stored artifact and its bytes.
func (l *Lab) GetArtifact(ctx context.Context, id string) (Artifact, []byte, error) {
	if !ValidID(id) {
		return Artifact{}, nil, errs.Field("path", "id", "artifact id must match ^[a-z0-9][a-z0-9_-]{0,63}$")
	}
	if l.ArtifactRegistry == nil {
		return Artifact{}, nil, errs.NotFoundf("artifact %s", id)
	}
	return l.ArtifactRegistry.GetArtifact(ctx, id)
}
