package engine

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sigmalab/engine/doc"
	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/matrix"
)

// defaultFeaturePrefixes and defaultFeatureNames are the predecessor's
// select_features: columns matching the prefixes, prefix by prefix in matrix
// order, then whichever named columns exist.
var (
	defaultFeaturePrefixes = []string{matrix.CallsSoldPrefix, matrix.PutsSoldPrefix, "close_mom_", "close_vol_", "bb_mid_",
		"bb_upper_", "bb_lower_", "macd_", "plus_di_", "minus_di_", "adx_", "atr_", "obv", "rsi_", "ema_",
		"dist_ema", "stoch_", "cci_", "williams_r_", "iv_"}
	defaultFeatureNames = []string{"calls_sold_total", "puts_sold_total", "pc_ratio", "imbalance", "day_of_week",
		"hour_et", "atm_calls", "atm_puts", "atm_pc_ratio", "atm_imbalance", "vwap_d", "vwap_intraday",
		"momentum_score_total"}
)

// MaxTargetClasses caps the classes of a training target. Labels have a
// handful (UP/DOWN/FLAT); a price or return column named as the target would
// give one class per distinct value, and softmax cost grows with each class.
const MaxTargetClasses = 20

// labelName reports names that hold class labels even when stored as numbers
// (a 1/0 or 1/0/-1 y of an imported matrix).
func labelName(name string) bool {
	n := strings.ToLower(name)
	return n == matrix.LabelCol || n == matrix.SynLabelCol || strings.HasPrefix(n, "label")
}

// trainNonFeature reports columns that must never be features because they
// hold the label or information from after the row (the realised forward
// return, also under its predecessor names ret_next_hour and
// ret_close_to_open, which imported matrices carry without lineage), plus
// every column the build listed as a label column.
func trainNonFeature(m *matrix.Matrix, name, target string) bool {
	n := strings.ToLower(name)
	if name == target || labelName(name) || n == matrix.T1Col || strings.HasPrefix(n, matrix.RetFwdCol) ||
		strings.Contains(n, "fwd_") || n == matrix.RetNextHourCol || n == matrix.RetCloseToOpenCol {
		return true
	}
	if lc := m.Meta["label_columns"]; lc != "" {
		return slices.Contains(strings.Split(lc, ","), name)
	}
	return false
}

// ResolveFeatures is the feature list of a training or backtest request:
// SelectFeatures over the model config's features when the request names
// none, else the request's list, which must name numeric matrix columns that
// are not labels or outcomes (422 on body.features naming the offenders).
func ResolveFeatures(m *matrix.Matrix, configured FeatureSpec, explicit []string, target string) ([]string, error) {
	if imported := m.Meta[ImportFeaturesMeta]; len(explicit) == 0 && imported != "" {
		explicit = strings.Split(imported, ",") // an imported matrix's own features, not the config's selection
	}
	if len(explicit) == 0 {
		feats := SelectFeatures(m, configured, target)
		if len(feats) == 0 {
			return nil, fmt.Errorf("matrix has no feature columns: %w", errs.ErrNoData)
		}
		return feats, nil
	}
	var out, missing, banned []string
	for _, f := range explicit {
		f = strings.TrimSpace(f)
		switch {
		case f == "" || slices.Contains(out, f):
		case featureColumn(m, f) == nil:
			missing = append(missing, f)
		case trainNonFeature(m, f, target):
			banned = append(banned, f)
		default:
			out = append(out, f)
		}
	}
	v := &errs.Validation{}
	if len(missing) > 0 {
		v.Add("body", "features", "not numeric matrix columns: "+strings.Join(missing, ", "), "value_error")
	}
	if len(banned) > 0 {
		v.Add("body", "features", "labels or realised outcomes cannot be features: "+strings.Join(banned, ", "), "value_error")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errs.Field("body", "features", "features lists no column")
	}
	return out, nil
}

// SelectFeatures returns the feature columns of m for a model config's
// `features` entry (reference engine.md §4):
//   - a list: the names that are numeric matrix columns, in list order;
//   - a dict of flags: flow.per_distance (default true: every calls/puts_sold_d*),
//     flow.totals / flow.ratios (default true: the four totals), flow.atm,
//     dealer.mm_profit_dir_simple, dealer.divergence_score, oi.include,
//     momentum.include (close_mom_<h>, hourly_horizons default [1,3]),
//     volatility.include (close_vol_<h>, default [3]), time.day_of_week and
//     time.hour_of_day (day_of_week, hour_et); then sorted by name;
//   - nothing, or a selection matching no column: the default prefix rule.
//
// Label and forward-return columns (y, ret_fwd, …) are never selected, and
// "hour_et" is served from the matrix key column.
func SelectFeatures(m *matrix.Matrix, f FeatureSpec, target string) []string {
	has := func(n string) bool {
		return (m.ColIndex(n) >= 0 || n == matrix.HourETCol) && !trainNonFeature(m, n, target)
	}
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] && has(n) {
			seen[n] = true
			out = append(out, n)
		}
	}
	on := func(v *bool, def bool) bool {
		if v == nil {
			return def
		}
		return *v
	}
	switch {
	case f.IsList:
		for _, s := range f.List {
			add(strings.TrimSpace(s))
		}
	case f.isObject:
		var flow FlowFeatures
		if f.Flow != nil {
			flow = *f.Flow
		}
		if on(flow.PerDistance, true) {
			for _, n := range m.Names {
				if strings.HasPrefix(n, matrix.CallsSoldPrefix) || strings.HasPrefix(n, matrix.PutsSoldPrefix) {
					if n != "calls_sold_total" && n != "puts_sold_total" {
						add(n)
					}
				}
			}
		}
		if on(flow.Totals, true) || on(flow.Ratios, true) {
			for _, n := range []string{"calls_sold_total", "puts_sold_total", "pc_ratio", "imbalance"} {
				add(n)
			}
		}
		if on(flow.ATM, false) {
			for _, n := range []string{"atm_calls", "atm_puts", "atm_pc_ratio", "atm_imbalance"} {
				add(n)
			}
		}
		var dealer DealerFeatures
		if f.Dealer != nil {
			dealer = *f.Dealer
		}
		if on(dealer.MMProfitDirSimple, false) {
			add("mm_profit_dir_simple")
		}
		if on(dealer.DivergenceScore, false) {
			add("divergence_score")
		}
		if f.OI != nil && on(f.OI.Include, false) {
			add("distance_to_max_pain")
			add("oi_concentration")
		}
		// The time block is additive to the predecessor's flags: configs ask
		// for day_of_week and hour_of_day and the matrix carries both.
		if f.Time != nil && on(f.Time.DayOfWeek, false) {
			add("day_of_week")
		}
		if f.Time != nil && on(f.Time.HourOfDay, false) {
			add(matrix.HourETCol)
		}
		horizons := func(b *HorizonFeatures, def []int) []int {
			if b.HourlyHorizons == nil {
				return def
			}
			return b.HourlyHorizons
		}
		if b := f.Momentum; b != nil && on(b.Include, false) {
			for _, h := range horizons(b, []int{1, 3}) {
				add("close_mom_" + strconv.Itoa(h))
			}
		}
		if b := f.Volatility; b != nil && on(b.Include, false) {
			for _, h := range horizons(b, []int{3}) {
				add("close_vol_" + strconv.Itoa(h))
			}
		}
		sort.Strings(out)
	}
	if len(out) > 0 {
		return out
	}
	for _, p := range defaultFeaturePrefixes {
		for _, n := range m.Names {
			if strings.HasPrefix(n, p) {
				add(n)
			}
		}
	}
	for _, n := range defaultFeatureNames {
		add(n)
	}
	return out
}

// featureColumn returns a feature's values ("hour_et" comes from the key column).
func featureColumn(m *matrix.Matrix, name string) []float64 {
	if c := m.Col(name); c != nil {
		return c
	}
	if name == matrix.HourETCol {
		out := make([]float64, m.Len())
		for i, h := range m.HourET {
			out[i] = float64(h)
		}
		return out
	}
	return nil
}

// TargetLabels resolves the target column (the request's, else "y" when it has
// any label, else "y_syn") and returns its per-row labels as strings; "" marks
// a row without a label (empty, "nan", or NaN in a numeric column).
//
// Training and backtests share it, so both refuse the same targets with a 422
// on body.target: a column the matrix lacks, a numeric column that is not a
// label (a price or return would give one class per value), and a label with
// fewer than two or more than MaxTargetClasses classes. A target without any
// labelled row is ErrNoData (the matrix was built without labels).
func TargetLabels(m *matrix.Matrix, target string) (string, []string, error) {
	pick := func(name string) ([]string, bool) {
		if c := m.TextCol(name); c != nil {
			out := make([]string, len(c))
			for i, v := range c {
				v = strings.TrimSpace(v)
				if strings.EqualFold(v, "nan") || strings.EqualFold(v, "none") || strings.EqualFold(v, "null") {
					v = ""
				}
				out[i] = v
			}
			return out, true
		}
		if c := m.Col(name); c != nil {
			out := make([]string, len(c))
			for i, v := range c {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					out[i] = strconv.FormatFloat(v, 'g', -1, 64)
				}
			}
			return out, true
		}
		return nil, false
	}
	nonEmpty := func(ls []string) bool {
		return slices.ContainsFunc(ls, func(s string) bool { return s != "" })
	}
	var labels []string
	switch {
	case target != "":
		if m.TextCol(target) == nil && m.Col(target) != nil && !labelName(target) {
			return "", nil, errs.Field("body", "target", fmt.Sprintf(
				"target %q is a numeric column, not a class label; name a label column (text columns: %s)",
				target, strings.Join(m.TextNames, ", ")))
		}
		ls, ok := pick(target)
		if !ok {
			return "", nil, errs.Field("body", "target", fmt.Sprintf("target column %q is not in the matrix", target))
		}
		labels = ls
	default:
		if ls, ok := pick("y"); ok && nonEmpty(ls) {
			target, labels = "y", ls
		} else if ls, ok := pick(matrix.SynLabelCol); ok {
			target, labels = matrix.SynLabelCol, ls
		} else {
			return "", nil, fmt.Errorf("matrix has no label column (y or y_syn); build it with labels or pass target: %w", errs.ErrNoData)
		}
	}
	if err := checkTargetClasses(target, labels); err != nil {
		return "", nil, err
	}
	return target, labels, nil
}

// checkTargetClasses bounds the distinct non-empty labels of a target to
// 2..MaxTargetClasses; it stops counting past the cap.
func checkTargetClasses(target string, labels []string) error {
	seen := map[string]bool{}
	for _, s := range labels {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		if len(seen) > MaxTargetClasses {
			return errs.Field("body", "target", fmt.Sprintf(
				"target %s has more than %d classes; a target must be a class label (e.g. y), not a price or return", target, MaxTargetClasses))
		}
	}
	switch len(seen) {
	case 0:
		return fmt.Errorf("target %s has no labelled rows; build the matrix with labels: %w", target, errs.ErrNoData)
	case 1:
		return singleClassError(target, seen, "")
	}
	return nil
}

// singleClassError is the 422 of a target with one class (in the matrix, or in
// the rows a request selects).
func singleClassError(target string, classes map[string]bool, where string) error {
	only := ""
	for c := range classes {
		only = c
	}
	return errs.Field("body", "target", fmt.Sprintf("target needs at least two classes (%s has only %s%s)", target, only, where))
}

// hyperparamKeys maps accepted hyperparameter names (XGBoost/sklearn/LightGBM
// spellings) to setters on gbdt.Params.
var hyperparamKeys = map[string]func(p *gbdt.Params, v float64){
	"n_estimators":          func(p *gbdt.Params, v float64) { p.NEstimators = int(v) },
	"num_boost_round":       func(p *gbdt.Params, v float64) { p.NEstimators = int(v) },
	"max_depth":             func(p *gbdt.Params, v float64) { p.MaxDepth = int(v) },
	"num_leaves":            func(p *gbdt.Params, v float64) { p.NumLeaves = int(v) },
	"learning_rate":         func(p *gbdt.Params, v float64) { p.LearningRate = v },
	"eta":                   func(p *gbdt.Params, v float64) { p.LearningRate = v },
	"min_child_weight":      func(p *gbdt.Params, v float64) { p.MinChildWeight = v },
	"reg_lambda":            func(p *gbdt.Params, v float64) { p.RegLambda = v },
	"lambda":                func(p *gbdt.Params, v float64) { p.RegLambda = v },
	"gamma":                 func(p *gbdt.Params, v float64) { p.Gamma = v },
	"min_split_loss":        func(p *gbdt.Params, v float64) { p.Gamma = v },
	"min_split_gain":        func(p *gbdt.Params, v float64) { p.Gamma = v },
	"subsample":             func(p *gbdt.Params, v float64) { p.Subsample = v },
	"colsample_bytree":      func(p *gbdt.Params, v float64) { p.ColsampleBytree = v },
	"max_bin":               func(p *gbdt.Params, v float64) { p.MaxBins = int(v) },
	"early_stopping_rounds": func(p *gbdt.Params, v float64) { p.EarlyStopping = int(v) },
	"validation_fraction":   func(p *gbdt.Params, v float64) { p.ValidFraction = v },
	"seed":                  func(p *gbdt.Params, v float64) { p.Seed = uint64(v) },
	"random_state":          func(p *gbdt.Params, v float64) { p.Seed = uint64(v) },
}

// integerHyperparams must be whole numbers.
var integerHyperparams = map[string]bool{"n_estimators": true, "num_boost_round": true, "max_depth": true,
	"num_leaves": true, "max_bin": true, "early_stopping_rounds": true, "seed": true, "random_state": true}

// ApplyHyperparams overlays hp (a config's or request's `hyperparams`) on p.
// Unknown keys are returned (and otherwise ignored: configs carry XGBoost-only
// settings such as `objective`); a known key with a bad value is a 422 naming
// loc.hyperparams.key.
func ApplyHyperparams(p gbdt.Params, hp map[string]any, loc string) (gbdt.Params, []string, error) {
	var ignored []string
	keys := make([]string, 0, len(hp))
	for k := range hp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	v := &errs.Validation{}
	for _, k := range keys {
		set, ok := hyperparamKeys[strings.ToLower(k)]
		if !ok {
			ignored = append(ignored, k)
			continue
		}
		f, ok := doc.LenientNumber(hp[k])
		if !ok || (integerHyperparams[strings.ToLower(k)] && (f != math.Trunc(f) || f < 0)) {
			v.Fields = append(v.Fields, errs.FieldError{Loc: []string{loc, "hyperparams", k},
				Msg:  fmt.Sprintf("hyperparameter %s must be a finite number%s", k, map[bool]string{true: " (whole, ≥ 0)"}[integerHyperparams[strings.ToLower(k)]]),
				Type: "value_error"})
			continue
		}
		set(&p, f)
	}
	if err := v.Err(); err != nil {
		return p, ignored, err
	}
	if err := p.Validate(); err != nil {
		return p, ignored, &errs.Validation{Fields: []errs.FieldError{{Loc: []string{loc, "hyperparams"}, Msg: err.Error(), Type: "value_error"}}}
	}
	return p, ignored, nil
}
