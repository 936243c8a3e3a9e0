package indicators

import (
	"context"
	"math"
	"testing"
	"time"
)

// Naive reference implementations: direct O(n·w) formulas written from the
// textbook definitions, independent of the running-sum/deque kernels.

func nWin(x []float64, i, n int) []float64 {
	lo := i - n + 1
	if lo < 0 {
		lo = 0
	}
	var w []float64
	for _, v := range x[lo : i+1] {
		if !math.IsNaN(v) {
			w = append(w, v)
		}
	}
	return w
}

func nSMA(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		w := nWin(x, i, n)
		if len(w) < minP || len(w) == 0 {
			out[i] = math.NaN()
			continue
		}
		s := 0.0
		for _, v := range w {
			s += v
		}
		out[i] = s / float64(len(w))
	}
	return out
}

func nSum(x []float64, n, minP int) []float64 {
	m := nSMA(x, n, minP)
	for i := range m {
		m[i] *= float64(len(nWin(x, i, n)))
	}
	return m
}

func nSTD(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		w := nWin(x, i, n)
		if len(w) < minP || len(w) < 2 {
			out[i] = math.NaN()
			continue
		}
		m := 0.0
		for _, v := range w {
			m += v
		}
		m /= float64(len(w))
		s := 0.0
		for _, v := range w {
			s += (v - m) * (v - m)
		}
		out[i] = math.Sqrt(s / float64(len(w)-1))
	}
	return out
}

func nExt(x []float64, n, minP int, isMax bool) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		w := nWin(x, i, n)
		if len(w) < minP || len(w) == 0 {
			out[i] = math.NaN()
			continue
		}
		e := w[0]
		for _, v := range w {
			if (isMax && v > e) || (!isMax && v < e) {
				e = v
			}
		}
		out[i] = e
	}
	return out
}

// nEWM: s = s + a(x−s) from the first non-NaN value; NaN until minP inputs (no gaps).
func nEWM(x []float64, a float64, minP int) []float64 {
	out := make([]float64, len(x))
	var s float64
	cnt := 0
	for i, v := range x {
		if math.IsNaN(v) {
			if cnt >= minP && cnt > 0 {
				out[i] = s
			} else {
				out[i] = math.NaN()
			}
			continue
		}
		if cnt == 0 {
			s = v
		} else {
			s += a * (v - s)
		}
		cnt++
		if cnt >= minP {
			out[i] = s
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}

func nEMA(x []float64, n int) []float64 { return nEWM(x, 2/float64(n+1), n) }

func nTR(f *Frame) []float64 {
	out := make([]float64, f.Len())
	for i := range out {
		out[i] = f.High[i] - f.Low[i]
		if i > 0 {
			out[i] = math.Max(out[i], math.Max(math.Abs(f.High[i]-f.Close[i-1]), math.Abs(f.Low[i]-f.Close[i-1])))
		}
	}
	return out
}

func nRSI(p []float64, n int) []float64 {
	g := make([]float64, len(p))
	l := make([]float64, len(p))
	for i := range p {
		if i == 0 {
			g[i], l[i] = math.NaN(), math.NaN()
			continue
		}
		d := p[i] - p[i-1]
		g[i], l[i] = math.Max(d, 0), math.Max(-d, 0)
	}
	ag, al := nEWM(g, 1/float64(n), n), nEWM(l, 1/float64(n), n)
	out := make([]float64, len(p))
	for i := range out {
		switch {
		case math.IsNaN(ag[i]):
			out[i] = math.NaN()
		case al[i] == 0 && ag[i] == 0:
			out[i] = 50
		case al[i] == 0:
			out[i] = 100
		default:
			out[i] = 100 - 100/(1+ag[i]/al[i])
		}
	}
	return out
}

func nPct(p []float64, k int) []float64 {
	out := make([]float64, len(p))
	for i := range p {
		if i < k {
			out[i] = math.NaN()
		} else {
			out[i] = p[i]/p[i-k] - 1
		}
	}
	return out
}

func mapf(n int, f func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func runInd(t *testing.T, f *Frame, name string, params map[string]any) map[string][]float64 {
	t.Helper()
	cols, err := Compute(context.Background(), name, params, f, nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string][]float64{}
	for _, c := range cols {
		out[c.Name] = c.Values
	}
	return out
}

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func expectCol(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: column missing", name)
		return
	}
	for i := range want {
		if !near(got[i], want[i], tol) {
			t.Errorf("%s row %d: got %v want %v", name, i, got[i], want[i])
			return
		}
	}
}

// TestAgainstNaiveFormulas checks every frame-only indicator against the
// direct textbook computation on a 300-bar series.
func TestAgainstNaiveFormulas(t *testing.T) {
	f := synthFrame(300, 3)
	n := f.Len()
	C, H, L, O, V := f.Close, f.High, f.Low, f.Open, f.Volume
	tr := nTR(f)
	tol := 1e-9

	type tc struct {
		name   string
		params map[string]any
		want   map[string][]float64
	}
	var cases []tc
	add := func(name string, params map[string]any, want map[string][]float64) {
		cases = append(cases, tc{name, params, want})
	}

	add("sma", map[string]any{"window": 7}, map[string][]float64{"sma_7": nSMA(C, 7, 3)})
	add("ema", map[string]any{"window": 9}, map[string][]float64{"ema_9": nEMA(C, 9)})
	e10 := nEMA(C, 10)
	add("ema_slope", map[string]any{"window": 10, "period": 3}, map[string][]float64{"ema10_slope3h": mapf(n, func(i int) float64 {
		if i < 3 {
			return math.NaN()
		}
		return e10[i] - e10[i-3]
	})})
	add("dist_to_ema", map[string]any{"window": 10}, map[string][]float64{"dist_ema10_norm": mapf(n, func(i int) float64 { return (C[i] - e10[i]) / math.Abs(C[i]) })})
	add("dist_to_ema", map[string]any{"window": 10, "normalize": "ema"}, map[string][]float64{"dist_ema10_norm": mapf(n, func(i int) float64 { return (C[i] - e10[i]) / math.Abs(e10[i]) })})
	add("atr", map[string]any{"period": 14}, map[string][]float64{"atr_14": nEWM(tr, 1.0/14, 14)})
	mid, sd := nSMA(C, 20, 20), nSTD(C, 20, 20)
	add("bollinger_bands", nil, map[string][]float64{"bb_mid_20": mid,
		"bb_upper_20": mapf(n, func(i int) float64 { return mid[i] + 2*sd[i] }), "bb_lower_20": mapf(n, func(i int) float64 { return mid[i] - 2*sd[i] })})
	r1 := nPct(C, 1)
	add("rolling_std", nil, map[string][]float64{"roll_std_20": nSTD(r1, 20, 20)})
	add("volatility", nil, map[string][]float64{"close_vol_3": nSTD(r1, 3, 3)})
	add("ret", map[string]any{"window": 2}, map[string][]float64{"ret_2h": nPct(C, 2)})
	add("momentum", map[string]any{"window": 3}, map[string][]float64{"close_mom_3": nPct(C, 3)})
	add("roc", nil, map[string][]float64{"roc_10": mapf(n, func(i int) float64 { return 100 * nPct(C, 10)[i] })})
	add("rsi", nil, map[string][]float64{"rsi_14": nRSI(C, 14)})
	up, lo := nExt(H, 20, 10, true), nExt(L, 20, 10, false)
	add("donchian", nil, map[string][]float64{"donchian_upper_20": up, "donchian_lower_20": lo, "donchian_mid_20": mapf(n, func(i int) float64 { return (up[i] + lo[i]) / 2 })})
	e13 := nEMA(C, 13)
	add("elder_ray", nil, map[string][]float64{"bull_power": mapf(n, func(i int) float64 { return H[i] - e13[i] }), "bear_power": mapf(n, func(i int) float64 { return L[i] - e13[i] })})
	add("qstick", nil, map[string][]float64{"qstick_10": nSMA(mapf(n, func(i int) float64 { return C[i] - O[i] }), 10, 10)})
	e20 := nEMA(C, 20)
	atrS := nSMA(tr, 20, 10)
	add("keltner", nil, map[string][]float64{"keltner_mid_20": e20, "keltner_upper_20": mapf(n, func(i int) float64 { return e20[i] + 2*atrS[i] }),
		"keltner_lower_20": mapf(n, func(i int) float64 { return e20[i] - 2*atrS[i] })})
	s20 := nSMA(C, 20, 10)
	add("dpo", nil, map[string][]float64{"dpo_20": mapf(n, func(i int) float64 {
		if i < 11 {
			return math.NaN()
		}
		return C[i] - s20[i-11]
	})})
	ef, es := nEMA(C, 12), nEMA(C, 26)
	line := mapf(n, func(i int) float64 { return ef[i] - es[i] })
	sig := nEMA(line, 9)
	add("macd", nil, map[string][]float64{"macd_line": line, "macd_signal": sig, "macd_hist": mapf(n, func(i int) float64 { return line[i] - sig[i] })})
	pl := mapf(n, func(i int) float64 { return 100 * (ef[i] - es[i]) / es[i] })
	psig := nEMA(pl, 9)
	add("ppo", nil, map[string][]float64{"ppo_line": pl, "ppo_signal": psig, "ppo_hist": mapf(n, func(i int) float64 { return pl[i] - psig[i] })})
	e3 := nEMA(nEMA(nEMA(C, 15), 15), 15)
	add("trix", nil, map[string][]float64{"trix_15": mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		return 100 * (e3[i] - e3[i-1]) / e3[i-1]
	})})
	d1 := mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		return C[i] - C[i-1]
	})
	ad := mapf(n, func(i int) float64 { return math.Abs(d1[i]) })
	num, den := nEMA(nEMA(d1, 25), 13), nEMA(nEMA(ad, 25), 13)
	add("tsi", nil, map[string][]float64{"tsi_25_13": mapf(n, func(i int) float64 { return 100 * num[i] / den[i] })})
	hk, lk := nExt(H, 14, 14, true), nExt(L, 14, 14, false)
	sk := mapf(n, func(i int) float64 { return 100 * (C[i] - lk[i]) / (hk[i] - lk[i]) })
	add("stochastic", nil, map[string][]float64{"stoch_k": sk, "stoch_d": nSMA(sk, 3, 3)})
	add("williams_r", nil, map[string][]float64{"williams_r_14": mapf(n, func(i int) float64 { return -100 * (hk[i] - C[i]) / (hk[i] - lk[i]) })})
	rs := nRSI(C, 14)
	rh, rl := nExt(rs, 14, 14, true), nExt(rs, 14, 14, false)
	ss := mapf(n, func(i int) float64 { return (rs[i] - rl[i]) / (rh[i] - rl[i]) })
	kk := nSMA(ss, 3, 3)
	for i := range kk {
		kk[i] *= 100
	}
	add("stoch_rsi", nil, map[string][]float64{"stochrsi_k": kk, "stochrsi_d": nSMA(kk, 3, 3)})
	tp := mapf(n, func(i int) float64 { return (H[i] + L[i] + C[i]) / 3 })
	tps := nSMA(tp, 20, 20)
	add("cci", nil, map[string][]float64{"cci_20": mapf(n, func(i int) float64 {
		if math.IsNaN(tps[i]) {
			return math.NaN()
		}
		md := 0.0
		for j := i - 19; j <= i; j++ {
			md += math.Abs(tp[j] - tps[i])
		}
		return (tp[i] - tps[i]) / (0.015 * md / 20)
	})})
	mfv := mapf(n, func(i int) float64 {
		if H[i] == L[i] {
			return 0
		}
		return ((C[i] - L[i]) - (H[i] - C[i])) / (H[i] - L[i]) * V[i]
	})
	sm, sv := nSum(mfv, 20, 10), nSum(V, 20, 10)
	add("cmf", nil, map[string][]float64{"cmf_20": mapf(n, func(i int) float64 { return sm[i] / sv[i] })})
	pos := mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		if tp[i] > tp[i-1] {
			return tp[i] * V[i]
		}
		return 0
	})
	neg := mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		if tp[i] < tp[i-1] {
			return tp[i] * V[i]
		}
		return 0
	})
	sp, sn := nSum(pos, 14, 7), nSum(neg, 14, 7)
	add("mfi", nil, map[string][]float64{"mfi_14": mapf(n, func(i int) float64 { return 100 - 100/(1+sp[i]/sn[i]) })})
	vm, vs := nSMA(V, 20, 10), nSTD(V, 20, 10)
	add("vol_zscore", nil, map[string][]float64{"vol_zscore_20": mapf(n, func(i int) float64 { return (V[i] - vm[i]) / vs[i] })})
	obv := make([]float64, n)
	for i := 1; i < n; i++ {
		obv[i] = obv[i-1]
		if C[i] > C[i-1] {
			obv[i] += V[i]
		} else if C[i] < C[i-1] {
			obv[i] -= V[i]
		}
	}
	add("obv", nil, map[string][]float64{"obv": obv})
	bp := mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		return C[i] - math.Min(L[i], C[i-1])
	})
	trp := mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		return math.Max(H[i], C[i-1]) - math.Min(L[i], C[i-1])
	})
	A := func(k int) []float64 {
		a, b := nSum(bp, k, k), nSum(trp, k, k)
		return mapf(n, func(i int) float64 { return a[i] / b[i] })
	}
	a7, a14, a28 := A(7), A(14), A(28)
	add("ultimate_oscillator", nil, map[string][]float64{"ultimate_osc": mapf(n, func(i int) float64 { return 100 * (4*a7[i] + 2*a14[i] + a28[i]) / 7 })})
	mr := func(k int) []float64 {
		h, l := nExt(H, k, k, true), nExt(L, k, k, false)
		return mapf(n, func(i int) float64 { return (h[i] + l[i]) / 2 })
	}
	ten, kij, sb := mr(9), mr(26), mr(52)
	add("ichimoku", nil, map[string][]float64{"ichimoku_tenkan": ten, "ichimoku_kijun": kij, "ichimoku_span_b": sb,
		"ichimoku_span_a": mapf(n, func(i int) float64 { return (ten[i] + kij[i]) / 2 }),
		"ichimoku_chikou": mapf(n, func(i int) float64 {
			if i < 26 {
				return math.NaN()
			}
			return C[i] - C[i-26]
		})})
	add("ichimoku", map[string]any{"shift_ahead": true}, map[string][]float64{"ichimoku_span_b": mapf(n, func(i int) float64 {
		if i < 26 {
			return math.NaN()
		}
		return sb[i-26]
	})})
	add("lr_r2", map[string]any{"window": 30}, map[string][]float64{"lr_r2_30": mapf(n, func(i int) float64 {
		if i < 29 {
			return math.NaN()
		}
		var mx, my float64
		for k := 0; k < 30; k++ {
			mx += float64(k)
			my += C[i-29+k]
		}
		mx /= 30
		my /= 30
		var sxy, sxx, syy float64
		for k := 0; k < 30; k++ {
			dx, dy := float64(k)-mx, C[i-29+k]-my
			sxy += dx * dy
			sxx += dx * dx
			syy += dy * dy
		}
		return sxy * sxy / (sxx * syy)
	})})
	aroonRef := func(x []float64, p int, isMax bool) []float64 {
		return mapf(n, func(i int) float64 {
			if i < p {
				return math.NaN()
			}
			best := i
			for j := i; j >= i-p; j-- {
				if (isMax && x[j] > x[best]) || (!isMax && x[j] < x[best]) {
					best = j
				}
			}
			return 100 * float64(p-(i-best)) / float64(p)
		})
	}
	// many ties: prices on a 0.25 grid
	rf := truncate(f, n)
	rf.High, rf.Low = make([]float64, n), make([]float64, n)
	for i := range rf.High {
		rf.High[i], rf.Low[i] = math.Round(H[i]*4)/4, math.Round(L[i]*4)/4
	}
	rg := runInd(t, rf, "aroon", map[string]any{"period": 14})
	expectCol(t, "aroon ties up", rg["aroon_up_14"], aroonRef(rf.High, 14, true), 1e-12)
	expectCol(t, "aroon ties down", rg["aroon_down_14"], aroonRef(rf.Low, 14, false), 1e-12)
	au, adn := aroonRef(H, 25, true), aroonRef(L, 25, false)
	add("aroon", nil, map[string][]float64{"aroon_up_25": au, "aroon_down_25": adn, "aroon_osc_25": mapf(n, func(i int) float64 { return au[i] - adn[i] })})
	// ADX: direct Wilder recursion from row 1.
	pdm := mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		u, d := H[i]-H[i-1], L[i-1]-L[i]
		if u > d && u > 0 {
			return u
		}
		return 0
	})
	mdm := mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		u, d := H[i]-H[i-1], L[i-1]-L[i]
		if d > u && d > 0 {
			return d
		}
		return 0
	})
	tr0 := append([]float64{math.NaN()}, tr[1:]...)
	ts, ps, ms := nEWM(tr0, 1.0/14, 14), nEWM(pdm, 1.0/14, 14), nEWM(mdm, 1.0/14, 14)
	pdi := mapf(n, func(i int) float64 { return 100 * ps[i] / ts[i] })
	mdi := mapf(n, func(i int) float64 { return 100 * ms[i] / ts[i] })
	dx := mapf(n, func(i int) float64 { return 100 * math.Abs(pdi[i]-mdi[i]) / (pdi[i] + mdi[i]) })
	add("adx", nil, map[string][]float64{"plus_di_14": pdi, "minus_di_14": mdi, "adx_14": nEWM(dx, 1.0/14, 14)})
	// session-based
	dayOf := func(i int) string { return time.UnixMilli(f.TS[i]).In(nyc).Format("2006-01-02") }
	vw := mapf(n, func(i int) float64 {
		var pv, sv float64
		for j := i; j >= 0 && dayOf(j) == dayOf(i); j-- {
			pv += f.VWAP[j] * V[j]
			sv += V[j]
		}
		return pv / sv
	})
	add("intraday_vwap", nil, map[string][]float64{"vwap_intraday": vw})
	add("close_vs_vwap", nil, map[string][]float64{"close_vs_vwap": mapf(n, func(i int) float64 { return (C[i] - vw[i]) / vw[i] })})
	add("day_range_pos", nil, map[string][]float64{"day_range_pos": mapf(n, func(i int) float64 {
		hi, lo := math.Inf(-1), math.Inf(1)
		for j := i; j >= 0 && dayOf(j) == dayOf(i); j-- {
			hi, lo = math.Max(hi, H[j]), math.Min(lo, L[j])
		}
		return (C[i] - lo) / (hi - lo)
	})})
	add("hour_of_day", nil, map[string][]float64{"hour_of_day": mapf(n, func(i int) float64 { return float64(time.UnixMilli(f.TS[i]).In(nyc).Hour()) })})
	add("rsi_last_hour", nil, map[string][]float64{"rsi_last_hour_7": mapf(n, func(i int) float64 {
		if time.UnixMilli(f.TS[i]).In(nyc).Hour() != 15 {
			return math.NaN()
		}
		return nRSI(C, 7)[i]
	})})
	add("returns_last_30m", nil, map[string][]float64{"returns_last_30m": mapf(n, func(i int) float64 {
		if i == 0 {
			return math.NaN()
		}
		return C[i]/C[i-1] - 1 // hourly bars: the previous bar is the last one ≥30 min older
	})})
	ez := func(x []float64) []float64 {
		return mapf(n, func(i int) float64 {
			var w []float64
			for _, v := range x[:i+1] {
				if !math.IsNaN(v) {
					w = append(w, v)
				}
			}
			if len(w) < 20 || math.IsNaN(x[i]) {
				return math.NaN()
			}
			m := 0.0
			for _, v := range w {
				m += v
			}
			m /= float64(len(w))
			s := 0.0
			for _, v := range w {
				s += (v - m) * (v - m)
			}
			return (x[i] - m) / (math.Sqrt(s/float64(len(w)-1)) + 1e-12)
		})
	}
	z1, z3 := ez(nPct(C, 1)), ez(nPct(C, 3))
	add("momentum_score_total", nil, map[string][]float64{"momentum_score_total": mapf(n, func(i int) float64 {
		if math.IsNaN(z3[i]) {
			if math.IsNaN(z1[i]) {
				return math.NaN()
			}
			return 0.7 * z1[i]
		}
		return 0.7 * (z1[i] + z3[i]) / 2
	})})

	for _, c := range cases {
		got := runInd(t, f, c.name, c.params)
		for col, want := range c.want {
			expectCol(t, c.name+"/"+col, got[col], want, tol)
		}
	}
}

func TestHandComputedValues(t *testing.T) {
	mk := func(c []float64) *Frame {
		f := &Frame{BarMs: 3600000}
		for i, v := range c {
			f.TS = append(f.TS, int64(1717430400000+i*3600000))
			f.Open = append(f.Open, v)
			f.High = append(f.High, v+1)
			f.Low = append(f.Low, v-1)
			f.Close = append(f.Close, v)
			f.Volume = append(f.Volume, 100)
		}
		return f
	}
	// EMA_2 of 1,2,3: α=2/3 → 1, 5/3, 23/9; first row NaN (min periods 2).
	g := runInd(t, mk([]float64{1, 2, 3}), "ema", map[string]any{"window": 2})
	expectCol(t, "ema_2", g["ema_2"], []float64{math.NaN(), 5.0 / 3, 23.0 / 9}, 1e-12)
	// SMA_4 with min periods 2: NaN, 1.5, 2, 2.5, 3.5
	g = runInd(t, mk([]float64{1, 2, 3, 4, 6}), "sma", map[string]any{"window": 4})
	expectCol(t, "sma_4", g["sma_4"], []float64{math.NaN(), 1.5, 2, 2.5, 3.75}, 1e-12)
	// RSI of a strictly rising series is 100, of a falling one 0, of a flat one 50.
	rise := make([]float64, 40)
	fall := make([]float64, 40)
	flat := make([]float64, 40)
	for i := range rise {
		rise[i], fall[i], flat[i] = float64(i), float64(100-i), 7
	}
	for _, c := range []struct {
		x    []float64
		want float64
	}{{rise, 100}, {fall, 0}, {flat, 50}} {
		r := runInd(t, mk(c.x), "rsi", nil)["rsi_14"]
		for i := range r {
			if i < 14 && !math.IsNaN(r[i]) || i >= 14 && r[i] != c.want {
				t.Fatalf("rsi row %d = %v want %v", i, r[i], c.want)
			}
		}
	}
	// KAMA on a straight line: ER=1, sc=(2/3)²; er=2 seeds K=2 at row 1, then 2+4/9.
	g = runInd(t, mk([]float64{1, 2, 3, 4}), "kama", map[string]any{"er_period": 2})
	expectCol(t, "kama", g["kama_2_2_30"], []float64{math.NaN(), math.NaN(), 2 + 4.0/9, 2 + 4.0/9 + 4.0/9*(4-2-4.0/9)}, 1e-12)
	// Bollinger of 1,2,3 (window 3): mid 2, sample std 1.
	g = runInd(t, mk([]float64{1, 2, 3}), "bollinger_bands", map[string]any{"window": 3})
	expectCol(t, "bb_upper_3", g["bb_upper_3"], []float64{math.NaN(), math.NaN(), 4}, 1e-12)
	// Aroon textbook: period 3, highs 1,3,2,2 (+1 offset). At row 3 the high of the last 4 bars is row 1 → up = 100·(3−2)/3.
	f := mk([]float64{0, 2, 1, 1})
	g = runInd(t, f, "aroon", map[string]any{"period": 3})
	expectCol(t, "aroon_up_3", g["aroon_up_3"], []float64{math.NaN(), math.NaN(), math.NaN(), 100.0 / 3}, 1e-12)
	// lows 0-1,2-1,1-1,1-1 = −1,1,0,0 → lowest at row 0 (3 bars ago) → down = 0
	expectCol(t, "aroon_down_3", g["aroon_down_3"], []float64{math.NaN(), math.NaN(), math.NaN(), 0}, 1e-12)
	// PSAR worked by hand (see doc): rising bars then a break.
	pf := &Frame{BarMs: 3600000, High: []float64{10, 11, 12, 13, 14, 11}, Low: []float64{9, 10, 11, 12, 13, 9}}
	for i := range pf.High {
		pf.TS = append(pf.TS, int64(i)*3600000)
		pf.Open = append(pf.Open, pf.Low[i])
		pf.Close = append(pf.Close, pf.High[i])
		pf.Volume = append(pf.Volume, 1)
	}
	g = runInd(t, pf, "psar", nil)
	expectCol(t, "psar", g["psar"], []float64{math.NaN(), 9, 9, 9.18, 9.4856, 14}, 1e-12)
	// OBV by hand: closes 1,2,2,1,3 with volumes 100 → 0,100,100,0,100.
	g = runInd(t, mk([]float64{1, 2, 2, 1, 3}), "obv", nil)
	expectCol(t, "obv", g["obv"], []float64{0, 100, 100, 0, 100}, 0)
	// Williams %R and stochastic on a rising series sit at the top of the range.
	g = runInd(t, mk(rise), "stochastic", nil)
	// C = H−1 and the 14-bar range is [L_{t−13}, H_t] = 15 wide → (C−L)/range = 14/15.
	if v := g["stoch_k"][20]; math.Abs(v-100*14.0/15) > 1e-9 {
		t.Fatalf("stoch_k %v", v)
	}
	// Supertrend of a steady uptrend is long.
	g = runInd(t, mk(rise), "supertrend", nil)
	if g["supertrend_dir"][39] != 1 || !(g["supertrend"][39] < rise[39]) {
		t.Fatalf("supertrend %v %v", g["supertrend_dir"][39], g["supertrend"][39])
	}
	// Fisher: two bars after warm-up by hand. period 2, hl2 = 1,2,4: row1 x=2·(2−1)/1−1=1
	// → v=0.33, fish=0.5·ln(1.33/0.67); row2 x=1 → v=0.33+0.67·0.33.
	g = runInd(t, mk([]float64{1, 2, 4}), "fisher_transform", map[string]any{"period": 2})
	v1 := 0.33
	f1 := 0.5 * math.Log((1+v1)/(1-v1))
	v2 := 0.33 + 0.67*v1
	f2 := 0.5*math.Log((1+v2)/(1-v2)) + 0.5*f1
	expectCol(t, "fisher_2", g["fisher_2"], []float64{math.NaN(), f1, f2}, 1e-12)
	// CMF: a close at the high with full volume is +1.
	cf := mk([]float64{5, 5, 5})
	copy(cf.Close, cf.High)
	g = runInd(t, cf, "cmf", map[string]any{"period": 2})
	expectCol(t, "cmf_2", g["cmf_2"], []float64{1, 1, 1}, 1e-12)
}

func TestCalendarFlags(t *testing.T) {
	dates := []string{"2024-03-15", "2024-03-14", "2024-06-21", "2024-06-28", "2024-05-31", "2024-07-03", "2024-12-24", "2024-12-31", "2024-11-29"}
	f := &Frame{BarMs: 3600000}
	for _, d := range dates {
		tm, _ := time.ParseInLocation("2006-01-02 15", d+" 10", nyc)
		f.TS = append(f.TS, tm.UnixMilli())
		for _, col := range []*[]float64{&f.Open, &f.High, &f.Low, &f.Close, &f.Volume} {
			*col = append(*col, 1)
		}
	}
	g := runInd(t, f, "calendar_flags", nil)
	// 2024-03-01 is a Friday, so March's third Friday is the 15th (the predecessor got this wrong).
	expectCol(t, "is_opex", g["is_opex"], []float64{1, 0, 1, 0, 0, 0, 0, 0, 0}, 0)
	// 2024-11-30 is a Saturday, so Friday the 29th is the last weekday of November.
	expectCol(t, "is_eom", g["is_eom"], []float64{0, 0, 0, 1, 1, 0, 0, 1, 1}, 0)
	expectCol(t, "is_eoq", g["is_eoq"], []float64{0, 0, 0, 1, 0, 0, 0, 1, 0}, 0)
	expectCol(t, "is_holiday_eve", g["is_holiday_eve"], []float64{0, 0, 0, 0, 0, 1, 1, 1, 0}, 0)
}

func TestWarmupIsNaNNotZero(t *testing.T) {
	f := synthFrame(60, 9)
	for _, name := range []string{"rsi", "atr", "bollinger_bands", "macd", "stochastic", "williams_r", "cci", "ema", "rolling_std", "adx"} {
		for _, c := range runInd(t, f, name, nil) {
			if !math.IsNaN(c[0]) {
				t.Errorf("%s: row 0 = %v, want NaN", name, c[0])
			}
		}
	}
}

func TestFlowIndicators(t *testing.T) {
	f := synthFrame(40, 2)
	p, k := f.Cols["puts_sold_total"], f.Cols["calls_sold_total"]
	g := runInd(t, f, "pcr_volume", nil)
	expectCol(t, "pcr_volume", g["pcr_volume"], mapf(40, func(i int) float64 { return (p[i] + 1e-9) / (k[i] + 1e-9) }), 1e-12)
	g = runInd(t, f, "pcr_eod", nil)
	expectCol(t, "pcr_eod", g["pcr_eod"], mapf(40, func(i int) float64 {
		var sp, sk float64
		d := time.UnixMilli(f.TS[i]).In(nyc).YearDay()
		for j := i; j >= 0 && time.UnixMilli(f.TS[j]).In(nyc).YearDay() == d; j-- {
			sp += p[j]
			sk += k[j]
		}
		return (sp + 1e-9) / (sk + 1e-9)
	}), 1e-12)
	ratio := mapf(40, func(i int) float64 { return (p[i] + 1e-6) / (k[i] + 1e-6) })
	g = runInd(t, f, "sold_flow_ratio", map[string]any{"window": 3})
	expectCol(t, "sold_flow_ratio_3", g["sold_flow_ratio_3"], nSMA(ratio, 3, 3), 1e-12)
	g = runInd(t, f, "sold_flow_ratio", nil)
	expectCol(t, "sold_flow_ratio", g["sold_flow_ratio"], ratio, 1e-12)
	// per-distance columns are summed when totals are absent
	h := truncate(f, 40)
	delete(h.Cols, "puts_sold_total")
	delete(h.Cols, "calls_sold_total")
	h.Cols["puts_sold_d-1"], h.Cols["puts_sold_d1"] = p, p
	h.Cols["calls_sold_d0"] = k
	g = runInd(t, h, "pcr_volume", nil)
	expectCol(t, "pcr_volume/d", g["pcr_volume"], mapf(40, func(i int) float64 { return (2*p[i] + 1e-9) / (k[i] + 1e-9) }), 1e-12)
}

func TestSplitDaysMatchesTimePackage(t *testing.T) {
	// every 20 minutes across both 2024 DST changes and a few years back
	var ts []int64
	for _, y := range []int{1999, 2020, 2024} {
		for tm := time.Date(y, 3, 1, 0, 0, 0, 0, time.UTC); tm.Before(time.Date(y, 11, 20, 0, 0, 0, 0, time.UTC)); tm = tm.Add(20 * time.Minute) {
			ts = append(ts, tm.UnixMilli())
		}
	}
	loc := newYork()
	ds := splitDays(ts, loc)
	for i, t0 := range ts {
		d := ds.list[ds.idx[i]]
		lt := time.UnixMilli(t0).In(loc)
		y, m, dd := lt.Date()
		st := time.Date(y, m, dd, 0, 0, 0, 0, loc)
		if d.Y != y || d.M != int(m) || d.D != dd || d.Start != st.UnixMilli() || d.End != st.AddDate(0, 0, 1).UnixMilli() || d.Weekday != lt.Weekday() {
			t.Fatalf("%v: got %+v", lt, d)
		}
		if h := hourOf(t0, &d, loc); h != lt.Hour() {
			t.Fatalf("%v: hour %d", lt, h)
		}
	}
}

func TestAroonAndUltimateWithGaps(t *testing.T) {
	// the NaN-aware paths agree with the dense ones where windows hold no gap
	f := synthFrame(200, 5)
	g := truncate(f, 200)
	g.High = append([]float64(nil), f.High...)
	g.Close = append([]float64(nil), f.Close...)
	g.High[150] = math.NaN()
	g.Close[150] = math.NaN()
	a := runInd(t, f, "aroon", map[string]any{"period": 10})["aroon_up_10"]
	b := runInd(t, g, "aroon", map[string]any{"period": 10})["aroon_up_10"]
	expectCol(t, "aroon gaps", b[:150], a[:150], 1e-12)
	expectCol(t, "aroon after gap", b[161:], a[161:], 1e-12)
	u := runInd(t, f, "ultimate_oscillator", nil)["ultimate_osc"]
	v := runInd(t, g, "ultimate_oscillator", nil)["ultimate_osc"]
	expectCol(t, "ultimate gaps", v[:150], u[:150], 1e-9)
}
