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
	left     int32 // the right child is left+1
	sub, thr uint8
	val      float64
}

// compileBinned translates the model's trees to ds's bins. It fails unless
// every split threshold is one of ds's bin edges for its feature (always true
// for models trained on ds); then v ≤ threshold ⇔ bin(v) ≤ edge index + 1 for
// every row of ds, so walks over the bins route every row exactly as walks
// over its raw values.
func (m *Model) compileBinned(ds *Dataset) ([][]binnedNode, error) {
	if ds == nil || ds.Features() != m.NumFeature {
		return nil, errs.Invalidf("gbdt: dataset does not match the model's features")
	}
	out := make([][]binnedNode, len(m.Trees))
	for ti := range m.Trees {
		t := &m.Trees[ti]
		nodes := make([]binnedNode, len(t.Feature))
		for i, f := range t.Feature {
			if f < 0 {
				nodes[i] = binnedNode{feat: -1, val: t.Value[i]}
				continue
			}
			if int(f) >= ds.Features() || t.Right[i] != t.Left[i]+1 {
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
		out[ti] = nodes
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
	bins := ds.bins
	// Each row's margins add the trees in model order, as PredictRaw does.
	chunkFor(n, predictChunk, runtime.GOMAXPROCS(0), func(lo, hi int) {
		for ti, nodes := range trees {
			o := out[ti%K]
			for k := lo; k < hi; k++ {
				r := rows[k]
				i := int32(0)
				for {
					nd := &nodes[i]
					if nd.feat < 0 {
						o[k] += nd.val
						break
					}
					i = nd.left + b2i(bins[nd.feat][r]-nd.sub > nd.thr)
				}
			}
		}
	})
	return marginsToProba(out, m.NumClass), nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
