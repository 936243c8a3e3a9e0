package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"sigmalab/engine/doc"
	"sigmalab/engine/errs"
	"sigmalab/engine/indicators"
	"sigmalab/engine/policy"
)

// DefaultPack is the pack assumed when a request names none (predecessor default).
const DefaultPack = "zerosigma"

// Accepted values of the model naming fields.
var (
	assetAliases = map[string]string{"opt": "opt", "option": "opt", "options": "opt",
		"eq": "eq", "equity": "eq", "equities": "eq", "stock": "eq", "stocks": "eq"}
	algos = []string{"gbm", "logreg"}
)

// CreateModelRequest is the body of POST /models.
type CreateModelRequest struct {
	Ticker           string `json:"ticker"`
	AssetType        string `json:"asset_type"`
	Horizon          string `json:"horizon"`
	Cadence          string `json:"cadence"`
	Algo             string `json:"algo"`
	Variant          string `json:"variant"`
	PackID           string `json:"pack_id"`
	IndicatorSetName string `json:"indicator_set_name"`
	TemplateID       string `json:"template_id"`
}

// CreateModelResult is what POST /models returns.
type CreateModelResult struct {
	ModelID       string      `json:"model_id"`
	PackID        string      `json:"pack_id"`
	TemplateID    string      `json:"template_id"`
	Message       string      `json:"message"`
	Version       int         `json:"version"`
	PolicyVersion int         `json:"policy_version"`
	Config        ModelConfig `json:"config"`
	Paths         ModelPaths  `json:"paths"` // API URLs of the stored config and policy
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// ModelID builds {ticker}_{asset}_{horizon}_{cadence}[_{variant}] from normalised parts.
func ModelID(ticker, asset, horizon, cadence, variant string) string {
	id := strings.ToLower(ticker) + "_" + asset + "_" + horizon + "_" + cadence
	if variant != "" {
		id += "_" + variant
	}
	return id
}

// CreateModel scaffolds a model config and its first policy from the pack's
// template (template_id, else the template matching asset/horizon/cadence,
// else the pack's default template). ErrConflict when the id exists.
func (l *Lab) CreateModel(ctx context.Context, req CreateModelRequest) (CreateModelResult, error) {
	v := &errs.Validation{}
	ticker, ok := NormalizeTicker(req.Ticker)
	if strings.TrimSpace(req.Ticker) == "" {
		v.Add("body", "ticker", "Field required", "missing")
	} else if !ok {
		v.Add("body", "ticker", fmt.Sprintf("invalid ticker %q", req.Ticker), "value_error")
	}
	asset := "opt"
	if a := strings.ToLower(strings.TrimSpace(req.AssetType)); a != "" {
		if asset, ok = assetAliases[a]; !ok {
			v.Add("body", "asset_type", "must be one of opt|eq (aliases: option(s), equity, equities, stock(s))", "enum")
		}
	}
	horizon := lowerOr(req.Horizon, "0dte")
	if !oneOf(horizon, horizons) {
		v.Add("body", "horizon", "must be one of "+strings.Join(horizons, "|"), "enum")
	}
	cadence := lowerOr(req.Cadence, "hourly")
	if !oneOf(cadence, cadences) {
		v.Add("body", "cadence", "must be one of "+strings.Join(cadences, "|"), "enum")
	}
	algo := lowerOr(req.Algo, "gbm")
	if !oneOf(algo, algos) {
		v.Add("body", "algo", "must be one of "+strings.Join(algos, "|"), "enum")
	}
	variant := strings.TrimSpace(req.Variant)
	packID := lowerOr(req.PackID, DefaultPack)
	if !ValidID(packID) {
		v.Add("body", "pack_id", "invalid id", "value_error")
	}
	if req.IndicatorSetName != "" && !ValidID(req.IndicatorSetName) {
		v.Add("body", "indicator_set_name", "invalid name", "value_error")
	}
	modelID := ModelID(ticker, asset, horizon, cadence, variant)
	if err := v.Err(); err != nil {
		return CreateModelResult{}, err
	}
	if !ValidID(modelID) {
		field := "ticker"
		if variant != "" {
			field = "variant"
		}
		return CreateModelResult{}, errs.Field("body", field,
			fmt.Sprintf("model id %q would not be a valid id (^[a-z0-9][a-z0-9_-]{0,63}$)", modelID))
	}
	pack, err := l.Pack(packID)
	if err != nil {
		return CreateModelResult{}, err
	}
	tpl, err := pickTemplate(pack, req.TemplateID, asset, horizon, cadence)
	if err != nil {
		return CreateModelResult{}, err
	}
	var cfg ModelConfig
	pol := policy.Empty()
	tplID := ""
	if tpl != nil {
		tplID = tpl.TemplateID
		cfg = tpl.Config
		if tpl.Policy != nil {
			pol = *tpl.Policy
		}
		cfg.TemplateID, cfg.TemplateVersion = tplID, tpl.TemplateVersion
	} else if p, ok := pack.Policies["default"]; ok {
		pol = p
	}
	cfg.ModelID, cfg.Ticker, cfg.AssetType, cfg.Horizon, cfg.Cadence = modelID, ticker, asset, horizon, cadence
	cfg.Model, cfg.Algo = algo, ""
	if cfg.Task == "" {
		cfg.Task = "classification"
	}
	if variant != "" {
		cfg.Variant = variant
	}
	if req.IndicatorSetName != "" {
		cfg.IndicatorSet, cfg.IndicatorSetName = req.IndicatorSetName, ""
	}
	now := l.now()
	rec, err := l.Configs.CreateModel(ctx,
		ModelRecord{ModelID: modelID, PackID: packID, Config: cfg.Doc(), CreatedAt: now, UpdatedAt: now},
		PolicyRecord{ModelID: modelID, PackID: packID, Policy: pol.Doc(), CreatedAt: now})
	if err != nil {
		return CreateModelResult{}, err
	}
	l.logger().Info("model created", "model_id", modelID, "pack_id", packID, "template_id", tplID)
	return CreateModelResult{ModelID: modelID, PackID: packID, TemplateID: tplID, Message: "created",
		Version: rec.Version, PolicyVersion: 1, Config: cfg, Paths: PathsOf(modelID, packID)}, nil
}

func lowerOr(s, def string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return def
	}
	return s
}

// pickTemplate chooses the scaffold template (nil when the pack has none).
func pickTemplate(p *Pack, templateID, asset, horizon, cadence string) (*ModelTemplate, error) {
	if templateID != "" {
		t, ok := p.Templates[templateID]
		if !ok {
			return nil, fmt.Errorf("template %s not in pack %s: %w", templateID, p.ID, errs.ErrNotFound)
		}
		return &t, nil
	}
	ids := sortedKeys(p.Templates)
	match := func(needHorizon bool) *ModelTemplate {
		for _, id := range ids {
			t := p.Templates[id]
			if t.AssetType == asset && t.Cadence == cadence && (!needHorizon || t.Horizon == horizon) {
				return &t
			}
		}
		return nil
	}
	if t := match(true); t != nil {
		return t, nil
	}
	if t := match(false); t != nil {
		return t, nil
	}
	if t, ok := p.Templates[p.DefaultTemplate]; ok {
		return &t, nil
	}
	if len(ids) > 0 {
		t := p.Templates[ids[0]]
		return &t, nil
	}
	return nil, nil
}

// GetModel returns a model's latest config record.
func (l *Lab) GetModel(ctx context.Context, modelID string) (ModelRecord, error) {
	return l.Configs.GetModel(ctx, modelID)
}

// ListModels lists stored models ordered by (pack_id, model_id).
func (l *Lab) ListModels(ctx context.Context, packID string, offset, limit int) ([]ModelRecord, int, error) {
	return l.Configs.ListModels(ctx, packID, offset, limit)
}

// PatchModel merges patch into the model's config as a JSON merge patch
// (RFC 7396) and stores the result as a new version: an object merges into
// the object it meets at every depth (siblings of the keys it names are kept),
// null deletes the key, any other value (a list, a number, a string) replaces
// it. The endpoint map says "shallow merge"; a deep one is chosen because
// configs nest three levels (features.flow.distance_max,
// labels.params.k_sigma) and a client sending one setting should not wipe its
// neighbours. packID, when set, must be the model's pack.
func (l *Lab) PatchModel(ctx context.Context, modelID, packID string, patch map[string]any) (ModelRecord, error) {
	rec, err := l.Configs.GetModel(ctx, modelID)
	if err != nil {
		return ModelRecord{}, err
	}
	if packID != "" && packID != rec.PackID {
		return ModelRecord{}, fmt.Errorf("model %s is in pack %s, not %s: %w", modelID, rec.PackID, packID, errs.ErrNotFound)
	}
	merged := doc.Copy(rec.Config)
	cfgDoc, _ := merged.(map[string]any)
	if cfgDoc == nil {
		cfgDoc = map[string]any{}
	}
	mergePatch(cfgDoc, patch)
	cfgDoc["model_id"] = modelID // the id is the key; a patch cannot rename it
	cfg, pr := DecodeModelConfig(cfgDoc)
	// A problem under a key the patch sets is the caller's (422 on
	// body.config…); one under a key it leaves alone was stored before.
	var mine, stored []errs.FieldError
	for _, f := range pr.Fields {
		if _, ok := patch[f.Loc[0]]; ok {
			mine = append(mine, f)
		} else {
			stored = append(stored, f)
		}
	}
	if len(mine) > 0 {
		return ModelRecord{}, (&doc.Problems{Fields: mine}).Err("body", "config")
	}
	if len(stored) > 0 {
		return ModelRecord{}, &StoredInvalidError{What: "model config", ModelID: modelID, Version: rec.Version, Fields: stored,
			Fix: "send valid values for these keys in the PATCH"}
	}
	rec.Config = cfg.Doc()
	rec.UpdatedAt = l.now()
	return l.Configs.PutModel(ctx, rec)
}

// mergePatch applies patch to dst in place as an RFC 7396 merge patch.
func mergePatch(dst, patch map[string]any) {
	for k, nv := range patch {
		if nv == nil {
			delete(dst, k)
			continue
		}
		if nm, ok := nv.(map[string]any); ok {
			om, ok := dst[k].(map[string]any)
			if !ok {
				om = map[string]any{}
			}
			mergePatch(om, nm)
			dst[k] = om
			continue
		}
		dst[k] = doc.Copy(nv)
	}
}

// resolvePack picks the pack of a (pack, model) lookup: the explicit one, else
// the stored model's pack, else DefaultPack (also when the Lab has no config
// store, as in engine-only tests).
func (l *Lab) resolvePack(ctx context.Context, modelID, packID string) (string, error) {
	if packID != "" {
		return packID, nil
	}
	if l.Configs == nil {
		return DefaultPack, nil
	}
	rec, err := l.Configs.GetModel(ctx, modelID)
	if err == nil {
		return rec.PackID, nil
	}
	if errors.Is(err, errs.ErrNotFound) {
		return DefaultPack, nil
	}
	return "", err
}

// GetModelConfig returns the model's config; packID "" means the model's own pack.
func (l *Lab) GetModelConfig(ctx context.Context, modelID, packID string) (ModelRecord, error) {
	rec, err := l.Configs.GetModel(ctx, modelID)
	if err != nil {
		return ModelRecord{}, err
	}
	if packID != "" && packID != rec.PackID {
		return ModelRecord{}, fmt.Errorf("model_config %s/%s: %w", packID, modelID, errs.ErrNotFound)
	}
	return rec, nil
}

// PutModelConfig replaces the whole config (new version; creating the model
// if needed). An unknown pack is ErrNotFound; an invalid config is a 422
// located under body.config, and nothing is stored.
func (l *Lab) PutModelConfig(ctx context.Context, packID, modelID string, cfg map[string]any) (ModelRecord, error) {
	if _, err := l.Pack(packID); err != nil {
		return ModelRecord{}, err
	}
	d, _ := doc.Copy(cfg).(map[string]any)
	if d == nil {
		d = map[string]any{}
	}
	d["model_id"] = modelID // the id is the key, as in PatchModel
	c, pr := DecodeModelConfig(d)
	if err := pr.Err("body", "config"); err != nil {
		return ModelRecord{}, err
	}
	now := l.now()
	return l.Configs.PutModel(ctx, ModelRecord{ModelID: modelID, PackID: packID, Config: c.Doc(), CreatedAt: now, UpdatedAt: now})
}

// GetPolicy returns the latest stored policy of a model.
func (l *Lab) GetPolicy(ctx context.Context, modelID, packID string) (PolicyRecord, error) {
	pack, err := l.resolvePack(ctx, modelID, packID)
	if err != nil {
		return PolicyRecord{}, err
	}
	return l.Configs.LatestPolicy(ctx, pack, modelID)
}

// PutPolicy validates and stores a policy (new version when bump, else in
// place). An unknown pack is ErrNotFound; an invalid policy is a 422 located
// under body.policy (e.g. body.policy.execution.slippage_bps), and nothing
// is stored.
func (l *Lab) PutPolicy(ctx context.Context, modelID, packID string, d map[string]any, bump bool) (PolicyRecord, error) {
	if packID != "" {
		if _, err := l.Pack(packID); err != nil {
			return PolicyRecord{}, err
		}
	}
	pol, pr := policy.Decode(d)
	if err := pr.Err("body", "policy"); err != nil {
		return PolicyRecord{}, err
	}
	pack, err := l.resolvePack(ctx, modelID, packID)
	if err != nil {
		return PolicyRecord{}, err
	}
	return l.Configs.PutPolicy(ctx, PolicyRecord{ModelID: modelID, PackID: pack, Policy: pol.Doc(), CreatedAt: l.now()}, bump)
}

// PolicyExplanation is GET /policy/explain: the verdict plus where the
// policy came from, the document explained and its human-readable notes.
type PolicyExplanation struct {
	policy.Explanation
	ModelID       string `json:"model_id"`
	PackID        string `json:"pack_id"`
	Source        string `json:"source"` // store | pack | none
	PolicyVersion int    `json:"policy_version,omitempty"`
	// Policy is the document explained: the stored one (source store), the
	// pack's built-in one (source pack), or null (source none).
	Policy map[string]any `json:"policy"`
	// Notes expand the effective execution and risk settings into sentences
	// ("slippage 1 bp per trade, …", "brackets: stop 1.5×ATR(14), …").
	Notes []string `json:"notes"`
}

// ExplainPolicy validates the model's policy (stored, else the pack's
// policy_templates/<model>.yaml) and derives the effective execution. A
// stored policy that no longer validates (written by an older version) is
// reported here: schema_ok false with its errors.
func (l *Lab) ExplainPolicy(ctx context.Context, modelID, packID string) (PolicyExplanation, error) {
	pack, err := l.resolvePack(ctx, modelID, packID)
	if err != nil {
		return PolicyExplanation{}, err
	}
	out := PolicyExplanation{ModelID: modelID, PackID: pack, Source: "none"}
	var v any
	rec, err := l.Configs.LatestPolicy(ctx, pack, modelID)
	switch {
	case err == nil:
		v, out.Source, out.PolicyVersion, out.Policy = rec.Policy, "store", rec.Version, rec.Policy
	case errors.Is(err, errs.ErrNotFound):
		if p, perr := l.Pack(pack); perr == nil {
			if d, ok := p.Policies[modelID]; ok {
				out.Policy = d.Doc()
				v, out.Source = out.Policy, "pack"
			}
		}
	default:
		return PolicyExplanation{}, err
	}
	out.Explanation = policy.Explain(v, pack+"/policy_templates/"+modelID+".yaml")
	out.Notes = policyNotes(v, out.ExecutionEffective)
	return out, nil
}

// policyNotes are the sentences of GET /policy/explain: where the settings
// come from, the execution, the gate a backtest must pass and the risk limits.
func policyNotes(v any, eff policy.EffectiveExecution) []string {
	var pol policy.Policy
	notes := []string{}
	if v == nil {
		notes = append(notes, "no policy stored: the defaults below apply")
	} else {
		pol, _ = policy.Decode(v)
	}
	notes = append(notes, policy.ExecutionNotes(eff)...)
	g := gateBounds(pol, "")
	gn := fmt.Sprintf("gate: a backtest passes with at least %d positions and a deflated Sharpe ≥ %s", g.MinTrades,
		strconv.FormatFloat(g.MinDSR, 'f', -1, 64))
	if r := pol.Risk; r != nil && (r.MinTrades != nil || r.MinDSR != nil) {
		gn += " (this policy's risk.min_trades / risk.min_dsr, for every risk profile)"
	} else {
		gn += " (balanced risk profile; a request's risk_profile changes these)"
	}
	notes = append(notes, gn)
	return append(notes, policy.RiskNotes(pol.Risk)...)
}

// GetIndicatorSet returns the latest indicator set: by model (scope model) when
// modelID is set, else by name (scope pack, falling back to the pack's built-in
// set of that name).
func (l *Lab) GetIndicatorSet(ctx context.Context, packID, modelID, name string) (IndicatorSetRecord, error) {
	if modelID != "" {
		return l.Configs.LatestIndicatorSet(ctx, packID, ScopeModel, modelID)
	}
	rec, err := l.Configs.LatestIndicatorSet(ctx, packID, ScopePack, name)
	if !errors.Is(err, errs.ErrNotFound) {
		return rec, err
	}
	p, perr := l.Pack(packID)
	if perr != nil {
		return IndicatorSetRecord{}, err
	}
	d, ok := p.IndicatorSets[name]
	if !ok {
		return IndicatorSetRecord{}, err
	}
	ver := 1
	if n, ok := d["version"].(int); ok {
		ver = n
	}
	return IndicatorSetRecord{PackID: packID, Scope: ScopePack, Key: name, Version: ver, Data: d}, nil
}

// PutIndicatorSet validates the set against the indicator registry (unknown
// names or bad parameters are a 422 on body.data naming them) and appends a
// new version. An unknown pack is ErrNotFound.
func (l *Lab) PutIndicatorSet(ctx context.Context, rec IndicatorSetRecord) (IndicatorSetRecord, error) {
	if _, err := l.Pack(rec.PackID); err != nil {
		return IndicatorSetRecord{}, err
	}
	if _, err := indicators.SetFromMap(rec.Data); err != nil {
		return IndicatorSetRecord{}, errs.Field("body", "data", err.Error())
	}
	if _, ok := rec.Data["name"]; !ok && rec.Scope == ScopePack {
		rec.Data["name"] = rec.Key
	}
	rec.CreatedAt = l.now()
	return l.Configs.PutIndicatorSet(ctx, rec)
}

// ModelSummary is one row of GET /models.
type ModelSummary struct {
	ID        string `json:"id"`
	PackID    string `json:"pack_id"`
	Version   int    `json:"version"`
	Ticker    string `json:"ticker,omitempty"`
	AssetType string `json:"asset_type,omitempty"`
	Horizon   string `json:"horizon,omitempty"`
	Cadence   string `json:"cadence,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
	Path      string `json:"path"` // API URL of the stored config (GET /model_config)
}

// Summarize turns records into listing rows.
func Summarize(recs []ModelRecord) []ModelSummary {
	out := make([]ModelSummary, 0, len(recs))
	for _, r := range recs {
		c, _ := DecodeModelConfig(r.Config) // a listing shows what it can of an invalid stored config
		s := ModelSummary{ID: r.ModelID, PackID: r.PackID, Version: r.Version,
			Ticker: c.Ticker, AssetType: c.AssetType, Horizon: c.Horizon, Cadence: c.Cadence,
			Path: ModelConfigURL(r.ModelID, r.PackID)}
		if !r.UpdatedAt.IsZero() {
			s.UpdatedAt = r.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].PackID != out[j].PackID {
			return out[i].PackID < out[j].PackID
		}
		return out[i].ID < out[j].ID
	})
	return out
}
