// Package cv splits a time-ordered, labelled table into cross-validation folds
// that cannot leak the future into training: every training row whose label
// window [t0, t1] overlaps the test block's time span is purged, and an embargo
// of ⌊embargo·fold_size⌋ rows is dropped next to each test block.
//
// Two schemes exist. walk_forward (the default) cuts the rows into splits+1
// contiguous blocks and tests block j+1 with an expanding training window of
// every row before it, so no fold ever trains on the future; its embargo is a
// gap of ⌊embargo·fold_size⌋ rows between the training window and the test
// block (rows after a test block are never trained on anyway). kfold cuts the rows
// into splits contiguous blocks and trains on all other blocks; purging and the
// embargo on both sides of the test block keep label overlap out of training.
package cv

import (
	"fmt"

	"sigmalab/engine/errs"
)

// Method names accepted in configs and requests.
const (
	WalkForward = "walk_forward"
	KFold       = "kfold"
)

// Config selects the split scheme.
type Config struct {
	Method  string  `json:"cv"`      // walk_forward (default when empty) or kfold
	Splits  int     `json:"splits"`  // number of test folds
	Embargo float64 `json:"embargo"` // fraction of the fold size embargoed next to each test block, in [0, 1)
}

// Fold is one train/test split. Row indices refer to the input arrays and are
// ascending, so training rows stay in time order.
type Fold struct {
	Index     int   `json:"fold"`
	TestStart int   `json:"test_start"` // first test row
	TestEnd   int   `json:"test_end"`   // one past the last test row
	Train     []int `json:"train"`      // training rows left after purge and embargo
	Purged    int   `json:"purged"`     // training rows dropped because their label window overlaps the test span
	Embargoed int   `json:"embargoed"`  // training rows dropped by the embargo (not counted in Purged)
}

// Test returns the test rows [TestStart, TestEnd) as indices.
func (f Fold) Test() []int {
	out := make([]int, f.TestEnd-f.TestStart)
	for i := range out {
		out[i] = f.TestStart + i
	}
	return out
}

// Normalize fills defaults (walk_forward, 5 splits) and validates c.
func (c Config) Normalize() (Config, error) {
	if c.Method == "" {
		c.Method = WalkForward
	}
	if c.Splits == 0 {
		c.Splits = 5
	}
	if c.Method != WalkForward && c.Method != KFold {
		return c, errs.Field("body", "cv", "cv must be one of: walk_forward, kfold")
	}
	minSplits := 1
	if c.Method == KFold {
		minSplits = 2
	}
	if c.Splits < minSplits || c.Splits > 100 {
		return c, errs.Field("body", "splits", fmt.Sprintf("splits must be between %d and 100", minSplits))
	}
	if !(c.Embargo >= 0 && c.Embargo < 1) {
		return c, errs.Field("body", "embargo", "embargo must be in [0, 1)")
	}
	return c, nil
}

// Split cuts n = len(t0) time-ordered rows into folds. t0[i] is row i's time and
// t1[i] its label end time (same unit); t1 may be nil for unlabelled windows, in
// which case each label window is the single instant t0[i]. A t1 earlier than
// its t0 (e.g. a missing value stored as 0) is treated as t0.
func Split(t0, t1 []int64, cfg Config) ([]Fold, error) {
	cfg, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	n := len(t0)
	if t1 != nil && len(t1) != n {
		return nil, errs.Invalidf("cv: t1 has %d rows, t0 has %d", len(t1), n)
	}
	for i := 1; i < n; i++ {
		if t0[i] < t0[i-1] {
			return nil, errs.Invalidf("cv: rows are not in time order at row %d", i)
		}
	}
	blocks := cfg.Splits
	if cfg.Method == WalkForward {
		blocks++
	}
	if n < 2*blocks {
		return nil, fmt.Errorf("cv: %d rows are too few for %d %s folds (need at least %d): %w",
			n, cfg.Splits, cfg.Method, 2*blocks, errs.ErrNoData)
	}
	end := func(i int) int64 {
		if t1 == nil || t1[i] < t0[i] {
			return t0[i]
		}
		return t1[i]
	}

	folds := make([]Fold, 0, cfg.Splits)
	switch cfg.Method {
	case WalkForward:
		// Equal test blocks at the end; the remainder goes to the first
		// (training-only) block so every test block has the same size.
		size := n / blocks
		first := n - cfg.Splits*size
		for k := 0; k < cfg.Splits; k++ {
			start := first + k*size
			folds = append(folds, buildFold(k, start, start+size, 0, n, size, cfg, t0, end))
		}
	case KFold:
		// Sizes ⌊n/k⌋ with the first n mod k blocks one larger.
		base, extra := n/cfg.Splits, n%cfg.Splits
		start := 0
		for k := 0; k < cfg.Splits; k++ {
			size := base
			if k < extra {
				size++
			}
			folds = append(folds, buildFold(k, start, start+size, 0, n, size, cfg, t0, end))
			start += size
		}
	}
	return folds, nil
}

// buildFold assembles the training rows of one fold: every row of [lo, hi)
// outside the test block, minus the embargo and the purged rows.
func buildFold(k, start, stop, lo, hi, size int, cfg Config, t0 []int64, end func(int) int64) Fold {
	f := Fold{Index: k, TestStart: start, TestEnd: stop}
	emb := int(cfg.Embargo * float64(size))
	// The test block spans from its first row's time to the latest label end
	// inside it; a training row whose window touches that span shares
	// information with the test labels.
	spanLo, spanHi := t0[start], end(start)
	for i := start; i < stop; i++ {
		if e := end(i); e > spanHi {
			spanHi = e
		}
	}
	trainHi := hi
	if cfg.Method == WalkForward {
		trainHi = start // expanding window: only the past
	}
	// kfold: after the test block and before it; walk_forward: only before
	// it (a gap between the expanding window and the block, since nothing
	// after the block is trained on).
	embLo, embHi := start-emb, stop+emb
	if cfg.Method == WalkForward {
		embHi = start
	}
	train := make([]int, 0, trainHi-lo)
	for i := lo; i < trainHi; i++ {
		if i >= start && i < stop {
			continue
		}
		if i >= embLo && i < embHi {
			f.Embargoed++
			continue
		}
		if t0[i] <= spanHi && end(i) >= spanLo {
			f.Purged++
			continue
		}
		train = append(train, i)
	}
	f.Train = train
	return f
}

// Overlaps reports training rows of f whose label window [t0, t1] overlaps the
// test block's span; Split guarantees none. Tests and audits use it.
func Overlaps(f Fold, t0, t1 []int64) []int {
	end := func(i int) int64 {
		if t1 == nil || t1[i] < t0[i] {
			return t0[i]
		}
		return t1[i]
	}
	spanLo, spanHi := t0[f.TestStart], end(f.TestStart)
	for i := f.TestStart; i < f.TestEnd; i++ {
		if e := end(i); e > spanHi {
			spanHi = e
		}
	}
	var bad []int
	for _, i := range f.Train {
		if t0[i] <= spanHi && end(i) >= spanLo {
			bad = append(bad, i)
		}
	}
	return bad
}
