package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"sigmalab/engine/backtest"
	"sigmalab/engine/calibrate"
	"sigmalab/engine/cv"
	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/jobs"
	"sigmalab/engine/market"
	"sigmalab/engine/matrix"
	"sigmalab/engine/policy"
)

// BacktestJobKind is the job kind of POST /backtest with async:true.
const BacktestJobKind = "backtest"

// BacktestRequest is the body of POST /backtest and of `sigmalab backtest
// --body`. Field names and defaults are the predecessor's; build_id, cv,
// train_hours, hyperparams, features and risk_profile are new. Lists may be
// JSON arrays or "a,b,c" strings; top_pct may be a number, a numeric string,
// or null, "", false or 0 for off (see UnmarshalJSON).
type BacktestRequest struct {
	ModelID string `json:"model_id"`
	// Owner is set by the server from the authenticated caller (a body value is replaced).
	Owner             string         `json:"owner,omitempty"`
	PackID            string         `json:"pack_id"`
	BuildID           string         `json:"build_id,omitempty"` // matrix build; "" = latest
	CSV               string         `json:"csv,omitempty"`      // not supported: any value is a 422 (use build_id)
	Target            string         `json:"target,omitempty"`   // label column; default y (else y_syn)
	Thresholds        FloatList      `json:"thresholds"`
	Splits            int            `json:"splits,omitempty"` // absent: DefaultSplits; an explicit 0 is a 422
	Embargo           float64        `json:"embargo"`
	CV                string         `json:"cv,omitempty"`
	TopPct            *float64       `json:"top_pct"`
	AllowedHours      IntList        `json:"allowed_hours"`
	TrainHours        IntList        `json:"train_hours,omitempty"` // rows the model trains on; nil = all
	SlippageBps       *float64       `json:"slippage_bps"`
	Holding           string         `json:"holding,omitempty"` // overlap (default) | flat
	SizeByConf        *bool          `json:"size_by_conf"`
	ConfCap           *float64       `json:"conf_cap"`
	PerHourThresholds bool           `json:"per_hour_thresholds"`
	PerHourSelectBy   string         `json:"per_hour_select_by"`
	Calibration       *string        `json:"calibration"`
	MomentumGate      *bool          `json:"momentum_gate"`
	MomentumMin       *float64       `json:"momentum_min"`
	MomentumColumn    *string        `json:"momentum_column"`
	Hyperparams       map[string]any `json:"hyperparams,omitempty"`
	Features          StringList     `json:"features,omitempty"`
	RiskProfile       string         `json:"risk_profile,omitempty"`
	Save              *bool          `json:"save"`
	Tag               string         `json:"tag,omitempty"`
	Async             bool           `json:"async,omitempty"`
	Placebo           *PlaceboSpec   `json:"placebo,omitempty"` // retrain on placebo labels: an empirical p-value

	splitsZero bool // the body sent "splits": 0 (see UnmarshalJSON)
}

// Splits of a request that cross-validates (POST /backtest, /backtest_sweep):
// one range for every such route. An absent splits is DefaultSplits; an
// explicit 0 is out of range like any other value.
const (
	DefaultSplits = 5
	MinSplits     = 2
	MaxSplits     = 50
)

// checkSplits fills the default of an absent splits and checks the range.
func checkSplits(v *errs.Validation, splits *int, explicitZero bool) {
	if *splits == 0 && !explicitZero {
		*splits = DefaultSplits
	}
	if *splits < MinSplits || *splits > MaxSplits {
		v.Add("body", "splits", fmt.Sprintf("splits must be between %d and %d", MinSplits, MaxSplits), "value_error")
	}
}

// csvUnsupported is the 422 of a csv field: backtests and sweeps read the
// stored matrix of a build, never a client file.
const csvUnsupported = "csv is not supported: backtests read the stored matrix; use build_id"

// Normalize fills defaults and validates the fields that do not need the
// model; errors are 422 validations naming body fields.
func (r BacktestRequest) Normalize() (BacktestRequest, error) {
	v := &errs.Validation{}
	r.ModelID = strings.TrimSpace(r.ModelID)
	checkModelID(v, r.ModelID)
	if r.TopPct != nil && *r.TopPct == 0 {
		r.TopPct = nil // 0 is off, as absent
	}
	// No pack default: model ids are unique across packs, so the model's own
	// pack is used (the predecessor's "zerosigma" default would make every
	// other pack's model a 404).
	checkIDs(v, r.PackID, r.BuildID)
	if strings.TrimSpace(r.CSV) != "" {
		v.Add("body", "csv", csvUnsupported, "value_error")
	}
	checkSplits(v, &r.Splits, r.splitsZero)
	if r.CV == "" {
		r.CV = cv.WalkForward
	}
	// splits is checked above; cv's own (wider) range must not report it twice.
	if _, err := (cv.Config{Method: r.CV, Splits: DefaultSplits, Embargo: r.Embargo}).Normalize(); err != nil {
		var ve *errs.Validation
		if errors.As(err, &ve) {
			v.Fields = append(v.Fields, ve.Fields...)
		}
	}
	if r.Calibration == nil {
		s := calibrate.Sigmoid
		r.Calibration = &s
	}
	if !calibrate.ValidMethod(*r.Calibration) {
		v.Add("body", "calibration", "calibration must be one of: none, sigmoid, isotonic", "value_error")
	}
	if *r.Calibration == "" {
		*r.Calibration = calibrate.None
	}
	if r.PerHourSelectBy == "" {
		r.PerHourSelectBy = backtest.SelectSharpe
	}
	for _, h := range r.TrainHours {
		if h < 0 || h > 23 {
			v.Add("body", "train_hours", "train_hours must be hours in 0..23", "value_error")
			break
		}
	}
	if r.RiskProfile != "" && !ValidID(strings.ToLower(r.RiskProfile)) {
		v.Add("body", "risk_profile", "risk_profile must be a simple name", "value_error")
	}
	r.RiskProfile = strings.ToLower(r.RiskProfile)
	if r.Save == nil {
		t := true
		r.Save = &t
	}
	if len(r.Tag) > 200 {
		v.Add("body", "tag", "tag is at most 200 characters", "value_error")
	}
	if r.Placebo != nil {
		r.Placebo.normalize(v)
	}
	// Trading parameters are checked by the engine's own validator.
	if _, err := r.tradeParams(backtest.TradeParams{}).Normalize(); err != nil {
		var ve *errs.Validation
		if errors.As(err, &ve) {
			v.Fields = append(v.Fields, ve.Fields...)
		}
	}
	return r, v.Err()
}

// tradeParams applies the request over base (the policy's execution settings).
func (r BacktestRequest) tradeParams(base backtest.TradeParams) backtest.TradeParams {
	p := base
	p.Thresholds = r.Thresholds
	p.TopPct = 0
	if r.TopPct != nil {
		p.TopPct = *r.TopPct
	}
	p.AllowedHours = r.AllowedHours
	if r.Holding != "" {
		p.Holding = r.Holding
	}
	if r.SlippageBps != nil {
		p.SlippageBps = *r.SlippageBps
	}
	if r.SizeByConf != nil {
		p.SizeByConf = *r.SizeByConf
	}
	if r.ConfCap != nil {
		p.ConfCap = *r.ConfCap
	}
	p.PerHourThresholds = r.PerHourThresholds
	p.SelectBy = r.PerHourSelectBy
	if r.MomentumGate != nil {
		p.MomentumGate = *r.MomentumGate
	}
	if r.MomentumMin != nil {
		p.MomentumMin = *r.MomentumMin
	}
	if r.MomentumColumn != nil {
		p.MomentumColumn = *r.MomentumColumn
	}
	return p
}

// checkMomentumColumn: a momentum gate the request asks for explicitly needs
// its column (the body's momentum_column, else the policy's, else
// momentum_score_total) in the matrix; otherwise the request is a 422 on
// body.momentum_column rather than a backtest with the gate silently off.
// A gate switched on only by the policy keeps the softer behaviour (a
// warning, gate ignored): the stored policy is not the client's input.
func (r BacktestRequest) checkMomentumColumn(m *matrix.Matrix, pol policy.Policy) error {
	base, _ := executionParams(pol)
	col := r.tradeParams(base).MomentumColumn
	if col == "" {
		col = "momentum_score_total"
	}
	if m.Col(col) == nil {
		return errs.Field("body", "momentum_column", fmt.Sprintf("momentum_gate: column %q is not in the matrix of %s (build %s)",
			col, r.ModelID, m.Meta["build_id"]))
	}
	if trainNonFeature(m, col, "") {
		return errs.Field("body", "momentum_column", fmt.Sprintf("momentum_gate: column %q is a label or realised outcome, "+
			"known only after the row; gating on it would be look-ahead", col))
	}
	return nil
}

// BacktestResponse is the answer of POST /backtest: the predecessor's keys
// (result, best_sharpe_hourly, best_cum_ret, parity) plus lineage.
type BacktestResponse struct {
	Result           *backtest.Result                 `json:"result"`
	BestSharpeHourly *float64                         `json:"best_sharpe_hourly"`
	BestCumRet       *float64                         `json:"best_cum_ret"`
	Parity           *backtest.ParityResult           `json:"parity"`
	RunID            *int64                           `json:"run_id"`
	BuildID          string                           `json:"build_id"`
	OOFKey           string                           `json:"oof_key"`
	OOFCached        bool                             `json:"oof_cached"`
	TrainingMS       int64                            `json:"training_ms"`
	Folds            []backtest.FoldInfo              `json:"folds"`
	Features         []string                         `json:"features"`
	Classes          []string                         `json:"classes"`
	Reliability      map[string]calibrate.Reliability `json:"reliability"`
	Gate             Gate                             `json:"gate"`
	PassGate         bool                             `json:"pass_gate"`
	PlotsURI         string                           `json:"plots_uri,omitempty"` // data-dir path of the equity SVG
	CardURI          string                           `json:"card_uri,omitempty"`  // data-dir path of the card JSON
	PlotsURL         string                           `json:"plots_url,omitempty"` // GET /artifacts/{id} of the equity SVG
	CardURL          string                           `json:"card_url,omitempty"`  // GET /artifacts/{card id}
	// OOFURL, TradesURL and EquityURL download the saved run's OOF
	// predictions, trades and equity curve as Parquet.
	OOFURL    string   `json:"oof_url,omitempty"`
	TradesURL string   `json:"trades_url,omitempty"`
	EquityURL string   `json:"equity_url,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Research           // benchmark, bootstrap, placebo
}

// BacktestJob runs Backtest as a background job. Progress moves per fold
// of the out-of-fold training (up to 0.9), then to 1 when evaluated and saved.
func (l *Lab) BacktestJob(ctx context.Context, t *jobs.Task, req BacktestRequest) (any, error) {
	t.Progress(0.05, "backtesting "+req.ModelID)
	res, err := l.backtest(ctx, req, func(done, total int) {
		t.Progress(0.05+0.85*float64(done)/float64(total), fmt.Sprintf("training fold %d of %d", done, total))
	})
	if err != nil {
		return nil, err
	}
	t.Progress(1, "done")
	return res, nil
}

// OOFSpec is one training setup whose out-of-fold predictions can be cached
// and shared (backtests and sweeps over the same setup reuse them).
type OOFSpec struct {
	ModelID     string
	PackID      string
	BuildID     string // "" = latest
	Target      string // default y when it has labels, else y_syn
	CV          cv.Config
	Calibration string
	TrainHours  []int
	Hyperparams map[string]any // overrides of the model config's hyperparams
	Features    []string       // explicit list; nil = from the model config / defaults
	// Progress, when set, hears each finished fold of a training (not
	// called when the predictions come from a cache).
	Progress func(done, total int)
	// Check, when set, vets the loaded matrix against the request before
	// any training (a request that cannot run fails fast, not after minutes).
	Check func(m *matrix.Matrix, pol policy.Policy) error
}

// OOFSource is an OOF run with what a caller needs to use it.
type OOFSource struct {
	OOF        *backtest.OOF
	Info       *backtest.RunInfo
	Key        string
	Cached     bool
	TrainingMS int64
	BuildID    string
	Matrix     *matrix.Matrix
	MatrixURI  string
	Features   []string
	Target     string // resolved label column
	Model      ModelRecord
	Policy     PolicyRecord  // zero when the model has no policy
	Config     ModelConfig   // Model's config, decoded and valid
	Pol        policy.Policy // Policy's document, decoded and valid (empty: every default)
	Warnings   []string
}

// BacktestOOF returns the OOF predictions of spec: from the in-memory cache,
// else the persisted artifact, else by training the folds (then stored in both).
func (l *Lab) BacktestOOF(ctx context.Context, spec OOFSpec) (OOFSource, error) {
	var src OOFSource
	if l.Configs == nil {
		return src, fmt.Errorf("no config store: %w", errs.ErrNoData)
	}
	model, err := l.GetModelConfig(ctx, spec.ModelID, spec.PackID)
	if err != nil {
		return src, err
	}
	src.Model = model
	if src.Config, err = storedConfig(model); err != nil {
		return src, err
	}
	if pol, err := l.GetPolicy(ctx, spec.ModelID, model.PackID); err == nil {
		src.Policy = pol
	}
	if src.Pol, err = storedPolicy(src.Policy); err != nil {
		return src, err
	}
	m, buildID, err := l.LoadMatrix(ctx, spec.ModelID, spec.BuildID)
	if err != nil {
		return src, err
	}
	src.Matrix, src.BuildID = m, buildID
	src.MatrixURI = "matrices/" + spec.ModelID + "/" + buildID + ".parquet"
	if spec.Check != nil {
		if err := spec.Check(m, src.Pol); err != nil {
			return src, err
		}
	}
	if spec.Calibration == "" {
		spec.Calibration = calibrate.None
	}
	spec.CV, err = spec.CV.Normalize()
	if err != nil {
		return src, err
	}
	target, labels, err := TargetLabels(m, spec.Target)
	if err != nil {
		return src, err
	}
	spec.Target, src.Target = target, target
	feats, err := ResolveFeatures(m, src.Config.Features, spec.Features, target)
	if err != nil {
		return src, err
	}
	src.Features = feats
	lspec, ignored, err := learnerSpec(src.Config, spec.Hyperparams)
	if err != nil {
		return src, err
	}
	if len(ignored) > 0 {
		src.Warnings = append(src.Warnings, "hyperparams ignored: "+strings.Join(ignored, ", "))
	}
	tbl, y, warn, err := backtestTable(m, labels, spec.TrainHours)
	if err != nil {
		return src, err
	}
	src.Warnings = append(src.Warnings, warn...)
	hours := append([]int(nil), spec.TrainHours...)
	sort.Ints(hours)
	key := backtest.CacheKey{MatrixHash: m.Hash(), Features: feats, Target: spec.Target, Hyperparams: lspec.CacheParams(),
		CV: spec.CV, Calibration: spec.Calibration, TrainHours: hours}.String()
	src.Key = key
	produce := func() (backtest.CacheEntry, error) {
		if l.Artifacts != nil {
			if b, err := l.Artifacts.ReadArtifact(ctx, "oof", key+".gob.zst"); err == nil {
				if o, info, err := decodeOOFArtifact(b); err == nil {
					return backtest.CacheEntry{OOF: o, Info: info}, nil
				}
			}
		}
		cols := make([][]float64, len(feats))
		for j, f := range feats {
			cols[j] = featureColumn(m, f)
		}
		start := time.Now()
		learn, err := lspec.Learner(cols, y, tbl)
		if err != nil {
			return backtest.CacheEntry{}, err
		}
		oof, info, err := backtest.RunOOF(ctx, tbl, learn, backtest.RunConfig{CV: spec.CV, Calibration: spec.Calibration,
			Progress: spec.Progress})
		if err != nil {
			return backtest.CacheEntry{}, err
		}
		ent := backtest.CacheEntry{OOF: oof, Info: info, TrainingMS: max(1, time.Since(start).Milliseconds())}
		if l.Artifacts != nil {
			if b, err := encodeOOFArtifact(oof, info); err == nil {
				if _, err := l.Artifacts.WriteArtifact(ctx, "oof", key+".gob.zst", b); err != nil {
					l.logger().Warn("persist oof", "key", key, "err", err)
				}
			}
		}
		return ent, nil
	}
	var ent backtest.CacheEntry
	shared := false
	if l.OOFs != nil {
		// One training per setup even when a sweep and a backtest ask at once.
		ent, shared, err = l.OOFs.DoContext(ctx, key, produce)
	} else {
		ent, err = produce()
	}
	if err != nil {
		return src, err
	}
	src.OOF, src.Info = ent.OOF, ent.Info
	src.Cached = shared || ent.TrainingMS == 0
	if !src.Cached {
		src.TrainingMS = ent.TrainingMS
	}
	return src, nil
}

func encodeOOFArtifact(o *backtest.OOF, info *backtest.RunInfo) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		return nil, err
	}
	if err := backtest.EncodeOOF(zw, o, info); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeOOFArtifact(b []byte) (*backtest.OOF, *backtest.RunInfo, error) {
	zr, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	defer zr.Close()
	return backtest.DecodeOOF(zr)
}

// executionParams are the effective execution settings of pol as trading
// parameters (policy.Defaults fill every absent value), and its brackets when
// parity applies (nil otherwise).
func executionParams(pol policy.Policy) (backtest.TradeParams, *backtest.Brackets) {
	eff := pol.Effective()
	p := backtest.TradeParams{SlippageBps: eff.SlippageBps, SizeByConf: eff.SizeByConf, ConfCap: eff.ConfCap,
		MomentumGate: eff.MomentumGate, MomentumMin: eff.MomentumMin, MomentumColumn: eff.MomentumColumn}
	if !eff.Parity {
		return p, nil
	}
	b := eff.Brackets
	return p, &backtest.Brackets{AtrPeriod: b.AtrPeriod, AtrMultStop: b.AtrMultStop, AtrMultTarget: b.AtrMultTarget,
		TimeStopMinutes: b.TimeStopMinutes, EntryMode: b.EntryMode}
}

// Backtest cross-validates the model on its latest (or named) matrix, applies
// the trading rules to the out-of-fold predictions, simulates bracket parity
// when the policy has brackets, and with save stores the run, its folds, an
// equity plot, a model card and the leaderboard entries.
func (l *Lab) Backtest(ctx context.Context, req BacktestRequest) (BacktestResponse, error) {
	return l.backtest(ctx, req, nil)
}

// backtest is Backtest reporting each trained fold to progress (may be nil).
func (l *Lab) backtest(ctx context.Context, req BacktestRequest, progress func(done, total int)) (BacktestResponse, error) {
	var resp BacktestResponse
	req, err := req.Normalize()
	if err != nil {
		return resp, err
	}
	started := l.now()
	spec := OOFSpec{ModelID: req.ModelID, PackID: req.PackID, BuildID: req.BuildID,
		Target: req.Target, CV: cv.Config{Method: req.CV, Splits: req.Splits, Embargo: req.Embargo},
		Calibration: *req.Calibration, TrainHours: req.TrainHours, Hyperparams: req.Hyperparams, Features: req.Features,
		Progress: progress}
	if req.MomentumGate != nil && *req.MomentumGate {
		spec.Check = req.checkMomentumColumn
	}
	src, err := l.BacktestOOF(ctx, spec)
	if err != nil {
		return resp, err
	}
	resp.Warnings = append(resp.Warnings, src.Warnings...)
	base, brackets := executionParams(src.Pol)
	params := req.tradeParams(base)
	params.KeepSeries, params.HindsightTable = true, true
	if params.MomentumGate && src.OOF.Aux[params.MomentumColumn] == nil {
		// The OOF carries momentum* columns; any other gate column is read
		// from the matrix at the OOF rows, unless it is an outcome (a policy
		// naming one gets the gate switched off, never a look-ahead gate).
		if trainNonFeature(src.Matrix, params.MomentumColumn, "") {
			params.MomentumGate = false
			resp.Warnings = append(resp.Warnings, "momentum_gate: column "+params.MomentumColumn+
				" is a label or realised outcome; gate ignored")
		} else if col := src.Matrix.Col(params.MomentumColumn); col != nil {
			vals := make([]float64, src.OOF.Len())
			for k, i := range src.OOF.Rows {
				vals[k] = col[i]
			}
			params.MomentumValues = vals
		}
	}
	res, err := backtest.Evaluate(src.OOF, params)
	if err != nil {
		return resp, err
	}
	resp.Warnings = append(resp.Warnings, res.Warnings...)
	resp.Result = &res
	if err := l.backtestResearch(ctx, req, src, spec, params, res, &resp.Research); err != nil {
		return resp, err
	}
	if res.Overall.Rows > 0 {
		s, c := res.Overall.SharpeHourly, res.Overall.CumRet
		resp.BestSharpeHourly, resp.BestCumRet = &s, &c
	}
	if brackets != nil {
		pr := l.parityFor(ctx, src.Matrix, src.OOF, res, *brackets)
		resp.Parity = &pr
	}
	resp.BuildID, resp.OOFKey, resp.OOFCached, resp.TrainingMS = src.BuildID, src.Key, src.Cached, src.TrainingMS
	resp.Folds, resp.Features, resp.Classes = src.Info.Folds, src.Features, src.OOF.Classes
	resp.Reliability = src.Info.Reliability
	trials, err := l.priorTrials(ctx, req.ModelID, src.BuildID, 0)
	if err != nil {
		return resp, fmt.Errorf("count earlier trials: %w", err)
	}
	deflate(&res.Overall, trials.Count+1, append(trials.Sharpes, res.Overall.SharpeHourly))
	if d := *res.Overall.DSR; res.Overall.Trades > 0 && d < 0.5 {
		resp.Warnings = append(resp.Warnings, fmt.Sprintf("dsr %.2f over %d trials on this model and matrix: the result is "+
			"probably luck", d, res.Overall.NTrials))
	}
	resp.Gate = gate(res.Overall, src.Pol, req.RiskProfile)
	resp.PassGate = resp.Gate.Pass
	if !*req.Save {
		return resp, nil
	}
	if l.Backtests == nil {
		resp.Warnings = append(resp.Warnings, "save: no backtest store; run not persisted")
		return resp, nil
	}
	run, folds := l.backtestRecord(req, src, params, res, resp.Parity, resp.Gate, started)
	run.Metrics.Research = resp.Research
	// Artifacts first (files are only referenced once the run row commits),
	// the card last; a save that cannot write all of them stores no run (a
	// run that looks complete but lacks its plot or card is worse than none).
	// Artifact ids follow the id rule (lower case, ≤ 64); the model is in the row.
	name := "bt-" + strings.ReplaceAll(started.Format("20060102t150405.000"), ".", "") + "-" + src.Key[:10]
	if svg, png, err := EquityPlot(src.OOF, res, req.ModelID); err == nil {
		if run.PlotsURI, err = l.putBacktestArtifact(ctx, src, "plots", name, ".svg", "image/svg+xml", svg); err != nil {
			return resp, fmt.Errorf("save backtest: plot: %w", err)
		}
		run.PlotsURL = ArtifactURL(run.PlotsURI)
		if run.PlotPNGURI, err = l.putBacktestArtifact(ctx, src, "plots", name, ".png", "image/png", png); err != nil {
			return resp, fmt.Errorf("save backtest: plot: %w", err)
		}
	} else {
		resp.Warnings = append(resp.Warnings, "plot: "+err.Error()) // nothing to draw (no rows): not a storage failure
	}
	if run.OOFURL, run.TradesURL, run.EquityURL, err = l.putBacktestOutputs(ctx, src, name,
		backtestOutputs(src.OOF, res, params)); err != nil {
		return resp, fmt.Errorf("save backtest: %w", err)
	}
	ids, err := l.Backtests.SaveBacktests(ctx, []BacktestWrite{{Run: run, Folds: folds}})
	if err != nil {
		return resp, fmt.Errorf("save backtest: %w", err)
	}
	run.ID = ids[0]
	uri, err := l.writeBacktestCard(ctx, run, src, params)
	if err != nil {
		if derr := l.Backtests.DeleteBacktests(context.WithoutCancel(ctx), ids); derr != nil {
			err = errors.Join(err, fmt.Errorf("remove the run: %w", derr))
		}
		return resp, fmt.Errorf("save backtest: model card: %w", err)
	}
	resp.RunID, resp.PlotsURI, resp.CardURI = &run.ID, run.PlotsURI, uri
	resp.PlotsURL, resp.CardURL = ArtifactURL(run.PlotsURI), ArtifactURL(uri)
	resp.OOFURL, resp.TradesURL, resp.EquityURL = run.OOFURL, run.TradesURL, run.EquityURL
	return resp, nil
}

// backtestRecord builds the stored run and folds of one evaluation.
func (l *Lab) backtestRecord(req BacktestRequest, src OOFSource, p backtest.TradeParams, res backtest.Result,
	parity *backtest.ParityResult, gate Gate, started time.Time) (BacktestRun, []BacktestFold) {
	now := l.now()
	params := BacktestParams{
		Target: src.Target, Thresholds: p.Thresholds, Splits: req.Splits, Embargo: req.Embargo, CV: req.CV,
		TopPct: req.TopPct, AllowedHours: p.AllowedHours, TrainHours: req.TrainHours,
		SlippageBps: p.SlippageBps, SizeByConf: p.SizeByConf, ConfCap: p.ConfCap, Holding: p.Holding,
		PerHourThresholds: p.PerHourThresholds, PerHourSelectBy: p.SelectBy,
		Calibration: *req.Calibration, MomentumGate: p.MomentumGate, MomentumMin: p.MomentumMin,
		MomentumColumn: p.MomentumColumn, NFeatures: len(src.Features), PolicyVersion: src.Policy.Version,
	}
	if src.Policy.Policy != nil {
		if snap, err := json.Marshal(src.Policy.Policy); err == nil {
			params.PolicySnapshot = snap
		}
	}
	run := BacktestRun{Owner: req.Owner, PackID: src.Model.PackID, ModelID: req.ModelID, BuildID: src.BuildID, Tag: req.Tag,
		RiskProfile: req.RiskProfile, Status: "completed", StartedAt: started, FinishedAt: now, CreatedAt: now,
		Params: params, DataCSVURI: src.MatrixURI, OOFKey: src.Key, Gate: gate, GatePass: gate.Pass,
		TradesTotal: res.Overall.Trades, Trades: res.Overall.Trades, WinRate: res.Overall.HitRate,
		MaxDrawdown: res.Overall.MaxDD, DSR: res.Overall.DSR, MatrixURL: MatrixURL(req.ModelID, src.BuildID)}
	run.Lineage = backtestLineage(src)
	run.Lineage.RiskProfile = req.RiskProfile
	run.Metrics = BacktestRunMetrics{Overall: res.Overall, Mode: res.Mode, Holding: res.Holding,
		ThresholdTable: res.ThresholdTable, Parity: parity}
	if res.Overall.Rows > 0 {
		s, c := res.Overall.SharpeHourly, res.Overall.CumRet
		run.BestSharpeHourly, run.BestCumRet, run.Sharpe, run.CumRet = &s, &c, &s, &c
		run.Metrics.BestSharpeHourly, run.Metrics.BestCumRet = &s, &c
	}
	folds := make([]BacktestFold, len(res.ThresholdResults))
	for i, f := range res.ThresholdResults {
		folds[i] = BacktestFold{Fold: f.Fold, ThrUsed: f.Thr, CumRet: f.CumRet, SharpeHourly: f.SharpeHourly,
			Trades: f.Trades, Sortino: f.Sortino, MaxDD: f.MaxDD, Metrics: f.Metrics, HourThr: f.HourThr}
	}
	return run, folds
}

// backtestLineage hashes what the run read.
func backtestLineage(src OOFSource) BacktestLineage {
	lin := BacktestLineage{MatrixSHA: src.Matrix.Hash(), ConfigSHA: canonicalSHA(src.Model.Config),
		BuildID: src.BuildID, OOFKey: src.Key}
	if src.Policy.Policy != nil {
		lin.PolicySHA = canonicalSHA(src.Policy.Policy)
		lin.PolicyVersion = src.Policy.Version
	}
	for k, v := range src.Matrix.Meta {
		if strings.HasSuffix(k, "_sha") || k == "source" || k == "data_source" || k == "ticker" {
			if lin.Matrix == nil {
				lin.Matrix = map[string]string{}
			}
			lin.Matrix[k] = v
		}
	}
	return lin
}

// parityFor runs bracket parity on the reported path's positions. Matrices
// with open/high/low/close (equity bars) trade on their own rows; matrices
// without them (the options flow matrix carries only the underlying's close)
// trade on the underlying's bars from the market store, matched by timestamp,
// with the ATR computed causally from those bars. When neither is available
// the result is ok:false with a reason: simulating on close alone would make
// entry equal exit and report every trade as a zero-return time-out.
func (l *Lab) parityFor(ctx context.Context, m *matrix.Matrix, o *backtest.OOF, res backtest.Result, br backtest.Brackets) backtest.ParityResult {
	var sig []backtest.Signal
	for i, pos := range res.Pos {
		if pos > 0 {
			sig = append(sig, backtest.Signal{Row: o.Rows[i], Side: 1})
		} else if pos < 0 {
			sig = append(sig, backtest.Signal{Row: o.Rows[i], Side: -1})
		}
	}
	period := br.AtrPeriod
	if period <= 0 {
		period = 14
	}
	open, high, low, cl := m.Col("open"), m.Col("high"), m.Col("low"), m.Col("close")
	if open != nil && high != nil && low != nil && cl != nil {
		bars := backtest.Bars{TS: m.TS, Date: m.Date, Open: open, High: high, Low: low, Close: cl}
		// A stored ATR column of the policy's period is the causal indicator;
		// otherwise parity computes Wilder's ATR from the bars.
		bars.ATR = m.Col(fmt.Sprintf("atr_%d", period))
		pr := backtest.Parity(bars, sig, br)
		pr.BarSource = "matrix"
		return pr
	}
	return l.marketParity(ctx, m, sig, br, period)
}

// marketParity simulates the brackets on the stored bars of the matrix's
// ticker (its cadence's timeframe). Signal rows are mapped to the bar with
// the row's timestamp; rows without such a bar count as skipped.
func (l *Lab) marketParity(ctx context.Context, m *matrix.Matrix, sig []backtest.Signal, br backtest.Brackets, period int) backtest.ParityResult {
	fail := func(reason string) backtest.ParityResult {
		pr := backtest.Parity(backtest.Bars{}, nil, br)
		pr.Signals, pr.Skipped, pr.Reason = len(sig), len(sig), reason
		return pr
	}
	ticker := m.Meta["ticker"]
	if ticker == "" {
		return fail("matrix has no open/high/low bars and no ticker to read the underlying's bars for")
	}
	if l.Market == nil {
		return fail("matrix has no open/high/low bars and no market store is configured for " + ticker + " bars")
	}
	if len(sig) == 0 || m.Len() == 0 {
		return fail("no signals")
	}
	tf := market.TF1h
	if m.Meta["cadence"] == "daily" {
		tf = market.TF1d
	}
	first, last := m.TS[0], m.TS[0]
	for _, s := range sig {
		first, last = min(first, m.TS[s.Row]), max(last, m.TS[s.Row])
	}
	// Warm-up for the ATR before the first signal and room after the last
	// one for the next session's entry plus the time stop.
	day := int64(24 * 3600_000)
	from := first - int64(30+2*period)*day
	to := last + (10+int64(br.TimeStopMinutes)/(6*60))*day
	b, err := l.Market.ReadBars(ctx, ticker, tf, from, to)
	if err != nil {
		return fail(fmt.Sprintf("read %s %s bars: %v", ticker, tf, err))
	}
	if b == nil || b.Len() == 0 {
		return fail(fmt.Sprintf("matrix has no open/high/low bars and the market store has no %s %s bars", ticker, tf))
	}
	bars := backtest.Bars{TS: b.TS, Date: make([]string, b.Len()), Open: b.Open, High: b.High, Low: b.Low, Close: b.Close}
	for i, ts := range b.TS {
		bars.Date[i] = market.SessionDate(ts)
	}
	mapped := make([]backtest.Signal, len(sig))
	for i, s := range sig {
		ts := m.TS[s.Row]
		k := sort.Search(len(b.TS), func(j int) bool { return b.TS[j] >= ts })
		if k == len(b.TS) || b.TS[k] != ts {
			k = -1 // no bar at the signal's time: parity counts it as skipped
		}
		mapped[i] = backtest.Signal{Row: k, Side: s.Side}
	}
	pr := backtest.Parity(bars, mapped, br)
	pr.BarSource = "market:" + ticker + "/" + tf
	return pr
}

// gbdtParams overlays the model config's hyperparams, then the request's, on
// the defaults (as training does); unknown keys are returned.
func gbdtParams(cfg ModelConfig, override map[string]any) (gbdt.Params, []string, error) {
	p := DefaultGBMParams()
	var ignored []string
	if hp := cfg.Hyperparams; hp != nil {
		var ig []string
		var err error
		if p, ig, err = ApplyHyperparams(p, hp, "config"); err != nil {
			return p, nil, err
		}
		ignored = append(ignored, ig...)
	}
	if len(override) > 0 {
		var ig []string
		var err error
		if p, ig, err = ApplyHyperparams(p, override, "body"); err != nil {
			return p, nil, err
		}
		ignored = append(ignored, ig...)
	}
	p.Workers = 0
	if err := p.Validate(); err != nil {
		return p, nil, errs.Field("body", "hyperparams", err.Error())
	}
	return p, ignored, nil
}

// backtestTable turns the matrix into the runner's table: class names from
// the target labels (numeric targets: 1/0 → UP/DOWN, and 1/0/−1 →
// UP/FLAT/DOWN), realised returns from ret_fwd, label end times from T1.
func backtestTable(m *matrix.Matrix, labels []string, trainHours []int) (*backtest.Table, []int, []string, error) {
	n := m.Len()
	numeric, binary := true, true
	for _, s := range labels {
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			numeric = false
			break
		}
		if v != 0 && v != 1 {
			binary = false
		}
	}
	if numeric {
		mapped := make([]string, n)
		for i, s := range labels {
			if s == "" {
				continue
			}
			v, _ := strconv.ParseFloat(s, 64)
			switch {
			case v > 0:
				mapped[i] = backtest.ClassUp
			case v < 0 || binary:
				mapped[i] = backtest.ClassDown
			default:
				mapped[i] = "FLAT"
			}
		}
		labels = mapped
	}
	set := map[string]bool{}
	for _, s := range labels {
		if s != "" {
			set[s] = true
		}
	}
	classes := make([]string, 0, len(set))
	for s := range set {
		classes = append(classes, s)
	}
	sort.Strings(classes)
	if !set[backtest.ClassUp] && !set[backtest.ClassDown] {
		return nil, nil, nil, errs.Field("body", "target", fmt.Sprintf("target has no UP or DOWN labels (classes %v)", classes))
	}
	if len(classes) < 2 {
		return nil, nil, nil, errs.Field("body", "target", "target needs at least two classes")
	}
	idx := map[string]int{}
	for i, c := range classes {
		idx[c] = i
	}
	y := make([]int, n)
	for i, s := range labels {
		if c, ok := idx[s]; ok {
			y[i] = c
		} else {
			y[i] = -1
		}
	}
	ret := m.Col("ret_fwd")
	if ret == nil {
		return nil, nil, nil, fmt.Errorf("matrix has no ret_fwd column (realised forward return); rebuild it with labels: %w", errs.ErrNoData)
	}
	var warn []string
	if m.T1 == nil {
		warn = append(warn, "matrix has no label end times (t1): training rows are not purged")
	}
	hours := make([]int32, n)
	copy(hours, m.HourET)
	tbl := &backtest.Table{T0: m.TS, T1: m.T1, Hour: hours, Y: y, Classes: classes, Ret: ret}
	if len(trainHours) > 0 {
		var ok [24]bool
		for _, h := range trainHours {
			ok[h] = true
		}
		tbl.TrainMask = make([]bool, n)
		for i, h := range m.HourET {
			tbl.TrainMask[i] = h >= 0 && h < 24 && ok[h]
		}
	}
	aux := map[string][]float64{}
	for _, name := range m.Names {
		if strings.HasPrefix(name, "momentum") {
			aux[name] = m.Col(name)
		}
	}
	if len(aux) > 0 {
		tbl.Aux = aux
	}
	tbl.Day = make([]int32, n)
	for i := 1; i < n; i++ {
		tbl.Day[i] = tbl.Day[i-1]
		if m.Date[i] != m.Date[i-1] {
			tbl.Day[i]++
		}
	}
	if tbl.Close = m.Col("close"); tbl.Close == nil {
		warn = append(warn, "matrix has no close column: positions are not marked to market")
	}
	if m.Meta["label_kind"] == "close_to_open" && m.T1 != nil {
		// Every row of a session up to its close holds the same overnight
		// trade, entered at the close: the session's last row with that label.
		tbl.Entry = make([]int64, n)
		for i := n - 1; i >= 0; i-- {
			tbl.Entry[i] = m.TS[i]
			if i+1 < n && m.Date[i+1] == m.Date[i] && m.T1[i+1] == m.T1[i] && !math.IsNaN(ret[i+1]) {
				tbl.Entry[i] = tbl.Entry[i+1]
			}
		}
	}
	return tbl, y, warn, nil
}

// putBacktestArtifact stores one artifact file: through the artifact registry
// (file + artifacts row, downloadable by id) when wired, else as a plain
// file; "" when neither is wired.
func (l *Lab) putBacktestArtifact(ctx context.Context, src OOFSource, kind, name, ext, ctype string, data []byte) (string, error) {
	if l.ArtifactRegistry != nil {
		a, err := l.ArtifactRegistry.PutArtifact(ctx, Artifact{ID: name + strings.ReplaceAll(ext, ".", "-"), Kind: kind,
			PackID: src.Model.PackID, ModelID: src.Model.ModelID, ContentType: ctype, CreatedAt: l.now()}, ext, data)
		return a.URI, err
	}
	if l.Artifacts != nil {
		return l.Artifacts.WriteArtifact(ctx, kind, name+ext, data)
	}
	return "", nil
}

// writeBacktestCard writes the run's model card (event backtest); "" when no
// card store is wired.
func (l *Lab) writeBacktestCard(ctx context.Context, run BacktestRun, src OOFSource, p backtest.TradeParams) (string, error) {
	if l.Cards == nil {
		return "", nil
	}
	ov := run.Metrics.Overall
	metrics := BacktestCardMetrics{BestSharpeHourly: run.BestSharpeHourly, BestCumRet: run.BestCumRet,
		Trades: run.TradesTotal, HitRate: run.WinRate, MaxDD: run.MaxDrawdown, GatePass: run.Gate.Pass,
		GateReasons: run.Gate.Reasons, SharpeAnn: ov.SharpeAnn, Sortino: ov.Sortino, CompRet: ov.CompRet,
		PSR: ov.PSR, DSR: ov.DSR, NTrials: ov.NTrials, PeriodsPerYear: ov.PeriodsPerYear}
	if run.Metrics.Parity != nil {
		metrics.Parity = run.Metrics.Parity
	}
	metrics.Research = run.Metrics.Research
	if pl := run.Metrics.Research.Placebo; pl != nil {
		metrics.PlaceboPValue = &pl.PValue
	}
	card := ModelCard{
		ID: fmt.Sprintf("%s-backtest-%d", run.ModelID, run.ID), SchemaVersion: ModelCardSchemaVersion,
		PackID: run.PackID, ModelID: run.ModelID, CreatedAt: run.CreatedAt, Event: "backtest",
		PolicyVersion: src.Policy.Version, Lineage: run.Lineage, Config: cardConfig(src.Config),
		Policy: cardPolicy(src.Pol),
		Params: BacktestCardParams{Thresholds: p.Thresholds, TopPct: run.Params.TopPct,
			AllowedHours: p.AllowedHours, PerHourThresholds: p.PerHourThresholds,
			PerHourSelectBy: p.SelectBy, Calibration: run.Params.Calibration, CV: run.Params.CV,
			Splits: run.Params.Splits, Embargo: run.Params.Embargo, SlippageBps: p.SlippageBps,
			SizeByConf: p.SizeByConf, ConfCap: p.ConfCap, BuildID: run.BuildID, Tag: run.Tag},
		Metrics: metrics, Features: src.Features, RunID: run.ID,
	}
	return l.Cards.PutCard(ctx, card, RenderCardMarkdown(card))
}
