package indicators

import "math"

// rsiCore computes Wilder RSI of p; NaN until n changes have been seen.
// Dense input (no NaN after the first value) takes a single fused pass:
// change, gain/loss smoothing and the ratio per row, no temporaries.
func rsiCore(p []float64, n int) []float64 { return rsiCoreTo(p, n, make([]float64, len(p))) }

// rsiCoreTo is rsiCore writing into out (every row is written).
func rsiCoreTo(p []float64, n int, out []float64) []float64 {
	size := len(p)
	lead, finite := denseLead(p)
	if !finite && hasNaN(p[lead:]) {
		return rsiGappy(p, n, out)
	}
	for i := 0; i < lead+n && i < size; i++ {
		out[i] = nan
	}
	if lead+1 >= size {
		return out
	}
	alpha := 1 / float64(n)
	beta := 1 - alpha
	var ag, al float64
	for i := lead + 1; i < size; i++ {
		d := p[i] - p[i-1]
		var g, l float64
		if finite { // loop-invariant, predicted
			g, l = splitChange(d)
		} else {
			g, l = max(d, 0), max(-d, 0) // Inf in the input: NaN changes propagate
		}
		if i == lead+1 {
			ag, al = g, l
		} else {
			ag = beta*ag + alpha*g
			al = beta*al + alpha*l
		}
		if i < lead+n {
			continue
		}
		out[i] = rsiOf(ag, al)
	}
	return out
}

// splitChange is (max(d, 0), max(−d, 0)) for a non-NaN d, exactly as the
// builtin max gives them (+0 for a zero of either sign), from the sign bit:
// a few integer operations instead of two NaN-aware float max sequences.
func splitChange(d float64) (gain, loss float64) {
	b := math.Float64bits(d)
	neg := uint64(int64(b) >> 63) // all ones when the sign bit is set
	return math.Float64frombits(b &^ neg), math.Float64frombits((b ^ 1<<63) & neg)
}

func rsiOf(ag, al float64) float64 {
	switch {
	case al == 0 && ag == 0:
		return 50
	case al == 0:
		return 100
	}
	return 100 - 100/(1+ag/al)
}

// rsiGappy is rsiCore for input with NaN gaps (a NaN change is a missing
// observation of the smoothers).
func rsiGappy(p []float64, n int, out []float64) []float64 {
	size := len(p)
	g := make([]float64, size)
	l := make([]float64, size)
	for i := range p {
		if i == 0 {
			g[i], l[i] = nan, nan
			continue
		}
		d := p[i] - p[i-1]
		switch {
		case d != d:
			g[i], l[i] = nan, nan
		case d > 0:
			g[i], l[i] = d, 0
		default:
			g[i], l[i] = 0, -d
		}
	}
	ewmPair(g, l, 1/float64(n), n, g, l)
	for i := range out {
		if g[i] != g[i] || l[i] != l[i] {
			out[i] = nan
			continue
		}
		out[i] = rsiOf(g[i], l[i])
	}
	return out
}

func rsi(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	n := c.int("period")
	if c.sh == nil {
		return one("rsi_"+itoa(n), rsiCore(p, n)), nil
	}
	r, done := c.rsi(c.str("column"), p, n) // shared with stoch_rsi in a batch
	defer done()
	return one("rsi_"+itoa(n), append([]float64(nil), r...)), nil
}

func stochRSI(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	r, doneR := c.rsi(c.str("column"), p, c.int("rsi_period"))
	defer doneR()
	sp := c.int("stoch_period")
	hi, doneH := tmp(len(r))
	defer doneH()
	lo, doneL := tmp(len(r))
	defer doneL()
	rollMaxMinTo(r, r, sp, sp, hi, lo)
	s := hi // each row reads hi[i] before overwriting it
	for i := range r {
		rg := hi[i] - lo[i]
		switch {
		case rg != rg || r[i] != r[i]:
			s[i] = nan
		case rg == 0:
			s[i] = 0
		default:
			s[i] = (r[i] - lo[i]) / rg
		}
	}
	sk, sd := c.int("smooth_k"), c.int("smooth_d")
	k := rollMean(s, sk, sk)
	for i := range k {
		k[i] *= 100
	}
	d := rollMean(k, sd, sd)
	return []Column{{"stochrsi_k", k}, {"stochrsi_d", d}}, nil
}

// stochCore is 100·(C−MIN L)/(MAX H−MIN L) over n rows (0 when the range is 0).
func stochCore(c *call, n int, williams bool) []float64 {
	hi, lo, done := c.highLow(n)
	defer done()
	cl := c.f.Close
	out := make([]float64, len(cl))
	for i := range out {
		rg := hi[i] - lo[i]
		switch {
		case rg != rg || cl[i] != cl[i]:
			out[i] = nan
		case williams && rg == 0:
			out[i] = 0
		case williams:
			out[i] = -100 * (hi[i] - cl[i]) / rg
		case rg == 0:
			out[i] = 0
		default:
			out[i] = 100 * (cl[i] - lo[i]) / rg
		}
	}
	return out
}

func stochastic(c *call) ([]Column, error) {
	k := stochCore(c, c.int("period_k"), false)
	pd := c.int("period_d")
	return []Column{{"stoch_k", k}, {"stoch_d", rollMean(k, pd, pd)}}, nil
}

func williamsR(c *call) ([]Column, error) {
	n := c.int("period")
	return one("williams_r_"+itoa(n), stochCore(c, n, true)), nil
}

func cci(c *call) ([]Column, error) {
	n := c.int("period")
	f := c.f
	tp, doneTP := tmp(c.n())
	defer doneTP()
	for i := range tp {
		tp[i] = (f.High[i] + f.Low[i] + f.Close[i]) / 3
	}
	m, doneM := tmp(c.n())
	defer doneM()
	rollMoments(tp, n, n, nil, m, nil)
	out := make([]float64, len(tp))
	dense := !hasNaN(tp)
	for i := range tp {
		if m[i] != m[i] || i < n-1 {
			out[i] = nan
			continue
		}
		// Mean absolute deviation needs the current mean, so it is O(n) per
		// row (n is a small period, 20 by default). Four accumulators break
		// the add-latency chain of the inner loop.
		mi := m[i]
		w := tp[i-n+1 : i+1]
		var md float64
		cnt := n
		if dense {
			var a0, a1, a2, a3 float64
			j := 0
			for ; j+4 <= len(w); j += 4 {
				q := w[j : j+4 : j+4] // one bounds check per four values
				a0 += math.Abs(q[0] - mi)
				a1 += math.Abs(q[1] - mi)
				a2 += math.Abs(q[2] - mi)
				a3 += math.Abs(q[3] - mi)
			}
			for ; j < len(w); j++ {
				a0 += math.Abs(w[j] - mi)
			}
			md = (a0 + a1) + (a2 + a3)
		} else {
			cnt = 0
			for _, v := range w {
				if v == v {
					md += math.Abs(v - mi)
					cnt++
				}
			}
		}
		md /= float64(cnt)
		out[i] = safeDiv(tp[i]-mi, 0.015*md)
	}
	return one("cci_"+itoa(n), out), nil
}

func fisher(c *call) ([]Column, error) {
	n := c.int("period")
	f := c.f
	hl, doneHL := tmp(c.n())
	defer doneHL()
	for i := range hl {
		hl[i] = (f.High[i] + f.Low[i]) / 2
	}
	hi, doneH := tmp(c.n())
	defer doneH()
	lo, doneL := tmp(c.n())
	defer doneL()
	rollMaxMinTo(hl, hl, n, n, hi, lo)
	out := make([]float64, len(hl))
	v, fish := 0.0, 0.0
	started := false
	for i := range hl {
		if hi[i] != hi[i] || hl[i] != hl[i] {
			out[i] = nan
			continue
		}
		x := 0.0
		if rg := hi[i] - lo[i]; rg > 0 {
			x = 2*(hl[i]-lo[i])/rg - 1
		}
		if !started {
			v, fish, started = 0, 0, true
		}
		v = 0.33*x + 0.67*v
		// clamp with compares: the builtin min/max put a NaN- and
		// zero-aware sequence on the carried path; the clamp rarely binds,
		// so the branches predict well (a NaN passes through either way)
		if v > 0.999 {
			v = 0.999
		} else if v < -0.999 {
			v = -0.999
		}
		fish = 0.5*math.Log((1+v)/(1-v)) + 0.5*fish
		out[i] = fish
	}
	return one("fisher_"+itoa(n), out), nil
}

// macdCore returns line, signal, hist for EMA_fast−EMA_slow of p, divided by
// EMA_slow·1/100 when pct (PPO).
func macdCore(p []float64, fast, slow, sig int, pct bool) (line, signal, hist []float64) {
	line, signal, hist = make([]float64, len(p)), make([]float64, len(p)), make([]float64, len(p))
	if macdFused(p, fast, slow, sig, pct, line, signal, hist) {
		return
	}
	ef := ema(p, fast, line)
	es := ema(p, slow, signal)
	for i := range line {
		if pct {
			line[i] = 100 * safeDiv(ef[i]-es[i], es[i])
		} else {
			line[i] = ef[i] - es[i]
		}
	}
	signal = ema(line, sig, es)
	for i := range hist {
		hist[i] = line[i] - signal[i]
	}
	return
}

func macd(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	l, s, h := macdCore(p, c.int("fast"), c.int("slow"), c.int("signal"), false)
	return []Column{{"macd_line", l}, {"macd_signal", s}, {"macd_hist", h}}, nil
}

func ppo(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	l, s, h := macdCore(p, c.int("fast"), c.int("slow"), c.int("signal"), true)
	return []Column{{"ppo_line", l}, {"ppo_signal", s}, {"ppo_hist", h}}, nil
}

func trix(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	n := c.int("period")
	e, done := tmp(len(p))
	defer done()
	if !ema3Fused(p, n, e) {
		e = ema(ema(ema(p, n, nil), n, nil), n, nil)
	}
	out := make([]float64, len(e))
	for i := range out {
		if i == 0 {
			out[i] = nan
			continue
		}
		out[i] = 100 * safeDiv(e[i]-e[i-1], e[i-1])
	}
	return one("trix_"+itoa(n), out), nil
}

func tsi(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	r, s := c.int("r"), c.int("s")
	if out := make([]float64, len(p)); tsiFused(p, r, s, out) {
		return one("tsi_"+itoa(r)+"_"+itoa(s), out), nil
	}
	d := diff(p, 1)
	a := make([]float64, len(d))
	for i := range d {
		a[i] = math.Abs(d[i])
	}
	num := ema(ema(d, r, nil), s, nil)
	den := ema(ema(a, r, nil), s, nil)
	for i := range num {
		num[i] = 100 * safeDiv(num[i], den[i])
	}
	return one("tsi_"+itoa(r)+"_"+itoa(s), num), nil
}

func ultimate(c *call) ([]Column, error) {
	f := c.f
	n := c.n()
	ws := [3]int{c.int("short"), c.int("mid"), c.int("long")}
	bp := make([]float64, n)
	tr, doneTR := tmp(n)
	defer doneTR()
	for i := 0; i < n; i++ {
		if i == 0 {
			bp[i], tr[i] = nan, nan
			continue
		}
		pc := f.Close[i-1]
		lo, hi := min(f.Low[i], pc), max(f.High[i], pc) // NaN-propagating, branch-free
		bp[i] = f.Close[i] - lo
		tr[i] = hi - lo
	}
	if n < 2 || hasNaN(bp[1:]) || hasNaN(tr[1:]) {
		// general path with NaN-aware rolling sums
		out := make([]float64, n)
		wt := [3]float64{4, 2, 1}
		for k, w := range ws {
			sb := rollSum(bp, w, w)
			st := rollSum(tr, w, w)
			for i := range out {
				if k == 0 {
					out[i] = 0
				}
				out[i] += wt[k] * safeDiv(sb[i], st[i])
			}
		}
		for i := range out {
			out[i] *= 100.0 / 7
		}
		return one("ultimate_osc", out), nil
	}
	// Dense input: the three windows' sums of BP and TR ride along in one pass
	// (re-summed exactly every 4096 rows to bound rounding drift).
	out := bp // each row reads bp[i−w] before out[i] overwrites bp[i]; keep a copy of the lagged values
	lagB, doneL := tmp(n)
	defer doneL()
	copy(lagB, bp)
	var sb, st [3]float64
	maxW := max(ws[0], ws[1], ws[2])
	for i := 1; i < n; i++ {
		if i%4096 == 0 {
			for k, w := range ws {
				sb[k], st[k] = 0, 0
				for j := max(1, i-w+1); j < i; j++ {
					sb[k] += lagB[j]
					st[k] += tr[j]
				}
			}
		}
		for k, w := range ws {
			sb[k] += lagB[i]
			st[k] += tr[i]
			if j := i - w; j >= 1 {
				sb[k] -= lagB[j]
				st[k] -= tr[j]
			}
		}
		if i < maxW {
			out[i] = nan
			continue
		}
		out[i] = 100 * (4*safeDiv(sb[0], st[0]) + 2*safeDiv(sb[1], st[1]) + safeDiv(sb[2], st[2])) / 7
	}
	for i := 1; i < min(maxW, n); i++ {
		out[i] = nan
	}
	return one("ultimate_osc", out), nil
}

func roc(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	out := pct(p, w)
	for i := range out {
		out[i] *= 100
	}
	return one("roc_"+itoa(w), out), nil
}

func momentum(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	return one("close_mom_"+itoa(w), pct(p, w)), nil
}

func ret(c *call) ([]Column, error) {
	p, err := c.column("column")
	if err != nil {
		return nil, err
	}
	w := c.int("window")
	return one("ret_"+itoa(w)+"h", pct(p, w)), nil
}
