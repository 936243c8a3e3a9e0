package backtest

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"

	"sigmalab/engine/errs"
	"sigmalab/engine/gbdt"
)

// GBDTLearner returns a Learner that fits our histogram GBDT on fold rows.
// Each fold bins the features once, with bin edges fitted on that fold's
// training rows only, and scores its test rows on those edges: the test
// fold's values shape neither the candidate thresholds nor the model.
// cols[f][row] are the table's feature columns, y its class indices (−1 rows
// are never passed to the learner by RunOOF). Each fold uses the same seed, so
// results depend only on the data.
func GBDTLearner(cols [][]float64, y []int, numClass int, p gbdt.Params) (Learner, error) {
	return GBDTLearnerPurged(cols, y, numClass, p, nil, nil)
}

// GBDTLearnerPurged is GBDTLearner whose early stopping (p.EarlyStopping > 0
// with p.ValidFraction > 0) holds out a purged tail: the last ValidFraction of
// each fold's training rows validate, and the rows before them whose label
// ends (t1) after the tail starts (t0) are dropped, so no fitted label
// overlaps the rows that decide when to stop. nil t0/t1: an unpurged tail.
func GBDTLearnerPurged(cols [][]float64, y []int, numClass int, p gbdt.Params, t0, t1 []int64) (Learner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Workers == 0 && numClass > 2 {
		// RunOOF trains one fold per core already; feature-parallelism inside
		// a fold on top of it only adds barriers (never changes results). The
		// last folds get idle cores through SpareWorkers (class trees in
		// parallel), which binary models cannot use, so they keep theirs.
		p.Workers = 1
	}
	// Shape errors surface when the learner is built, not in every fold.
	if err := checkColumns(cols, len(y)); err != nil {
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
	// Folds in training right now: the cores the others leave idle (the last
	// folds, once the queue is empty) grow a round's class trees in parallel.
	var active atomic.Int64
	opt := &gbdt.Options{SpareWorkers: func() int { return runtime.GOMAXPROCS(0) - int(active.Load()) }}
	return func(ctx context.Context, fold int, rows []int) (Predictor, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gbdt fold %d: %w", fold, errs.ErrCancelled)
		}
		o := *opt
		o.Stop = func() bool { return ctx.Err() != nil } // an abandoned fold stops within one round
		var ds *gbdt.Dataset
		m, err := trainCancellable(ctx, func() (*gbdt.Model, error) {
			active.Add(1)
			defer active.Add(-1)
			var err error
			if ds, err = gbdt.NewDatasetRows(cols, rows, p.MaxBins); err != nil {
				return nil, err
			}
			fit := rows
			if t0 != nil && t1 != nil {
				fit, o.ValidRows = PurgedTail(rows, t0, t1, y, p)
			}
			return gbdt.TrainRows(ds, fit, yy, numClass, p, &o)
		})
		if err != nil {
			return nil, fmt.Errorf("gbdt fold %d: %w", fold, err)
		}
		return &gbdtPredictor{m: m, ds: ds, cols: cols}, nil
	}, nil
}

// PurgedTail splits a fold's training rows (time order) into fit rows and an
// early-stopping tail, purging fit rows whose label reaches into the tail. It
// returns rows and nil (gbdt then takes its own unpurged tail) when early
// stopping is off or the split would leave too little to fit or validate.
func PurgedTail(rows []int, t0, t1 []int64, y []int, p gbdt.Params) (fit, valid []int) {
	if p.EarlyStopping <= 0 || p.ValidFraction <= 0 || len(rows) < 20 {
		return rows, nil
	}
	nv := int(math.Ceil(p.ValidFraction * float64(len(rows))))
	if nv < 5 || nv >= len(rows) {
		return rows, nil
	}
	valid = rows[len(rows)-nv:]
	start := t0[valid[0]]
	fit = make([]int, 0, len(rows)-nv)
	classes := map[int]bool{}
	for _, r := range rows[:len(rows)-nv] {
		if t1[r] < start {
			fit = append(fit, r)
			classes[y[r]] = true
		}
	}
	if len(fit) < len(rows)/2 || len(classes) < 2 {
		return rows, nil
	}
	return fit, valid
}

// checkColumns reports empty or ragged feature columns, or columns that do not
// have one value per label, as an errs.ErrInvalid error.
func checkColumns(cols [][]float64, n int) error {
	if len(cols) == 0 {
		return errs.Invalidf("gbdt: no feature columns")
	}
	if n == 0 {
		return errs.Invalidf("gbdt: no rows")
	}
	for f, c := range cols {
		if len(c) != n {
			return errs.Invalidf("gbdt: column %d has %d rows, the table has %d", f, len(c), n)
		}
	}
	return nil
}

// trainCancellable runs train and returns as soon as ctx is done. A cancelled
// fold is abandoned: its goroutine ends in the background at the next boosting
// round (gbdt Options.Stop) and its model is dropped. That bounds the latency of a cancel by the time to
// notice it, not by a fold's training time.
func trainCancellable(ctx context.Context, train func() (*gbdt.Model, error)) (*gbdt.Model, error) {
	if ctx.Done() == nil {
		return train()
	}
	type out struct {
		m   *gbdt.Model
		err error
	}
	ch := make(chan out, 1) // buffered: an abandoned training never blocks
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- out{err: fmt.Errorf("gbdt: internal error: %v", r)}
			}
		}()
		m, err := train()
		ch <- out{m, err}
	}()
	select {
	case o := <-ch:
		return o.m, o.err
	case <-ctx.Done():
		return nil, errs.ErrCancelled
	}
}

type gbdtPredictor struct {
	m    *gbdt.Model
	ds   *gbdt.Dataset
	cols [][]float64
}

// PredictProba scores the rows on the fold Dataset's bins (the same result as
// on the raw values, several times cheaper); gathering the raw values is only
// a safety net.
func (g *gbdtPredictor) PredictProba(rows []int) ([][]float64, error) {
	if p, err := g.m.PredictProbaRows(g.ds, rows); err == nil {
		return p, nil
	}
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
