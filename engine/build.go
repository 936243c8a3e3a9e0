package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/indicators"
	"sigmalab/engine/jobs"
	"sigmalab/engine/market"
	"sigmalab/engine/matrix"
	"sigmalab/engine/policy"
)

// Build-run states.
const (
	BuildRunning   = "running"
	BuildCompleted = "completed"
	BuildFailed    = "failed"
	// BuildInterrupted is a build the process stopped (kill, crash) before it
	// finished; set at the next start so no row stays running forever.
	BuildInterrupted = "interrupted"
)

// MatrixStore is the port for built matrices (matrices/<model_id>/<build_id>.parquet).
type MatrixStore interface {
	// Put writes m atomically and returns the file path and its size in bytes.
	Put(modelID, buildID string, m *matrix.Matrix) (string, int64, error)
	// Get reads a stored matrix (ErrNotFound when absent).
	Get(modelID, buildID string) (*matrix.Matrix, error)
	// Bytes returns the stored Parquet file (ErrNotFound when absent).
	Bytes(modelID, buildID string) ([]byte, error)
	// Delete removes a stored matrix (absent is not an error).
	Delete(modelID, buildID string) error
}

// BuildRunStore is the port for build_runs rows.
type BuildRunStore interface {
	// CreateBuildRun assigns the id and stores r.
	CreateBuildRun(ctx context.Context, r BuildRun) (BuildRun, error)
	// UpdateBuildRun overwrites the row with r.ID.
	UpdateBuildRun(ctx context.Context, r BuildRun) error
	// GetBuildRun returns one row (ErrNotFound when absent).
	GetBuildRun(ctx context.Context, id int64) (BuildRun, error)
	// ListBuildRuns lists rows newest first with the filter applied; total counts all matches.
	ListBuildRuns(ctx context.Context, f BuildRunFilter, offset, limit int) ([]BuildRun, int, error)
}

// ExportWriter writes user-named output files. Names resolve under the data
// dir's exports/ only; anything else (.., absolute paths, symlinks out) is an
// ErrInvalid error (HTTP 400).
type ExportWriter interface {
	// ResolveExport returns the confined path of name without writing.
	ResolveExport(name string) (string, error)
	// WriteExport writes the file atomically and returns its data-dir relative path.
	WriteExport(name string, write func(w io.Writer) error) (string, error)
}

// BuildRunFilter selects build_runs rows; empty fields match everything.
type BuildRunFilter struct {
	PackID  string
	ModelID string
	Tag     string
	Status  string
	Start   time.Time // created_at >= Start when non-zero
	End     time.Time // created_at <= End when non-zero
}

// Lineage identifies exactly what a matrix was built from. Hashes are sha256
// over canonical JSON (sorted keys, compact) of the stored documents, and over
// the input data slice as the builder read it.
type Lineage struct {
	ModelConfigSHA  string `json:"model_config_sha"`
	PolicySHA       string `json:"policy_sha"`
	IndicatorSetSHA string `json:"indicator_set_sha"`
	DataSHA         string `json:"data_sha"`
	MatrixSHA       string `json:"matrix_sha"`
	DataSource      string `json:"data_source"` // demo or real
	ConfigVersion   int    `json:"config_version,omitempty"`
	PolicyVersion   int    `json:"policy_version,omitempty"`
	IndicatorSet    string `json:"indicator_set,omitempty"`
	ConfigOrigin    string `json:"config_origin,omitempty"` // db or pack
}

// BuildRun is one build_runs row. Field names follow the predecessor's table
// (id, pack_id, model_id, started_at, finished_at, params, metrics,
// out_csv_uri, lineage, tag, created_at); the rest are additions.
type BuildRun struct {
	ID         int64        `json:"id"`
	BuildID    string       `json:"build_id"`
	PackID     string       `json:"pack_id"`
	ModelID    string       `json:"model_id"`
	Kind       string       `json:"kind"` // opt or eq
	Status     string       `json:"status"`
	Error      string       `json:"error,omitempty"`
	Params     BuildParams  `json:"params"`
	Metrics    BuildMetrics `json:"metrics"`
	OutCSVURI  string       `json:"out_csv_uri,omitempty"`
	MatrixURI  string       `json:"matrix_uri,omitempty"`
	MatrixURL  string       `json:"matrix_url,omitempty"` // GET it to download the matrix
	Rows       int          `json:"rows"`
	Columns    int          `json:"columns"`
	Lineage    *Lineage     `json:"lineage"`
	Tag        string       `json:"tag,omitempty"`
	StartedAt  *time.Time   `json:"started_at"`
	FinishedAt *time.Time   `json:"finished_at"`
	CreatedAt  time.Time    `json:"created_at"`
}

// BuildParams are what a build ran with, stored with its run.
type BuildParams struct {
	Start       string             `json:"start"`
	End         string             `json:"end"`
	Ticker      string             `json:"ticker"`
	KSigma      float64            `json:"k_sigma"`
	FixedBP     *float64           `json:"fixed_bp"`
	DistanceMax int                `json:"distance_max"`
	DumpRaw     bool               `json:"dump_raw"`
	Label       matrix.LabelConfig `json:"label"`
	Cadence     string             `json:"cadence"`
	Session     string             `json:"session"`
	AssetType   string             `json:"asset_type"`
	// PolicySnapshot is the model's policy document when the build ran, as
	// stored (kept raw: an older snapshot need not pass today's validation).
	PolicySnapshot json.RawMessage `json:"policy_snapshot,omitempty"`
	Tag            string          `json:"tag,omitempty"`
}

// BuildMetrics are a completed build's figures (zero while it runs).
type BuildMetrics struct {
	ColumnsCount int            `json:"columns_count"`
	Rows         int            `json:"rows"`
	SizeBytes    int64          `json:"size_bytes"`
	Labels       map[string]int `json:"labels,omitempty"`
	BuildMS      int64          `json:"build_ms"`
}

// BuildRequest is the body of POST /build_matrix, /build_stock_matrix and
// /preview_matrix (each uses its subset). Pointers distinguish "absent" from 0.
type BuildRequest struct {
	ModelID     string   `json:"model_id"`
	PackID      string   `json:"pack_id"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Ticker      string   `json:"ticker"`
	OutCSV      string   `json:"out_csv"`
	KSigma      *float64 `json:"k_sigma"`
	FixedBP     *float64 `json:"fixed_bp"`
	DistanceMax *int     `json:"distance_max"`
	DumpRaw     bool     `json:"dump_raw"`
	RawOut      string   `json:"raw_out"`
	LabelKind   string   `json:"label_kind"`
	Cadence     string   `json:"cadence"`
	Session     string   `json:"session"`
	MaxRows     int      `json:"max_rows"`
	Tag         string   `json:"tag"`
	Async       bool     `json:"async"`
}

// BuildResult is what a build returns (and what its job result holds).
// OutCSV is the CSV export (exports/…) when out_csv was requested, else the
// matrix file's data-dir path (a .parquet; the predecessor's key, kept for
// its clients); MatrixURL is how a client downloads the matrix.
type BuildResult struct {
	OK           bool           `json:"ok"`
	BuildRunID   int64          `json:"build_run_id"`
	BuildID      string         `json:"build_id"`
	ModelID      string         `json:"model_id"`
	PackID       string         `json:"pack_id"`
	OutCSV       string         `json:"out_csv"`
	MatrixPath   string         `json:"matrix_path"` // data-dir path of the matrix file
	MatrixURL    string         `json:"matrix_url"`  // GET /matrices/{model}/{build}
	RawOut       string         `json:"raw_out,omitempty"`
	Rows         int            `json:"rows"`
	ColumnsCount int            `json:"columns_count"`
	Columns      []string       `json:"columns"`
	Lineage      Lineage        `json:"lineage"`
	Labels       map[string]int `json:"labels"`
	CardURI      string         `json:"card_uri,omitempty"`
	CardURL      string         `json:"card_url,omitempty"` // GET /artifacts/{card id}
}

// modelPlan is everything a build needs about the model, resolved once.
type modelPlan struct {
	modelID, packID string
	config          ModelConfig
	configVersion   int
	configOrigin    string
	policy          policy.Policy
	policyVersion   int
	set             *indicators.Set
	ticker          string
	assetType       string
	horizon         string
	cadence         string
	session         string
	label           matrix.LabelConfig
	distanceMax     int
	// optional flow extras from the config's features block
	flowATM, mmDir, divergence bool
}

// canonicalSHA is sha256 over canonical JSON (sorted keys, compact).
func canonicalSHA(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var x any
	if err := json.Unmarshal(b, &x); err == nil {
		b, _ = json.Marshal(x) // maps marshal with sorted keys
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func validateBuildDates(v *errs.Validation, start, end string) {
	s, ok1 := ParseDate(start)
	e, ok2 := ParseDate(end)
	if !ok1 {
		v.Add("body", "start", "start/end must be ISO date YYYY-MM-DD", "value_error.date")
	}
	if !ok2 {
		v.Add("body", "end", "start/end must be ISO date YYYY-MM-DD", "value_error.date")
	}
	if ok1 && ok2 && e.Before(s) {
		v.Add("body", "end", "end must be on or after start", "value_error.date_range")
	}
}

func finite(p *float64) bool { return p == nil || (!math.IsNaN(*p) && !math.IsInf(*p, 0)) }

// validateBuild checks the request fields shared by every build route.
func validateBuild(req *BuildRequest, needModel bool) error {
	v := &errs.Validation{}
	req.ModelID = strings.TrimSpace(req.ModelID)
	if needModel && req.ModelID == "" {
		v.Add("body", "model_id", "model_id is required", "value_error.missing")
	} else if req.ModelID != "" && !ValidID(req.ModelID) {
		v.Add("body", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error.id")
	}
	if req.PackID != "" && !ValidID(req.PackID) {
		v.Add("body", "pack_id", "pack_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error.id")
	}
	validateBuildDates(v, req.Start, req.End)
	if req.Ticker != "" {
		t, ok := NormalizeTicker(req.Ticker)
		if !ok {
			v.Add("body", "ticker", "ticker must be a simple symbol", "value_error.ticker")
		}
		req.Ticker = t
	}
	if !finite(req.KSigma) || (req.KSigma != nil && (*req.KSigma < 0 || *req.KSigma > 100)) {
		v.Add("body", "k_sigma", "k_sigma must be a finite number in [0, 100]", "value_error.number")
	}
	if !finite(req.FixedBP) || (req.FixedBP != nil && (*req.FixedBP < 0 || *req.FixedBP > 1e5)) {
		v.Add("body", "fixed_bp", "fixed_bp must be a finite number in [0, 100000]", "value_error.number")
	}
	if req.DistanceMax != nil && (*req.DistanceMax <= 0 || *req.DistanceMax > 50) {
		v.Add("body", "distance_max", "distance_max must be a positive integer (at most 50)", "value_error.number")
	}
	if req.MaxRows < 0 || req.MaxRows > 100000 {
		v.Add("body", "max_rows", "max_rows must be in 1..100000", "value_error.number")
	}
	if req.LabelKind != "" {
		if _, _, err := matrix.ParseLabelKind(req.LabelKind); err != nil {
			v.Add("body", "label_kind", err.Error(), "value_error.enum")
		}
	}
	if c := strings.ToLower(req.Cadence); c != "" && c != "hourly" && c != "daily" {
		v.Add("body", "cadence", "cadence must be hourly or daily", "value_error.enum")
	}
	if s := strings.ToLower(req.Session); s != "" && s != "rth" && s != "extended" {
		v.Add("body", "session", "session must be rth or extended", "value_error.enum")
	}
	if req.Tag != "" && len(req.Tag) > 64 {
		v.Add("body", "tag", "tag is at most 64 characters", "value_error.length")
	}
	return v.Err()
}

// packModelConfig finds a built-in model config: in packID, or in every
// pack (in id order) when packID is empty.
func (l *Lab) packModelConfig(packID, modelID string) (ModelConfig, string, bool) {
	packs, ids, err := l.loadPacks()
	if err != nil {
		return ModelConfig{}, "", false
	}
	if packID != "" {
		ids = []string{packID}
	}
	for _, id := range ids {
		if p := packs[id]; p != nil {
			if c, ok := p.ModelConfigs[modelID]; ok {
				return c, id, true
			}
		}
	}
	return ModelConfig{}, "", false
}

// packPolicy is the pack's policy template named after the model, else its default.
func (l *Lab) packPolicy(packID, modelID string) (policy.Policy, bool) {
	p, err := l.Pack(packID)
	if err != nil {
		return policy.Policy{}, false
	}
	if pol, ok := p.Policies[modelID]; ok {
		return pol, true
	}
	pol, ok := p.Policies["default"]
	return pol, ok
}

// packIndicatorSet finds a built-in indicator set document (packID first, then every pack).
func (l *Lab) packIndicatorSet(packID, name string) (map[string]any, bool) {
	packs, ids, err := l.loadPacks()
	if err != nil {
		return nil, false
	}
	for _, id := range append([]string{packID}, ids...) {
		if p := packs[id]; p != nil {
			if d, ok := p.IndicatorSets[name]; ok {
				return d, true
			}
		}
	}
	return nil, false
}

// resolvePlan loads the model config (stored config first, then the built-in
// pack), its policy and indicator set, and the label settings with request
// overrides applied. A stored config or policy that does not validate stops
// the build with a StoredInvalidError.
func (l *Lab) resolvePlan(ctx context.Context, req BuildRequest) (*modelPlan, error) {
	p := &modelPlan{modelID: req.ModelID, packID: req.PackID}
	found := false
	if l.Configs != nil {
		rec, err := l.Configs.GetModel(ctx, req.ModelID)
		switch {
		case err == nil:
			if p.config, err = storedConfig(rec); err != nil {
				return nil, err
			}
			found, p.configVersion, p.configOrigin = true, rec.Version, "db"
			if p.packID == "" {
				p.packID = rec.PackID
			}
		case !errors.Is(err, errs.ErrNotFound):
			return nil, fmt.Errorf("load model %s: %w", req.ModelID, err)
		}
	}
	if !found {
		cfg, pack, ok := l.packModelConfig(req.PackID, req.ModelID)
		if !ok && req.PackID != "" {
			cfg, pack, ok = l.packModelConfig("", req.ModelID)
		}
		if !ok {
			return nil, errs.Msgf(errs.ErrNotFound, "unknown model_id %q: no stored or built-in model config; create it with POST /models", req.ModelID)
		}
		p.config, p.configOrigin = cfg, "pack"
		if p.packID == "" {
			p.packID = pack
		}
	}
	if p.packID == "" {
		p.packID = DefaultPack
	}
	// policy: stored, else the pack's template, else none (defaults apply downstream)
	if l.Configs != nil {
		rec, err := l.Configs.LatestPolicy(ctx, p.packID, p.modelID)
		if err == nil {
			if p.policy, err = storedPolicy(rec); err != nil {
				return nil, err
			}
			p.policyVersion = rec.Version
		} else if !errors.Is(err, errs.ErrNotFound) {
			return nil, fmt.Errorf("load policy %s: %w", p.modelID, err)
		}
	}
	if p.policyVersion == 0 {
		p.policy, _ = l.packPolicy(p.packID, p.modelID)
	}
	if err := l.resolveIndicatorSet(ctx, p); err != nil {
		return nil, err
	}

	cfg := p.config
	p.ticker = req.Ticker
	if p.ticker == "" {
		p.ticker = cfg.Ticker
	}
	if p.ticker == "" {
		p.ticker = "SPY"
	}
	p.assetType = cfg.AssetType
	if p.assetType == "" {
		p.assetType = "opt"
	}
	p.horizon = cfg.Horizon
	p.cadence = cfg.Cadence
	if req.Cadence != "" {
		p.cadence = strings.ToLower(req.Cadence)
	}
	if p.cadence == "" {
		p.cadence = "hourly"
	}
	p.session = cfg.Session
	if req.Session != "" {
		p.session = strings.ToLower(req.Session)
	}
	// distance_max: request, else config distance_max, else features.flow.distance_max, else 7
	p.distanceMax = 7
	if f := cfg.Features.Flow; f != nil && f.DistanceMax != nil {
		p.distanceMax = *f.DistanceMax
	}
	if cfg.DistanceMax != nil {
		p.distanceMax = *cfg.DistanceMax
	}
	if req.DistanceMax != nil {
		p.distanceMax = *req.DistanceMax
	}
	on := func(b *bool) bool { return b != nil && *b }
	if f := cfg.Features.Flow; f != nil {
		p.flowATM = on(f.ATM)
	}
	if d := cfg.Features.Dealer; d != nil {
		p.mmDir, p.divergence = on(d.MMProfitDirSimple), on(d.DivergenceScore)
	}
	lab := cfg.LabelConfig()
	if req.LabelKind != "" {
		lab.Kind = req.LabelKind
	}
	if req.KSigma != nil {
		lab.KSigma = *req.KSigma
	}
	if req.FixedBP != nil {
		lab.FixedBP = req.FixedBP
	}
	p.label = lab
	return p, nil
}

// resolveIndicatorSet: model-scope stored set, else the pack-scope set named by
// the config (indicator_set_name | indicator_set | features.indicator_set),
// stored first then built-in. A named set that exists nowhere is an error.
func (l *Lab) resolveIndicatorSet(ctx context.Context, p *modelPlan) error {
	var doc map[string]any
	if l.Configs != nil {
		rec, err := l.Configs.LatestIndicatorSet(ctx, p.packID, ScopeModel, p.modelID)
		if err == nil {
			doc = rec.Data
		} else if !errors.Is(err, errs.ErrNotFound) {
			return fmt.Errorf("load indicator set: %w", err)
		}
	}
	name := p.config.IndicatorSetRef()
	if doc == nil && name != "" {
		if l.Configs != nil {
			rec, err := l.Configs.LatestIndicatorSet(ctx, p.packID, ScopePack, name)
			if err == nil {
				doc = rec.Data
			} else if !errors.Is(err, errs.ErrNotFound) {
				return fmt.Errorf("load indicator set %s: %w", name, err)
			}
		}
		if doc == nil {
			if d, ok := l.packIndicatorSet(p.packID, name); ok {
				doc = d
			}
		}
		if doc == nil {
			return errs.Invalidf("model %s names indicator set %q, which is not stored; use PUT /indicator_set", p.modelID, name)
		}
	}
	if doc == nil {
		return nil // no indicator set: base columns only
	}
	set, err := indicators.SetFromMap(doc)
	if err != nil {
		return fmt.Errorf("indicator set of model %s: %w", p.modelID, err)
	}
	p.set = set
	return nil
}

// featureFunc adapts the model's indicator set to the builders.
func (l *Lab) featureFunc(p *modelPlan, src indicators.Source) matrix.FeatureFunc {
	if p.set == nil || len(p.set.Indicators) == 0 {
		return nil
	}
	return func(ctx context.Context, b *market.Bars, extra map[string][]float64) ([]string, [][]float64, error) {
		f := &indicators.Frame{Ticker: b.Ticker, TS: b.TS, BarMs: market.TimeframeMillis(b.Timeframe),
			Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume, VWAP: b.VWAP}
		if b.Timeframe == market.TF1d {
			f.BarMs = 0 // daily rows are stamped at the session open; let the frame infer
		}
		for k, v := range extra {
			f.SetCol(k, v)
		}
		cols, err := p.set.Compute(ctx, f, src)
		if err != nil {
			return nil, nil, err
		}
		names := make([]string, len(cols))
		vals := make([][]float64, len(cols))
		for i, c := range cols {
			names[i], vals[i] = c.Name, c.Values
		}
		return names, vals, nil
	}
}

// isOptionsFlowModel: options models of the 0dte or intraday horizons (and
// any hourly options model) get the hourly 0DTE flow matrix, as the
// predecessor built them (its spy_opt_intraday_daily preview was the flow
// matrix too); swing and long options models are daily equity-shaped rows whose
// indicator set carries the options analytics.
func (p *modelPlan) isOptionsFlowModel() bool {
	return p.assetType == "opt" && (p.horizon == "0dte" || p.horizon == "intraday" || p.cadence == "hourly")
}

// buildWindowMS is the time window a build reads (with a year of warm-up) for
// the chain cache of the indicator source.
func buildWindowMS(start, end string) (int64, int64) {
	s, _ := market.ParseDate(start)
	e, _ := market.ParseDate(end)
	return s.AddDate(-1, 0, 0).UnixMilli(), e.AddDate(0, 0, 2).UnixMilli()
}

// built is the outcome of buildMatrix before persisting.
type built struct {
	m       *matrix.Matrix
	raw     *matrix.RawFlow
	dataSHA string
	source  string
}

// buildMatrix runs the right builder for the plan over the market store.
func (l *Lab) buildMatrix(ctx context.Context, p *modelPlan, start, end string, stock bool) (*built, error) {
	if l.Market == nil {
		return nil, fmt.Errorf("no market data store configured: %w", errs.ErrNoData)
	}
	hs := newHashingSource(l.Market)
	from, to := buildWindowMS(start, end)
	isrc := newMarketIndicatorSource(l.Market, from, to)
	ff := l.featureFunc(p, isrc)
	out := &built{}
	if !stock && p.isOptionsFlowModel() {
		res, err := matrix.BuildOptions(ctx, hs, matrix.OptSpec{Ticker: p.ticker, Start: start, End: end,
			DistanceMax: p.distanceMax, Features: ff, Session: p.session, Label: p.label,
			ATM: p.flowATM, DealerDirection: p.mmDir, DivergenceScore: p.divergence})
		if err != nil {
			return nil, err
		}
		out.m, out.raw = res.Matrix, res.Raw
	} else {
		m, err := matrix.BuildEquity(ctx, hs, matrix.EqSpec{Ticker: p.ticker, Start: start, End: end,
			Cadence: p.cadence, Session: p.session, Features: ff, Label: p.label})
		if err != nil {
			return nil, err
		}
		out.m = m
	}
	out.dataSHA = hs.sum()
	out.source = out.m.Meta["data_source"]
	return out, nil
}

func labelCounts(m *matrix.Matrix) map[string]int {
	out := map[string]int{}
	for _, v := range m.TextCol(matrix.LabelCol) {
		if v == "" {
			v = "unlabelled"
		}
		out[v]++
	}
	return out
}

func (l *Lab) lineage(p *modelPlan, b *built) Lineage {
	lin := Lineage{
		ModelConfigSHA: canonicalSHA(p.config),
		PolicySHA:      canonicalSHA(p.policy),
		DataSHA:        b.dataSHA,
		MatrixSHA:      b.m.Hash(),
		DataSource:     b.source,
		ConfigVersion:  p.configVersion,
		PolicyVersion:  p.policyVersion,
		ConfigOrigin:   p.configOrigin,
	}
	if p.set != nil {
		lin.IndicatorSetSHA = canonicalSHA(map[string]any{"name": p.set.Name, "version": p.set.Version, "indicators": p.set.Indicators})
		lin.IndicatorSet = p.set.Name
	}
	return lin
}

// BuildMatrix builds a model's matrix over [start, end] (POST /build_matrix):
// options models get the 0DTE flow matrix, equity models the bar matrix. The
// matrix is written to matrices/<model_id>/<build_id>.parquet, optionally
// exported as CSV (out_csv) with its raw flow (dump_raw/raw_out) under
// exports/, and recorded in build_runs with its lineage. A failed build
// leaves its build_runs row marked failed and no matrix file.
func (l *Lab) BuildMatrix(ctx context.Context, req BuildRequest) (BuildResult, error) {
	if err := validateBuild(&req, true); err != nil {
		return BuildResult{}, err
	}
	return l.build(ctx, req, false)
}

// BuildStockMatrix builds an equity matrix for a ticker (POST
// /build_stock_matrix). With model_id the model's indicator set, cadence and
// label apply; without it the matrix has bars and the label only (label_kind,
// default next_hour) and is stored under the lower-cased ticker.
func (l *Lab) BuildStockMatrix(ctx context.Context, req BuildRequest) (BuildResult, error) {
	if strings.TrimSpace(req.Ticker) == "" && strings.TrimSpace(req.ModelID) == "" {
		return BuildResult{}, errs.Field("body", "ticker", "ticker is required")
	}
	if err := validateBuild(&req, false); err != nil {
		return BuildResult{}, err
	}
	return l.build(ctx, req, true)
}

func stockPlan(req BuildRequest) (*modelPlan, error) {
	id := strings.ToLower(strings.NewReplacer(".", "-").Replace(req.Ticker))
	p := &modelPlan{modelID: id, packID: req.PackID, ticker: req.Ticker, assetType: "eq",
		cadence: "hourly", session: strings.ToLower(req.Session), configOrigin: "request"}
	if p.packID == "" {
		p.packID = "swingsigma"
	}
	if req.Cadence != "" {
		p.cadence = strings.ToLower(req.Cadence)
	}
	p.label.Kind = req.LabelKind
	if req.KSigma != nil {
		p.label.KSigma = *req.KSigma
	}
	p.label.FixedBP = req.FixedBP
	p.config = ModelConfig{Ticker: req.Ticker, AssetType: "eq", Cadence: p.cadence, Session: p.session}
	return p, nil
}

func (l *Lab) plan(ctx context.Context, req BuildRequest, stock bool) (*modelPlan, error) {
	if stock && req.ModelID == "" {
		return stockPlan(req)
	}
	return l.resolvePlan(ctx, req)
}

func (l *Lab) build(ctx context.Context, req BuildRequest, stock bool) (BuildResult, error) {
	if l.Matrices == nil || l.BuildRuns == nil {
		return BuildResult{}, fmt.Errorf("matrix storage not configured: %w", errs.ErrNoData)
	}
	p, err := l.plan(ctx, req, stock)
	if err != nil {
		return BuildResult{}, err
	}
	// Resolve output paths before any work so a bad path is a 400 with nothing written.
	if req.OutCSV != "" || req.DumpRaw {
		if l.Exports == nil {
			return BuildResult{}, errs.Invalidf("exports are not configured")
		}
	}
	if req.OutCSV != "" {
		if _, err := l.Exports.ResolveExport(req.OutCSV); err != nil {
			return BuildResult{}, fmt.Errorf("out path not allowed: %w", err)
		}
	}
	rawName := ""
	if req.DumpRaw {
		rawName = req.RawOut
		if rawName == "" {
			if req.OutCSV != "" {
				rawName = strings.TrimSuffix(req.OutCSV, ".csv") + "_raw.csv"
			} else {
				rawName = p.modelID + "_raw.csv"
			}
		}
		if _, err := l.Exports.ResolveExport(rawName); err != nil {
			return BuildResult{}, fmt.Errorf("raw_out path not allowed: %w", err)
		}
	}

	started := l.now()
	kind := "eq"
	if !stock && p.isOptionsFlowModel() {
		kind = "opt"
	}
	params := BuildParams{Start: req.Start, End: req.End, Ticker: p.ticker, KSigma: p.label.KSigma,
		FixedBP: p.label.FixedBP, DistanceMax: p.distanceMax, DumpRaw: req.DumpRaw, Label: p.label,
		Cadence: p.cadence, Session: p.session, AssetType: p.assetType, Tag: req.Tag}
	if snap, err := json.Marshal(p.policy); err == nil {
		params.PolicySnapshot = snap
	}
	run, err := l.BuildRuns.CreateBuildRun(ctx, BuildRun{PackID: p.packID, ModelID: p.modelID, Kind: kind,
		Status: BuildRunning, Params: params, Tag: req.Tag, StartedAt: &started, CreatedAt: started})
	if err != nil {
		return BuildResult{}, fmt.Errorf("record build run: %w", err)
	}
	run.BuildID = fmt.Sprintf("b%08d", run.ID)
	fail := func(err error) (BuildResult, error) {
		fin := l.now()
		run.Status, run.Error, run.FinishedAt = BuildFailed, err.Error(), &fin
		if uerr := l.BuildRuns.UpdateBuildRun(context.WithoutCancel(ctx), run); uerr != nil {
			l.logger().Error("mark build run failed", "id", run.ID, "err", uerr)
		}
		return BuildResult{}, err
	}

	b, err := l.buildMatrix(ctx, p, req.Start, req.End, stock)
	if err != nil {
		return fail(err)
	}
	lin := l.lineage(p, b)
	b.m.Meta["model_id"] = p.modelID
	b.m.Meta["pack_id"] = p.packID
	b.m.Meta["build_id"] = run.BuildID
	b.m.Meta["data_sha"] = lin.DataSHA
	b.m.Meta["model_config_sha"] = lin.ModelConfigSHA
	b.m.Meta["policy_sha"] = lin.PolicySHA
	b.m.Meta["indicator_set_sha"] = lin.IndicatorSetSHA
	b.m.Meta["indicator_set"] = lin.IndicatorSet

	_, size, err := l.Matrices.Put(p.modelID, run.BuildID, b.m)
	if err != nil {
		return fail(fmt.Errorf("write matrix: %w", err))
	}
	// From here on a failure must not leave the matrix of a failed run behind.
	failStored := func(err error) (BuildResult, error) {
		if derr := l.Matrices.Delete(p.modelID, run.BuildID); derr != nil {
			l.logger().Error("remove matrix of failed build", "build_id", run.BuildID, "err", derr)
		}
		return fail(err)
	}
	matrixURI := "matrices/" + p.modelID + "/" + run.BuildID + ".parquet"
	res := BuildResult{OK: true, BuildRunID: run.ID, BuildID: run.BuildID, ModelID: p.modelID, PackID: p.packID,
		OutCSV: matrixURI, MatrixPath: matrixURI, MatrixURL: MatrixURL(p.modelID, run.BuildID), Rows: b.m.Len(),
		Lineage: lin, Labels: labelCounts(b.m)}
	res.Columns = allColumns(b.m)
	res.ColumnsCount = len(res.Columns)
	if req.OutCSV != "" {
		rel, err := l.Exports.WriteExport(req.OutCSV, func(w io.Writer) error { return matrix.WriteCSV(w, b.m) })
		if err != nil {
			return failStored(fmt.Errorf("write out_csv: %w", err))
		}
		res.OutCSV = rel
		run.OutCSVURI = rel
	}
	if req.DumpRaw {
		rel, err := l.Exports.WriteExport(rawName, func(w io.Writer) error { return writeRawCSV(w, b.raw) })
		if err != nil {
			return failStored(fmt.Errorf("write raw_out: %w", err))
		}
		res.RawOut = rel
	}
	fin := l.now()
	run.Status, run.FinishedAt = BuildCompleted, &fin
	run.MatrixURI, run.MatrixURL = matrixURI, MatrixURL(p.modelID, run.BuildID)
	run.Rows, run.Columns = b.m.Len(), res.ColumnsCount
	run.Metrics = BuildMetrics{ColumnsCount: res.ColumnsCount, Rows: b.m.Len(), SizeBytes: size,
		Labels: res.Labels, BuildMS: fin.Sub(started).Milliseconds()}
	run.Lineage = &lin
	if err := l.BuildRuns.UpdateBuildRun(context.WithoutCancel(ctx), run); err != nil {
		_ = l.Matrices.Delete(p.modelID, run.BuildID)
		return BuildResult{}, fmt.Errorf("record build run: %w", err)
	}
	if uri, err := l.writeBuildCard(ctx, p, run, res); err != nil {
		l.logger().Warn("build model card not written", "model_id", p.modelID, "build_id", run.BuildID, "err", err)
	} else {
		res.CardURI, res.CardURL = uri, ArtifactURL(uri)
	}
	return res, nil
}

// writeBuildCard writes the model card of a build (event build; metrics
// columns_count and rows as the predecessor's build cards, plus labels).
func (l *Lab) writeBuildCard(ctx context.Context, p *modelPlan, run BuildRun, res BuildResult) (string, error) {
	if l.Cards == nil {
		return "", fmt.Errorf("no card store")
	}
	bp := run.Params
	card := ModelCard{
		ID: fmt.Sprintf("%s-build-%d", run.ModelID, run.ID), SchemaVersion: ModelCardSchemaVersion,
		PackID: run.PackID, ModelID: run.ModelID, CreatedAt: run.CreatedAt, Event: "build",
		PolicyVersion: p.policyVersion, Lineage: res.Lineage, Config: cardConfig(p.config), Policy: cardPolicy(p.policy),
		Params: BuildCardParams{Start: bp.Start, End: bp.End, KSigma: bp.KSigma, FixedBP: bp.FixedBP,
			DistanceMax: bp.DistanceMax, DumpRaw: bp.DumpRaw, Ticker: bp.Ticker, BuildID: run.BuildID,
			MatrixURI: run.MatrixURI, Tag: run.Tag},
		Metrics:  BuildCardMetrics{ColumnsCount: res.ColumnsCount, Rows: res.Rows, Labels: res.Labels},
		Features: res.Columns, RunID: run.ID,
	}
	return l.Cards.PutCard(ctx, card, RenderCardMarkdown(card))
}

// allColumns lists the matrix columns in file order (keys, numeric, text).
func allColumns(m *matrix.Matrix) []string {
	cols := []string{"ts", "date", "hour_et"}
	if m.T1 != nil {
		cols = append(cols, "t1")
	}
	cols = append(cols, m.Names...)
	return append(cols, m.TextNames...)
}

// writeRawCSV writes the predecessor's raw flow frame (dump_raw).
func writeRawCSV(w io.Writer, r *matrix.RawFlow) error {
	var b bytes.Buffer
	b.WriteString("date,price_level,spy_prev_close,hour_et,calls_sold,puts_sold,calls_premium,puts_premium\n")
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	if r != nil {
		for i := 0; i < r.Len(); i++ {
			fmt.Fprintf(&b, "%s,%s,%s,%d,%s,%s,%s,%s\n", r.Date[i], f(r.PriceLevel[i]), f(r.SpyPrevClose[i]), r.HourET[i],
				f(r.CallsSold[i]), f(r.PutsSold[i]), f(r.CallsPremium[i]), f(r.PutsPremium[i]))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// PreviewResult is POST /preview_matrix's verdict: the QA report plus the
// column list and a few head rows.
type PreviewResult struct {
	matrix.QAReport
	ModelID    string   `json:"model_id"`
	Columns    []string `json:"columns"`
	TotalRows  int      `json:"total_rows"`
	DataSource string   `json:"data_source"`
	OutCSV     string   `json:"out_csv,omitempty"`
}

// PreviewMatrix builds the model's matrix over [start, end] without storing
// it, keeps the first max_rows rows (default 200) and runs the QA checks.
// Its ok is the QA verdict.
func (l *Lab) PreviewMatrix(ctx context.Context, req BuildRequest) (PreviewResult, error) {
	if err := validateBuild(&req, true); err != nil {
		return PreviewResult{}, err
	}
	p, err := l.resolvePlan(ctx, req)
	if err != nil {
		return PreviewResult{}, err
	}
	if req.OutCSV != "" {
		if l.Exports == nil {
			return PreviewResult{}, errs.Invalidf("exports are not configured")
		}
		if _, err := l.Exports.ResolveExport(req.OutCSV); err != nil {
			return PreviewResult{}, fmt.Errorf("out path not allowed: %w", err)
		}
	}
	b, err := l.buildMatrix(ctx, p, req.Start, req.End, false)
	if err != nil {
		return PreviewResult{}, err
	}
	total := b.m.Len()
	maxRows := req.MaxRows
	if maxRows <= 0 {
		maxRows = 200
	}
	m := b.m
	if total > maxRows {
		m = matrix.Head(b.m, maxRows)
	}
	res := PreviewResult{QAReport: matrix.QA(m), ModelID: p.modelID, Columns: allColumns(m), TotalRows: total,
		DataSource: b.source}
	if req.OutCSV != "" {
		rel, err := l.Exports.WriteExport(req.OutCSV, func(w io.Writer) error { return matrix.WriteCSV(w, m) })
		if err != nil {
			return PreviewResult{}, fmt.Errorf("write out_csv: %w", err)
		}
		res.OutCSV = rel
	}
	return res, nil
}

// ListBuildRuns pages build_runs newest first.
func (l *Lab) ListBuildRuns(ctx context.Context, f BuildRunFilter, offset, limit int) ([]BuildRun, int, error) {
	if l.BuildRuns == nil {
		return []BuildRun{}, 0, nil
	}
	return l.BuildRuns.ListBuildRuns(ctx, f, offset, limit)
}

// GetBuildRun returns one build_runs row (ErrNotFound when absent).
func (l *Lab) GetBuildRun(ctx context.Context, id int64) (BuildRun, error) {
	if l.BuildRuns == nil {
		return BuildRun{}, errs.NotFoundf("build run %d", id)
	}
	return l.BuildRuns.GetBuildRun(ctx, id)
}

// MatrixFile is one build of a model as listed by GET /matrices/{model_id}.
type MatrixFile struct {
	BuildID    string         `json:"build_id"`
	BuildRunID int64          `json:"build_run_id"`
	Path       string         `json:"path"`
	Rows       int            `json:"rows"`
	Columns    int            `json:"columns"`
	SizeBytes  int64          `json:"size_bytes"`
	DataSource string         `json:"data_source"`
	Start      string         `json:"start"`
	End        string         `json:"end"`
	CreatedAt  time.Time      `json:"created_at"`
	Labels     map[string]int `json:"labels,omitempty"`
}

// ListMatrices lists the completed builds of a model, newest first.
func (l *Lab) ListMatrices(ctx context.Context, modelID string, offset, limit int) ([]MatrixFile, int, error) {
	if !ValidID(modelID) {
		return nil, 0, errs.Field("path", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$")
	}
	runs, total, err := l.ListBuildRuns(ctx, BuildRunFilter{ModelID: modelID, Status: BuildCompleted}, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]MatrixFile, 0, len(runs))
	for _, r := range runs {
		mf := MatrixFile{BuildID: r.BuildID, BuildRunID: r.ID, Path: r.MatrixURI, Rows: r.Rows, Columns: r.Columns,
			SizeBytes: r.Metrics.SizeBytes, Start: r.Params.Start, End: r.Params.End, CreatedAt: r.CreatedAt,
			Labels: r.Metrics.Labels}
		if r.Lineage != nil {
			mf.DataSource = r.Lineage.DataSource
		}
		out = append(out, mf)
	}
	return out, total, nil
}

// LoadMatrix returns a stored matrix (train and backtest read matrices here).
// buildID "" or "latest" picks the newest completed build of the model.
func (l *Lab) LoadMatrix(ctx context.Context, modelID, buildID string) (*matrix.Matrix, string, error) {
	if l.Matrices == nil {
		return nil, "", errs.NotFoundf("no matrix store")
	}
	if !ValidID(modelID) {
		return nil, "", errs.Field("path", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$")
	}
	if buildID == "" || buildID == "latest" {
		runs, _, err := l.ListBuildRuns(ctx, BuildRunFilter{ModelID: modelID, Status: BuildCompleted}, 0, 1)
		if err != nil {
			return nil, "", err
		}
		if len(runs) == 0 {
			return nil, "", errs.NotFoundf("no matrix built for model %s; POST /build_matrix first", modelID)
		}
		buildID = runs[0].BuildID
	}
	if !ValidID(buildID) {
		return nil, "", errs.Field("path", "build_id", "build_id must match ^[a-z0-9][a-z0-9_-]{0,63}$")
	}
	m, err := l.Matrices.Get(modelID, buildID)
	return m, buildID, err
}

// MatrixBytes returns a stored matrix file as Parquet bytes.
func (l *Lab) MatrixBytes(ctx context.Context, modelID, buildID string) ([]byte, error) {
	if l.Matrices == nil {
		return nil, errs.NotFoundf("no matrix store")
	}
	if !ValidID(modelID) || !ValidID(buildID) {
		return nil, errs.Invalidf("bad model_id or build_id")
	}
	if buildID == "latest" {
		runs, _, err := l.ListBuildRuns(ctx, BuildRunFilter{ModelID: modelID, Status: BuildCompleted}, 0, 1)
		if err != nil {
			return nil, err
		}
		if len(runs) == 0 {
			return nil, errs.NotFoundf("no matrix built for model %s", modelID)
		}
		buildID = runs[0].BuildID
	}
	return l.Matrices.Bytes(modelID, buildID)
}

// Job kinds of matrix builds (async:true).
const (
	BuildMatrixJobKind      = "build_matrix"
	BuildStockMatrixJobKind = "build_stock_matrix"
)

// BuildMatrixJob runs BuildMatrix as a background job; the result is the BuildResult.
func (l *Lab) BuildMatrixJob(ctx context.Context, t *jobs.Task, req BuildRequest) (any, error) {
	t.Progress(0.05, "building matrix "+req.ModelID)
	res, err := l.BuildMatrix(ctx, req)
	if err != nil {
		return nil, err
	}
	t.Progress(1, "built "+res.BuildID)
	return res, nil
}

// BuildStockMatrixJob runs BuildStockMatrix as a background job.
func (l *Lab) BuildStockMatrixJob(ctx context.Context, t *jobs.Task, req BuildRequest) (any, error) {
	t.Progress(0.05, "building stock matrix "+req.Ticker)
	res, err := l.BuildStockMatrix(ctx, req)
	if err != nil {
		return nil, err
	}
	t.Progress(1, "built "+res.BuildID)
	return res, nil
}
