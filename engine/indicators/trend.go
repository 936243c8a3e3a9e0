package indicators

import "math"

func adx(c *call) ([]Column, error) {
	p := c.int("period")
	f := c.f
	n := c.n()
	tr, doneTR := c.trueRange()
	defer doneTR()
	pdm := make([]float64, n)
	mdm := make([]float64, n)
	for i := 0; i < n; i++ {
		if i == 0 {
			pdm[i], mdm[i] = nan, nan // no previous bar
			continue
		}
		up := f.High[i] - f.High[i-1]
		dn := f.Low[i-1] - f.Low[i]
		switch {
		case up != up || dn != dn:
			pdm[i], mdm[i] = nan, nan
			continue
		}
		// +DM = up when up > dn (and > 0), −DM = dn when dn > up: select by
		// the sign of up−dn without a data-dependent branch (ties: neither)
		t := up - dn
		sel := (math.Copysign(1, t) + 1) / 2
		if t == 0 {
			sel = 0.5
		}
		pdm[i] = sel * max(up, 0)
		mdm[i] = (1 - sel) * max(dn, 0)
		if t == 0 {
			pdm[i], mdm[i] = 0, 0
		}
	}
	// smoothed TR from row 1 (row 0 has no previous bar): the same as
	// smoothing TR with row 0 set to NaN, which ewm skips as a leading gap
	trs := make([]float64, n)
	if n > 0 {
		trs[0] = nan
		wilder(tr[1:], p, trs[1:])
	}
	ewmPair(pdm, mdm, 1/float64(p), p, pdm, mdm)
	pd, md := pdm, mdm
	dx, done := tmp(n)
	defer done()
	for i := 0; i < n; i++ {
		pd[i] = 100 * safeDiv(pd[i], trs[i])
		md[i] = 100 * safeDiv(md[i], trs[i])
		s := pd[i] + md[i]
		switch {
		case s != s:
			dx[i] = nan
		case s == 0:
			dx[i] = 0
		default:
			dx[i] = 100 * math.Abs(pd[i]-md[i]) / s
		}
	}
	a := wilder(dx, p, trs)
	ps := itoa(p)
	return []Column{{"plus_di_" + ps, pd}, {"minus_di_" + ps, md}, {"adx_" + ps, a}}, nil
}

// aroonLine is 100·(p − bars since the extreme)/p over the last p+1 bars,
// the most recent extreme winning ties. The arg-extreme of every window comes
// from a van Herk/Gil-Werman pass over blocks of p+1 rows carrying indices
// (one block of backward extremes kept); min is max of the negated series.
// Index updates are written as arithmetic on a 0/1 flag so they compile to
// conditional moves instead of unpredictable branches.
func aroonLine(x []float64, p int, isMax bool) []float64 {
	size := len(x)
	dense, nonNeg := scanSigns(x)
	if !dense {
		return aroonLineNaN(x, p, isMax)
	}
	if nonNeg {
		return aroonLineBits(x, p, isMax)
	}
	out := make([]float64, size)
	w := p + 1
	sg := 1.0
	if !isMax {
		sg = -1
	}
	bv := make([]float64, w) // backward extremes of the previous block
	bix := make([]int, w)    // and their indices
	scale := 100 / float64(p)
	for b := 0; b < size; b += w {
		e := min(b+w, size)
		m, fi := sg*x[b], b
		for i := b; i < e; i++ {
			v := sg * x[i]
			d := 0
			if v >= m { // ≥: the most recent extreme wins ties
				d = 1
			}
			fi += d * (i - fi)
			m = max(m, v)
			if i < p {
				out[i] = nan
				continue
			}
			best := fi
			if k := i - b + 1; b > 0 && k < w { // window starts in the previous block
				d2 := 0
				if bv[k] > m { // strictly: the older part wins only when higher
					d2 = 1
				}
				best += d2 * (bix[k] - best)
			}
			out[i] = float64(p-(i-best)) * scale
		}
		m, bi := sg*x[e-1], e-1
		for i := e - 1; i >= b; i-- {
			v := sg * x[i]
			d := 0
			if v > m { // strictly: going backwards, the later index keeps ties
				d = 1
			}
			bi += d * (i - bi)
			m = max(m, v)
			bv[i-b], bix[i-b] = m, bi
		}
	}
	return out
}

// aroonLineBits is aroonLine for dense non-negative x (no −0), on integer
// keys: the bit patterns (which order like the values) for the max, their
// complements (reversed order) for the min. The compares and the running
// extreme then compile to integer compare and conditional moves instead of
// the NaN-aware float max on the loop-carried path.
func aroonLineBits(x []float64, p int, isMax bool) []float64 {
	size := len(x)
	out := make([]float64, size)
	w := p + 1
	flip := ^uint64(0)
	if isMax {
		flip = 0
	}
	bv := make([]uint64, w) // backward extremes of the previous block
	bix := make([]int, w)   // and their indices
	scale := 100 / float64(p)
	for b := 0; b < size; b += w {
		e := min(b+w, size)
		m, fi := math.Float64bits(x[b])^flip, b
		for i := b; i < e; i++ {
			v := math.Float64bits(x[i]) ^ flip
			d := 0
			if v >= m { // ≥: the most recent extreme wins ties
				d = 1
			}
			fi += d * (i - fi)
			m = max(m, v)
			if i < p {
				out[i] = nan
				continue
			}
			best := fi
			if k := i - b + 1; b > 0 && k < w { // window starts in the previous block
				d2 := 0
				if bv[k] > m { // strictly: the older part wins only when higher
					d2 = 1
				}
				best += d2 * (bix[k] - best)
			}
			out[i] = float64(p-(i-best)) * scale
		}
		m, bi := math.Float64bits(x[e-1])^flip, e-1
		for i := e - 1; i >= b; i-- {
			v := math.Float64bits(x[i]) ^ flip
			d := 0
			if v > m { // strictly: going backwards, the later index keeps ties
				d = 1
			}
			bi += d * (i - bi)
			m = max(m, v)
			bv[i-b], bix[i-b] = m, bi
		}
	}
	return out
}

// aroonLineNaN is the monotonic-deque version used when x has gaps (NaN rows
// are skipped).
func aroonLineNaN(x []float64, p int, isMax bool) []float64 {
	out := make([]float64, len(x))
	dq := make([]int, 0, p+2)
	head := 0
	for i, v := range x {
		for head < len(dq) && dq[head] < i-p {
			head++
		}
		if v == v {
			for len(dq) > head {
				last := x[dq[len(dq)-1]]
				if (isMax && last <= v) || (!isMax && last >= v) {
					dq = dq[:len(dq)-1]
				} else {
					break
				}
			}
			dq = append(dq, i)
		}
		if head >= 64 && 2*head >= len(dq) {
			k := copy(dq, dq[head:])
			dq = dq[:k]
			head = 0
		}
		if i < p || head >= len(dq) {
			out[i] = nan
			continue
		}
		out[i] = 100 * float64(p-(i-dq[head])) / float64(p)
	}
	return out
}

func aroon(c *call) ([]Column, error) {
	p := c.int("period")
	up := aroonLine(c.f.High, p, true)
	dn := aroonLine(c.f.Low, p, false)
	osc := make([]float64, len(up))
	for i := range osc {
		osc[i] = up[i] - dn[i]
	}
	ps := itoa(p)
	return []Column{{"aroon_up_" + ps, up}, {"aroon_down_" + ps, dn}, {"aroon_osc_" + ps, osc}}, nil
}

func psar(c *call) ([]Column, error) {
	step, maxStep := c.float("step"), c.float("max_step")
	h, l := c.f.High, c.f.Low
	n := c.n()
	out := make([]float64, n)
	if n == 0 {
		return one("psar", out), nil
	}
	out[0] = nan
	bull := true
	af := step
	ep := h[0]
	sar := l[0]
	for i := 1; i < n; i++ {
		if h[i] != h[i] || l[i] != l[i] {
			out[i] = nan
			continue
		}
		if i > 1 {
			sar += af * (ep - sar)
		}
		// min/max are associative (NaN and signed zeros included), so the
		// two previous extremes are combined off the carried path first
		if bull {
			lo := l[i-1]
			if i >= 2 {
				lo = min(lo, l[i-2])
			}
			sar = min(sar, lo)
		} else {
			hi := h[i-1]
			if i >= 2 {
				hi = max(hi, h[i-2])
			}
			sar = max(sar, hi)
		}
		switch {
		case bull && l[i] < sar:
			bull, sar, ep, af = false, ep, l[i], step
		case !bull && h[i] > sar:
			bull, sar, ep, af = true, ep, h[i], step
		case bull && h[i] > ep:
			ep, af = h[i], min(af+step, maxStep)
		case !bull && l[i] < ep:
			ep, af = l[i], min(af+step, maxStep)
		}
		out[i] = sar
	}
	return one("psar", out), nil
}

func supertrend(c *call) ([]Column, error) {
	p, m := c.int("period"), c.float("multiplier")
	f := c.f
	n := c.n()
	tr, done := c.trueRange()
	defer done()
	atrv, doneA := tmp(n)
	defer doneA()
	rollMeanTo(tr, p, half(p), atrv)
	line := make([]float64, n)
	dir := make([]float64, n)
	var fu, fl float64
	onUpper := false
	started := false
	for i := 0; i < n; i++ {
		hl2 := (f.High[i] + f.Low[i]) / 2
		bu, bl := hl2+m*atrv[i], hl2-m*atrv[i]
		if bu != bu || bl != bl || f.Close[i] != f.Close[i] {
			line[i], dir[i] = nan, nan
			started = false
			continue
		}
		if !started {
			fu, fl = bu, bl
			onUpper = f.Close[i] <= fu
			started = true
		} else {
			// textbook carry: the band only tightens, unless the previous
			// close broke through it (rare, so that branch predicts well)
			pc := f.Close[i-1]
			if pc > fu {
				fu = bu
			} else {
				fu = min(fu, bu)
			}
			if pc < fl {
				fl = bl
			} else {
				fl = max(fl, bl)
			}
			if onUpper {
				onUpper = f.Close[i] <= fu
			} else {
				onUpper = f.Close[i] < fl
			}
		}
		if onUpper {
			line[i] = fu
		} else {
			line[i] = fl
		}
		if f.Close[i] >= line[i] {
			dir[i] = 1
		} else {
			dir[i] = -1
		}
	}
	return []Column{{"supertrend", line}, {"supertrend_dir", dir}}, nil
}

func midRange(h, l []float64, n int) []float64 {
	hi := make([]float64, len(h))
	lo, done := tmp(len(h))
	defer done()
	rollMaxMinTo(h, l, n, n, hi, lo)
	for i := range hi {
		hi[i] = (hi[i] + lo[i]) / 2
	}
	return hi
}

func lag(x []float64, k int) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		if i < k {
			out[i] = nan
		} else {
			out[i] = x[i-k]
		}
	}
	return out
}

func ichimoku(c *call) ([]Column, error) {
	f := c.f
	kj := c.int("kijun")
	tenkan := midRange(f.High, f.Low, c.int("tenkan"))
	kijun := midRange(f.High, f.Low, kj)
	spanB := midRange(f.High, f.Low, c.int("senkou"))
	spanA := make([]float64, len(tenkan))
	for i := range spanA {
		spanA[i] = (tenkan[i] + kijun[i]) / 2
	}
	if c.boolean("shift_ahead") {
		spanA, spanB = lag(spanA, kj), lag(spanB, kj)
	}
	chikou := diff(f.Close, kj)
	return []Column{{"ichimoku_tenkan", tenkan}, {"ichimoku_kijun", kijun}, {"ichimoku_span_a", spanA},
		{"ichimoku_span_b", spanB}, {"ichimoku_chikou", chikou}}, nil
}

func lrR2(c *call) ([]Column, error) {
	y, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	n := len(y)
	out := make([]float64, n)
	fw := float64(w)
	xbar := (fw - 1) / 2
	sxx := fw * (fw*fw - 1) / 12
	var cc, s1, s2, sx float64
	nans := 0
	val := func(v float64) float64 {
		if v != v {
			return 0
		}
		return v - cc
	}
	for i := 0; i < n; i++ {
		if y[i] != y[i] {
			nans++
		}
		if i >= w && y[i-w] != y[i-w] {
			nans--
		}
		if i%w == 0 && y[i] == y[i] {
			// re-anchor on the current value and recompute exactly
			cc = y[i]
			s1, s2, sx = 0, 0, 0
			lo := i - w + 1
			if lo < 0 {
				lo = 0
			}
			for j := lo; j <= i; j++ {
				d := val(y[j])
				k := float64(j - (i - w + 1))
				s1 += d
				s2 += d * d
				sx += k * d
			}
		} else {
			d := val(y[i])
			var old float64
			if i >= w {
				old = val(y[i-w])
			}
			sx = sx - (s1 - old) + (fw-1)*d
			s1 += d - old
			s2 += d*d - old*old
		}
		if i < w-1 || nans > 0 || w < 2 {
			out[i] = nan
			continue
		}
		syy := s2 - s1*s1/fw
		if syy <= 1e-12*s2 || syy <= 0 {
			out[i] = nan
			continue
		}
		sxy := sx - xbar*s1
		r2 := sxy * sxy / (sxx * syy)
		out[i] = min(1, max(0, r2)) // the builtins: math.Min/Max semantics (NaN, ±0) without a call per row
	}
	return one("lr_r2_"+itoa(w), out), nil
}

func dpo(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	n := c.int("period")
	m, done := tmp(len(p))
	defer done()
	sma := lag(rollMeanTo(p, n, half(n), m), n/2+1)
	for i := range sma {
		sma[i] = p[i] - sma[i]
	}
	return one("dpo_"+itoa(n), sma), nil
}
