package gbdt

import (
	"math"
	"math/bits"
	"runtime"
	"sync"

	"sigmalab/engine/errs"
)

// binSampleRows caps the rows used to choose bin edges; longer columns use an
// evenly spaced sample. Below it every value counts: on the 800k-row benchmark
// exact quantiles scored visibly better than a 200k sample, and a radix sort
// keeps them cheap (~10 ms per million values).
const binSampleRows = 2_000_000

// Dataset is a quantile-binned, column-major copy of a feature matrix. Build it
// once with NewDataset and train any number of models on row subsets of it with
// TrainRows. A Dataset is read-only after construction and safe for concurrent
// TrainRows calls.
type Dataset struct {
	n      int
	bins   [][]uint8   // bins[f][row]: 0 = missing (NaN), 1..len(uppers[f]) = value bins
	uppers [][]float64 // uppers[f][j]: inclusive upper edge of value bin j+1; the last is +Inf
}

// Rows is the number of rows.
func (d *Dataset) Rows() int { return d.n }

// Features is the number of feature columns.
func (d *Dataset) Features() int { return len(d.bins) }

// NumBins returns the number of value bins of feature f (0 for an all-NaN column).
func (d *Dataset) NumBins(f int) int { return len(d.uppers[f]) }

// NewDataset bins cols (cols[f][row], NaN = missing) into at most maxBins value
// bins per feature (0 means 255). Bin edges are quantiles of the non-missing
// values; a column with few distinct values gets one bin per value. It returns
// an errs.ErrInvalid error for empty input or ragged columns.
func NewDataset(cols [][]float64, maxBins int) (*Dataset, error) {
	return newDataset(cols, nil, maxBins)
}

// NewDatasetRows is NewDataset with the bin edges fitted on the values of
// fitRows only (any order; nil = all rows); every row is then binned with those
// edges. Cross-validation fits them on a fold's training rows, so the test
// rows' values shape nothing the model learns: a test value outside the
// training range falls in the first or last bin, as it would on new data.
func NewDatasetRows(cols [][]float64, fitRows []int, maxBins int) (*Dataset, error) {
	if fitRows != nil && len(fitRows) == 0 {
		return nil, errs.Invalidf("gbdt: no rows to fit bin edges on")
	}
	return newDataset(cols, fitRows, maxBins)
}

func newDataset(cols [][]float64, fitRows []int, maxBins int) (*Dataset, error) {
	if len(cols) == 0 {
		return nil, errs.Invalidf("gbdt: no feature columns")
	}
	n := len(cols[0])
	if n == 0 {
		return nil, errs.Invalidf("gbdt: no rows")
	}
	for f, c := range cols {
		if len(c) != n {
			return nil, errs.Invalidf("gbdt: column %d has %d rows, column 0 has %d", f, len(c), n)
		}
	}
	for _, r := range fitRows {
		if r < 0 || r >= n {
			return nil, errs.Invalidf("gbdt: row %d out of range 0..%d", r, n-1)
		}
	}
	if maxBins == 0 {
		maxBins = MaxBinsLimit
	}
	if maxBins < 2 || maxBins > MaxBinsLimit {
		return nil, errs.Invalidf("gbdt: max_bin=%d out of range (2..%d)", maxBins, MaxBinsLimit)
	}
	workers := runtime.GOMAXPROCS(0)
	d := &Dataset{n: n, bins: make([][]uint8, len(cols)), uppers: make([][]float64, len(cols))}
	// Sort buffers are reused across the features a goroutine handles.
	bufs := sync.Pool{New: func() any { return new(sortBufs) }}
	parallelFor(len(cols), workers, func(f int) {
		b := bufs.Get().(*sortBufs)
		d.uppers[f] = binEdges(cols[f], fitRows, maxBins, b)
		bufs.Put(b)
		d.bins[f] = make([]uint8, n)
		binColumn(d.bins[f], cols[f], d.uppers[f])
	})
	return d, nil
}

// sortBufs are the scratch slices of one radix sort.
type sortBufs struct{ keys, tmp []uint64 }

// binEdges returns the inclusive upper edges of the value bins of column c,
// fitted on the values at rows (nil = all of c). Edges sit halfway between the
// largest value of a bin and the smallest value of the next, so unseen values
// fall on the nearer side; the last edge is +Inf.
func binEdges(c []float64, rows []int, maxBins int, buf *sortBufs) []float64 {
	n := len(c)
	if rows != nil {
		n = len(rows)
	}
	at := func(i int) float64 {
		if rows != nil {
			return c[rows[i]]
		}
		return c[i]
	}
	m := min(n, binSampleRows)
	if cap(buf.keys) < m {
		buf.keys, buf.tmp = make([]uint64, 0, m), make([]uint64, m)
	}
	keys := buf.keys[:0]
	switch {
	case rows == nil && n <= binSampleRows:
		for _, v := range c {
			if v == v {
				keys = append(keys, sortKey(v))
			}
		}
	case n <= binSampleRows:
		for _, r := range rows {
			if v := c[r]; v == v {
				keys = append(keys, sortKey(v))
			}
		}
	default:
		for i := 0; i < binSampleRows; i++ {
			if v := at(int(int64(i) * int64(n) / binSampleRows)); v == v {
				keys = append(keys, sortKey(v))
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	keys = radixSort(keys, buf.tmp[:len(keys)])
	// Runs of equal keys are the distinct values; runEnd(i) is the end of the
	// run starting at i.
	runEnd := func(i int) int {
		j := i + 1
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		return j
	}
	nd := 1
	for i := 1; i < len(keys); i++ {
		if keys[i] != keys[i-1] {
			nd++
		}
	}
	edges := make([]float64, 0, min(nd, maxBins))
	if nd <= maxBins {
		for i := 1; i < len(keys); i++ {
			if keys[i] != keys[i-1] {
				edges = append(edges, midpoint(fromSortKey(keys[i-1]), fromSortKey(keys[i])))
			}
		}
		return append(edges, math.Inf(1))
	}
	// Greedy equal-frequency bins over distinct values; the target is re-derived
	// after every cut so that a heavy value does not starve the later bins.
	remaining := len(keys)
	binsLeft := maxBins
	acc := 0
	for i := 0; i < len(keys) && binsLeft > 1; {
		j := runEnd(i)
		if j == len(keys) {
			break
		}
		acc += j - i
		next := runEnd(j) - j
		target := float64(remaining) / float64(binsLeft)
		// Close the bin when it is full, or when the next value alone would overfill it.
		if float64(acc) >= target || float64(acc+next) > 1.5*target {
			edges = append(edges, midpoint(fromSortKey(keys[j-1]), fromSortKey(keys[j])))
			remaining -= acc
			acc = 0
			binsLeft--
		}
		i = j
	}
	return append(edges, math.Inf(1))
}

// midpoint returns an edge e with a ≤ e < b.
func midpoint(a, b float64) float64 {
	m := a + (b-a)/2
	if !(m >= a && m < b) || math.IsInf(m, 0) {
		return a
	}
	return m
}

// binColumn maps values to bins: NaN → 0, else 1 + the first edge ≥ v. A value
// v therefore goes left of a split at value bin t exactly when v ≤ edge[t-1],
// which is how the saved model compares raw values.
func binColumn(dst []uint8, c []float64, edges []float64) {
	if len(edges) == 0 {
		clear(dst)
		return
	}
	// Search on order-preserving integer keys, padded to 256 entries with +Inf:
	// a fixed 8 halvings with borrow arithmetic and no data-dependent branches
	// (3× faster than a float binary search on noisy data).
	var pad [histSlots]uint64
	inf := sortKey(math.Inf(1))
	for i := range pad {
		pad[i] = inf
	}
	for i, e := range edges {
		pad[i] = sortKey(e)
	}
	dst = dst[:len(c)]
	for i, v := range c {
		if v != v { // NaN
			dst[i] = 0
			continue
		}
		k := sortKey(v)
		j := 0
		for step := histSlots / 2; step > 0; step >>= 1 {
			_, borrow := bits.Sub64(pad[j+step-1], k, 0) // 1 when edge < v
			j += step * int(borrow)
		}
		dst[i] = uint8(j + 1)
	}
}

// sortKey maps a non-NaN float to a uint64 with the same order. Adding +0
// turns -0 into +0 so that both compare equal, as floats do.
func sortKey(f float64) uint64 {
	u := math.Float64bits(f + 0)
	return u ^ (uint64(int64(u)>>63) | 1<<63)
}

// fromSortKey inverts sortKey.
func fromSortKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// radixSort sorts a (using tmp, same length) by LSD radix on bytes and
// returns the sorted slice (a or tmp). One counting pass builds all eight
// digit histograms; digits on which every key agrees (typically the high
// exponent bytes) are skipped.
func radixSort(a, tmp []uint64) []uint64 {
	var counts [8][256]int
	for _, k := range a {
		for d := range 8 {
			counts[d][byte(k>>(8*d))]++
		}
	}
	for d := range 8 {
		c := &counts[d]
		if c[byte(a[0]>>(8*d))] == len(a) {
			continue
		}
		sum := 0
		for i := range c {
			sum, c[i] = sum+c[i], sum
		}
		shift := uint(8 * d)
		for _, k := range a {
			b := byte(k >> shift)
			tmp[c[b]] = k
			c[b]++
		}
		a, tmp = tmp, a
	}
	return a
}
