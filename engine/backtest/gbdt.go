package backtest

import (
	"context"
	"fmt"

	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
)

// GBDTLearner returns a Learner that fits our histogram GBDT on fold rows.
// The features are binned once for all folds (bin edges depend on feature
// values only, never on labels). cols[f][row] are the table's feature columns,
// y its class indices (−1 rows are never passed to the learner by RunOOF).
// Each fold uses the same seed, so results depend only on the data.
func GBDTLearner(cols [][]float64, y []int, numClass int, p gbdt.Params) (Learner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ds, err := gbdt.NewDataset(cols, p.MaxBins)
	if err != nil {
		return nil, err
	}
	// The GBDT reads labels of the selected rows only, but needs a valid class
	// everywhere; unlabelled rows are never selected.
	yy := make([]int, len(y))
	for i, v := range y {
		if v >= 0 {
			yy[i] = v
		}
	}
	return func(ctx context.Context, fold int, rows []int) (Predictor, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gbdt fold %d: %w", fold, errs.ErrCancelled)
		}
		m, err := gbdt.TrainRows(ds, rows, yy, numClass, p, nil)
		if err != nil {
			return nil, err
		}
		return &gbdtPredictor{m: m, cols: cols}, nil
	}, nil
}

type gbdtPredictor struct {
	m    *gbdt.Model
	cols [][]float64
}

// PredictProba gathers the rows' feature values and scores them.
func (g *gbdtPredictor) PredictProba(rows []int) ([][]float64, error) {
	sub := make([][]float64, len(g.cols))
	for f, c := range g.cols {
		s := make([]float64, len(rows))
		for k, i := range rows {
			s[k] = c[i]
		}
		sub[f] = s
	}
	return g.m.PredictProba(sub), nil
}
