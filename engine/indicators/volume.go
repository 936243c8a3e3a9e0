package indicators

import "math"

func obv(c *call) ([]Column, error) {
	p, err := c.column("price_col")
	if err != nil {
		return nil, err
	}
	v, err := c.column("volume_col")
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(p))
	acc := 0.0
	for i := range p {
		if i > 0 {
			// sign(ΔP)·V without a data-dependent branch: copy the sign of
			// the change onto the volume (a flat or missing change adds 0)
			d := p[i] - p[i-1]
			t := math.Copysign(v[i], d)
			if d == 0 || d != d || v[i] != v[i] {
				t = 0
			}
			acc += t
		}
		out[i] = acc
	}
	return one("obv", out), nil
}

func cmf(c *call) ([]Column, error) {
	n := c.int("period")
	f := c.f
	mv, doneMV := tmp(c.n())
	defer doneMV()
	for i := range mv {
		h, l, cl := f.High[i], f.Low[i], f.Close[i]
		m := 0.0 // H=L: the close sits on both ends, no pressure either way
		if h != l {
			m = ((cl - l) - (h - cl)) / (h - l)
		}
		mv[i] = m * f.Volume[i]
	}
	sm := rollSum(mv, n, half(n))
	sv, doneSV := tmp(c.n())
	defer doneSV()
	rollSumTo(f.Volume, n, half(n), sv)
	for i := range sm {
		sm[i] = safeDiv(sm[i], sv[i])
	}
	return one("cmf_"+itoa(n), sm), nil
}

func mfi(c *call) ([]Column, error) {
	n := c.int("period")
	f := c.f
	size := c.n()
	pos, doneP := tmp(size)
	defer doneP()
	neg, doneN := tmp(size)
	defer doneN()
	prev := nan
	for i := 0; i < size; i++ {
		tp := (f.High[i] + f.Low[i] + f.Close[i]) / 3
		if i == 0 || prev != prev || tp != tp {
			pos[i], neg[i] = nan, nan
			prev = tp
			continue
		}
		// split the raw flow by the sign of the TP change without a
		// data-dependent branch: up = 1 when TP rose, 0 when it fell
		mf := tp * f.Volume[i]
		d := tp - prev
		up := (math.Copysign(1, d) + 1) / 2
		if d == 0 { // unchanged TP counts on neither side
			pos[i], neg[i] = 0, 0
		} else {
			pos[i], neg[i] = up*mf, (1-up)*mf
		}
		prev = tp
	}
	sp := rollSum(pos, n, half(n))
	sn, doneSN := tmp(size)
	defer doneSN()
	rollSumTo(neg, n, half(n), sn)
	for i := range sp {
		a, b := sp[i], sn[i]
		switch {
		case a != a || b != b:
			sp[i] = nan
		case b == 0 && a == 0:
			sp[i] = 50
		case b == 0:
			sp[i] = 100
		default:
			sp[i] = 100 - 100/(1+a/b)
		}
	}
	return one("mfi_"+itoa(n), sp), nil
}

func volZScore(c *call) ([]Column, error) {
	w := c.int("window")
	v := c.f.Volume
	m := make([]float64, len(v))
	s, done := tmp(len(v))
	defer done()
	rollMoments(v, w, half(w), nil, m, s)
	for i := range m {
		if s[i] == 0 {
			m[i] = nan
			continue
		}
		m[i] = (v[i] - m[i]) / s[i]
	}
	return one("vol_zscore_"+itoa(w), m), nil
}
