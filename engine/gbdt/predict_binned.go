package gbdt

import (
	"runtime"
	"sort"

	"sigmalab/engine/errs"
)

// binnedNode is a split node of a tree compiled against a Dataset's bins, or a
// leaf (feat < 0). A row goes right when uint8(bin − sub) > thr: sub = 0 and
// thr = split bin when missing values go left (bin 0 is never > thr); sub = 1
// and thr = split bin − 1 when they go right (bin 0 wraps to 255). One
// comparison, no branch on the data: tree walks are mostly branch mispredictions
// otherwise.
type binnedNode struct {
	feat     int32
	left     int32 // the right child is left+1; a leaf's own index
	sub, thr uint8 // a leaf has thr = 255: never right
	val      float64
}

// binnedTree is a compiled tree and its depth (the most splits on a path).
type binnedTree struct {
	nodes []binnedNode
	depth int
}

// compileBinned translates the model's trees to ds's bins. It fails unless
// every split threshold is one of ds's bin edges for its feature (always true
// for models trained on ds); then v ≤ threshold ⇔ bin(v) ≤ edge index + 1 for
// every row of ds, so walks over the bins route every row exactly as walks
// over its raw values.
func (m *Model) compileBinned(ds *Dataset) ([]binnedTree, error) {
	if ds == nil || ds.Features() != m.NumFeature {
		return nil, errs.Invalidf("gbdt: dataset does not match the model's features")
	}
	out := make([]binnedTree, len(m.Trees))
	for ti := range m.Trees {
		t := &m.Trees[ti]
		nodes := make([]binnedNode, len(t.Feature))
		for i, f := range t.Feature {
			if f < 0 {
				nodes[i] = binnedNode{left: int32(i), thr: 255, val: t.Value[i]}
				continue
			}
			// Children after their parent (so walks end) and side by side.
			if int(f) >= ds.Features() || t.Left[i] <= int32(i) || int(t.Left[i])+1 >= len(t.Feature) || t.Right[i] != t.Left[i]+1 {
				return nil, errs.Invalidf("gbdt: tree %d node %d cannot be compiled to bins", ti, i)
			}
			up := ds.uppers[f]
			j := sort.SearchFloat64s(up, t.Threshold[i])
			if j >= len(up)-1 || up[j] != t.Threshold[i] {
				// The last edge is +Inf and never a split.
				return nil, errs.Invalidf("gbdt: tree %d threshold %v is not a bin edge of feature %d", ti, t.Threshold[i], f)
			}
			bin := uint8(j + 1)
			n := binnedNode{feat: f, left: t.Left[i], thr: bin}
			if !t.DefaultLeft[i] {
				n.sub, n.thr = 1, bin-1
			}
			nodes[i] = n
		}
		out[ti] = binnedTree{nodes: nodes, depth: treeDepth(t, 0)}
	}
	return out, nil
}

// PredictProbaRows returns class probabilities probs[class][k] for rows[k] of
// ds, bit-identical to PredictProba on those rows' raw values. It reads the
// binned columns (one byte per value, one comparison per node) and is meant
// for models trained on ds, as in cross-validation; it returns an
// errs.ErrInvalid error when a split threshold is not a bin edge of ds.
func (m *Model) PredictProbaRows(ds *Dataset, rows []int) ([][]float64, error) {
	trees, err := m.compileBinned(ds)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r < 0 || r >= ds.Rows() {
			return nil, errs.Invalidf("gbdt: row %d out of range 0..%d", r, ds.Rows()-1)
		}
	}
	K := m.treesPerRound()
	n := len(rows)
	out := make([][]float64, K)
	for k := range K {
		out[k] = make([]float64, n)
		for i := range out[k] {
			out[k][i] = m.BaseMargin[k]
		}
	}
	// The rows' bins, row-major: a walk reads one cache line per row.
	nf := ds.Features()
	x := make([]uint8, n*nf)
	for f, col := range ds.bins {
		for k, r := range rows {
			x[k*nf+f] = col[r]
		}
	}
	// Each row's margins add the trees in model order, as PredictRaw does.
	chunkFor(n, predictChunk, runtime.GOMAXPROCS(0), func(lo, hi int) {
		for ti, tr := range trees {
			o := out[ti%K]
			nodes := tr.nodes
			// Leaves point to themselves, so a fixed number of steps reaches
			// every leaf without a data-dependent branch; four rows walk side
			// by side so their dependent loads overlap.
			k := lo
			for ; k+4 <= hi; k += 4 {
				x0 := x[k*nf : k*nf+nf]
				x1 := x[(k+1)*nf : (k+1)*nf+nf]
				x2 := x[(k+2)*nf : (k+2)*nf+nf]
				x3 := x[(k+3)*nf : (k+3)*nf+nf]
				var i0, i1, i2, i3 int32
				for range tr.depth {
					n0, n1, n2, n3 := &nodes[i0], &nodes[i1], &nodes[i2], &nodes[i3]
					i0 = n0.left + b2i(x0[n0.feat]-n0.sub > n0.thr)
					i1 = n1.left + b2i(x1[n1.feat]-n1.sub > n1.thr)
					i2 = n2.left + b2i(x2[n2.feat]-n2.sub > n2.thr)
					i3 = n3.left + b2i(x3[n3.feat]-n3.sub > n3.thr)
				}
				o[k] += nodes[i0].val
				o[k+1] += nodes[i1].val
				o[k+2] += nodes[i2].val
				o[k+3] += nodes[i3].val
			}
			for ; k < hi; k++ {
				xr := x[k*nf : k*nf+nf]
				i := int32(0)
				for range tr.depth {
					nd := &nodes[i]
					i = nd.left + b2i(xr[nd.feat]-nd.sub > nd.thr)
				}
				o[k] += nodes[i].val
			}
		}
	})
	return marginsToProba(out, m.NumClass), nil
}

// treeDepth is the number of splits on the longest path below node i.
func treeDepth(t *Tree, i int32) int {
	if t.Feature[i] < 0 {
		return 0
	}
	return 1 + max(treeDepth(t, t.Left[i]), treeDepth(t, t.Right[i]))
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
