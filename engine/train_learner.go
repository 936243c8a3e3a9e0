package engine

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"sigmalab/engine/backtest"
	"sigmalab/engine/doc"
	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/logreg"
)

// Learner algorithms a model config may name (algo, else model).
const (
	AlgoGBM    = "gbm"
	AlgoLogReg = "logreg"
)

// DefaultGBMParams are the GBDT settings every gbm model starts from (its
// config's and the request's hyperparams overlay them). They are regularised
// and stop early on a purged, time-ordered validation tail: the predecessor's
// 300 unstopped depth-4 trees (gbdt.DefaultParams) fit noise on weak market
// signals and lose to a logistic regression on a planted AR(1). The values
// were chosen on the synthetic planted-signal suite (TestPlantedSignalSuite;
// table in the README), never on real data.
func DefaultGBMParams() gbdt.Params {
	p := gbdt.DefaultParams()
	p.NEstimators = 400
	p.MaxDepth = 2
	p.LearningRate = 0.05
	p.MinChildWeight = 50
	p.RegLambda = 10
	p.Subsample = 0.8
	p.ColsampleBytree = 0.8
	p.EarlyStopping = 30
	p.ValidFraction = 0.2
	return p
}

// LearnerSpec is the learner of one training setup: the algorithm and its
// parameters after the config's and the request's hyperparams.
type LearnerSpec struct {
	Algo   string
	GBM    gbdt.Params
	LogReg logreg.Params
}

// CacheParams is what identifies the learner in an OOF cache key. A gbm
// learner keys on its parameters alone (as before logreg existed).
func (s LearnerSpec) CacheParams() any {
	if s.Algo == AlgoLogReg {
		return struct {
			Algo   string        `json:"algo"`
			Params logreg.Params `json:"params"`
		}{s.Algo, s.LogReg}
	}
	return s.GBM
}

// Params is the learner's parameters as recorded on runs and cards.
func (s LearnerSpec) Params() any {
	if s.Algo == AlgoLogReg {
		return s.LogReg
	}
	return s.GBM
}

// Learner returns the cross-validation learner over the table's columns.
func (s LearnerSpec) Learner(cols [][]float64, y []int, tbl *backtest.Table) (backtest.Learner, error) {
	if s.Algo == AlgoLogReg {
		return backtest.LogRegLearner(cols, y, len(tbl.Classes), s.LogReg)
	}
	return backtest.GBDTLearnerPurged(cols, y, len(tbl.Classes), s.GBM, tbl.T0, tbl.T1)
}

// learnerAlgo maps a config's algo/model name to a learner: gbm, xgb,
// xgboost, gbdt and lightgbm all mean our GBDT.
func learnerAlgo(cfg ModelConfig) (string, error) {
	switch a := cfg.Learner(); a {
	case "", "gbm", "xgb", "xgboost", "gbdt", "lightgbm":
		return AlgoGBM, nil
	case AlgoLogReg:
		return AlgoLogReg, nil
	default:
		return "", errs.Field("body", "model_id", fmt.Sprintf("model config algo %q is not supported (gbm, logreg)", a))
	}
}

// learnerSpec resolves the learner of cfg with the request's hyperparams on
// top; unknown keys are returned (ignored with a warning).
func learnerSpec(cfg ModelConfig, override map[string]any) (LearnerSpec, []string, error) {
	algo, err := learnerAlgo(cfg)
	if err != nil {
		return LearnerSpec{}, nil, err
	}
	if algo == AlgoGBM {
		p, ignored, err := gbdtParams(cfg, override)
		return LearnerSpec{Algo: algo, GBM: p}, ignored, err
	}
	p := logreg.DefaultParams()
	var ignored []string
	for _, src := range []struct {
		hp  map[string]any
		loc string
	}{{cfg.Hyperparams, "config"}, {override, "body"}} {
		ig, err := applyLogRegParams(&p, src.hp, src.loc)
		if err != nil {
			return LearnerSpec{}, nil, err
		}
		ignored = append(ignored, ig...)
	}
	if err := p.Validate(); err != nil {
		return LearnerSpec{}, nil, errs.Field("body", "hyperparams", err.Error())
	}
	return LearnerSpec{Algo: algo, LogReg: p}, ignored, nil
}

// applyLogRegParams reads C (also c, inverse_l2) and max_iter; other keys
// (a config's GBDT settings) are returned as ignored.
func applyLogRegParams(p *logreg.Params, hp map[string]any, loc string) ([]string, error) {
	keys := make([]string, 0, len(hp))
	for k := range hp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ignored []string
	v := &errs.Validation{}
	for _, k := range keys {
		f, ok := doc.Number(hp[k])
		if s, isStr := hp[k].(string); isStr {
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			f, ok = x, err == nil
		}
		bad := !ok || math.IsNaN(f) || math.IsInf(f, 0)
		switch strings.ToLower(k) {
		case "c", "inverse_l2":
			if bad || f <= 0 {
				v.Fields = append(v.Fields, errs.FieldError{Loc: []string{loc, "hyperparams", k}, Msg: "C must be a finite number > 0", Type: "value_error"})
				continue
			}
			p.C = f
		case "max_iter":
			if bad || f != math.Trunc(f) || f < 1 || f > 100000 {
				v.Fields = append(v.Fields, errs.FieldError{Loc: []string{loc, "hyperparams", k}, Msg: "max_iter must be a whole number in 1..100000", Type: "value_error"})
				continue
			}
			p.MaxIter = int(f)
		default:
			ignored = append(ignored, k)
		}
	}
	return ignored, v.Err()
}
