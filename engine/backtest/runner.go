package backtest

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"sigmalab/engine/calibrate"
	"sigmalab/engine/cv"
	"sigmalab/engine/errs"
)

// Predictor scores rows of the table a Learner was built on.
type Predictor interface {
	// PredictProba returns probs[class][k] for rows[k]; class order is the
	// table's Classes.
	PredictProba(rows []int) ([][]float64, error)
}

// Learner fits a model on the given table rows (ascending, so in time order)
// for fold `fold`. It must be deterministic for the same inputs and safe to
// call from several goroutines at once (folds train in parallel).
type Learner func(ctx context.Context, fold int, trainRows []int) (Predictor, error)

// Table is what the OOF runner needs of a labelled matrix, by row.
type Table struct {
	T0      []int64   // row time (unix ms), ascending
	T1      []int64   // label end time (unix ms); nil disables purging
	Hour    []int32   // ET hour
	Y       []int     // class index into Classes; −1 = no label (never trained on)
	Classes []string  // class names, e.g. DOWN, FLAT, UP
	Ret     []float64 // realised forward return of the label (PnL); NaN = unknown
	// TrainMask, when set, limits training to rows where it is true (the
	// training-hours filter); test rows are predicted regardless.
	TrainMask []bool
	Aux       map[string][]float64 // extra columns carried into the OOF (momentum gate)
	Close     []float64            // the underlying's close per row (marks); nil: none
	Entry     []int64              // entry row time per row (see OOF.Entry); nil: the row itself
	Day       []int32              // session ordinal per row; nil: derived from T0
}

// RunConfig is the cross-validation setup of one OOF run.
type RunConfig struct {
	CV          cv.Config
	Calibration string  // none | sigmoid | isotonic
	CalibFrac   float64 // time-ordered tail of each fold's training rows used to fit the calibrator (default 0.2)
	Workers     int     // folds trained at once (default GOMAXPROCS); never changes results
	// Progress, when set, is called after each fold finishes with the count
	// of finished folds and the total (serialised; folds finish in any order).
	Progress func(done, total int)
}

// minCalibRows is the smallest inner holdout worth fitting a calibrator on;
// below it a fold stays uncalibrated (and says so).
const minCalibRows = 30

// FoldInfo describes how one fold was trained.
type FoldInfo struct {
	Fold       int    `json:"fold"`
	TestStart  int    `json:"test_start"`
	TestEnd    int    `json:"test_end"`
	TrainRows  int    `json:"train_rows"` // rows the model was fit on
	CalibRows  int    `json:"calib_rows"` // inner holdout rows the calibrator was fit on (0: none)
	Purged     int    `json:"purged"`
	Embargoed  int    `json:"embargoed"`
	Calibrated string `json:"calibration"` // method actually applied
	// Skipped folds could not train (too few labelled rows, or one class
	// only); their test rows get no prediction and never trade. Note says why.
	Skipped bool   `json:"skipped,omitempty"`
	Note    string `json:"note,omitempty"`
}

// RunInfo is the lineage of an OOF run.
type RunInfo struct {
	CV          cv.Config                        `json:"cv"`
	Calibration string                           `json:"calibration"`
	Folds       []FoldInfo                       `json:"folds"`
	Reliability map[string]calibrate.Reliability `json:"reliability"` // per class, over all OOF rows with a label
}

// RunOOF cross-validates learn on tbl: per fold it trains on the purged and
// embargoed training rows (with a calibrator fit on their time-ordered tail
// when asked) and predicts the test block. Folds run in parallel; the result
// does not depend on the number of workers.
func RunOOF(ctx context.Context, tbl *Table, learn Learner, cfg RunConfig) (*OOF, *RunInfo, error) {
	n := len(tbl.T0)
	if len(tbl.Y) != n || len(tbl.Hour) != n || len(tbl.Ret) != n || (tbl.TrainMask != nil && len(tbl.TrainMask) != n) ||
		(tbl.Close != nil && len(tbl.Close) != n) || (tbl.Entry != nil && len(tbl.Entry) != n) || (tbl.Day != nil && len(tbl.Day) != n) {
		return nil, nil, errs.Invalidf("backtest: table columns differ in length")
	}
	if !calibrate.ValidMethod(cfg.Calibration) {
		return nil, nil, errs.Field("body", "calibration", "calibration must be one of: none, sigmoid, isotonic")
	}
	if cfg.Calibration == "" {
		cfg.Calibration = calibrate.None
	}
	if cfg.CalibFrac <= 0 || cfg.CalibFrac >= 1 {
		cfg.CalibFrac = 0.2
	}
	var err error
	if cfg.CV, err = cfg.CV.Normalize(); err != nil {
		return nil, nil, err
	}
	folds, err := cv.Split(tbl.T0, tbl.T1, cfg.CV)
	if err != nil {
		return nil, nil, err
	}
	type out struct {
		probs [][]float64
		info  FoldInfo
		err   error
	}
	outs := make([]out, len(folds))
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Largest training sets first, so the slowest folds do not start last.
	order := make([]int, len(folds))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(folds[order[a]].Train) > len(folds[order[b]].Train) })
	next := make(chan int, len(order))
	for _, k := range order {
		next <- k
	}
	close(next)
	var wg sync.WaitGroup
	var pmu sync.Mutex
	finished := 0
	for w := 0; w < min(workers, len(folds)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				if ctx.Err() != nil {
					outs[k].err = fmt.Errorf("backtest: %w", errs.ErrCancelled)
					continue
				}
				outs[k].probs, outs[k].info, outs[k].err = runFold(ctx, tbl, learn, cfg, folds[k])
				if cfg.Progress != nil {
					pmu.Lock()
					finished++
					cfg.Progress(finished, len(folds))
					pmu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	trained := 0
	for k := range outs {
		if outs[k].err != nil {
			return nil, nil, fmt.Errorf("fold %d: %w", k, outs[k].err)
		}
		if !outs[k].info.Skipped {
			trained++
		}
	}
	if trained == 0 {
		return nil, nil, fmt.Errorf("backtest: no fold could train (%s): %w", outs[0].info.Note, errs.ErrNoData)
	}

	// Assemble the OOF: the test blocks in fold order (which is time order).
	o := &OOF{Classes: tbl.Classes, Probs: make([][]float64, len(tbl.Classes))}
	info := &RunInfo{CV: cfg.CV, Calibration: cfg.Calibration, Reliability: map[string]calibrate.Reliability{}}
	o.FoldStart = append(o.FoldStart, 0)
	for k, f := range folds {
		for i := f.TestStart; i < f.TestEnd; i++ {
			o.Rows = append(o.Rows, i)
			o.TS = append(o.TS, tbl.T0[i])
			if tbl.T1 != nil {
				o.T1 = append(o.T1, tbl.T1[i])
			}
			o.Hour = append(o.Hour, tbl.Hour[i])
			o.Ret = append(o.Ret, tbl.Ret[i])
			o.Label = append(o.Label, tbl.Y[i])
			if tbl.Close != nil {
				o.Close = append(o.Close, tbl.Close[i])
			}
			if tbl.Entry != nil {
				o.Entry = append(o.Entry, tbl.Entry[i])
			}
			if tbl.Day != nil {
				o.Day = append(o.Day, tbl.Day[i])
			}
		}
		for c := range o.Probs {
			o.Probs[c] = append(o.Probs[c], outs[k].probs[c]...)
		}
		o.FoldStart = append(o.FoldStart, len(o.Rows))
		info.Folds = append(info.Folds, outs[k].info)
	}
	if len(tbl.Aux) > 0 {
		o.Aux = make(map[string][]float64, len(tbl.Aux))
		for name, col := range tbl.Aux {
			sub := make([]float64, len(o.Rows))
			for j, i := range o.Rows {
				sub[j] = col[i]
			}
			o.Aux[name] = sub
		}
	}
	for c, name := range tbl.Classes {
		var p []float64
		var hit []bool
		for j, y := range o.Label {
			if y >= 0 && !math.IsNaN(o.Probs[c][j]) {
				p = append(p, o.Probs[c][j])
				hit = append(hit, y == c)
			}
		}
		info.Reliability[name] = calibrate.Curve(p, hit, 10)
	}
	oof, err := NewOOF(o)
	if err != nil {
		return nil, nil, err
	}
	return oof, info, nil
}

// runFold trains one fold and returns calibrated test probabilities.
func runFold(ctx context.Context, tbl *Table, learn Learner, cfg RunConfig, f cv.Fold) ([][]float64, FoldInfo, error) {
	info := FoldInfo{Fold: f.Index, TestStart: f.TestStart, TestEnd: f.TestEnd, Purged: f.Purged,
		Embargoed: f.Embargoed, Calibrated: calibrate.None}
	train := make([]int, 0, len(f.Train))
	for _, i := range f.Train {
		if tbl.Y[i] >= 0 && (tbl.TrainMask == nil || tbl.TrainMask[i]) {
			train = append(train, i)
		}
	}
	skip := func(note string) ([][]float64, FoldInfo, error) {
		info.Skipped, info.Note = true, note
		probs := make([][]float64, len(tbl.Classes))
		for c := range probs {
			probs[c] = make([]float64, f.TestEnd-f.TestStart)
			for k := range probs[c] {
				probs[c][k] = math.NaN()
			}
		}
		return probs, info, nil
	}
	if len(train) < 10 {
		return skip(fmt.Sprintf("skipped: only %d labelled training rows", len(train)))
	}
	if c, one := oneClass(tbl, train); one {
		return skip(fmt.Sprintf("skipped: every training row has class %s", tbl.Classes[c]))
	}
	fit, hold := train, []int(nil)
	if cfg.Calibration != calibrate.None {
		nh := int(math.Ceil(cfg.CalibFrac * float64(len(train))))
		if nh >= minCalibRows && len(train)-nh >= minCalibRows {
			hold = train[len(train)-nh:]
			// Purge the fit rows whose label window reaches into the holdout,
			// for the same reason as between train and test.
			start := tbl.T0[hold[0]]
			fit = make([]int, 0, len(train)-nh)
			for _, i := range train[:len(train)-nh] {
				if tbl.T1 == nil || tbl.T1[i] < start {
					fit = append(fit, i)
				}
			}
			if _, one := oneClass(tbl, fit); len(fit) < minCalibRows || one {
				fit, hold = train, nil
			}
		}
		if hold == nil {
			info.Note = "too few training rows for a calibration holdout; uncalibrated"
		}
	}
	model, err := learn(ctx, f.Index, fit)
	if err != nil {
		return nil, info, err
	}
	info.TrainRows = len(fit)
	probs, err := model.PredictProba(f.Test())
	if err != nil {
		return nil, info, err
	}
	if len(probs) != len(tbl.Classes) {
		return nil, info, fmt.Errorf("learner returned %d classes, table has %d", len(probs), len(tbl.Classes))
	}
	if hold != nil {
		hp, err := model.PredictProba(hold)
		if err != nil {
			return nil, info, err
		}
		y := make([]int, len(hold))
		for k, i := range hold {
			y[k] = tbl.Y[i]
		}
		cal, err := calibrate.Fit(cfg.Calibration, hp, y)
		if err != nil {
			return nil, info, err
		}
		cal.Apply(probs)
		info.CalibRows, info.Calibrated = len(hold), cfg.Calibration
	}
	return probs, info, nil
}

// oneClass reports whether every row in rows has the same class (and which).
func oneClass(tbl *Table, rows []int) (int, bool) {
	c := tbl.Y[rows[0]]
	for _, i := range rows[1:] {
		if tbl.Y[i] != c {
			return c, false
		}
	}
	return c, true
}
