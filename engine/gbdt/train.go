package gbdt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"sigmalab/engine/errs"
)

// Options are the optional inputs of TrainRows.
type Options struct {
	// Weights are per-row sample weights indexed by Dataset row (nil = 1).
	Weights []float64
	// ValidRows are Dataset rows used only for early stopping. When nil and
	// Params.EarlyStopping > 0, the last ValidFraction of the training rows
	// (rows are taken to be in time order) is held out instead.
	ValidRows []int
	// FeatureNames are stored in the model (optional; len must match).
	FeatureNames []string
	// SpareWorkers, when set, is asked before each boosting round of a
	// multiclass model how many more goroutines may grow that round's class
	// trees at once (one tree per goroutine). Cross-validation uses it to lend
	// the cores of finished folds to the last ones. The answer never changes
	// the model: the class trees of a round are independent.
	SpareWorkers func() int
	// Stop, when set, is asked before each boosting round; true abandons the
	// training with an error wrapping errs.ErrCancelled (a cancelled request or
	// job stops within one round instead of finishing every tree).
	Stop func() bool
}

// Train bins cols (cols[f][row], NaN = missing) and fits a classifier on all
// rows. y[row] is the class index in 0..numClass-1; numClass ≥ 2.
func Train(cols [][]float64, y []int, numClass int, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ds, err := NewDataset(cols, p.MaxBins)
	if err != nil {
		return nil, err
	}
	return TrainRows(ds, nil, y, numClass, p, nil)
}

// TrainRows fits a classifier on the given Dataset rows (nil = all rows, in
// order; each row at most once). y (and opt.Weights) are indexed by Dataset row and must have
// ds.Rows() entries; only the selected rows are read. Rows should be in time
// order: the early-stopping tail is taken from the end of the list.
func TrainRows(ds *Dataset, rows []int, y []int, numClass int, p Params, opt *Options) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if opt == nil {
		opt = &Options{}
	}
	if ds == nil || ds.Rows() == 0 {
		return nil, errs.Invalidf("gbdt: empty dataset")
	}
	n := ds.Rows()
	if len(y) != n {
		return nil, errs.Invalidf("gbdt: %d labels for %d rows", len(y), n)
	}
	if numClass < 2 {
		return nil, errs.Invalidf("gbdt: num_class=%d, need at least 2", numClass)
	}
	if opt.Weights != nil && len(opt.Weights) != n {
		return nil, errs.Invalidf("gbdt: %d weights for %d rows", len(opt.Weights), n)
	}
	if opt.FeatureNames != nil && len(opt.FeatureNames) != ds.Features() {
		return nil, errs.Invalidf("gbdt: %d feature names for %d features", len(opt.FeatureNames), ds.Features())
	}
	identity := rows == nil
	if rows == nil {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	validRows := opt.ValidRows
	if validRows == nil && p.EarlyStopping > 0 && p.ValidFraction > 0 {
		nv := int(math.Ceil(p.ValidFraction * float64(len(rows))))
		if nv >= len(rows) {
			return nil, errs.Invalidf("gbdt: validation_fraction leaves no training rows")
		}
		validRows = rows[len(rows)-nv:]
		rows = rows[:len(rows)-nv]
		identity = false
	}
	if len(rows) == 0 {
		return nil, errs.Invalidf("gbdt: no training rows")
	}
	counts := make([]float64, numClass)
	seen := make([]uint64, (n+63)/64)
	for _, r := range rows {
		if r < 0 || r >= n {
			return nil, errs.Invalidf("gbdt: row %d out of range 0..%d", r, n-1)
		}
		if seen[r/64]&(1<<(r%64)) != 0 {
			return nil, errs.Invalidf("gbdt: row %d listed twice", r)
		}
		seen[r/64] |= 1 << (r % 64)
		c := y[r]
		if c < 0 || c >= numClass {
			return nil, errs.Invalidf("gbdt: label %d at row %d outside 0..%d", c, r, numClass-1)
		}
		w := 1.0
		if opt.Weights != nil {
			w = opt.Weights[r]
			if !(w >= 0) || math.IsInf(w, 0) {
				return nil, errs.Invalidf("gbdt: weight %v at row %d must be finite and ≥ 0", w, r)
			}
		}
		counts[c] += w
	}
	present := 0
	for _, c := range counts {
		if c > 0 {
			present++
		}
	}
	if present < 2 {
		return nil, errs.Invalidf("gbdt: training rows hold a single class; need at least two")
	}
	for _, r := range validRows {
		if r < 0 || r >= n || y[r] < 0 || y[r] >= numClass {
			return nil, errs.Invalidf("gbdt: validation row %d out of range or mislabelled", r)
		}
	}
	if identity {
		for i, r := range rows {
			if r != i {
				identity = false
				break
			}
		}
	}
	w := opt.Weights
	var orig []int32
	if !identity {
		ds, rows, validRows, y, w, orig = compactRows(ds, rows, validRows, y, w)
		identity = len(validRows) == 0
	}
	b := &booster{ds: ds, p: p, y: y, w: w, numClass: numClass, rows: rows, valid: validRows, identity: identity,
		spare: opt.SpareWorkers, stop: opt.Stop, orig: orig}
	m := b.run(counts)
	if m == nil {
		return nil, fmt.Errorf("gbdt: training stopped before it finished: %w", errs.ErrCancelled)
	}
	m.FeatureNames = slices.Clone(opt.FeatureNames)
	return m, nil
}

// booster holds the state of one boosting run.
type booster struct {
	ds       *Dataset
	p        Params
	y        []int
	w        []float64
	numClass int
	rows     []int
	valid    []int
	identity bool
	spare    func() int
	stop     func() bool // Options.Stop
	orig     []int32     // Dataset row of each row of ds when ds is a compacted copy (nil: ds is the caller's)
}

// compactRows copies the bins of rows and then valid rows into a Dataset of
// their own (same bin edges), with labels and weights to match; it returns the
// new row lists and each new row's original row. Every tree then reads a
// dense, smaller column: the root histogram becomes a pass without a row index
// and deeper passes touch fewer cache lines. The original row numbers still
// seed the stochastic rounding, so the model is the one the caller's Dataset
// would give.
func compactRows(ds *Dataset, rows, valid []int, y []int, w []float64) (*Dataset, []int, []int, []int, []float64, []int32) {
	m := len(rows) + len(valid)
	orig := make([]int32, 0, m)
	for _, r := range rows {
		orig = append(orig, int32(r))
	}
	for _, r := range valid {
		orig = append(orig, int32(r))
	}
	sub := &Dataset{n: m, bins: make([][]uint8, len(ds.bins)), uppers: ds.uppers}
	for f, src := range ds.bins {
		c := make([]uint8, m)
		for i, r := range orig {
			c[i] = src[r]
		}
		sub.bins[f] = c
	}
	yy := make([]int, m)
	var ww []float64
	if w != nil {
		ww = make([]float64, m)
	}
	for i, r := range orig {
		yy[i] = y[r]
		if w != nil {
			ww[i] = w[r]
		}
	}
	nr := make([]int, m)
	for i := range nr {
		nr[i] = i
	}
	return sub, nr[:len(rows)], nr[len(rows):], yy, ww, orig
}

// baseMargins starts from the (weighted) class prior so the first trees fit
// structure rather than the base rate.
func baseMargins(counts []float64) []float64 {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	if len(counts) == 2 {
		p := math.Min(math.Max(counts[1]/total, 1e-6), 1-1e-6)
		return []float64{math.Log(p / (1 - p))}
	}
	out := make([]float64, len(counts))
	for k, c := range counts {
		out[k] = math.Log(math.Max(c/total, 1e-6))
	}
	return out
}

const gradChunk = 1 << 14

// run boosts the trees; it returns nil when Options.Stop asked it to stop.
func (b *booster) run(counts []float64) *Model {
	p := b.p
	ds := b.ds
	n := ds.Rows()
	K := b.numClass
	if K == 2 {
		K = 1 // one logistic tree per round
	}
	base := baseMargins(counts)
	workers := p.workers()
	score := make([][]float64, K)
	gh := make([][]gradPair, K)
	for k := range K {
		score[k] = make([]float64, n)
		gh[k] = make([]gradPair, n)
		for _, r := range b.rows {
			score[k][r] = base[k]
		}
	}
	vscore := make([][]float64, K)
	for k := range K {
		vscore[k] = make([]float64, len(b.valid))
		for i := range vscore[k] {
			vscore[k][i] = base[k]
		}
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	growers := []*grower{newGrower(ds, p, len(b.rows), b.orig)}
	feats := make([][]int, K)
	salts := make([]uint64, K)
	trees := make([]*Tree, K)
	bag := make([]int32, 0, len(b.rows))
	var oob []int32
	nf := ds.Features()
	nSel := max(1, int(math.Round(p.ColsampleBytree*float64(nf))))
	perm := make([]int, nf)

	m := &Model{Version: FormatVersion, NumClass: b.numClass, NumFeature: nf, BaseMargin: base, Params: p}
	bestIter, bestLoss, sinceBest := -1, math.Inf(1), 0
	for round := 0; round < p.NEstimators; round++ {
		if b.stop != nil && b.stop() {
			return nil
		}
		// Row sampling for this round (shared by the classes' trees).
		bag = bag[:0]
		oob = oob[:0]
		if p.Subsample < 1 {
			for _, r := range b.rows {
				if rng.Float64() < p.Subsample {
					bag = append(bag, int32(r))
				} else {
					oob = append(oob, int32(r))
				}
			}
			if len(bag) == 0 { // tiny data: never grow on nothing
				bag = append(bag, int32(b.rows[0]))
				oob = oob[1:]
			}
		} else {
			for _, r := range b.rows {
				bag = append(bag, int32(r))
			}
		}
		identity := b.identity && p.Subsample >= 1
		peaks := b.gradients(score, gh, bag, workers)
		// Random draws of the round's trees first, in class order, so growing
		// them in parallel draws exactly what growing them in turn would.
		for k := range K {
			// Feature sampling per tree (partial Fisher–Yates, then sorted so
			// the split search order is fixed).
			for i := range perm {
				perm[i] = i
			}
			for i := 0; i < nSel; i++ {
				j := i + rng.IntN(nf-i)
				perm[i], perm[j] = perm[j], perm[i]
			}
			feats[k] = append(feats[k][:0], perm[:nSel]...)
			slices.Sort(feats[k])
			salts[k] = rng.Uint64()
		}
		nw := 1
		if K > 1 && b.spare != nil {
			nw = 1 + min(K-1, max(0, b.spare()))
		}
		for len(growers) < nw {
			growers = append(growers, newGrower(ds, p, len(b.rows), b.orig))
		}
		// Tree k is grown by grower k mod nw; each writes only its class's scores.
		parallelFor(nw, nw, func(w int) {
			gr := growers[w]
			for k := w; k < K; k += nw {
				gr.feats = append(gr.feats[:0], feats[k]...)
				gr.idx = append(gr.idx[:0], bag...)
				gr.salt = salts[k]
				t := gr.grow(gh[k], peaks[k], identity, score[k])
				sc := score[k]
				chunkFor(len(oob), gradChunk, workers, func(lo, hi int) {
					for _, r := range oob[lo:hi] {
						sc[r] += t.Value[t.leafBinned(ds.bins, int(r))]
					}
				})
				vs := vscore[k]
				valid := b.valid
				chunkFor(len(valid), gradChunk, workers, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						vs[i] += t.Value[t.leafBinned(ds.bins, valid[i])]
					}
				})
				trees[k] = t
			}
		})
		for _, t := range trees {
			m.Trees = append(m.Trees, *t)
		}
		if p.EarlyStopping > 0 && len(b.valid) > 0 {
			loss := b.validLoss(vscore)
			if loss < bestLoss {
				bestIter, bestLoss, sinceBest = round, loss, 0
			} else if sinceBest++; sinceBest >= p.EarlyStopping {
				break
			}
		}
	}
	m.Rounds = len(m.Trees) / K
	m.BestIteration = m.Rounds - 1
	if bestIter >= 0 {
		m.BestIteration = bestIter
		m.Trees = m.Trees[:(bestIter+1)*K]
		m.Rounds = bestIter + 1
		m.ValidLoss = bestLoss
	}
	m.computeImportance()
	return m
}

// gradients fills gh[k][r] for the bag rows from the current margins and
// returns each class's largest |g| and h over them (the quantisation ranges;
// a max does not depend on the chunk order).
func (b *booster) gradients(score [][]float64, gh [][]gradPair, bag []int32, workers int) []gradPair {
	K := len(score)
	y, w := b.y, b.w
	nc := (len(bag) + gradChunk - 1) / gradChunk
	peaks := make([]gradPair, nc*K) // per chunk and class: max |g|, max h
	chunkFor(len(bag), gradChunk, workers, func(lo, hi int) {
		pk := peaks[lo/gradChunk*K : lo/gradChunk*K+K]
		if K == 1 {
			sc, g := score[0], gh[0]
			var mg, mh float32
			for _, r := range bag[lo:hi] {
				pr := sigmoid(sc[r])
				gv, hv := pr, pr*(1-pr)
				if y[r] == 1 {
					gv = pr - 1
				}
				if w != nil {
					gv, hv = gv*w[r], hv*w[r]
				}
				v := gradPair{float32(gv), float32(max(hv, 1e-16))}
				g[r] = v
				mg, mh = max(mg, abs32(v.g)), max(mh, v.h)
			}
			pk[0] = gradPair{mg, mh}
			return
		}
		// Softmax with XGBoost's diagonal hessian 2·p·(1−p) (multi:softprob):
		// at the same learning rate, min_child_weight and lambda our steps and
		// split constraints are then XGBoost's, so its hyper-parameters carry
		// over (Friedman's K/(K−1) factor took 1.33× larger steps at K = 3).
		const scale = 2.0
		pr := make([]float64, K)
		for _, r := range bag[lo:hi] {
			mx := math.Inf(-1)
			for k := range K {
				mx = max(mx, score[k][r])
			}
			sum := 0.0
			for k := range K {
				// exp(0) is exactly 1: the largest class skips the call.
				if d := score[k][r] - mx; d == 0 {
					pr[k] = 1
				} else {
					pr[k] = math.Exp(d)
				}
				sum += pr[k]
			}
			wr := 1.0
			if w != nil {
				wr = w[r]
			}
			for k := range K {
				q := pr[k] / sum
				gv := q
				if y[r] == k {
					gv = q - 1
				}
				hv := max(scale*q*(1-q), 1e-16)
				v := gradPair{float32(gv * wr), float32(hv * wr)}
				gh[k][r] = v
				pk[k] = gradPair{max(pk[k].g, abs32(v.g)), max(pk[k].h, v.h)}
			}
		}
	})
	out := make([]gradPair, K)
	for c := 0; c < nc; c++ {
		for k := range K {
			p := peaks[c*K+k]
			out[k] = gradPair{max(out[k].g, p.g), max(out[k].h, p.h)}
		}
	}
	return out
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// validLoss is the mean logloss of the validation rows.
func (b *booster) validLoss(vscore [][]float64) float64 {
	probs := marginsToProba(vscore, b.numClass)
	loss := 0.0
	for i, r := range b.valid {
		loss -= math.Log(max(probs[b.y[r]][i], 1e-15))
	}
	return loss / float64(len(b.valid))
}
