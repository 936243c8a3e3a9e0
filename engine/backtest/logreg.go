package backtest

import (
	"context"
	"fmt"

	"sigmalab/engine/errs"
	"sigmalab/engine/logreg"
)

// LogRegLearner returns a Learner that fits an L2 logistic regression on fold
// rows; its standardisation is fitted on each fold's training rows only.
func LogRegLearner(cols [][]float64, y []int, numClass int, p logreg.Params) (Learner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := checkColumns(cols, len(y)); err != nil {
		return nil, err
	}
	return func(ctx context.Context, fold int, rows []int) (Predictor, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("logreg fold %d: %w", fold, errs.ErrCancelled)
		}
		m, err := logreg.Fit(cols, rows, y, numClass, p)
		if err != nil {
			return nil, fmt.Errorf("logreg fold %d: %w", fold, err)
		}
		return logregPredictor{m: m, cols: cols}, nil
	}, nil
}

type logregPredictor struct {
	m    *logreg.Model
	cols [][]float64
}

func (p logregPredictor) PredictProba(rows []int) ([][]float64, error) {
	return p.m.PredictProbaRows(p.cols, rows), nil
}
