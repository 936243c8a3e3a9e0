package engine

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"sigmalab/engine/doc"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/matrix"
	"sigmalab/engine/policy"
)

// ModelConfig is a model's configuration document, decoded (pack YAML,
// PUT /model_config, PATCH /models, the config store). The engine reads its
// fields; keys it does not know are kept in Extra (and the Extra of each
// block), so Decode followed by Doc loses nothing but nulls and empty
// strings, which mean "absent".
//
// Naming fields are normalised on decode: ticker upper-case, asset_type
// resolved to opt|eq, horizon, cadence and session lower-case.
type ModelConfig struct {
	ModelID   string
	Ticker    string // optional; a build falls back to SPY
	AssetType string // opt | eq (aliases option(s), equity, equities, stock(s)); empty means opt
	Horizon   string // 0dte | intraday | swing | long
	Cadence   string // hourly | daily; empty means hourly
	Session   string // rth | extended (daily rows from extended-hours bars)
	// IndicatorSet names the pack-scope indicator set (key indicator_set);
	// IndicatorSetName is the older key of the same thing and wins when set.
	IndicatorSet     string
	IndicatorSetName string
	// Model and Algo name the learner (gbm; xgb and gbdt are older names of
	// the same GBDT; logreg is accepted and not trainable; xgboost and
	// lightgbm are refused, see learnerField).
	Model           string
	Algo            string
	Task            string // informational (classification)
	Variant         string
	TemplateID      string
	TemplateVersion *int
	Notes           string
	DistanceMax     *int // strikes each side of ATM in the flow features, 1..50 (overrides features.flow.distance_max)
	// Hyperparams are GBDT settings (checked by ApplyHyperparams): a
	// free-form object because configs also carry XGBoost-only keys.
	Hyperparams map[string]any
	Features    FeatureSpec
	Labels      *LabelSpec
	TrainWindow *TrainWindow
	Extra       map[string]any
}

// FeatureSpec is the config's features: a list of column names, or flags
// per family (see SelectFeatures), or nothing (the default prefix rule).
type FeatureSpec struct {
	List         []string // the list form; nil otherwise
	IsList       bool
	Flow         *FlowFeatures
	Dealer       *DealerFeatures
	OI           *IncludeFlag
	Time         *TimeFeatures
	Momentum     *HorizonFeatures
	Volatility   *HorizonFeatures
	IndicatorSet string // older place of the indicator set's name
	Extra        map[string]any
	isObject     bool // the flags form (possibly empty)
}

// FlowFeatures selects option-flow columns (defaults: per_distance, totals and ratios on).
type FlowFeatures struct {
	PerDistance, Totals, Ratios, ATM *bool
	DistanceMax                      *int // 1..50
	Extra                            map[string]any
}

// DealerFeatures selects dealer-positioning columns.
type DealerFeatures struct {
	MMProfitDirSimple, DivergenceScore, SoldPremiumInferred *bool
	Extra                                                   map[string]any
}

// IncludeFlag is a block with one include switch (features.oi).
type IncludeFlag struct {
	Include *bool
	Extra   map[string]any
}

// TimeFeatures selects calendar columns.
type TimeFeatures struct {
	DayOfWeek, HourOfDay *bool
	Extra                map[string]any
}

// HorizonFeatures selects close_mom_<h> / close_vol_<h> columns.
type HorizonFeatures struct {
	Include        *bool
	HourlyHorizons []int // each ≥ 1
	Extra          map[string]any
}

// LabelSpec is the labels block (`labels: {kind, params:{…}}`), or the
// legacy `label: {type, horizon}` one; the parameters may sit in a params
// object or directly in the block.
type LabelSpec struct {
	Kind    string // next_hour, fwd_ret_{N}d, close_to_open, headfake_reversal, pin_drift, none (and aliases)
	Target  string // with kind regression: the label kind meant
	Horizon *int   // legacy, informational
	Params  LabelParams
	Extra   map[string]any
	legacy  bool // the block was `label:`
	typeKey bool // the kind was under `type`
	inline  bool // parameters sat in the block, not under params
}

// LabelParams are the labellers' settings (see matrix.LabelConfig).
type LabelParams struct {
	KSigma             *float64 // 0..100
	FixedBP            *float64 // ≥ 0
	ThresholdBP        *float64 // ≥ 0; FLAT band in basis points
	Band               *float64 // ≥ 0; FLAT band as a fraction
	OpenTime           string   // HH:MM
	WindowEnd          string   // HH:MM
	DriftStartTime     string   // HH:MM
	MinOpenMoveATR     *float64
	MinReversalMoveATR *float64
	MinPullATR         *float64
	Extra              map[string]any
}

// TrainWindow is informational (echoed in cards).
type TrainWindow struct {
	Start, End string // YYYY-MM-DD
	Extra      map[string]any
}

var (
	horizons  = []string{"0dte", "intraday", "swing", "long"}
	cadences  = []string{"hourly", "daily"}
	sessions  = []string{"rth", "extended"}
	algoNames = []string{"gbm", "xgb", "gbdt", "logreg"}
	clockRe   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// DecodeModelConfig reads a model config document. It never fails: every
// problem is returned located inside the document (["cadence"],
// ["labels","params","k_sigma"], …) and the value holds what could be read.
func DecodeModelConfig(v any) (ModelConfig, *doc.Problems) {
	var c ModelConfig
	pr := &doc.Problems{}
	r := doc.Object(v, pr)
	if r == nil {
		return c, pr
	}
	c.ModelID = r.Str("model_id")
	if t := r.Str("ticker"); t != "" {
		var ok bool
		if c.Ticker, ok = NormalizeTicker(t); !ok {
			r.Fail("ticker", fmt.Sprintf("invalid ticker %q: must match ^[A-Z][A-Z0-9.-]{0,9}$ after upper-casing", t), "value_error")
		}
	}
	if a := strings.ToLower(strings.TrimSpace(r.Str("asset_type"))); a != "" {
		var ok bool
		if c.AssetType, ok = assetAliases[a]; !ok {
			r.Fail("asset_type", "must be one of opt|eq (aliases: option(s), equity, equities, stock(s))", "value_error.enum")
		}
	}
	c.Horizon = enumField(r, "horizon", horizons)
	c.Cadence = enumField(r, "cadence", cadences)
	c.Session = enumField(r, "session", sessions)
	c.IndicatorSet = idField(r, "indicator_set")
	c.IndicatorSetName = idField(r, "indicator_set_name")
	c.Model = learnerField(r, "model")
	c.Algo = learnerField(r, "algo")
	c.Task = r.Str("task")
	c.Variant = r.Str("variant")
	c.TemplateID = r.Str("template_id")
	c.TemplateVersion = r.Int("template_version")
	c.Notes = r.Str("notes")
	if c.DistanceMax = r.Int("distance_max"); c.DistanceMax != nil && (*c.DistanceMax < 1 || *c.DistanceMax > 50) {
		r.Fail("distance_max", "must be an integer in [1, 50]", "value_error.number")
	}
	c.Hyperparams = r.Map("hyperparams")
	if c.Hyperparams != nil {
		if _, _, err := ApplyHyperparams(gbdt.DefaultParams(), c.Hyperparams, ""); err != nil {
			if ve, ok := err.(*Validation); ok {
				for _, f := range ve.Fields {
					pr.Add(f.Loc[1:], f.Msg, f.Type) // ApplyHyperparams prefixes its loc argument
				}
			} else {
				r.Fail("hyperparams", err.Error(), "value_error")
			}
		}
	}
	c.Features = decodeFeatures(r, pr)
	switch {
	case r.Has("labels"):
		c.Labels = decodeLabels(r.Obj("labels"), false)
	case r.Has("label"):
		c.Labels = decodeLabels(r.Obj("label"), true)
	}
	if c.Labels != nil {
		if _, _, err := matrix.ParseLabelKind(c.Labels.kind()); err != nil {
			key := "labels"
			if c.Labels.legacy {
				key = "label"
			}
			pr.Add([]string{key, c.Labels.kindKey()}, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()), "value_error.enum")
		}
	}
	if w := r.Obj("train_window"); w != nil {
		c.TrainWindow = &TrainWindow{Start: dateField(w, "start"), End: dateField(w, "end")}
		c.TrainWindow.Extra = w.Rest()
	}
	c.Extra = r.Rest()
	return c, pr
}

func enumField(r *doc.Reader, key string, allowed []string) string {
	s := strings.ToLower(strings.TrimSpace(r.Str(key)))
	if s != "" && !oneOf(s, allowed) {
		r.Fail(key, "must be one of "+strings.Join(allowed, "|"), "value_error.enum")
	}
	return s
}

// foreignLearners are learners a config may name that we do not train: a
// config asking for them is refused rather than silently trained as our GBDT.
var foreignLearners = []string{"xgboost", "lightgbm"}

// learnerField reads model or algo (see ModelConfig.Algo).
func learnerField(r *doc.Reader, key string) string {
	s := strings.ToLower(strings.TrimSpace(r.Str(key)))
	if oneOf(s, foreignLearners) {
		r.Fail(key, fmt.Sprintf("we train gbm (our own GBDT), not %s: set %s: gbm, train, then export the model to "+
			"XGBoost's JSON format with GET /models/{model_id}/export?format=xgboost", s, key), "value_error.enum")
		return s
	}
	return strings.ToLower(enumField(r, key, algoNames))
}

func idField(r *doc.Reader, key string) string {
	s := strings.TrimSpace(r.Str(key))
	if s != "" && !ValidID(s) {
		r.Fail(key, fmt.Sprintf("invalid name %q: must match ^[a-z0-9][a-z0-9_-]{0,63}$", s), "value_error")
	}
	return s
}

func dateField(r *doc.Reader, key string) string {
	s := r.Str(key)
	if s != "" {
		if _, ok := ParseDate(s); !ok {
			r.Fail(key, "must be a date YYYY-MM-DD", "value_error.date")
		}
	}
	return s
}

func clockField(r *doc.Reader, key string) string {
	s := r.Str(key)
	if s != "" && !clockRe.MatchString(s) {
		r.Fail(key, "must be a time HH:MM", "value_error.time")
	}
	return s
}

func nonNegative(r *doc.Reader, key string, v *float64, hi float64) *float64 {
	if v != nil && (*v < 0 || *v > hi) {
		r.Fail(key, fmt.Sprintf("must be in [0, %g]", hi), "value_error.number")
	}
	return v
}

func decodeFeatures(r *doc.Reader, pr *doc.Problems) FeatureSpec {
	var f FeatureSpec
	raw, ok := r.Raw("features")
	if !ok {
		return f
	}
	switch raw.(type) {
	case []any:
		f.IsList = true
		f.List = doc.StringList(raw, pr, r.Loc("features"))
		return f
	case map[string]any:
	default:
		pr.Add(r.Loc("features"), "must be a list of column names or an object of feature flags", "type_error")
		return f
	}
	fr := doc.Object(raw, pr, r.Loc("features")...)
	f.isObject = true
	if b := fr.Obj("flow"); b != nil {
		f.Flow = &FlowFeatures{PerDistance: b.Bool("per_distance"), Totals: b.Bool("totals"), Ratios: b.Bool("ratios"),
			ATM: b.Bool("atm"), DistanceMax: b.Int("distance_max")}
		if d := f.Flow.DistanceMax; d != nil && (*d < 1 || *d > 50) {
			b.Fail("distance_max", "must be an integer in [1, 50]", "value_error.number")
		}
		f.Flow.Extra = b.Rest()
	}
	if b := fr.Obj("dealer"); b != nil {
		f.Dealer = &DealerFeatures{MMProfitDirSimple: b.Bool("mm_profit_dir_simple"), DivergenceScore: b.Bool("divergence_score"),
			SoldPremiumInferred: b.Bool("sold_premium_inferred")}
		f.Dealer.Extra = b.Rest()
	}
	if b := fr.Obj("oi"); b != nil {
		f.OI = &IncludeFlag{Include: b.Bool("include")}
		f.OI.Extra = b.Rest()
	}
	if b := fr.Obj("time"); b != nil {
		f.Time = &TimeFeatures{DayOfWeek: b.Bool("day_of_week"), HourOfDay: b.Bool("hour_of_day")}
		f.Time.Extra = b.Rest()
	}
	f.Momentum = decodeHorizons(fr.Obj("momentum"))
	f.Volatility = decodeHorizons(fr.Obj("volatility"))
	f.IndicatorSet = idField(fr, "indicator_set")
	f.Extra = fr.Rest()
	return f
}

func decodeHorizons(b *doc.Reader) *HorizonFeatures {
	if b == nil {
		return nil
	}
	h := &HorizonFeatures{Include: b.Bool("include"), HourlyHorizons: b.Ints("hourly_horizons")}
	for _, x := range h.HourlyHorizons {
		if x < 1 || x > 1000 {
			b.Fail("hourly_horizons", "horizons must be integers in [1, 1000]", "value_error.number")
			break
		}
	}
	h.Extra = b.Rest()
	return h
}

func decodeLabels(b *doc.Reader, legacy bool) *LabelSpec {
	if b == nil {
		return nil
	}
	l := &LabelSpec{legacy: legacy}
	if b.Has("kind") {
		l.Kind = b.Str("kind")
	} else if b.Has("type") {
		l.Kind, l.typeKey = b.Str("type"), true
	}
	l.Horizon = b.Int("horizon")
	p := b
	if b.Has("params") {
		p = b.Obj("params")
	} else {
		l.inline = true
	}
	if p != nil {
		l.Target = p.Str("target")
		l.Params = LabelParams{
			KSigma:             nonNegative(p, "k_sigma", p.Float("k_sigma"), 100),
			FixedBP:            nonNegative(p, "fixed_bp", p.Float("fixed_bp"), 1e5),
			ThresholdBP:        nonNegative(p, "threshold_bp", p.Float("threshold_bp"), 1e5),
			Band:               nonNegative(p, "band", p.Float("band"), 1),
			OpenTime:           clockField(p, "open_time"),
			WindowEnd:          clockField(p, "window_end"),
			DriftStartTime:     clockField(p, "drift_start_time"),
			MinOpenMoveATR:     nonNegative(p, "min_open_move_atr", p.Float("min_open_move_atr"), 100),
			MinReversalMoveATR: nonNegative(p, "min_reversal_move_atr", p.Float("min_reversal_move_atr"), 100),
			MinPullATR:         nonNegative(p, "min_pull_atr", p.Float("min_pull_atr"), 100),
		}
		if !l.inline {
			l.Params.Extra = p.Rest()
		}
	}
	l.Extra = b.Rest()
	return l
}

func (l *LabelSpec) kindKey() string {
	if l.typeKey {
		return "type"
	}
	return "kind"
}

// kind is the label kind meant: Target when Kind says regression.
func (l *LabelSpec) kind() string {
	if l.Target != "" && l.Kind == "regression" {
		return l.Target
	}
	return l.Kind
}

// LabelConfig is the labelling the config asks for (zero when it has no
// labels block).
func (c ModelConfig) LabelConfig() matrix.LabelConfig {
	var lc matrix.LabelConfig
	l := c.Labels
	if l == nil {
		return lc
	}
	lc.Kind = l.kind()
	p := l.Params
	if p.KSigma != nil {
		lc.KSigma = *p.KSigma
	}
	if p.FixedBP != nil {
		v := *p.FixedBP
		lc.FixedBP = &v
	}
	if p.ThresholdBP != nil && *p.ThresholdBP > 0 {
		lc.Band = *p.ThresholdBP / 1e4
	}
	if p.Band != nil && *p.Band > 0 {
		lc.Band = *p.Band
	}
	lc.OpenTime, lc.WindowEnd, lc.DriftStartTime = p.OpenTime, p.WindowEnd, p.DriftStartTime
	if p.MinOpenMoveATR != nil {
		lc.MinOpenMoveATR = *p.MinOpenMoveATR
	}
	if p.MinReversalMoveATR != nil {
		lc.MinReversalMoveATR = *p.MinReversalMoveATR
	}
	if p.MinPullATR != nil {
		lc.MinPullATR = *p.MinPullATR
	}
	return lc
}

// IndicatorSetRef is the name of the config's indicator set
// (indicator_set_name, else indicator_set, else features.indicator_set).
func (c ModelConfig) IndicatorSetRef() string {
	for _, s := range []string{c.IndicatorSetName, c.IndicatorSet, c.Features.IndicatorSet} {
		if s != "" {
			return s
		}
	}
	return ""
}

// Learner is the config's algorithm (algo, else model); "" means the default.
func (c ModelConfig) Learner() string {
	if c.Algo != "" {
		return c.Algo
	}
	return c.Model
}

// Doc is the config as a generic document (the stored and wire form).
func (c ModelConfig) Doc() map[string]any {
	w := doc.NewWriter()
	w.Set("model_id", c.ModelID)
	w.Set("ticker", c.Ticker)
	w.Set("asset_type", c.AssetType)
	w.Set("horizon", c.Horizon)
	w.Set("cadence", c.Cadence)
	w.Set("session", c.Session)
	w.Set("indicator_set", c.IndicatorSet)
	w.Set("indicator_set_name", c.IndicatorSetName)
	w.Set("model", c.Model)
	w.Set("algo", c.Algo)
	w.Set("task", c.Task)
	w.Set("variant", c.Variant)
	w.Set("template_id", c.TemplateID)
	w.Set("template_version", c.TemplateVersion)
	w.Set("notes", c.Notes)
	w.Set("distance_max", c.DistanceMax)
	w.Set("hyperparams", c.Hyperparams)
	if f := c.Features.doc(); f != nil {
		w.Set("features", f)
	}
	if l := c.Labels; l != nil {
		key := "labels"
		if l.legacy {
			key = "label"
		}
		w.Set(key, l.doc())
	}
	if t := c.TrainWindow; t != nil {
		tw := doc.NewWriter()
		tw.Set("start", t.Start)
		tw.Set("end", t.End)
		tw.Extra(t.Extra)
		w.Set("train_window", tw.Doc())
	}
	w.Extra(c.Extra)
	return w.Doc()
}

func (f FeatureSpec) doc() any {
	if f.IsList {
		return append([]string{}, f.List...)
	}
	w := doc.NewWriter()
	if b := f.Flow; b != nil {
		bw := doc.NewWriter()
		bw.Set("per_distance", b.PerDistance)
		bw.Set("totals", b.Totals)
		bw.Set("ratios", b.Ratios)
		bw.Set("atm", b.ATM)
		bw.Set("distance_max", b.DistanceMax)
		bw.Extra(b.Extra)
		w.Set("flow", bw.Doc())
	}
	if b := f.Dealer; b != nil {
		bw := doc.NewWriter()
		bw.Set("mm_profit_dir_simple", b.MMProfitDirSimple)
		bw.Set("divergence_score", b.DivergenceScore)
		bw.Set("sold_premium_inferred", b.SoldPremiumInferred)
		bw.Extra(b.Extra)
		w.Set("dealer", bw.Doc())
	}
	if b := f.OI; b != nil {
		bw := doc.NewWriter()
		bw.Set("include", b.Include)
		bw.Extra(b.Extra)
		w.Set("oi", bw.Doc())
	}
	if b := f.Time; b != nil {
		bw := doc.NewWriter()
		bw.Set("day_of_week", b.DayOfWeek)
		bw.Set("hour_of_day", b.HourOfDay)
		bw.Extra(b.Extra)
		w.Set("time", bw.Doc())
	}
	for key, b := range map[string]*HorizonFeatures{"momentum": f.Momentum, "volatility": f.Volatility} {
		if b != nil {
			bw := doc.NewWriter()
			bw.Set("include", b.Include)
			bw.Set("hourly_horizons", b.HourlyHorizons)
			bw.Extra(b.Extra)
			w.Set(key, bw.Doc())
		}
	}
	w.Set("indicator_set", f.IndicatorSet)
	w.Extra(f.Extra)
	if len(w.Doc()) == 0 && !f.isObject {
		return nil
	}
	return w.Doc()
}

func (l *LabelSpec) doc() map[string]any {
	w := doc.NewWriter()
	w.Set(l.kindKey(), l.Kind)
	w.Set("horizon", l.Horizon)
	p := doc.NewWriter()
	p.Set("target", l.Target)
	p.Set("k_sigma", l.Params.KSigma)
	p.Set("fixed_bp", l.Params.FixedBP)
	p.Set("threshold_bp", l.Params.ThresholdBP)
	p.Set("band", l.Params.Band)
	p.Set("open_time", l.Params.OpenTime)
	p.Set("window_end", l.Params.WindowEnd)
	p.Set("drift_start_time", l.Params.DriftStartTime)
	p.Set("min_open_move_atr", l.Params.MinOpenMoveATR)
	p.Set("min_reversal_move_atr", l.Params.MinReversalMoveATR)
	p.Set("min_pull_atr", l.Params.MinPullATR)
	p.Extra(l.Params.Extra)
	if l.inline {
		for k, v := range p.Doc() {
			w.Set(k, v)
		}
	} else {
		w.Set("params", p.Doc())
	}
	w.Extra(l.Extra)
	return w.Doc()
}

// MarshalJSON writes the document (see Doc).
func (c ModelConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.Doc()) }

// UnmarshalJSON decodes a document; any problem is a validation error
// located inside the document.
func (c *ModelConfig) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	dec, pr := DecodeModelConfig(v)
	if err := pr.Err(); err != nil {
		return err
	}
	*c = dec
	return nil
}

// StoredInvalidError is a stored model config or policy that does not
// validate (written by an older version, or straight into the store). It is
// not the caller's request that is wrong, so it is a conflict with the stored
// state (409), never a 422 on a body field the caller did not send.
type StoredInvalidError struct {
	What    string // "model config" or "policy"
	ModelID string
	Version int
	Fields  []FieldError // located inside the stored document
	Fix     string       // how to repair it
}

func (e *StoredInvalidError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, doc.Path(f.Loc)+": "+f.Msg)
	}
	return fmt.Sprintf("the stored %s of model %s (version %d) is invalid: %s; %s", e.What, e.ModelID, e.Version,
		strings.Join(parts, "; "), e.Fix)
}

// Unwrap makes the error a conflict (errors.Is(err, ErrConflict)).
func (e *StoredInvalidError) Unwrap() error { return ErrConflict }

// storedConfig decodes a stored model config; an invalid one is a StoredInvalidError.
func storedConfig(rec ModelRecord) (ModelConfig, error) {
	c, pr := DecodeModelConfig(rec.Config)
	if len(pr.Fields) > 0 {
		return c, &StoredInvalidError{What: "model config", ModelID: rec.ModelID, Version: rec.Version, Fields: pr.Fields,
			Fix: "fix it with PATCH /models/" + rec.ModelID + " or PUT /model_config"}
	}
	return c, nil
}

// storedPolicy decodes a stored policy (the zero record, a model without a
// policy, is the empty policy: every default); an invalid one is a
// StoredInvalidError. A missing section only means its defaults to a run
// (writes and /policy/explain still insist on all three).
func storedPolicy(rec PolicyRecord) (policy.Policy, error) {
	if rec.Policy == nil {
		return policy.Policy{}, nil
	}
	p, pr := policy.Decode(rec.Policy)
	var bad []FieldError
	for _, f := range pr.Fields {
		if f.Type != policy.MissingSection {
			bad = append(bad, f)
		}
	}
	if len(bad) > 0 {
		return p, &StoredInvalidError{What: "policy", ModelID: rec.ModelID, Version: rec.Version, Fields: bad,
			Fix: "fix it with PUT /policy (GET /policy/explain shows every error)"}
	}
	return p, nil
}
