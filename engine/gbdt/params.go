// Package gbdt is a histogram gradient-boosted decision tree trainer for
// classification (binary logloss and multiclass softmax), written in pure Go.
//
// Data flow: raw float64 columns are quantile-binned once into a Dataset
// (≤255 value bins per feature plus one bin for NaN); every tree is then grown
// on per-node gradient/hessian histograms, using the subtraction trick (only
// the smaller child's histogram is built, the sibling is parent − child).
// Histogram building and split search run in parallel over features; each
// feature's histogram is summed by exactly one goroutine in row order, so a
// trained model is bit-identical for any GOMAXPROCS or Params.Workers.
//
// Cross-validation folds: build each fold's Dataset with NewDatasetRows, its
// bin edges fitted on the fold's training rows and every row binned with them,
// then TrainRows on those rows and PredictProbaRows on the test rows. Edges
// from all rows (NewDataset) would let the test fold's feature values place
// the candidate split thresholds; they never see labels, but the model would
// still depend on data it must not have seen.
package gbdt

import (
	"fmt"
	"math"
	"runtime"

	"sigmalab/engine/errs"
)

// Params are the boosting hyper-parameters. Start from DefaultParams and
// override; the JSON names follow the XGBoost/sklearn names that model configs
// carry in `hyperparams`.
type Params struct {
	NEstimators     int     `json:"n_estimators"`          // boosting rounds (one tree per class per round for multiclass)
	MaxDepth        int     `json:"max_depth"`             // depth limit; 0 = unlimited (only with NumLeaves > 0)
	NumLeaves       int     `json:"num_leaves"`            // > 0 selects leaf-wise growth with at most this many leaves
	LearningRate    float64 `json:"learning_rate"`         // shrinkage applied to every leaf value
	MinChildWeight  float64 `json:"min_child_weight"`      // minimum hessian sum in each child
	RegLambda       float64 `json:"reg_lambda"`            // L2 penalty on leaf values
	Gamma           float64 `json:"gamma"`                 // minimum split gain (XGBoost gamma / min_split_loss)
	Subsample       float64 `json:"subsample"`             // row fraction per round, (0,1]
	ColsampleBytree float64 `json:"colsample_bytree"`      // feature fraction per tree, (0,1]
	MaxBins         int     `json:"max_bin"`               // value bins per feature (≤255) when Train bins the data itself
	EarlyStopping   int     `json:"early_stopping_rounds"` // stop after this many rounds without validation improvement; 0 = off
	ValidFraction   float64 `json:"validation_fraction"`   // time-ordered tail of the training rows used for early stopping when no validation set is given
	Seed            uint64  `json:"seed"`                  // seeds row and feature sampling
	Workers         int     `json:"-"`                     // goroutines; 0 = GOMAXPROCS. Never changes the result.
}

// DefaultParams are the predecessor's effective trainer settings (XGBoost with
// n_estimators=300, max_depth=4, learning_rate=0.08, subsample=0.9,
// colsample_bytree=0.9, random_state=2025; min_child_weight and reg_lambda at
// XGBoost's defaults of 1).
func DefaultParams() Params {
	return Params{
		NEstimators:     300,
		MaxDepth:        4,
		LearningRate:    0.08,
		MinChildWeight:  1,
		RegLambda:       1,
		Subsample:       0.9,
		ColsampleBytree: 0.9,
		MaxBins:         255,
		Seed:            2025,
	}
}

// MaxBinsLimit is the largest number of value bins per feature (bins are uint8
// and bin 0 is reserved for missing values).
const MaxBinsLimit = 255

// Validate reports the first out-of-range parameter as an errs.ErrInvalid error.
func (p Params) Validate() error {
	bad := func(name string, v any, want string) error {
		return errs.Invalidf("gbdt: %s=%v out of range (%s)", name, v, want)
	}
	switch {
	case p.NEstimators < 1 || p.NEstimators > 100000:
		return bad("n_estimators", p.NEstimators, "1..100000")
	case p.MaxDepth < 0 || p.MaxDepth > 32:
		return bad("max_depth", p.MaxDepth, "0..32")
	case p.NumLeaves < 0 || p.NumLeaves == 1 || p.NumLeaves > 1<<16:
		return bad("num_leaves", p.NumLeaves, "0 or 2..65536")
	case p.MaxDepth == 0 && p.NumLeaves == 0:
		return errs.Invalidf("gbdt: set max_depth or num_leaves")
	case !(p.LearningRate > 0 && p.LearningRate <= 10):
		return bad("learning_rate", p.LearningRate, "(0,10]")
	case !(p.MinChildWeight >= 0) || math.IsInf(p.MinChildWeight, 0):
		return bad("min_child_weight", p.MinChildWeight, "≥0")
	case !(p.RegLambda >= 0) || math.IsInf(p.RegLambda, 0):
		return bad("reg_lambda", p.RegLambda, "≥0")
	case !(p.Gamma >= 0) || math.IsInf(p.Gamma, 0):
		return bad("gamma", p.Gamma, "≥0")
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return bad("subsample", p.Subsample, "(0,1]")
	case !(p.ColsampleBytree > 0 && p.ColsampleBytree <= 1):
		return bad("colsample_bytree", p.ColsampleBytree, "(0,1]")
	case p.MaxBins < 0 || p.MaxBins > MaxBinsLimit:
		return bad("max_bin", p.MaxBins, fmt.Sprintf("0..%d", MaxBinsLimit))
	case p.EarlyStopping < 0:
		return bad("early_stopping_rounds", p.EarlyStopping, "≥0")
	case !(p.ValidFraction >= 0 && p.ValidFraction < 1):
		return bad("validation_fraction", p.ValidFraction, "[0,1)")
	case p.Workers < 0:
		return bad("workers", p.Workers, "≥0")
	}
	return nil
}

func (p Params) workers() int {
	if p.Workers > 0 {
		return p.Workers
	}
	return runtime.GOMAXPROCS(0)
}
