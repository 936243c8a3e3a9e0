package indicators

import (
	"math"
	"sync"
)

// This file holds the O(n) building blocks every indicator uses. They skip
// NaN inputs the way rolling/ewm statistics conventionally do and write into
// caller-provided output slices so hot paths allocate once.

var nan = math.NaN()

// ewm is exponential smoothing with adjust=false: the first non-NaN input
// seeds the state; the weight of the old state decays by (1−α) on every later
// row (observed or not) and resets after each observation, so a gap weighs the
// stale state less. Output is NaN until minP inputs have been observed; on a
// NaN input the previous state is repeated.
func ewm(x []float64, alpha float64, minP int, out []float64) []float64 {
	n := len(x)
	if out == nil {
		out = make([]float64, n)
	}
	i := 0
	for ; i < n && x[i] != x[i]; i++ {
		out[i] = nan
	}
	if i == n {
		return out
	}
	beta := 1 - alpha
	// Without gaps the weight of the old state is always beta and the update
	// is beta·w + alpha·x (its denominator beta+alpha is 1 up to rounding);
	// after a gap the decayed weight omega is renormalised explicitly.
	w := x[i]
	cnt := 1
	omega := 1.0
	if cnt >= minP {
		out[i] = w
	} else {
		out[i] = nan
	}
	for i++; i < n; i++ {
		v := x[i]
		if v == v {
			if omega == 1 {
				w = beta*w + alpha*v
			} else {
				omega *= beta
				w = (omega*w + alpha*v) / (omega + alpha)
				omega = 1
			}
			cnt++
		} else {
			omega *= beta
		}
		if cnt >= minP {
			out[i] = w
		} else {
			out[i] = nan
		}
	}
	return out
}

// ewmPair smooths a and b with the same alpha in one pass when both are
// dense after a common leading NaN run (two independent recurrences
// interleave in the CPU); otherwise it falls back to two ewm passes.
func ewmPair(a, b []float64, alpha float64, minP int, outA, outB []float64) {
	n := len(a)
	lead := 0
	for lead < n && a[lead] != a[lead] {
		lead++
	}
	dense := lead < n
	for i := lead; i < n && dense; i++ {
		if a[i] != a[i] || b[i] != b[i] {
			dense = false
		}
	}
	for i := 0; i < lead && dense; i++ {
		if b[i] == b[i] {
			dense = false
		}
	}
	if !dense {
		ewm(a, alpha, minP, outA)
		ewm(b, alpha, minP, outB)
		return
	}
	beta := 1 - alpha
	for i := 0; i < lead; i++ {
		outA[i], outB[i] = nan, nan
	}
	wa, wb := a[lead], b[lead]
	for i := lead; i < n; i++ {
		if i > lead {
			wa = beta*wa + alpha*a[i]
			wb = beta*wb + alpha*b[i]
		}
		if i-lead+1 >= minP {
			outA[i], outB[i] = wa, wb
		} else {
			outA[i], outB[i] = nan, nan
		}
	}
}

// ema is EMA_n: α=2/(n+1), NaN until n inputs have been seen.
func ema(x []float64, n int, out []float64) []float64 { return ewm(x, 2/float64(n+1), n, out) }

// wilder is Wilder smoothing: α=1/n, NaN until n inputs have been seen.
func wilder(x []float64, n int, out []float64) []float64 { return ewm(x, 1/float64(n), n, out) }

// rollMoments computes any of the rolling sum, mean and sample standard
// deviation (ddof 1) of x over n rows with at least minP non-NaN values
// (nil outputs are skipped). Sums are kept relative to an anchor that is
// re-centred every n rows by an exact recomputation, which bounds the
// rounding drift of add/remove updates at O(1) amortised cost.
func rollMoments(x []float64, n, minP int, sum, mean, std []float64) {
	if minP < 1 {
		minP = 1
	}
	// Most inputs are NaN only during a leading warm-up: run the dense kernel
	// on the rest (windows there simply start at the first value).
	lead := 0
	for lead < len(x) && x[lead] != x[lead] {
		lead++
	}
	if !hasNaN(x[lead:]) {
		for _, o := range [][]float64{sum, mean, std} {
			if o != nil {
				for i := 0; i < lead; i++ {
					o[i] = nan
				}
			}
		}
		sub := func(o []float64) []float64 {
			if o == nil {
				return nil
			}
			return o[lead:]
		}
		rollMomentsDense(x[lead:], n, minP, sub(sum), sub(mean), sub(std))
		return
	}
	var c, s, ss float64
	cnt := 0
	left := n // rows until the next exact re-summation
	for i, v := range x {
		if i >= n {
			if o := x[i-n]; o == o {
				d := o - c
				s -= d
				ss -= d * d
				cnt--
			}
		}
		if left--; left == 0 {
			left = n
		}
		if i > 0 && left == n {
			if cnt > 0 {
				c += s / float64(cnt)
			}
			s, ss, cnt = 0, 0, 0
			for j := i - n + 1; j < i; j++ {
				if j < 0 {
					continue
				}
				if o := x[j]; o == o {
					d := o - c
					s += d
					ss += d * d
					cnt++
				}
			}
		}
		if v == v {
			if cnt == 0 && i < n {
				c = v
			}
			d := v - c
			s += d
			ss += d * d
			cnt++
		}
		ok := cnt >= minP
		fc := float64(cnt)
		if sum != nil {
			if ok {
				sum[i] = s + c*fc
			} else {
				sum[i] = nan
			}
		}
		if mean != nil {
			if ok {
				mean[i] = c + s/fc
			} else {
				mean[i] = nan
			}
		}
		if std != nil {
			if ok && cnt >= 2 {
				m := s / fc
				vr := (ss - s*m) / (fc - 1)
				// Values identical to the anchor give exactly 0; guard the
				// residue of cancellation so constant windows read as 0.
				scale := ss/fc + 1e-300
				if vr <= 1e-13*scale {
					vr = 0
				}
				std[i] = math.Sqrt(vr)
			} else {
				std[i] = nan
			}
		}
	}
}

// rollMomentsDense is rollMoments for input without NaN: the count is
// min(i+1, n). The warm-up rows (partial windows) and the steady state are
// separate loops, and the steady state runs in chunks between exact
// re-summations (every max(n, 1024) rows) so the inner loop has no
// bookkeeping branches.
func rollMomentsDense(x []float64, n, minP int, sum, mean, std []float64) {
	size := len(x)
	if size == 0 {
		return
	}
	c := x[0]
	var s, ss float64
	emit := func(i, cnt int, inv float64) {
		ok := cnt >= minP
		if sum != nil {
			if ok {
				sum[i] = s + c*float64(cnt)
			} else {
				sum[i] = nan
			}
		}
		if mean != nil {
			if ok {
				mean[i] = c + s*inv
			} else {
				mean[i] = nan
			}
		}
		if std != nil {
			if ok && cnt >= 2 {
				std[i] = stdOf(s, ss, inv, cnt)
			} else {
				std[i] = nan
			}
		}
	}
	// warm-up: windows [0, i]
	w := min(n, size)
	for i := 0; i < w; i++ {
		d := x[i] - c
		s += d
		ss += d * d
		emit(i, i+1, 1/float64(i+1))
	}
	if size <= n {
		return
	}
	invN := 1 / float64(n)
	fn := float64(n)
	period := max(n, 1024)
	for start := n; start < size; start += period {
		// re-centre on the current window mean and re-sum it exactly
		lo := start - n
		c += s * invN
		s, ss = 0, 0
		for _, o := range x[lo:start] {
			d := o - c
			s += d
			ss += d * d
		}
		end := min(start+period, size)
		switch {
		case minP > n: // never enough values
			for i := start; i < end; i++ {
				emit(i, n, invN)
			}
		case std == nil && sum == nil: // mean only
			for i := start; i < end; i++ {
				s += x[i] - x[i-n]
				mean[i] = c + s*invN
			}
		case std == nil && mean == nil: // sum only
			cn := c * fn
			for i := start; i < end; i++ {
				s += x[i] - x[i-n]
				sum[i] = s + cn
			}
		default:
			for i := start; i < end; i++ {
				dn, do := x[i]-c, x[i-n]-c
				s += dn - do
				ss += dn*dn - do*do
				emit(i, n, invN)
			}
		}
	}
}

// stdOf is the sample standard deviation from centred sums; a constant
// window (variance at rounding level) reads exactly 0.
func stdOf(s, ss, inv float64, cnt int) float64 {
	vr := (ss - s*s*inv) / float64(cnt-1)
	if vr <= 1e-13*(ss*inv+1e-300) {
		return 0
	}
	return math.Sqrt(vr)
}

// rollMeanTo is rollMean writing into out.
func rollMeanTo(x []float64, n, minP int, out []float64) []float64 {
	rollMoments(x, n, minP, nil, out, nil)
	return out
}

// rollSumTo is rollSum writing into out.
func rollSumTo(x []float64, n, minP int, out []float64) []float64 {
	rollMoments(x, n, minP, out, nil, nil)
	return out
}

func rollSum(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	rollMoments(x, n, minP, out, nil, nil)
	return out
}

func rollMean(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	rollMoments(x, n, minP, nil, out, nil)
	return out
}

func rollStd(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	rollMoments(x, n, minP, nil, nil, out)
	return out
}

func hasNaN(x []float64) bool {
	for _, v := range x {
		if v != v {
			return true
		}
	}
	return false
}

// rollExtreme writes the rolling max (isMax) or min of x over n rows with at
// least minP non-NaN values. It uses the van Herk/Gil-Werman scheme: running
// extremes forward within blocks of n rows and backward within each block;
// the window ending at i is covered by the backward extreme at its start and
// the forward extreme at i, both of which only read rows inside the window.
// NaN never wins a comparison, so it is skipped.
func rollExtreme(x []float64, n, minP int, isMax bool, out []float64) []float64 {
	size := len(x)
	if out == nil {
		out = make([]float64, size)
	}
	if minP < 1 {
		minP = 1
	}
	if size == 0 {
		return out
	}
	back := make([]float64, n)
	lead := 0
	for lead < size && x[lead] != x[lead] {
		lead++
	}
	if !hasNaN(x[lead:]) { // NaN only as a leading warm-up: windows start after it
		for i := 0; i < lead; i++ {
			out[i] = nan
		}
		if isMax {
			gilWermanMax(x[lead:], n, back, out[lead:])
		} else {
			gilWermanMin(x[lead:], n, back, out[lead:])
		}
		for i := lead; i < lead+minP-1 && i < size; i++ {
			out[i] = nan
		}
		return out
	}
	// gappy input: NaN becomes the identity of the comparison (−Inf for max,
	// +Inf for min) in a copy, so it never wins; windows without any value
	// come out infinite and are turned into NaN below.
	xs := make([]float64, size)
	fill := math.Inf(-1)
	if !isMax {
		fill = math.Inf(1)
	}
	for i, v := range x {
		if v != v {
			v = fill
		}
		xs[i] = v
	}
	if isMax {
		gilWermanMax(xs, n, back, out)
	} else {
		gilWermanMin(xs, n, back, out)
	}
	cnt := 0
	for i, v := range x {
		if v == v {
			cnt++
		}
		if i >= n && x[i-n] == x[i-n] {
			cnt--
		}
		if cnt < minP || math.IsInf(out[i], 0) {
			out[i] = nan
		}
	}
	return out
}

// The compare-and-select loops below use the builtin min/max, which compile
// to branch-free instructions (several times faster than if-based updates on
// trending prices, where the branch is unpredictable). Inputs here are dense
// (NaN already replaced or absent), so their NaN propagation never triggers.

// gilWermanMax writes the max over the last n rows (partial windows at the
// start) of dense x into out. Blocks are processed in order: the forward
// running max of block k+1 is combined with the backward running max of
// block k, so only one block of backward maxima (n values, cache resident)
// is kept instead of a full-length array.
func gilWermanMax(x []float64, n int, back, out []float64) {
	size := len(x)
	back = back[:n]
	for b := 0; b < size; b += n {
		e := min(b+n, size)
		m := x[b]
		for i := b; i < e; i++ {
			m = max(m, x[i])
			r := m
			if k := i - b + 1; b > 0 && k < n { // window starts in the previous block
				r = max(r, back[k])
			}
			out[i] = r
		}
		m = x[e-1]
		for i := e - 1; i >= b; i-- {
			m = max(m, x[i])
			back[i-b] = m
		}
	}
}

func gilWermanMin(x []float64, n int, back, out []float64) {
	size := len(x)
	back = back[:n]
	for b := 0; b < size; b += n {
		e := min(b+n, size)
		m := x[b]
		for i := b; i < e; i++ {
			m = min(m, x[i])
			r := m
			if k := i - b + 1; b > 0 && k < n {
				r = min(r, back[k])
			}
			out[i] = r
		}
		m = x[e-1]
		for i := e - 1; i >= b; i-- {
			m = min(m, x[i])
			back[i-b] = m
		}
	}
}

// rollMaxMin returns MAX_{n,minP}(hi) and MIN_{n,minP}(lo) (hi and lo may be
// the same series). When both are dense after the same leading NaN run, one
// Gil-Werman pass tracks both extremes (two independent compare chains per
// row instead of two passes).
func rollMaxMin(hi, lo []float64, n, minP int) (mx, mn []float64) {
	mx, mn = make([]float64, len(hi)), make([]float64, len(hi))
	rollMaxMinTo(hi, lo, n, minP, mx, mn)
	return mx, mn
}

// rollMaxMinTo is rollMaxMin writing into caller buffers (len(hi) each).
func rollMaxMinTo(hi, lo []float64, n, minP int, mx, mn []float64) {
	size := len(hi)
	lead := 0
	for lead < size && hi[lead] != hi[lead] {
		lead++
	}
	denseH, posH := scanSigns(hi[lead:])
	denseL, posL := denseH, posH
	if len(hi) == 0 || &lo[0] != &hi[0] { // else the same series for both (stochastic RSI, Fisher)
		denseL, posL = scanSigns(lo[lead:])
	}
	dense := denseH && denseL
	for i := 0; i < lead && dense; i++ {
		if lo[i] == lo[i] {
			dense = false
		}
	}
	if !dense {
		rollExtreme(hi, n, minP, true, mx)
		rollExtreme(lo, n, minP, false, mn)
		return
	}
	if minP < 1 {
		minP = 1
	}
	if posH && posL { // bit patterns of non-negative floats order as integers
		back, key := make([]uint64, n), make([]uint64, n)
		gilWermanMaxBits(hi[lead:], n, back, key, mx[lead:])
		gilWermanMinBits(lo[lead:], n, back, key, mn[lead:])
	} else { // one pass tracking both (two independent compare chains per row)
		h, l := hi[lead:], lo[lead:]
		backH, backL := make([]float64, n), make([]float64, n)
		oh, ol := mx[lead:], mn[lead:]
		m := len(h)
		for b := 0; b < m; b += n {
			e := min(b+n, m)
			a, z := h[b], l[b]
			for i := b; i < e; i++ {
				a, z = max(a, h[i]), min(z, l[i])
				ra, rz := a, z
				if k := i - b + 1; b > 0 && k < n {
					ra, rz = max(ra, backH[k]), min(rz, backL[k])
				}
				oh[i], ol[i] = ra, rz
			}
			a, z = h[e-1], l[e-1]
			for i := e - 1; i >= b; i-- {
				a, z = max(a, h[i]), min(z, l[i])
				backH[i-b], backL[i-b] = a, z
			}
		}
	}
	for i := 0; i < lead+minP-1 && i < size; i++ {
		mx[i], mn[i] = nan, nan
	}
}

// scanSigns reports whether x has no NaN and whether every value has its
// sign bit clear (non-negative, no −0), in one pass.
func scanSigns(x []float64) (dense, nonNeg bool) {
	var signs uint64
	for _, v := range x {
		if v != v {
			return false, false
		}
		signs |= math.Float64bits(v)
	}
	return true, signs>>63 == 0
}

// gilWermanMaxBits is gilWermanMax for dense non-negative x (no −0): the
// bit patterns of such floats order as unsigned integers, and an integer
// max compiles to a compare and a conditional move (two cycles on the
// loop-carried path) where the builtin float max needs a NaN- and
// zero-aware sequence of about nine; the result is the very same float.
func gilWermanMaxBits(x []float64, n int, back, key []uint64, out []float64) {
	m := len(x)
	back, key = back[:n], key[:n]
	for b := 0; b < m; b += n {
		e := min(b+n, m)
		xb, ob := x[b:e], out[b:e]
		kb := key[:len(xb)]
		a := math.Float64bits(xb[0])
		j := 0
		if b > 0 {
			bk := back[1:]
			for ; j < len(xb) && j < len(bk); j++ {
				k := math.Float64bits(xb[j])
				kb[j] = k
				a = max(a, k)
				ob[j] = math.Float64frombits(max(a, bk[j]))
			}
		}
		for ; j < len(xb); j++ {
			k := math.Float64bits(xb[j])
			kb[j] = k
			a = max(a, k)
			ob[j] = math.Float64frombits(a)
		}
		bb := back[:len(kb)]
		a = kb[len(kb)-1]
		for j := len(kb) - 1; j >= 0; j-- {
			a = max(a, kb[j])
			bb[j] = a
		}
	}
}

// gilWermanMinBits is gilWermanMaxBits for the minimum.
func gilWermanMinBits(x []float64, n int, back, key []uint64, out []float64) {
	m := len(x)
	back, key = back[:n], key[:n]
	for b := 0; b < m; b += n {
		e := min(b+n, m)
		xb, ob := x[b:e], out[b:e]
		kb := key[:len(xb)]
		a := math.Float64bits(xb[0])
		j := 0
		if b > 0 {
			bk := back[1:]
			for ; j < len(xb) && j < len(bk); j++ {
				k := math.Float64bits(xb[j])
				kb[j] = k
				a = min(a, k)
				ob[j] = math.Float64frombits(min(a, bk[j]))
			}
		}
		for ; j < len(xb); j++ {
			k := math.Float64bits(xb[j])
			kb[j] = k
			a = min(a, k)
			ob[j] = math.Float64frombits(a)
		}
		bb := back[:len(kb)]
		a = kb[len(kb)-1]
		for j := len(kb) - 1; j >= 0; j-- {
			a = min(a, kb[j])
			bb[j] = a
		}
	}
}

// scratch recycles full-length temporaries (never outputs): a million-row
// pass then neither zeroes nor faults in fresh pages for its intermediates.
// Buffers come back with stale contents; every user overwrites all of them.
var scratch = sync.Pool{New: func() any { return new([]float64) }}

// tmp returns a scratch buffer of n elements and its release function.
func tmp(n int) ([]float64, func()) {
	p := scratch.Get().(*[]float64)
	if cap(*p) < n {
		*p = make([]float64, n)
	}
	*p = (*p)[:n]
	return *p, func() { scratch.Put(p) }
}

func rollMax(x []float64, n, minP int) []float64 { return rollExtreme(x, n, minP, true, nil) }
func rollMin(x []float64, n, minP int) []float64 { return rollExtreme(x, n, minP, false, nil) }

// half is the predecessor's ⌊n/2⌋ minimum-periods rule, at least 1.
func half(n int) int {
	if n/2 < 1 {
		return 1
	}
	return n / 2
}

// pct is x_t/x_{t−k} − 1 (NaN for the first k rows and around NaN inputs).
func pct(x []float64, k int) []float64 { return pctTo(x, k, make([]float64, len(x))) }

// pctTo is pct writing into out.
func pctTo(x []float64, k int, out []float64) []float64 {
	for i := range x {
		if i < k {
			out[i] = nan
			continue
		}
		out[i] = x[i]/x[i-k] - 1
	}
	return out
}

// diff is x_t − x_{t−k}.
func diff(x []float64, k int) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		if i < k {
			out[i] = nan
			continue
		}
		out[i] = x[i] - x[i-k]
	}
	return out
}

// trueRange is max(H−L, |H−C₋₁|, |L−C₋₁|) with TR₀ = H₀−L₀ (NaN terms skipped).
func trueRange(h, l, c []float64) []float64 { return trueRangeTo(h, l, c, make([]float64, len(h))) }

// trueRangeTo is trueRange writing into out.
func trueRangeTo(h, l, c, out []float64) []float64 {
	for i := range h {
		tr := h[i] - l[i]
		if i > 0 && c[i-1] == c[i-1] && tr == tr {
			pc := c[i-1]
			tr = maxTR(tr, math.Abs(h[i]-pc), math.Abs(l[i]-pc))
		}
		out[i] = tr
	}
	return out
}

// maxTR is max(tr, a, b) for a non-NaN tr and a, b with the sign bit clear
// (absolute values), exactly as the builtin max computes it, on the bit
// patterns as signed integers: non-negative floats (NaN above +Inf) order
// like their bits and a negative tr, its bits negative, loses to both.
func maxTR(tr, a, b float64) float64 {
	t, x, y := int64(math.Float64bits(tr)), int64(math.Float64bits(a)), int64(math.Float64bits(b))
	return math.Float64frombits(uint64(max(t, x, y)))
}

// safeDiv is a/b, NaN when b is 0.
func safeDiv(a, b float64) float64 {
	if b == 0 {
		return nan
	}
	return a / b
}
