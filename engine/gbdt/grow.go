package gbdt

import (
	"slices"
)

// histSlots is the histogram width per feature: bin 0 (missing) + 255 value
// bins. A fixed width lets the kernel index with a uint8 without bounds checks.
const histSlots = 256

// gradPair is one row's gradient and hessian. float32 halves the memory
// traffic of the histogram kernel; sums are accumulated in float64.
type gradPair struct{ g, h float32 }

// binStat is one histogram bin: gradient and hessian sums.
type binStat struct{ g, h float64 }

// split is the best split found for a node.
type split struct {
	ok          bool
	feature     int
	bin         int // left = value bins 1..bin
	defaultLeft bool
	gain        float64
	gl, hl      float64 // left sums, missing rows included when defaultLeft
}

// nodeState is a tree node that may still be split.
type nodeState struct {
	node       int32 // index in the Tree
	start, end int   // rows idx[start:end]
	depth      int
	g, h       float64
	hist       []binStat // nf*histSlots; nil when the node will not be split
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

	idx     []int32    // in-bag rows, partitioned into node ranges
	scratch []int32    // partition buffer aligned with idx
	ogh     []gradPair // gradients gathered in idx order
	feats   []int      // active (sampled) features of the current tree, ascending
	pool    [][]binStat
	leaves  []leafRange
}

func newGrower(ds *Dataset, p Params, capRows int) *grower {
	return &grower{
		ds:      ds,
		p:       p,
		workers: p.workers(),
		idx:     make([]int32, 0, capRows),
		scratch: make([]int32, capRows),
		ogh:     make([]gradPair, capRows),
	}
}

func (gr *grower) getHist() []binStat {
	if n := len(gr.pool); n > 0 {
		h := gr.pool[n-1]
		gr.pool = gr.pool[:n-1]
		return h
	}
	return make([]binStat, gr.ds.Features()*histSlots)
}

func (gr *grower) putHist(h []binStat) {
	if h != nil {
		gr.pool = append(gr.pool, h)
	}
}

// minParallelWork is the node size (rows × features) below which parallel
// dispatch costs more than it saves.
const minParallelWork = 1 << 15

// grow builds one tree on the rows in gr.idx with gradients gh (indexed by
// Dataset row). identity says gr.idx is exactly 0..n-1 in order, which lets the
// root histogram read gradients without a gather.
func (gr *grower) grow(gh []gradPair, identity bool) *Tree {
	p := gr.p
	t := &Tree{}
	gr.leaves = gr.leaves[:0]
	n := len(gr.idx)
	root := &nodeState{node: t.addNode(), start: 0, end: n}
	for _, r := range gr.idx {
		root.g += float64(gh[r].g)
		root.h += float64(gh[r].h)
	}
	leafWise := p.NumLeaves > 0
	canSplit := func(depth int) bool { return p.MaxDepth == 0 || depth < p.MaxDepth }
	if canSplit(0) {
		root.hist = gr.getHist()
		if identity {
			gr.buildRootIdentity(root.hist, gh[:n])
		} else {
			gr.gather(gh, []*nodeState{root})
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
			kids := gr.splitNodes(t, gh, []*nodeState{c}, canSplit(c.depth+1))
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
			level = gr.splitNodes(t, gh, split, canSplit(split[0].depth+1))
		}
	}
	lr := p.LearningRate
	for _, s := range final {
		gr.putHist(s.hist)
		s.hist = nil
		t.Value[s.node] = lr * leafWeight(s.g, s.h, p.RegLambda)
		t.Cover[s.node] = s.h
		gr.leaves = append(gr.leaves, leafRange{node: s.node, start: s.start, end: s.end})
	}
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
func (gr *grower) splitNodes(t *Tree, gh []gradPair, nodes []*nodeState, needHist bool) []*nodeState {
	kids := make([]*nodeState, 0, 2*len(nodes))
	for _, s := range nodes {
		b := s.best
		t.Feature[s.node] = int32(b.feature)
		t.bin[s.node] = uint8(b.bin)
		t.Threshold[s.node] = gr.ds.uppers[b.feature][b.bin-1]
		t.DefaultLeft[s.node] = b.defaultLeft
		t.Gain[s.node] = b.gain
		t.Cover[s.node] = s.h
		l := &nodeState{node: t.addNode(), depth: s.depth + 1, g: b.gl, h: b.hl}
		r := &nodeState{node: t.addNode(), depth: s.depth + 1, g: s.g - b.gl, h: s.h - b.hl}
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
	gr.gather(gh, small)
	gr.buildHists(small)
	gr.subtract(large, small)
	gr.findBest(kids)
	return kids
}

// partition splits each node's idx range stably into its children's ranges.
func (gr *grower) partition(nodes, kids []*nodeState) {
	work := 0
	for _, s := range nodes {
		work += s.end - s.start
	}
	w := gr.workers
	if work < minParallelWork {
		w = 1
	}
	parallelFor(len(nodes), w, func(i int) {
		s := nodes[i]
		b := s.best
		var goLeft [histSlots]bool
		goLeft[0] = b.defaultLeft
		for v := 1; v <= b.bin; v++ {
			goLeft[v] = true
		}
		col := gr.ds.bins[b.feature]
		idx := gr.idx[s.start:s.end]
		tmp := gr.scratch[s.start:s.end]
		nl, nr := 0, 0
		for _, row := range idx {
			if goLeft[col[row]] {
				idx[nl] = row
				nl++
			} else {
				tmp[nr] = row
				nr++
			}
		}
		copy(idx[nl:], tmp[:nr])
		l, r := kids[2*i], kids[2*i+1]
		l.start, l.end = s.start, s.start+nl
		r.start, r.end = s.start+nl, s.end
	})
}

// gather copies the gradients of the nodes' rows into ogh, aligned with idx.
func (gr *grower) gather(gh []gradPair, nodes []*nodeState) {
	for _, s := range nodes {
		idx := gr.idx[s.start:s.end]
		dst := gr.ogh[s.start:s.end]
		if len(idx) < minParallelWork {
			for i, r := range idx {
				dst[i] = gh[r]
			}
			continue
		}
		chunkFor(len(idx), 1<<16, gr.workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dst[i] = gh[idx[i]]
			}
		})
	}
}

// buildRootIdentity fills the root histogram when the rows are 0..n-1.
func (gr *grower) buildRootIdentity(hist []binStat, gh []gradPair) {
	feats := gr.feats
	parallelFor(len(feats), gr.workers, func(i int) {
		f := feats[i]
		hs := (*[histSlots]binStat)(hist[f*histSlots:])
		*hs = [histSlots]binStat{}
		col := gr.ds.bins[f][:len(gh)]
		for r, b := range col {
			p := &hs[b]
			p.g += float64(gh[r].g)
			p.h += float64(gh[r].h)
		}
	})
}

// buildHists fills the histograms of nodes (rows gathered into ogh), one task
// per (node, feature); each task sums its rows in idx order on one goroutine.
func (gr *grower) buildHists(nodes []*nodeState) {
	feats := gr.feats
	nf := len(feats)
	work := 0
	for _, s := range nodes {
		work += (s.end - s.start) * nf
	}
	w := gr.workers
	if work < minParallelWork {
		w = 1
	}
	parallelFor(len(nodes)*nf, w, func(k int) {
		s := nodes[k/nf]
		f := feats[k%nf]
		hs := (*[histSlots]binStat)(s.hist[f*histSlots:])
		*hs = [histSlots]binStat{}
		col := gr.ds.bins[f]
		idx := gr.idx[s.start:s.end]
		ogh := gr.ogh[s.start:s.end]
		ogh = ogh[:len(idx)]
		for i, r := range idx {
			p := &hs[col[r]]
			p.g += float64(ogh[i].g)
			p.h += float64(ogh[i].h)
		}
	})
}

// subtract turns each large[i].hist (holding the parent's histogram) into
// parent − small[i].hist.
func (gr *grower) subtract(large, small []*nodeState) {
	feats := gr.feats
	nf := len(feats)
	w := gr.workers
	if len(large)*nf*histSlots < minParallelWork {
		w = 1
	}
	parallelFor(len(large)*nf, w, func(k int) {
		f := feats[k%nf]
		dst := (*[histSlots]binStat)(large[k/nf].hist[f*histSlots:])
		src := (*[histSlots]binStat)(small[k/nf].hist[f*histSlots:])
		for b := range dst {
			dst[b].g -= src[b].g
			dst[b].h -= src[b].h
		}
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
		res[k] = gr.bestForFeature(s, feats[k%nf])
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

func (gr *grower) bestForFeature(s *nodeState, f int) split {
	nv := gr.ds.NumBins(f)
	if nv < 2 {
		return split{}
	}
	p := gr.p
	lambda := p.RegLambda
	mcw := max(p.MinChildWeight, minHess)
	hs := (*[histSlots]binStat)(s.hist[f*histSlots:])
	G, H := s.g, s.h
	parent := G * G / (H + lambda)
	miss := hs[0]
	hasMiss := miss.h > 0
	best := split{gain: max(p.Gamma, minGain)}
	var gl, hl float64
	for t := 1; t < nv; t++ {
		gl += hs[t].g
		hl += hs[t].h
		// Missing rows right.
		if hr := H - hl; hl >= mcw && hr >= mcw {
			gr := G - gl
			if gain := gl*gl/(hl+lambda) + gr*gr/(hr+lambda) - parent; gain > best.gain {
				best = split{ok: true, feature: f, bin: t, gain: gain, gl: gl, hl: hl}
			}
		}
		if hasMiss {
			gll, hll := gl+miss.g, hl+miss.h
			if hr := H - hll; hll >= mcw && hr >= mcw {
				gr := G - gll
				if gain := gll*gll/(hll+lambda) + gr*gr/(hr+lambda) - parent; gain > best.gain {
					best = split{ok: true, feature: f, bin: t, defaultLeft: true, gain: gain, gl: gll, hl: hll}
				}
			}
		}
	}
	if best.ok && !hasMiss {
		// No missing values reached this node: send future NaNs to the side that
		// saw more (hessian-weighted) rows.
		best.defaultLeft = best.hl >= H-best.hl
	}
	return best
}
