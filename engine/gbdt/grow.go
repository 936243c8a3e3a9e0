package gbdt

import (
	"math"
	"slices"
)

// histSlots is the histogram width per feature: bin 0 (missing) + 255 value
// bins. A fixed width lets the kernel index with a uint8 without bounds checks.
const histSlots = 256

// gradPair is one row's gradient and hessian.
type gradPair struct{ g, h float32 }

// binStat is a gradient and hessian sum.
type binStat struct{ g, h float64 }

// Histograms hold quantised gradients packed into one int64 per row:
// gradient (signed) in the high 32 bits, hessian (≥ 0) in the low 32 bits.
// One integer add per row and feature is ~1.8× faster than two float adds,
// integer sums are exact (the subtraction trick loses nothing and the result
// cannot depend on summation order), and the quantisation levels are chosen
// per tree so no sum can overflow (see quantize). Split search works on these
// sums; leaf values are then recomputed from the exact float gradients.
func packGH(g, h int64) int64 { return g<<32 + h }

func unpackGH(v int64) (g, h int64) {
	h = int64(uint64(v) & 0xffffffff)
	return (v - h) >> 32, h
}

// split is the best split found for a node.
type split struct {
	ok          bool
	feature     int
	bin         int // left = value bins 1..bin
	defaultLeft bool
	gain        float64
	left        int64 // packed quantised sums of the left child
}

// nodeState is a tree node that may still be split.
type nodeState struct {
	node       int32 // index in the Tree
	start, end int   // rows idx[start:end]
	depth      int
	sum        int64   // packed quantised gradient/hessian sum
	hist       []int64 // nf*histSlots; nil when the node will not be split
	best       split
}

// leafRange records which idx positions ended in which leaf, so scores are
// updated without walking the tree again.
type leafRange struct {
	node       int32
	start, end int
}

// grower grows trees on one Dataset; buffers are reused between trees.
type grower struct {
	ds      *Dataset
	p       Params
	workers int

	idx     []int32 // in-bag rows, partitioned into node ranges
	scratch []int32 // partition buffer aligned with idx
	qgh     []int64 // quantised packed gradients by Dataset row (current tree)
	oq      []int64 // qgh gathered in idx order
	sg, sh  float64 // dequantisation scales of the current tree
	feats   []int   // active (sampled) features of the current tree, ascending
	pool    [][]int64
	leaves  []leafRange
	salt    uint64  // stochastic-rounding stream of the current tree
	orig    []int32 // caller's row number of each ds row (nil: the same), which seeds the rounding

	featGroups [][]int // groups() of feats, views into feats
	groupsOf   int     // len(feats) when featGroups was made
}

func newGrower(ds *Dataset, p Params, capRows int, orig []int32) *grower {
	return &grower{
		ds:      ds,
		orig:    orig,
		p:       p,
		workers: p.workers(),
		idx:     make([]int32, 0, capRows),
		scratch: make([]int32, capRows),
		qgh:     make([]int64, ds.Rows()),
		oq:      make([]int64, capRows),
	}
}

func (gr *grower) getHist() []int64 {
	if n := len(gr.pool); n > 0 {
		h := gr.pool[n-1]
		gr.pool = gr.pool[:n-1]
		return h
	}
	return make([]int64, gr.ds.Features()*histSlots)
}

func (gr *grower) putHist(h []int64) {
	if h != nil {
		gr.pool = append(gr.pool, h)
	}
}

// minParallelWork is the node size (rows × features) below which parallel
// dispatch costs more than it saves.
const minParallelWork = 1 << 15

// grow builds one tree on the rows in gr.idx with gradients gh (indexed by
// Dataset row) and adds its leaf values to the scores sc of those rows.
// identity says gr.idx is exactly 0..n-1 in order.
//
// The root histogram is built by a dense pass over every Dataset row (no row
// index, about twice the per-row speed of a gathered pass) whenever the tree's
// rows are at least half of the Dataset: rows outside the tree then carry a
// zero quantised gradient and add nothing.
func (gr *grower) grow(gh []gradPair, peak gradPair, identity bool, sc []float64) *Tree {
	p := gr.p
	t := &Tree{}
	// Room for the largest tree the limits allow (small ones only), so the
	// node arrays are allocated once instead of grown node by node.
	switch {
	case p.NumLeaves > 0:
		t.reserve(min(2*p.NumLeaves-1, 1023))
	case p.MaxDepth <= 9:
		t.reserve(1<<(p.MaxDepth+1) - 1)
	}
	gr.leaves = gr.leaves[:0]
	n := len(gr.idx)
	nds := gr.ds.Rows()
	dense := identity || 2*n >= nds
	if dense && !identity {
		clear(gr.qgh)
	}
	root := &nodeState{node: t.addNode(), start: 0, end: n}
	root.sum = gr.quantize(gh, peak)
	leafWise := p.NumLeaves > 0
	canSplit := func(depth int) bool { return p.MaxDepth == 0 || depth < p.MaxDepth }
	if canSplit(0) {
		root.hist = gr.getHist()
		if dense {
			gr.buildRootIdentity(root.hist, gr.qgh[:nds])
		} else {
			gr.gather([]*nodeState{root})
			gr.buildHists([]*nodeState{root})
		}
		gr.findBest([]*nodeState{root})
	}
	var final []*nodeState // nodes that stay leaves
	if leafWise {
		cands := []*nodeState{root}
		nLeaves := 1
		for nLeaves < p.NumLeaves {
			bi := -1
			for i, c := range cands {
				if c.best.ok && (bi < 0 || c.best.gain > cands[bi].best.gain) {
					bi = i
				}
			}
			if bi < 0 {
				break
			}
			c := cands[bi]
			cands = slices.Delete(cands, bi, bi+1)
			kids := gr.splitNodes(t, []*nodeState{c}, canSplit(c.depth+1))
			cands = append(cands, kids...)
			nLeaves++
		}
		final = cands
	} else {
		level := []*nodeState{root}
		for {
			var split, keep []*nodeState
			for _, s := range level {
				if s.best.ok {
					split = append(split, s)
				} else {
					keep = append(keep, s)
				}
			}
			final = append(final, keep...)
			if len(split) == 0 {
				break
			}
			level = gr.splitNodes(t, split, canSplit(split[0].depth+1))
		}
	}
	for _, s := range final {
		gr.putHist(s.hist)
		s.hist = nil
		gr.leaves = append(gr.leaves, leafRange{node: s.node, start: s.start, end: s.end})
	}
	gr.finishLeaves(t, gh, sc)
	return t
}

func leafWeight(g, h, lambda float64) float64 {
	if h+lambda <= 0 {
		return 0
	}
	return -g / (h + lambda)
}

// splitNodes applies each node's best split, partitions its rows, and — when
// the children may be split further — builds the smaller child's histogram,
// derives the larger one by subtraction and finds the children's best splits.
func (gr *grower) splitNodes(t *Tree, nodes []*nodeState, needHist bool) []*nodeState {
	kids := make([]*nodeState, 0, 2*len(nodes))
	for _, s := range nodes {
		b := s.best
		t.Feature[s.node] = int32(b.feature)
		t.bin[s.node] = uint8(b.bin)
		t.Threshold[s.node] = gr.ds.uppers[b.feature][b.bin-1]
		t.DefaultLeft[s.node] = b.defaultLeft
		t.Gain[s.node] = b.gain
		_, hq := unpackGH(s.sum)
		t.Cover[s.node] = float64(hq) * gr.sh
		l := &nodeState{node: t.addNode(), depth: s.depth + 1, sum: b.left}
		r := &nodeState{node: t.addNode(), depth: s.depth + 1, sum: s.sum - b.left}
		t.Left[s.node], t.Right[s.node] = l.node, r.node
		kids = append(kids, l, r)
	}
	gr.partition(nodes, kids)
	if !needHist {
		for _, s := range nodes {
			gr.putHist(s.hist)
			s.hist = nil
		}
		return kids
	}
	small := make([]*nodeState, len(nodes))
	large := make([]*nodeState, len(nodes))
	for i, s := range nodes {
		l, r := kids[2*i], kids[2*i+1]
		if l.end-l.start <= r.end-r.start {
			small[i], large[i] = l, r
		} else {
			small[i], large[i] = r, l
		}
		small[i].hist = gr.getHist()
		large[i].hist = s.hist // reused: becomes parent − small below
		s.hist = nil
	}
	gr.gather(small)
	gr.buildHists(small)
	// When the children's children will be leaves (depth-wise growth), the
	// larger child's histogram is only scanned, never subtracted from again.
	keep := gr.p.NumLeaves > 0 || gr.p.MaxDepth == 0 || nodes[0].depth+2 < gr.p.MaxDepth
	gr.subtractAndFindBest(large, small, keep)
	return kids
}

// subtractAndFindBest turns each large[i].hist (holding the parent's
// histogram) into parent − small[i].hist and finds both children's best
// splits, in one parallel phase of (pair, feature) tasks: every phase is a
// barrier, and barriers are what a busy machine makes expensive.
//
// With keep false the large histograms are not needed afterwards: a feature
// without missing rows in the large child is then scanned as parent − small
// on the fly instead of being written back.
func (gr *grower) subtractAndFindBest(large, small []*nodeState, keep bool) {
	feats := gr.feats
	nf := len(feats)
	res := make([]split, 2*len(large)*nf)
	w := gr.workers
	if len(large)*nf*histSlots < minParallelWork {
		w = 1
	}
	parallelFor(len(large)*nf, w, func(k int) {
		i, f := k/nf, feats[k%nf]
		dst := (*histArr)(large[i].hist[f*histSlots:])
		src := (*histArr)(small[i].hist[f*histSlots:])
		res[2*k] = gr.bestForFeature(small[i], f, nil)
		if !keep && dst[0] == src[0] {
			res[2*k+1] = gr.bestForFeature(large[i], f, src)
			return
		}
		for b := range dst {
			dst[b] -= src[b]
		}
		res[2*k+1] = gr.bestForFeature(large[i], f, nil)
	})
	for i := range large {
		for side, s := range []*nodeState{small[i], large[i]} {
			s.best = split{}
			for j := 0; j < nf; j++ {
				if c := res[2*(i*nf+j)+side]; c.ok && (!s.best.ok || c.gain > s.best.gain) {
					s.best = c
				}
			}
		}
	}
}

// partChunk is the row block of one partition task. Fixed, so the result is
// the same for any worker count.
const partChunk = 1 << 15

// partition splits each node's idx range stably into its children's ranges.
// Blocks of every node are partitioned in parallel into scratch (lefts first),
// then copied back to their final places.
func (gr *grower) partition(nodes, kids []*nodeState) {
	type block struct {
		node, lo, hi, nl int
	}
	var blocks []block
	work := 0
	for i, s := range nodes {
		for lo := s.start; lo < s.end; lo += partChunk {
			blocks = append(blocks, block{node: i, lo: lo, hi: min(lo+partChunk, s.end)})
		}
		work += s.end - s.start
	}
	w := gr.workers
	if work < minParallelWork {
		w = 1
	}
	luts := make([][histSlots]bool, len(nodes))
	for i, s := range nodes {
		luts[i][0] = s.best.defaultLeft
		for v := 1; v <= s.best.bin; v++ {
			luts[i][v] = true
		}
	}
	parallelFor(len(blocks), w, func(k int) {
		bl := &blocks[k]
		goLeft := &luts[bl.node]
		col := gr.ds.bins[nodes[bl.node].best.feature]
		idx := gr.idx[bl.lo:bl.hi]
		out := gr.scratch[bl.lo:bl.hi]
		// Lefts fill out from the front; rights go to the back in reverse and
		// are flipped below, keeping both sides in row order.
		nl, nr := 0, len(out)
		for _, row := range idx {
			if goLeft[col[row]] {
				out[nl] = row
				nl++
			} else {
				nr--
				out[nr] = row
			}
		}
		for i, j := nl, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		bl.nl = nl
	})
	// Destination offsets per block.
	type dest struct{ left, right int }
	dests := make([]dest, len(blocks))
	for i, s := range nodes {
		nl := 0
		for _, bl := range blocks {
			if bl.node == i {
				nl += bl.nl
			}
		}
		l, r := kids[2*i], kids[2*i+1]
		l.start, l.end = s.start, s.start+nl
		r.start, r.end = s.start+nl, s.end
		lpos, rpos := l.start, r.start
		for k, bl := range blocks {
			if bl.node == i {
				dests[k] = dest{lpos, rpos}
				lpos += bl.nl
				rpos += bl.hi - bl.lo - bl.nl
			}
		}
	}
	parallelFor(len(blocks), w, func(k int) {
		bl := blocks[k]
		d := dests[k]
		src := gr.scratch[bl.lo:bl.hi]
		copy(gr.idx[d.left:d.left+bl.nl], src[:bl.nl])
		copy(gr.idx[d.right:d.right+len(src)-bl.nl], src[bl.nl:])
	})
}

// quantize fills gr.qgh for the rows in gr.idx and returns their packed sum;
// peak holds the largest |g| and h over those rows.
// Levels: with n rows, |Σg| ≤ n·Lg must fit 31 bits and Σh ≤ n·Lh 32 bits, so
// Lg = ⌊(2³¹−1)/n⌋ and Lh = ⌊(2³²−1)/n⌋ (capped at 2¹⁵ and 2¹⁶); 800k rows
// still get ±2684 and 5368 levels. Rounding is stochastic (unbiased), driven
// by a hash of (tree, row) so it does not depend on scheduling.
func (gr *grower) quantize(gh []gradPair, peak gradPair) int64 {
	idx := gr.idx
	n := len(idx)
	nc := (n + sumChunk - 1) / sumChunk
	mg, mh := peak.g, peak.h
	lg := float64(min(int64(1)<<15, (int64(1)<<31-1)/int64(n)))
	lh := float64(min(int64(1)<<16, (int64(1)<<32-1)/int64(n)))
	gr.sg, gr.sh = 1, 1
	if mg > 0 {
		gr.sg = float64(mg) / lg
	}
	if mh > 0 {
		gr.sh = float64(mh) / lh
	}
	ig, ih := 1/gr.sg, 1/gr.sh
	part := make([]int64, nc)
	salt := gr.salt
	orig := gr.orig
	chunkFor(n, sumChunk, gr.workers, func(lo, hi int) {
		var sum int64
		for _, r := range idx[lo:hi] {
			id := uint64(r)
			if orig != nil {
				id = uint64(orig[r])
			}
			u1, u2 := uniforms(salt, id)
			g := int64(math.Floor(float64(gh[r].g)*ig + u1))
			h := int64(math.Floor(float64(gh[r].h)*ih + u2))
			g = min(max(g, -int64(lg)), int64(lg))
			h = min(max(h, 0), int64(lh))
			v := packGH(g, h)
			gr.qgh[r] = v
			sum += v
		}
		part[lo/sumChunk] = sum
	})
	var sum int64
	for _, v := range part {
		sum += v
	}
	return sum
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// uniforms returns two uniform [0,1) numbers from a splitmix64 hash of
// (salt, row).
func uniforms(salt, row uint64) (float64, float64) {
	z := salt + row*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>40) / (1 << 24), float64(z&(1<<24-1)) / (1 << 24)
}

// sumChunk is the block size of parallel reductions; partial results are
// combined in block order so they do not depend on the worker count.
const sumChunk = 1 << 16

// gather copies the quantised gradients of the nodes' rows into oq, aligned
// with idx.
func (gr *grower) gather(nodes []*nodeState) {
	for _, s := range nodes {
		idx := gr.idx[s.start:s.end]
		dst := gr.oq[s.start:s.end]
		if len(idx) < minParallelWork {
			for i, r := range idx {
				dst[i] = gr.qgh[r]
			}
			continue
		}
		chunkFor(len(idx), 1<<16, gr.workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dst[i] = gr.qgh[idx[i]]
			}
		})
	}
}

// finishLeaves sets every leaf's value and cover from the exact float
// gradients of its rows (the quantised sums only choose the splits) and adds
// the value to those rows' scores — one task per leaf, each summing its rows
// in order on one goroutine, so the result does not depend on scheduling.
func (gr *grower) finishLeaves(t *Tree, gh []gradPair, sc []float64) {
	w := gr.workers
	if len(gr.idx) < minParallelWork {
		w = 1
	}
	parallelFor(len(gr.leaves), w, func(i int) {
		lf := gr.leaves[i]
		rows := gr.idx[lf.start:lf.end]
		var s binStat
		for _, r := range rows {
			s.g += float64(gh[r].g)
			s.h += float64(gh[r].h)
		}
		v := gr.p.LearningRate * leafWeight(s.g, s.h, gr.p.RegLambda)
		t.Value[lf.node], t.Cover[lf.node] = v, s.h
		for _, r := range rows {
			sc[r] += v
		}
	})
}

// featGroup is the number of features one histogram task covers.
const featGroup = 4

// groups splits the active features into consecutive groups of featGroup
// (kept for the whole tree: gr.feats is fixed while it grows).
func (gr *grower) groups() [][]int {
	if gr.groupsOf == len(gr.feats) && len(gr.featGroups) > 0 && &gr.featGroups[0][0] == &gr.feats[0] {
		return gr.featGroups
	}
	gr.featGroups = gr.featGroups[:0]
	for i := 0; i < len(gr.feats); i += featGroup {
		gr.featGroups = append(gr.featGroups, gr.feats[i:min(i+featGroup, len(gr.feats))])
	}
	gr.groupsOf = len(gr.feats)
	return gr.featGroups
}

// histTask resolves (and zeroes) the histograms and columns of one feature
// group. Fixed-size arrays: the task runs for every node and feature group,
// and slices made here would each be a heap allocation.
func (gr *grower) histTask(hist []int64, fs []int) (hs [featGroup]*histArr, cs [featGroup][]uint8) {
	for j, f := range fs {
		hs[j] = (*histArr)(hist[f*histSlots:])
		*hs[j] = histArr{}
		cs[j] = gr.ds.bins[f]
	}
	return hs, cs
}

// buildRootIdentity fills the root histogram from every Dataset row (q is
// zero for rows outside the tree).
func (gr *grower) buildRootIdentity(hist []int64, q []int64) {
	groups := gr.groups()
	w := gr.workers
	if len(q)*len(gr.feats) < minParallelWork {
		w = 1
	}
	parallelFor(len(groups), w, func(i int) {
		fs := groups[i]
		hs, cs := gr.histTask(hist, fs)
		histDense(hs[:len(fs)], cs[:len(fs)], q)
	})
}

// buildHists fills the histograms of nodes (rows gathered into ogh), one task
// per (node, feature group); each feature is summed in idx order by one task.
func (gr *grower) buildHists(nodes []*nodeState) {
	groups := gr.groups()
	ng := len(groups)
	work := 0
	for _, s := range nodes {
		work += (s.end - s.start) * len(gr.feats)
	}
	w := gr.workers
	if work < minParallelWork {
		w = 1
	}
	parallelFor(len(nodes)*ng, w, func(k int) {
		s := nodes[k/ng]
		fs := groups[k%ng]
		hs, cs := gr.histTask(s.hist, fs)
		histRows(hs[:len(fs)], cs[:len(fs)], gr.idx[s.start:s.end], gr.oq[s.start:s.end])
	})
}

// findBest sets best for every node that has a histogram: one task per
// (node, feature), then a reduction over features in ascending order with
// strict improvement, so ties resolve to the lowest feature and bin.
func (gr *grower) findBest(nodes []*nodeState) {
	feats := gr.feats
	nf := len(feats)
	res := make([]split, len(nodes)*nf)
	w := gr.workers
	if len(nodes)*nf < 8 {
		w = 1
	}
	parallelFor(len(nodes)*nf, w, func(k int) {
		s := nodes[k/nf]
		if s.hist == nil {
			return
		}
		res[k] = gr.bestForFeature(s, feats[k%nf], nil)
	})
	for i, s := range nodes {
		s.best = split{}
		if s.hist == nil {
			continue
		}
		for j := 0; j < nf; j++ {
			c := res[i*nf+j]
			if c.ok && (!s.best.ok || c.gain > s.best.gain) {
				s.best = c
			}
		}
	}
}

// minHess keeps children with (numerically) no hessian from being split off.
const minHess = 1e-12

// minGain rejects splits whose gain is rounding noise.
const minGain = 1e-10

// bestForFeature finds the best split of s on feature f. With minus set, the
// node's histogram is s.hist − minus (which must have no missing rows).
func (gr *grower) bestForFeature(s *nodeState, f int, minus *histArr) split {
	nv := gr.ds.NumBins(f)
	if nv < 2 {
		return split{}
	}
	// The scan runs for every bin of every feature of every node and dominates
	// small trainings, so it works in quantised units: with gl = lg·sg and
	// hl = lh·sh, every gain term is (sg²/sh)·lg²/(lh + λ/sh). The minimum child
	// weight becomes a whole number of hessian quanta, candidates are compared
	// by cross-multiplication, and only a new best pays for a division.
	p := gr.p
	scale := gr.sg * gr.sg / gr.sh
	lam := p.RegLambda / gr.sh
	minQ := max(int64(math.Ceil(max(p.MinChildWeight, minHess)/gr.sh)), 1)
	hs := (*histArr)(s.hist[f*histSlots:])
	gq, hq := unpackGH(s.sum)
	G, H := float64(gq), float64(hq)
	parent := G * G / (H + lam)
	miss := hs[0]
	if minus != nil {
		miss -= minus[0]
	}
	mg, mh := unpackGH(miss)
	hasMiss := miss != 0
	bestGain := max(p.Gamma, minGain) / scale
	best := split{}
	eval := func(lg, lh int64, t int, defaultLeft bool) {
		gl, hl := float64(lg), float64(lh)
		gr, hr := G-gl, H-hl
		dl, dr := hl+lam, hr+lam
		num, den := gl*gl*dr+gr*gr*dl, dl*dr
		if num > (bestGain+parent)*den {
			if gain := num/den - parent; gain > bestGain {
				bestGain = gain
				best = split{ok: true, feature: f, bin: t, defaultLeft: defaultLeft, left: packGH(lg, lh)}
			}
		}
	}
	if !hasMiss {
		// Most nodes see no missing values: a tighter loop (no closure, no
		// per-bin test of the left weight, which only grows) with the same
		// arithmetic, so it picks exactly the split the general loop would.
		var t int
		var left int64
		var gain float64
		if minus != nil {
			t, left, gain = scanNoMissingDiff(hs, minus, nv, hq, minQ, G, H, lam, parent, bestGain)
		} else {
			t, left, gain = scanNoMissing(hs, nv, hq, minQ, G, H, lam, parent, bestGain)
		}
		if t > 0 {
			bestGain = gain
			best = split{ok: true, feature: f, bin: t, left: left}
		}
	} else {
		var cum int64
		for t := 1; t < nv; t++ {
			cum += hs[t]
			lg, lh := unpackGH(cum)
			if hq-lh < minQ {
				break // the right child only gets lighter from here (also with missing rows left)
			}
			if lh >= minQ {
				eval(lg, lh, t, false) // missing rows right
			}
			// An empty bin repeats the previous split (which wins the tie); with
			// missing rows left it could only add the missing-only split.
			if hs[t] != 0 && lh+mh >= minQ && hq-lh-mh >= minQ {
				eval(lg+mg, lh+mh, t, true)
			}
		}
	}
	if !best.ok {
		return best
	}
	best.gain = bestGain * scale
	if !hasMiss {
		// No missing values reached this node: send future NaNs to the side that
		// saw more (hessian-weighted) rows.
		_, lh := unpackGH(best.left)
		best.defaultLeft = 2*lh >= hq
	}
	return best
}

// lowMask selects the hessian half of a packed sum.
const lowMask = 1<<32 - 1

// scanNoMissing is the split scan of a feature histogram without missing
// values: it returns the best bin t (0: none beats bestGain), the packed left
// sum and the gain, in the quantised units of bestForFeature. Bins whose left
// child is still lighter than minQ are skipped first; after that the left
// weight only grows, so the loop tests just the right child's weight.
func scanNoMissing(hs *histArr, nv int, hq, minQ int64, G, H, lam, parent, bestGain float64) (int, int64, float64) {
	bestT, bestLeft := 0, int64(0)
	var cum int64
	t := 1
	for ; t < nv; t++ {
		cum += hs[uint8(t)]
		lh := cum & lowMask
		if hq-lh < minQ {
			return 0, 0, bestGain
		}
		if lh >= minQ {
			break
		}
	}
	thr := bestGain + parent
	for t < nv {
		// cum holds bins 1..t; both children are heavy enough.
		lh := cum & lowMask
		gl, hl := float64((cum-lh)>>32), float64(lh)
		gr, hr := G-gl, H-hl
		dl, dr := hl+lam, hr+lam
		num, den := gl*gl*dr+gr*gr*dl, dl*dr
		if num > thr*den {
			if gain := num/den - parent; gain > bestGain {
				bestGain, thr = gain, gain+parent
				bestT, bestLeft = t, cum
			}
		}
		t++
		if t >= nv {
			break
		}
		cum += hs[uint8(t)]
		if hq-cum&lowMask < minQ {
			break
		}
	}
	return bestT, bestLeft, bestGain
}

// scanNoMissingDiff is scanNoMissing on the histogram hs − minus.
func scanNoMissingDiff(hs, minus *histArr, nv int, hq, minQ int64, G, H, lam, parent, bestGain float64) (int, int64, float64) {
	bestT, bestLeft := 0, int64(0)
	var cum int64
	t := 1
	for ; t < nv; t++ {
		cum += (hs[uint8(t)] - minus[uint8(t)])
		lh := cum & lowMask
		if hq-lh < minQ {
			return 0, 0, bestGain
		}
		if lh >= minQ {
			break
		}
	}
	thr := bestGain + parent
	for t < nv {
		// cum holds bins 1..t; both children are heavy enough.
		lh := cum & lowMask
		gl, hl := float64((cum-lh)>>32), float64(lh)
		gr, hr := G-gl, H-hl
		dl, dr := hl+lam, hr+lam
		num, den := gl*gl*dr+gr*gr*dl, dl*dr
		if num > thr*den {
			if gain := num/den - parent; gain > bestGain {
				bestGain, thr = gain, gain+parent
				bestT, bestLeft = t, cum
			}
		}
		t++
		if t >= nv {
			break
		}
		cum += (hs[uint8(t)] - minus[uint8(t)])
		if hq-cum&lowMask < minQ {
			break
		}
	}
	return bestT, bestLeft, bestGain
}
