package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sigmalab/engine/backtest"
	"sigmalab/engine/cv"
	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
	"sigmalab/engine/policy"
	"sigmalab/engine/stats"
	"sigmalab/engine/sweep"
)

// SweepJobKind is the job kind of asynchronous sweeps.
const SweepJobKind = "backtest_sweep"

// SweepRequest is the body of POST /backtest_sweep and of `sigmalab sweep
// --body` (field names and defaults of the predecessor, plus slippage/size
// variants and calibration). Lists may be JSON arrays or "a,b,c" strings; the
// variant lists also take one "a,b;c" string.
type SweepRequest struct {
	ModelID string `json:"model_id"`
	// Owner is set by the server from the authenticated caller (a body value is replaced).
	Owner  string `json:"owner,omitempty"`
	PackID string `json:"pack_id"`
	// Start and End are the predecessor's reserved fields. A sweep evaluates
	// every out-of-fold row of the build, so a non-empty value is a 422 (the
	// rows are chosen by build_id) rather than a filter silently not applied.
	Start                string      `json:"start,omitempty"`
	End                  string      `json:"end,omitempty"`
	ThresholdsVariants   VariantList `json:"thresholds_variants"`    // each "0.55,0.60,0.65"
	AllowedHoursVariants VariantList `json:"allowed_hours_variants"` // each "13,14,15"; "" = every hour
	TopPctVariants       FloatList   `json:"top_pct_variants"`
	SlippageBpsVariants  FloatList   `json:"slippage_bps_variants,omitempty"`
	SizeByConfVariants   []bool      `json:"size_by_conf_variants,omitempty"`
	Splits               int         `json:"splits,omitempty"` // absent: DefaultSplits; an explicit 0 is a 422
	Embargo              float64     `json:"embargo"`
	AllowedHours         StringList  `json:"allowed_hours,omitempty"` // the single hours variant when no variants are given
	Calibration          string      `json:"calibration,omitempty"`
	// The training setup beyond the predecessor's fields (as in POST /backtest):
	// sweeps and backtests with the same setup share one cached OOF run.
	BuildID     string         `json:"build_id,omitempty"`
	Target      string         `json:"target,omitempty"`
	CV          string         `json:"cv,omitempty"`
	TrainHours  IntList        `json:"train_hours,omitempty"`
	Hyperparams map[string]any `json:"hyperparams,omitempty"`
	Features    StringList     `json:"features,omitempty"` // explicit feature list, as on POST /backtest
	Save        *bool          `json:"save,omitempty"`
	Tag         string         `json:"tag"`
	MinTrades   int            `json:"min_trades"`
	MinSharpe   *float64       `json:"min_sharpe"`
	// Holding applies to every cell: overlap (default) | flat.
	Holding     string `json:"holding,omitempty"`
	RiskProfile string `json:"risk_profile,omitempty"` // selects the gate bounds
	Async       bool   `json:"async,omitempty"`

	// DuplicatesDropped counts the variants Normalize collapsed (repeats of
	// an earlier variant of the same field); reported in the response.
	DuplicatesDropped int  `json:"-"`
	splitsZero        bool // the body sent "splits": 0 (see UnmarshalJSON)
}

// Defaults of SweepRequest.
const (
	DefaultSweepTag         = "sweep"
	DefaultSweepSplits      = DefaultSplits
	DefaultSweepCalibration = "sigmoid"
	sweepTopRuns            = 10
	// sweepTrainShare is the share of a sweep job's progress its OOF
	// training takes (per fold), when it trains.
	sweepTrainShare = 0.5
)

// Normalize fills defaults and parses the grid. Errors are 422 validations
// naming body fields.
func (r SweepRequest) Normalize() (SweepRequest, sweep.Spec, sweep.Guardrails, error) {
	v := &errs.Validation{}
	r.ModelID = strings.TrimSpace(r.ModelID)
	switch {
	case r.ModelID == "":
		v.Add("body", "model_id", "Field required", "missing")
	case !ValidID(r.ModelID):
		v.Add("body", "model_id", "invalid id: must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	// No pack default: model ids are unique across packs, so an empty pack_id
	// means the model's own pack (resolved when the sweep starts).
	if r.PackID = strings.TrimSpace(r.PackID); r.PackID != "" && !ValidID(r.PackID) {
		v.Add("body", "pack_id", "invalid id: must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if r.Tag = strings.TrimSpace(r.Tag); r.Tag == "" {
		r.Tag = DefaultSweepTag
	} else if len(r.Tag) > 64 {
		v.Add("body", "tag", "at most 64 characters", "value_error")
	}
	checkSplits(v, &r.Splits, r.splitsZero)
	if strings.TrimSpace(r.Start) != "" {
		v.Add("body", "start", "start is not supported by sweeps: every out-of-fold row of the build is evaluated; choose the rows with build_id", "value_error")
	}
	if strings.TrimSpace(r.End) != "" {
		v.Add("body", "end", "end is not supported by sweeps: every out-of-fold row of the build is evaluated; choose the rows with build_id", "value_error")
	}
	if !(r.Embargo >= 0 && r.Embargo < 1) {
		v.Add("body", "embargo", "must be in [0, 1)", "value_error")
	}
	switch r.Calibration {
	case "":
		r.Calibration = DefaultSweepCalibration
	case "none", "sigmoid", "isotonic":
	default:
		v.Add("body", "calibration", "must be one of none|sigmoid|isotonic", "enum")
	}
	switch r.CV {
	case "", "walk_forward", "kfold":
	default:
		v.Add("body", "cv", "must be one of walk_forward|kfold", "enum")
	}
	for _, h := range r.TrainHours {
		if h < 0 || h > 23 {
			v.Add("body", "train_hours", fmt.Sprintf("hour %d outside 0..23", h), "value_error")
			break
		}
	}
	if r.BuildID != "" && !ValidID(r.BuildID) {
		v.Add("body", "build_id", "invalid id", "value_error")
	}
	if r.Save == nil {
		t := true
		r.Save = &t
	}
	switch r.Holding {
	case "", backtest.HoldOverlap, backtest.HoldFlat:
	default:
		v.Add("body", "holding", "must be one of overlap|flat", "enum")
	}
	r.RiskProfile = strings.ToLower(strings.TrimSpace(r.RiskProfile))
	if r.RiskProfile != "" && !ValidID(r.RiskProfile) {
		v.Add("body", "risk_profile", "risk_profile must be a simple name", "value_error")
	}
	if r.MinTrades < 0 {
		v.Add("body", "min_trades", "must be >= 0", "greater_than_equal")
	}
	if r.MinSharpe != nil && !isFiniteF(*r.MinSharpe) {
		v.Add("body", "min_sharpe", "must be a finite number", "finite_number")
	}

	var spec sweep.Spec
	seen := map[string]bool{}
	var thr VariantList
	for i, s := range r.ThresholdsVariants {
		xs, err := sweep.ParseFloats(s)
		if err != nil {
			v.Add("body", "thresholds_variants", fmt.Sprintf("variant %d: %v", i, err), "value_error")
			continue
		}
		// A variant is a set of candidate thresholds: order and repeats
		// within it do not make another cell.
		if k := setKey(xs); seen[k] {
			r.DuplicatesDropped++
			continue
		} else {
			seen[k] = true
		}
		thr = append(thr, s)
		spec.ThresholdsVariants = append(spec.ThresholdsVariants, xs)
	}
	if len(v.Fields) == 0 {
		r.ThresholdsVariants = thr
	}
	r.TopPctVariants = dedupe(r.TopPctVariants, &r.DuplicatesDropped)
	r.SlippageBpsVariants = dedupe(r.SlippageBpsVariants, &r.DuplicatesDropped)
	r.SizeByConfVariants = dedupe(r.SizeByConfVariants, &r.DuplicatesDropped)
	spec.TopPctVariants = r.TopPctVariants
	if len(r.ThresholdsVariants) == 0 && len(r.TopPctVariants) == 0 {
		spec.ThresholdsVariants = sweep.DefaultThresholdsVariants
		for _, t := range sweep.DefaultThresholdsVariants {
			r.ThresholdsVariants = append(r.ThresholdsVariants, sweep.FormatFloats(t))
		}
	}
	hours := r.AllowedHoursVariants
	if len(hours) == 0 {
		if len(r.AllowedHours) > 0 {
			hours = []string{strings.Join(r.AllowedHours, ",")}
		} else {
			hours = []string{sweep.FormatHours(sweep.DefaultHours)}
		}
		r.AllowedHoursVariants = hours
	}
	clear(seen)
	var keptHours VariantList
	for i, s := range hours {
		hs, err := sweep.ParseHours(s)
		if err != nil {
			v.Add("body", "allowed_hours_variants", fmt.Sprintf("variant %d: %v", i, err), "value_error")
			continue
		}
		fs := make([]float64, len(hs))
		for j, h := range hs {
			fs[j] = float64(h)
		}
		if k := setKey(fs); seen[k] {
			r.DuplicatesDropped++
			continue
		} else {
			seen[k] = true
		}
		keptHours = append(keptHours, s)
		spec.AllowedHoursVariants = append(spec.AllowedHoursVariants, hs)
	}
	if len(v.Fields) == 0 {
		r.AllowedHoursVariants = keptHours
	}
	spec.SlippageBpsVariants = r.SlippageBpsVariants
	spec.SizeByConfVariants = r.SizeByConfVariants
	if len(v.Fields) == 0 {
		if err := spec.Validate(); err != nil {
			return r, spec, sweep.Guardrails{}, err
		}
	}
	return r, spec, sweep.Guardrails{MinTrades: r.MinTrades, MinSharpe: r.MinSharpe}, v.Err()
}

func isFiniteF(x float64) bool { return x-x == 0 }

// setKey identifies a variant by the set of its values.
func setKey(xs []float64) string {
	ys := append([]float64(nil), xs...)
	sort.Float64s(ys)
	ys = slices.Compact(ys)
	return sweep.FormatFloats(ys)
}

// dedupe keeps the first occurrence of each value, counting the others.
func dedupe[T comparable](xs []T, dropped *int) []T {
	if len(xs) < 2 {
		return xs
	}
	seen := make(map[T]bool, len(xs))
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if seen[x] {
			*dropped++
			continue
		}
		seen[x] = true
		out = append(out, x)
	}
	return out
}

// DefaultMaxSweepCells bounds the cells of one sweep when Lab.MaxSweepCells
// is 0.
const DefaultMaxSweepCells = 10_000

// NormalizeSweep is SweepRequest.Normalize plus the Lab's cell cap: a grid
// above it is a 422 naming every variant field the request multiplies.
func (l *Lab) NormalizeSweep(req SweepRequest) (SweepRequest, sweep.Spec, sweep.Guardrails, error) {
	req, spec, guard, err := req.Normalize()
	if err != nil {
		return req, spec, guard, err
	}
	limit := l.MaxSweepCells
	if limit <= 0 {
		limit = DefaultMaxSweepCells
	}
	if n := spec.Size(); n > limit {
		v := &errs.Validation{}
		msg := fmt.Sprintf("the grid has %d cells (%s); at most %d per sweep", n, spec.SizeText(), limit)
		for _, f := range spec.Fields() {
			v.Add("body", f, msg, "value_error")
		}
		return req, spec, guard, v
	}
	return req, spec, guard, nil
}

// SweepSource is what a sweep evaluates: the out-of-fold predictions of the
// model's one training setup, and the execution settings every cell starts from.
type SweepSource struct {
	OOF        *backtest.OOF
	Base       backtest.TradeParams // policy execution settings (slippage, sizing, momentum gate)
	OOFKey     string               // cache key of the OOF predictions
	TrainingMS int64                // time spent producing them (0 when served from cache)
	Lineage    any                  // hashes of matrix, config, policy
	ModelID    string
	BuildID    string
	Policy     policy.Policy // the model's policy, decoded (gate bounds); empty: every default
	// SaveRuns, when set and the request has save=true, stores cells as tagged
	// backtest runs and returns their ids (one per run, same order). It is
	// called with batches, one transaction each.
	SaveRuns func(ctx context.Context, runs []SweepCellRun) ([]int64, error)
	// Card, when set, writes the model card of a completed sweep (best cells
	// first) and returns its path.
	Card func(ctx context.Context, rec SweepRecord, best []sweep.Row) (string, error)
}

// SweepCellRun is one cell as a backtest run.
type SweepCellRun struct {
	SweepID int64
	Tag     string
	Cell    sweep.Cell
	Params  backtest.TradeParams
	Result  *backtest.Result
}

// SweepOptions connect a sweep to the job running it.
type SweepOptions struct {
	JobID    int64                          // >0: resume the sweep this job started, if any
	Progress func(frac float64, msg string) // called once per cell (throttle on the receiving side)
	Workers  int                            // default GOMAXPROCS
}

// SweepResponse is the answer of POST /backtest_sweep.
type SweepResponse struct {
	Runs       []sweep.Row `json:"runs"` // top 10 after guardrails and ranking
	Count      int         `json:"count"`
	Filtered   int         `json:"filtered"`
	ReportPath *string     `json:"report_path"`
	// ReportArtifactID downloads the report via GET /artifacts/{id} (empty
	// when no artifact registry is wired).
	ReportArtifactID string `json:"report_artifact_id,omitempty"`
	ReportURL        string `json:"report_url,omitempty"` // GET /artifacts/{report_artifact_id}
	SweepID          int64  `json:"sweep_id"`
	Status           string `json:"status"`
	Cells            int    `json:"cells"` // cells in the grid (count < cells when cancelled)
	TrainingMS       int64  `json:"training_ms"`
	EvalMS           int64  `json:"eval_ms"`
	Resumed          int    `json:"resumed,omitempty"` // cells kept from an interrupted run
	// DuplicatesDropped counts the repeated variants collapsed before the grid
	// was expanded (e.g. thresholds "0.5,0.55" and "0.55,0.5" are one cell).
	DuplicatesDropped int    `json:"duplicates_dropped"`
	CardURI           string `json:"card_uri,omitempty"`
	CardURL           string `json:"card_url,omitempty"` // GET /artifacts/{card id}
	// PBO is the probability of backtest overfitting of the grid; NTrials the
	// trials each cell's dsr is deflated by.
	PBO      *float64 `json:"pbo"`
	NTrials  int      `json:"n_trials"`
	Warnings []string `json:"warnings,omitempty"`
}

// SweepReport is the JSON report artifact of a sweep.
type SweepReport struct {
	OK         bool             `json:"ok"`
	SweepID    int64            `json:"sweep_id"`
	Status     string           `json:"status"`
	PackID     string           `json:"pack_id"`
	ModelID    string           `json:"model_id"`
	Tag        string           `json:"tag"`
	Spec       SweepSpec        `json:"spec"`
	Guardrails sweep.Guardrails `json:"guardrails"`
	Count      int              `json:"count"`
	Filtered   int              `json:"filtered"`
	PBO        *float64         `json:"pbo"`
	NTrials    int              `json:"n_trials"`
	Warnings   []string         `json:"warnings,omitempty"`
	TrainingMS int64            `json:"training_ms"`
	EvalMS     int64            `json:"eval_ms"`
	OOFKey     string           `json:"oof_key,omitempty"`
	Lineage    any              `json:"lineage,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	Runs       []sweep.Row      `json:"runs"`     // best first, with full detail (top 50)
	Table      []sweep.Row      `json:"table"`    // every cell, compact, in grid order
	Rejected   []sweep.Rejected `json:"rejected"` // cells the guardrails dropped, with reasons
}

// SweepJob runs a sweep as a job; register it with
// jobs.Register(runner, SweepJobKind, jobs.Heavy, lab.SweepJob).
func (l *Lab) SweepJob(ctx context.Context, t *jobs.Task, req SweepRequest) (any, error) {
	return l.Sweep(ctx, req, SweepOptions{JobID: t.JobID, Progress: t.Progress})
}

// Sweep resolves the model's OOF predictions (one training per distinct
// training setup, cached) and runs the sweep over them.
func (l *Lab) Sweep(ctx context.Context, req SweepRequest, opt SweepOptions) (SweepResponse, error) {
	return l.runSweep(ctx, req, func(ctx context.Context, req SweepRequest) (SweepSource, error) {
		var fold func(done, total int)
		if opt.Progress != nil {
			fold = func(done, total int) {
				opt.Progress(sweepTrainShare*float64(done)/float64(total), fmt.Sprintf("training fold %d of %d", done, total))
			}
		}
		return l.sweepSource(ctx, req, fold)
	}, opt)
}

// sweepSource produces the OOF predictions of the request's training setup
// through the backtest domain's cache (one training per distinct setup: model,
// matrix, features, target, hyperparameters, CV, calibration), with the
// policy's execution settings as the base of every cell. With save, cells are
// stored as backtest runs tagged with the sweep's tag and id.
func (l *Lab) sweepSource(ctx context.Context, req SweepRequest, progress func(done, total int)) (SweepSource, error) {
	cal := req.Calibration
	src, err := l.BacktestOOF(ctx, OOFSpec{ModelID: req.ModelID, PackID: req.PackID, BuildID: req.BuildID,
		Target: req.Target, CV: cv.Config{Method: req.CV, Splits: req.Splits, Embargo: req.Embargo}, Calibration: cal,
		TrainHours: req.TrainHours, Hyperparams: req.Hyperparams, Features: req.Features, Progress: progress})
	if err != nil {
		return SweepSource{}, err
	}
	base, _ := executionParams(src.Pol)
	if req.Holding != "" {
		base.Holding = req.Holding
	}
	out := SweepSource{OOF: src.OOF, Base: base, OOFKey: src.Key, TrainingMS: src.TrainingMS, Lineage: backtestLineage(src),
		ModelID: req.ModelID, BuildID: src.BuildID, Policy: src.Pol}
	if l.Cards != nil {
		out.Card = func(ctx context.Context, rec SweepRecord, best []sweep.Row) (string, error) {
			return l.writeSweepCard(ctx, rec, best, src)
		}
	}
	if l.Backtests == nil {
		return out, nil
	}
	started := l.now()
	breq, err := BacktestRequest{Owner: req.Owner, ModelID: req.ModelID, PackID: src.Model.PackID, BuildID: src.BuildID, Target: req.Target,
		Splits: req.Splits, Embargo: req.Embargo, CV: req.CV, Calibration: &cal, TrainHours: req.TrainHours,
		Hyperparams: req.Hyperparams, Features: req.Features, Tag: req.Tag, RiskProfile: req.RiskProfile}.Normalize()
	if err != nil {
		return SweepSource{}, err
	}
	out.SaveRuns = func(ctx context.Context, runs []SweepCellRun) ([]int64, error) {
		writes := make([]BacktestWrite, len(runs))
		for i, r := range runs {
			cr := breq
			cr.Tag = r.Tag
			if r.Cell.Kind == sweep.KindTopPct {
				tp := r.Cell.TopPct
				cr.TopPct = &tp
			}
			run, folds := l.backtestRecord(cr, src, r.Params, *r.Result, nil, gate(r.Result.Overall, src.Pol, req.RiskProfile), started)
			run.SweepID = r.SweepID
			cell := r.Cell.Index
			run.Params.SweepCell = &cell
			writes[i] = BacktestWrite{Run: run, Folds: folds}
		}
		return l.Backtests.SaveBacktests(ctx, writes)
	}
	return out, nil
}

// RunSweep evaluates the request's grid on src, storing every cell as it
// finishes. Cancelling ctx stops it within one cell per worker: finished cells
// are kept, ranked and reported, and the sweep is recorded cancelled (or
// interrupted when the cause is a shutdown; a retry of the same job resumes it).
// With save, a cancel by request stops storing cells as backtest runs: cells
// finished but not yet stored as runs keep their result row only
// (backtest_run_id 0), so the cancel does not wait for a backlog of run writes.
func (l *Lab) RunSweep(ctx context.Context, req SweepRequest, src SweepSource, opt SweepOptions) (SweepResponse, error) {
	return l.runSweep(ctx, req, func(context.Context, SweepRequest) (SweepSource, error) { return src, nil }, opt)
}

// runSweep resolves its source (model, matrix, out-of-fold predictions:
// trained once per setup) first, then records the sweep and evaluates it, so
// a request refused as the client's error leaves no sweep row; while the
// predictions train, the job shows the progress.
func (l *Lab) runSweep(ctx context.Context, req SweepRequest, resolve func(context.Context, SweepRequest) (SweepSource, error), opt SweepOptions) (SweepResponse, error) {
	req, spec, guard, err := l.NormalizeSweep(req)
	if err != nil {
		return SweepResponse{}, err
	}
	if l.Sweeps == nil {
		return SweepResponse{}, fmt.Errorf("sweep store not configured: %w", errs.ErrNoData)
	}
	cells := sweep.Expand(spec)
	// Writes after cancellation must still land: finished cells are kept.
	wctx := context.WithoutCancel(ctx)

	// The source (model, matrix, OOF predictions) is resolved before the
	// sweep row exists, so a request refused as the client's error (unknown
	// model, bad target or hyperparams: a 4xx) leaves no sweep behind.
	if opt.Progress != nil {
		opt.Progress(0, "preparing out-of-fold predictions (trains once per setup)")
	}
	src, err := resolve(ctx, req)
	if err == nil && (src.OOF == nil || src.OOF.Len() == 0) {
		err = fmt.Errorf("no out-of-fold predictions for model %s: %w", req.ModelID, errs.ErrNoData)
	}
	if err != nil && ctx.Err() == nil && clientError(err) {
		return SweepResponse{}, err
	}
	rec, done, serr := l.startSweep(wctx, req, spec, opt.JobID, len(cells))
	if serr != nil {
		return SweepResponse{}, errors.Join(err, serr)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(err, ctx.Err())
		}
		return SweepResponse{SweepID: rec.ID, Status: SweepFailed, Cells: len(cells)}, errors.Join(err, l.endEarly(wctx, ctx, &rec, err))
	}
	rec.TrainingMS += src.TrainingMS
	rec.OOFKey, rec.Lineage = src.OOFKey, src.Lineage
	// Progress: the training's folds took [0, sweepTrainShare) when the
	// predictions were trained now; the cells (evaluated and stored) the rest.
	cellBase := 0.0
	if src.TrainingMS > 0 {
		cellBase = sweepTrainShare
	}
	if opt.Progress != nil {
		opt.Progress(cellBase, fmt.Sprintf("scoring %d cells", len(cells)))
	}

	w := &sweepWriter{lab: l, ctx: wctx, rec: &rec, src: src, req: req, now: l.now,
		byIndex: make(map[int]*SweepResult, len(cells))}
	for i := range done {
		r := done[i]
		w.byIndex[r.Params.Index] = &r
	}
	w.start()
	doneRes := make(map[int]sweep.Result, len(done))
	for _, r := range done {
		doneRes[r.Params.Index] = sweep.Result{Cell: cellAt(cells, r.Params.Index), Outcome: r.Metrics, Err: r.Error}
	}

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	t0 := time.Now()
	tri, err := l.sweepTrials(ctx, src, cells, rec.ID, workers)
	if err != nil {
		return SweepResponse{SweepID: rec.ID, Status: SweepFailed, Cells: len(cells)}, errors.Join(err, l.endEarly(wctx, ctx, &rec, err))
	}
	rec.NTrials, rec.PBO = tri.nTrials, tri.pbo
	eval0 := &firstErr{eval: sweepEvaluator(src, workers, tri, req.RiskProfile)}
	results, runErr := sweep.Run(ctx, cells, eval0.run, sweep.RunOptions{
		Workers:  workers,
		Done:     doneRes,
		OnResult: w.add,
		Progress: func(d, total int) {
			if opt.Progress != nil {
				opt.Progress(cellBase+(1-cellBase)*float64(d)/float64(total), fmt.Sprintf("cell %d/%d", d, total))
			}
		},
	})
	evalMS := time.Since(t0).Milliseconds()
	if runErr != nil && ctx.Err() != nil && !errors.Is(context.Cause(ctx), jobs.ErrShutdown) {
		// Cancelled by request: store the finished cells' result rows, but
		// stop writing them as backtest runs (the slow part, which can lag
		// evaluation by seconds), so the cancel lands within a second.
		w.skipRuns.Store(true)
	}
	err = w.close()
	rec.EvalMS += evalMS
	if err != nil {
		return SweepResponse{}, errors.Join(err, l.failSweepWith(wctx, &rec, w, err))
	}

	status := SweepCompleted
	switch {
	case runErr == nil && len(results) > 0 && allFailed(results):
		// Nothing was evaluated: the sweep failed, for the reason its cells give.
		cause := fmt.Errorf("every one of the %d cells failed: %s", len(results), commonReason(results))
		if first := eval0.first(); first != nil {
			cause = fmt.Errorf("every one of the %d cells failed: %s: %w", len(results), commonReason(results), first)
		}
		resp := SweepResponse{SweepID: rec.ID, Status: SweepFailed, Count: len(results), Cells: len(cells),
			DuplicatesDropped: req.DuplicatesDropped}
		return resp, errors.Join(cause, l.failSweepWith(wctx, &rec, w, cause))
	case runErr == nil:
	case errors.Is(context.Cause(ctx), jobs.ErrShutdown):
		// The process is stopping: leave ranking to the retry that resumes it.
		now := l.now()
		rec.Status, rec.FinishedAt, rec.Count = SweepInterrupted, &now, len(results)
		if err := l.Sweeps.PutSweep(wctx, &rec); err != nil {
			return SweepResponse{}, err
		}
		return SweepResponse{SweepID: rec.ID, Status: rec.Status, Count: len(results), Cells: len(cells)}, runErr
	case ctx.Err() != nil:
		status = SweepCancelled
	default:
		return SweepResponse{}, errors.Join(runErr, l.failSweepWith(wctx, &rec, w, runErr))
	}
	resp, err := l.finishSweep(wctx, &rec, w, results, guard, status, len(cells), len(done))
	if err != nil {
		return SweepResponse{}, errors.Join(err, l.failSweepWith(wctx, &rec, w, err))
	}
	if status == SweepCancelled {
		return resp, fmt.Errorf("sweep %d cancelled after %d of %d cells: %w", rec.ID, len(results), len(cells), errs.ErrCancelled)
	}
	return resp, nil
}

// firstErr keeps the first error a cell's evaluation returned, so a sweep
// whose every cell failed answers with that error's kind (422, 404, …).
type firstErr struct {
	eval sweep.EvalFunc
	mu   sync.Mutex
	err  error
}

func (f *firstErr) run(ctx context.Context, c sweep.Cell) (sweep.Outcome, error) {
	o, err := f.eval(ctx, c)
	if err != nil {
		f.mu.Lock()
		if f.err == nil {
			f.err = err
		}
		f.mu.Unlock()
	}
	return o, err
}

func (f *firstErr) first() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// allFailed reports whether every result is an error.
func allFailed(rs []sweep.Result) bool {
	for _, r := range rs {
		if r.Err == "" {
			return false
		}
	}
	return true
}

// commonReason is the error most cells failed with (ties: the earliest),
// with how many cells gave it when they differ.
func commonReason(rs []sweep.Result) string {
	count := map[string]int{}
	best := ""
	for _, r := range rs {
		count[r.Err]++
		if count[r.Err] > count[best] {
			best = r.Err
		}
	}
	if count[best] == len(rs) {
		return best
	}
	return fmt.Sprintf("%s (%d of %d cells)", best, count[best], len(rs))
}

// clientError reports whether err is the client's (a 4xx: invalid input,
// unknown model or build, no data for the request).
func clientError(err error) bool {
	var v *errs.Validation
	return errors.As(err, &v) || errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrNotFound) ||
		errors.Is(err, errs.ErrNoData) || errors.Is(err, errs.ErrConflict)
}

func cellAt(cells []sweep.Cell, index int) sweep.Cell {
	if index >= 0 && index < len(cells) && cells[index].Index == index {
		return cells[index]
	}
	return sweep.Cell{Index: index}
}

// startSweep creates the sweep row, or reopens the one job jobID created
// before it was interrupted, returning the results already stored.
func (l *Lab) startSweep(ctx context.Context, req SweepRequest, spec sweep.Spec, jobID int64, cells int) (SweepRecord, []SweepResult, error) {
	now := l.now()
	pack, err := l.resolvePack(ctx, req.ModelID, req.PackID)
	if err != nil {
		return SweepRecord{}, nil, err
	}
	req.PackID = pack
	if jobID > 0 {
		rec, found, err := l.Sweeps.SweepByJob(ctx, jobID)
		if err != nil {
			return SweepRecord{}, nil, err
		}
		if found && rec.Spec.Cells == cells {
			done, err := l.Sweeps.SweepResults(ctx, rec.ID)
			if err != nil {
				return SweepRecord{}, nil, err
			}
			rec.Status, rec.Error, rec.FinishedAt, rec.Count = SweepRunning, "", nil, len(done)
			if err := l.Sweeps.PutSweep(ctx, &rec); err != nil {
				return SweepRecord{}, nil, err
			}
			return rec, done, nil
		}
	}
	rec := SweepRecord{
		Owner: req.Owner, PackID: req.PackID, ModelID: req.ModelID, Tag: req.Tag, Status: SweepRunning, JobID: jobID,
		Spec: SweepSpec{
			ThresholdsVariants: req.ThresholdsVariants, AllowedHoursVariants: req.AllowedHoursVariants,
			TopPctVariants: spec.TopPctVariants, SlippageBpsVariants: spec.SlippageBpsVariants,
			SizeByConfVariants: spec.SizeByConfVariants, Splits: req.Splits, Embargo: req.Embargo,
			Calibration: req.Calibration, MinTrades: req.MinTrades, MinSharpe: req.MinSharpe,
			Save: *req.Save, Cells: cells, BuildID: req.BuildID, Target: req.Target, CV: req.CV,
			TrainHours: req.TrainHours, Hyperparams: req.Hyperparams,
		},
		StartedAt: &now, CreatedAt: now,
	}
	if err := l.Sweeps.CreateSweep(ctx, &rec); err != nil {
		return SweepRecord{}, nil, err
	}
	return rec, nil, nil
}

// endEarly records a sweep that stopped before evaluating: interrupted on
// shutdown, cancelled on request, failed otherwise.
func (l *Lab) endEarly(wctx, ctx context.Context, rec *SweepRecord, cause error) error {
	switch {
	case errors.Is(context.Cause(ctx), jobs.ErrShutdown):
		now := l.now()
		rec.Status, rec.FinishedAt = SweepInterrupted, &now
		return l.Sweeps.PutSweep(wctx, rec)
	case ctx.Err() != nil:
		now := l.now()
		rec.Status, rec.Error, rec.FinishedAt = SweepCancelled, cause.Error(), &now
		return l.Sweeps.PutSweep(wctx, rec)
	}
	return l.failSweep(wctx, rec, cause)
}

func (l *Lab) failSweep(ctx context.Context, rec *SweepRecord, cause error) error {
	now := l.now()
	rec.Status, rec.Error, rec.FinishedAt = SweepFailed, cause.Error(), &now
	return l.Sweeps.PutSweep(ctx, rec)
}

// failSweepWith fails a sweep whose cells were being stored: the cells it
// stored as backtest runs are removed, so a failed sweep leaves nothing on
// the leaderboard that looks complete.
func (l *Lab) failSweepWith(ctx context.Context, rec *SweepRecord, w *sweepWriter, cause error) error {
	var errsOut []error
	if ids := w.runIDs(); len(ids) > 0 && l.Backtests != nil {
		if err := l.Backtests.DeleteBacktests(ctx, ids); err != nil {
			errsOut = append(errsOut, fmt.Errorf("remove the sweep's runs: %w", err))
		}
	}
	return errors.Join(append(errsOut, l.failSweep(ctx, rec, cause))...)
}

// sweepTrialsInfo is what every cell of a sweep is deflated against.
type sweepTrialsInfo struct {
	nTrials int       // the grid's cells plus earlier saved runs on the model and matrix
	sharpes []float64 // the per-period Sharpe of each of those trials
	pbo     *float64  // probability of backtest overfitting of the grid (nil: < 2 cells)
	// results holds each cell's evaluation by cell index (evaluated once).
	results map[int]*backtest.Result
}

// sweepTrials evaluates every cell (cheap next to the training) to learn the
// trials' Sharpe ratios, which the deflated Sharpe of each cell needs before
// any cell is stored, and their per-period returns on the common calendar,
// summed over blocks for the PBO. The evaluations are kept for the sweep.
func (l *Lab) sweepTrials(ctx context.Context, src SweepSource, cells []sweep.Cell, sweepID int64, workers int) (sweepTrialsInfo, error) {
	var out sweepTrialsInfo
	prior, err := l.priorTrials(ctx, src.ModelID, src.BuildID, sweepID)
	if err != nil {
		return out, fmt.Errorf("count earlier trials: %w", err)
	}
	s := stats.PBOSplitsFor(src.OOF.Len(), stats.DefaultPBOSplits)
	res := make([]*backtest.Result, len(cells))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < max(1, min(workers, len(cells))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := backtest.NewEvaluator(src.OOF)
			for ctx.Err() == nil {
				k := int(next.Add(1)) - 1
				if k >= len(cells) {
					return
				}
				p := cellParams(src.Base, cells[k])
				if s >= 2 {
					p.PBOBlocks = s
				}
				r, err := ev.Evaluate(p)
				if err != nil {
					continue // evaluated again, and reported, by the sweep itself
				}
				res[k] = &r
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, err
	}
	out.nTrials = len(cells) + prior.Count
	out.sharpes = prior.Sharpes
	out.results = make(map[int]*backtest.Result, len(cells))
	var bs []stats.BlockSums
	for k, r := range res {
		if r == nil {
			continue
		}
		out.results[cells[k].Index] = r
		out.sharpes = append(out.sharpes, r.Overall.SharpeHourly)
		if r.Blocks != nil {
			bs = append(bs, *r.Blocks)
			r.Blocks = nil
		}
	}
	if s >= 2 && len(bs) >= 2 {
		if r, err := stats.PBOBlocks(bs); err == nil && !math.IsNaN(r.PBO) {
			out.pbo = &r.PBO
		}
	}
	return out, nil
}

// sweepEvaluator evaluates cells with one backtest.Evaluator (scratch buffers)
// per worker over the shared OOF, deflating each cell's Sharpe by the sweep's
// trials and applying the gate.
func sweepEvaluator(src SweepSource, workers int, tri sweepTrialsInfo, profile string) sweep.EvalFunc {
	pool := make(chan *backtest.Evaluator, workers)
	for i := 0; i < workers; i++ {
		pool <- backtest.NewEvaluator(src.OOF)
	}
	return func(ctx context.Context, c sweep.Cell) (sweep.Outcome, error) {
		var res backtest.Result
		if r := tri.results[c.Index]; r != nil {
			res = *r
		} else {
			ev := <-pool
			var err error
			res, err = ev.Evaluate(cellParams(src.Base, c))
			pool <- ev
			if err != nil {
				return sweep.Outcome{}, err
			}
		}
		deflate(&res.Overall, tri.nTrials, tri.sharpes)
		g := gate(res.Overall, src.Policy, profile)
		return sweep.Outcome{BestSharpeHourly: res.Overall.SharpeHourly, BestCumRet: res.Overall.CumRet,
			Trades: res.Overall.Trades, DSR: *res.Overall.DSR, PSR: res.Overall.PSR, PassGate: g.Pass, Detail: &res}, nil
	}
}

// cellParams applies a cell's trading parameters over the base settings.
func cellParams(base backtest.TradeParams, c sweep.Cell) backtest.TradeParams {
	p := base
	p.KeepSeries = false
	p.Thresholds, p.TopPct, p.AllowedHours = c.Thresholds, 0, c.AllowedHours
	if c.Kind == sweep.KindTopPct {
		p.Thresholds, p.TopPct = nil, c.TopPct
	}
	if c.SlippageBps != nil {
		p.SlippageBps = *c.SlippageBps
	}
	if c.SizeByConf != nil {
		p.SizeByConf = *c.SizeByConf
	}
	return p
}

// sweepFlushEvery bounds how long finished cells wait before they are stored
// (and how many bbolt transactions a sweep makes: about 4 per second).
//
// With save, each cell is also written as a backtest run (with its folds),
// which costs far more than evaluating it; sweepFlushRunRows keeps such a
// batch small enough that the one in flight when a cancel arrives finishes
// quickly.
const (
	sweepFlushEvery   = 250 * time.Millisecond
	sweepFlushRows    = 2000
	sweepFlushRunRows = 64
)

// sweepWriter batches finished cells into one transaction per flush. Batches
// are written by one background goroutine, so evaluation never waits for a
// disk sync; the first write error stops further writes and fails the sweep.
type sweepWriter struct {
	lab     *Lab
	ctx     context.Context
	rec     *SweepRecord // owned by the writer goroutine until close returns
	src     SweepSource
	req     SweepRequest
	now     func() time.Time
	pending []sweep.Result
	last    time.Time
	byIndex map[int]*SweepResult // owned by the writer goroutine until close returns
	batches chan []sweep.Result
	done    chan struct{}
	err     error // set by the writer goroutine; read after close
	// skipRuns stops writing cells as backtest runs (cancel by request);
	// their result rows are still stored.
	skipRuns atomic.Bool
}

// start launches the writer goroutine.
func (w *sweepWriter) start() {
	w.batches = make(chan []sweep.Result, 64)
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		for b := range w.batches {
			if w.err == nil {
				w.err = w.write(b)
			}
		}
	}()
}

// add is sweep.RunOptions.OnResult (called serially).
func (w *sweepWriter) add(r sweep.Result) {
	w.pending = append(w.pending, r)
	limit := sweepFlushRows
	if w.savesRuns() {
		limit = sweepFlushRunRows
	}
	if len(w.pending) >= limit || time.Since(w.last) >= sweepFlushEvery {
		w.batches <- w.pending
		w.pending, w.last = nil, time.Now()
	}
}

// close hands over the last batch, waits for every write and returns the
// first error.
func (w *sweepWriter) close() error {
	if len(w.pending) > 0 {
		w.batches <- w.pending
		w.pending = nil
	}
	close(w.batches)
	<-w.done
	return w.err
}

// runIDs are the backtest runs the writer stored (call after close).
func (w *sweepWriter) runIDs() []int64 {
	var ids []int64
	for _, r := range w.byIndex {
		if r != nil && r.BacktestRunID > 0 {
			ids = append(ids, r.BacktestRunID)
		}
	}
	return ids
}

// savesRuns reports whether cells are also stored as backtest runs.
func (w *sweepWriter) savesRuns() bool { return *w.req.Save && w.src.SaveRuns != nil }

func (w *sweepWriter) write(batch []sweep.Result) error {
	now := w.now()
	rows := make([]SweepResult, len(batch))
	var runIDs []int64
	if w.savesRuns() && !w.skipRuns.Load() {
		runs := make([]SweepCellRun, 0, len(batch))
		for _, r := range batch {
			res, _ := r.Outcome.Detail.(*backtest.Result)
			if r.Err != "" || res == nil {
				continue
			}
			runs = append(runs, SweepCellRun{SweepID: w.rec.ID, Tag: w.req.Tag, Cell: r.Cell,
				Params: cellParams(w.src.Base, r.Cell), Result: res})
		}
		ids, err := w.src.SaveRuns(w.ctx, runs)
		if err != nil {
			return fmt.Errorf("save sweep runs: %w", err)
		}
		runIDs = ids
	}
	k := 0
	for i, r := range batch {
		rows[i] = SweepResult{ID: int64(r.Cell.Index) + 1, SweepID: w.rec.ID, Kind: r.Cell.Kind, Params: r.Cell,
			Metrics: r.Outcome, Error: r.Err, CreatedAt: now}
		res, _ := r.Outcome.Detail.(*backtest.Result)
		if runIDs != nil && r.Err == "" && res != nil && k < len(runIDs) {
			rows[i].BacktestRunID = runIDs[k]
			k++
		}
		row := rows[i]
		w.byIndex[r.Cell.Index] = &row
	}
	w.rec.Count = len(w.byIndex)
	if err := w.lab.Sweeps.PutSweepResults(w.ctx, w.rec, rows); err != nil {
		return fmt.Errorf("store sweep results: %w", err)
	}
	return nil
}

// finishSweep ranks, stores ranks and the final status with every row in one
// transaction, writes the report and builds the response.
func (l *Lab) finishSweep(ctx context.Context, rec *SweepRecord, w *sweepWriter, results []sweep.Result,
	guard sweep.Guardrails, status string, cells, resumed int) (SweepResponse, error) {
	sum := sweep.Summarise(results, guard)
	runID := func(i int) int64 {
		if r := w.byIndex[i]; r != nil {
			return r.BacktestRunID
		}
		return 0
	}
	table := sum.Table(results)
	rows := make([]SweepResult, 0, len(table))
	for i, t := range table {
		r := w.byIndex[t.Index]
		if r == nil {
			continue
		}
		r.Rank, r.Passed, r.Reason = t.Rank, t.Passed, t.Reason
		table[i].BacktestRunID = r.BacktestRunID
		rows = append(rows, *r)
	}
	now := l.now()
	rec.Status, rec.FinishedAt, rec.Count, rec.Filtered = status, &now, sum.Count, sum.Filtered

	warnings := sweepWarnings(rec, sum)
	var reportPath *string
	if l.Artifacts != nil || l.ArtifactRegistry != nil {
		rep := SweepReport{OK: true, SweepID: rec.ID, Status: status, PackID: rec.PackID, ModelID: rec.ModelID,
			Tag: rec.Tag, Spec: rec.Spec, Guardrails: guard, Count: sum.Count, Filtered: sum.Filtered,
			PBO: rec.PBO, NTrials: rec.NTrials, Warnings: warnings,
			TrainingMS: rec.TrainingMS, EvalMS: rec.EvalMS, OOFKey: rec.OOFKey, Lineage: rec.Lineage,
			CreatedAt: rec.CreatedAt, Runs: sum.Rows(sweep.ReportTopN, runID), Table: table, Rejected: sum.Rejected}
		if rep.Rejected == nil {
			rep.Rejected = []sweep.Rejected{}
		}
		data, err := json.Marshal(rep)
		if err != nil {
			return SweepResponse{}, fmt.Errorf("encode sweep report: %w", err)
		}
		// Registered (file + artifacts row) so GET /artifacts/{id} serves it;
		// a plain file only where no registry is wired (CLI, tests).
		name := "sweep_" + strconv.FormatInt(rec.ID, 10)
		var path string
		if l.ArtifactRegistry != nil {
			a, err := l.ArtifactRegistry.PutArtifact(ctx, Artifact{ID: name, Kind: "reports", PackID: rec.PackID,
				ModelID: rec.ModelID, ContentType: "application/json", CreatedAt: now}, ".json", data)
			if err != nil {
				return SweepResponse{}, fmt.Errorf("write sweep report: %w", err)
			}
			path, rec.ReportArtifactID = a.URI, a.ID
		} else {
			p, err := l.Artifacts.WriteArtifact(ctx, "reports", name+".json", data)
			if err != nil {
				return SweepResponse{}, fmt.Errorf("write sweep report: %w", err)
			}
			path = p
		}
		rec.ReportPath, reportPath = path, &path
		rec.ReportURL = artifactIDURL(rec.ReportArtifactID)
	}
	if status == SweepCompleted && w.src.Card != nil {
		// A card is a summary; failing to write one does not fail the sweep.
		if uri, err := w.src.Card(ctx, *rec, sum.Rows(3, runID)); err == nil {
			rec.CardURI = uri
		} else {
			l.logger().Warn("sweep model card", "sweep", rec.ID, "err", err)
		}
	}
	if err := l.Sweeps.PutSweepResults(ctx, rec, rows); err != nil {
		return SweepResponse{}, err
	}
	top := sum.Rows(sweepTopRuns, runID)
	if top == nil {
		top = []sweep.Row{}
	}
	return SweepResponse{Runs: top, Count: sum.Count, Filtered: sum.Filtered, ReportPath: reportPath,
		SweepID: rec.ID, Status: status, Cells: cells, TrainingMS: rec.TrainingMS, EvalMS: rec.EvalMS,
		Resumed: resumed, DuplicatesDropped: w.req.DuplicatesDropped, CardURI: rec.CardURI, CardURL: ArtifactURL(rec.CardURI), ReportArtifactID: rec.ReportArtifactID,
		ReportURL: artifactIDURL(rec.ReportArtifactID), PBO: rec.PBO, NTrials: rec.NTrials, Warnings: warnings}, nil
}

// sweepWarnings says when the grid's best cells are probably selected noise.
func sweepWarnings(rec *SweepRecord, sum sweep.Summary) []string {
	var w []string
	if rec.PBO != nil && *rec.PBO > 0.5 {
		w = append(w, fmt.Sprintf("pbo %.2f > 0.5: the best cell in sample is more likely than not below the median "+
			"out of sample; the ranking is probably overfit", *rec.PBO))
	}
	if top := sum.Rows(1, func(int) int64 { return 0 }); len(top) > 0 && top[0].Metrics.DSR < 0.95 {
		w = append(w, fmt.Sprintf("best cell dsr %.2f < 0.95 over %d trials: its Sharpe is within what the best of "+
			"that many unskilled trials reaches", top[0].Metrics.DSR, rec.NTrials))
	}
	return w
}

// writeSweepCard records a completed sweep as a model card (event "sweep"):
// the grid, guardrails, counts and the best cells.
func (l *Lab) writeSweepCard(ctx context.Context, rec SweepRecord, best []sweep.Row, src OOFSource) (string, error) {
	top := make([]SweepCardCell, len(best))
	for i, r := range best {
		dsr := r.Metrics.DSR
		top[i] = SweepCardCell{Rank: r.Rank, Kind: r.Kind, Thresholds: r.ThresholdsText, TopPct: r.TopPctValue,
			AllowedHours: r.HoursText, BestSharpeHourly: finitePtr(r.Metrics.BestSharpeHourly),
			BestCumRet: finitePtr(r.Metrics.BestCumRet), Trades: r.Metrics.Trades, DSR: finitePtr(dsr),
			PassGate: r.Metrics.PassGate, BacktestRunID: r.BacktestRunID}
	}
	metrics := SweepCardMetrics{Count: rec.Count, Filtered: rec.Filtered, Best: top,
		TrainingMS: rec.TrainingMS, EvalMS: rec.EvalMS, PBO: rec.PBO, NTrials: rec.NTrials}
	if len(best) > 0 {
		metrics.BestSharpeHourly = finitePtr(best[0].Metrics.BestSharpeHourly)
		metrics.BestCumRet = finitePtr(best[0].Metrics.BestCumRet)
	}
	sp := rec.Spec
	card := ModelCard{
		ID: fmt.Sprintf("%s-sweep-%d", rec.ModelID, rec.ID), SchemaVersion: ModelCardSchemaVersion,
		PackID: rec.PackID, ModelID: rec.ModelID, CreatedAt: rec.CreatedAt, Event: "sweep",
		PolicyVersion: src.Policy.Version, Lineage: backtestLineage(src), Config: cardConfig(src.Config),
		Policy: cardPolicy(src.Pol),
		Params: SweepCardParams{SweepID: rec.ID, Tag: rec.Tag, ThresholdsVariants: sp.ThresholdsVariants,
			AllowedHoursVariants: sp.AllowedHoursVariants, TopPctVariants: sp.TopPctVariants,
			SlippageBpsVariants: sp.SlippageBpsVariants, SizeByConfVariants: sp.SizeByConfVariants,
			Splits: sp.Splits, Embargo: sp.Embargo, Calibration: sp.Calibration,
			MinTrades: sp.MinTrades, MinSharpe: sp.MinSharpe, BuildID: src.BuildID, ReportPath: rec.ReportPath},
		Metrics: metrics, Features: src.Features,
	}
	return l.Cards.PutCard(ctx, card, RenderCardMarkdown(card))
}

// GetSweep returns a sweep and all its results (cell order).
func (l *Lab) GetSweep(ctx context.Context, id int64) (SweepRecord, []SweepResult, error) {
	if l.Sweeps == nil {
		return SweepRecord{}, nil, fmt.Errorf("sweep %d: %w", id, errs.ErrNotFound)
	}
	rec, err := l.Sweeps.GetSweep(ctx, id)
	if err != nil {
		return SweepRecord{}, nil, err
	}
	rows, err := l.Sweeps.SweepResults(ctx, id)
	if err != nil {
		return SweepRecord{}, nil, err
	}
	if rows == nil {
		rows = []SweepResult{}
	}
	return rec, rows, nil
}

// ListSweeps lists sweeps newest first.
func (l *Lab) ListSweeps(ctx context.Context, f SweepFilter) ([]SweepRecord, int, error) {
	if l.Sweeps == nil {
		return []SweepRecord{}, 0, nil
	}
	rows, total, err := l.Sweeps.ListSweeps(ctx, f)
	if rows == nil {
		rows = []SweepRecord{}
	}
	return rows, total, err
}
