package indicators

import "math"

// Fused EWM cascades. An EWM step is a multiply-add on the loop-carried
// value (about seven cycles of latency), so a cascade such as EMA(EMA(x))
// run as separate passes costs one full latency-bound pass per stage. Run in
// one pass, the stages of a row overlap in the CPU and the cascade costs
// little more than a single EWM, without full-length intermediates.
//
// The fused kernels reproduce ewm exactly for the case they accept: input
// that is NaN only in a leading run and finite (well below overflow)
// afterwards. Then every stage is the plain recurrence w = β·w + α·v seeded
// with its first input, each stage's output becomes non-NaN minP−1 rows
// after its first input, and no gap logic is involved. Other input takes
// the separate-pass path.

// denseLead returns the length of x's leading NaN run and whether the rest
// is finite with magnitude at most 1e300 (so sums of two values and convex
// combinations stay finite).
func denseLead(x []float64) (lead int, ok bool) {
	for lead < len(x) && x[lead] != x[lead] {
		lead++
	}
	for _, v := range x[lead:] {
		if !(math.Abs(v) <= 1e300) {
			return lead, false
		}
	}
	return lead, true
}

// warm is the number of rows after a stage's first input before its output
// is defined (minP−1, at least 0).
func warm(minP int) int { return max(minP, 1) - 1 }

// ema3Fused writes EMA_n(EMA_n(EMA_n(x))) into out when x qualifies (see
// above); ok is false (out untouched) otherwise.
func ema3Fused(x []float64, n int, out []float64) bool {
	lead, ok := denseLead(x)
	if !ok {
		return false
	}
	size := len(x)
	alpha := 2 / float64(n+1)
	beta := 1 - alpha
	l1 := lead + warm(n) // first row of EMA₁'s output = first input of stage 2
	l2 := l1 + warm(n)
	l3 := l2 + warm(n) // first defined output
	for i := 0; i < min(l3, size); i++ {
		out[i] = nan
	}
	var w1, w2, w3 float64
	i := lead
	for ; i < size && i < l2; i++ { // warm-up: stages start one after another
		if i == lead {
			w1 = x[i]
		} else {
			w1 = beta*w1 + alpha*x[i]
		}
		if i == l1 {
			w2 = w1
		} else if i > l1 {
			w2 = beta*w2 + alpha*w1
		}
	}
	for ; i < size; i++ {
		if i == lead {
			w1 = x[i]
		} else {
			w1 = beta*w1 + alpha*x[i]
		}
		if i == l1 {
			w2 = w1
		} else {
			w2 = beta*w2 + alpha*w1
		}
		if i == l2 {
			w3 = w2
		} else {
			w3 = beta*w3 + alpha*w2
		}
		if i >= l3 {
			out[i] = w3
		}
	}
	return true
}

// tsiFused writes 100·EMA_s(EMA_r(ΔP))/EMA_s(EMA_r(|ΔP|)) into out (the four
// smoothers in one pass) when p qualifies; ok is false otherwise.
func tsiFused(p []float64, r, s int, out []float64) bool {
	lead, ok := denseLead(p)
	if !ok {
		return false
	}
	size := len(p)
	ar, as := 2/float64(r+1), 2/float64(s+1)
	br, bs := 1-ar, 1-as
	l0 := lead + 1 // first change
	l1 := l0 + warm(r)
	l2 := l1 + warm(s) // first defined output
	for i := 0; i < min(l2, size); i++ {
		out[i] = nan
	}
	var n1, n2, d1, d2 float64
	for i := l0; i < size; i++ {
		d := p[i] - p[i-1]
		a := math.Abs(d)
		if i == l0 {
			n1, d1 = d, a
		} else {
			n1 = br*n1 + ar*d
			d1 = br*d1 + ar*a
		}
		if i < l1 {
			continue
		}
		if i == l1 {
			n2, d2 = n1, d1
		} else {
			n2 = bs*n2 + as*n1
			d2 = bs*d2 + as*d1
		}
		if i >= l2 {
			out[i] = 100 * safeDiv(n2, d2)
		}
	}
	return true
}

// macdFused is macdCore in one pass (fast and slow EMA, the line and its
// signal EMA) when p qualifies; ok is false otherwise. A PPO line that is
// undefined somewhere (slow EMA 0) falls back to a separate signal pass.
func macdFused(p []float64, fast, slow, sig int, pct bool, line, signal, hist []float64) bool {
	lead, ok := denseLead(p)
	if !ok {
		return false
	}
	size := len(p)
	af, as, ag := 2/float64(fast+1), 2/float64(slow+1), 2/float64(sig+1)
	bf, bs, bg := 1-af, 1-as, 1-ag
	l1 := lead + max(warm(fast), warm(slow)) // first defined line value
	l2 := l1 + warm(sig)                     // first defined signal value
	for i := 0; i < min(l1, size); i++ {
		line[i] = nan
	}
	for i := 0; i < min(l2, size); i++ {
		signal[i], hist[i] = nan, nan
	}
	var wf, ws, wg float64
	good := true // every line value so far finite
	for i := lead; i < size; i++ {
		if i == lead {
			wf, ws = p[i], p[i]
		} else {
			wf = bf*wf + af*p[i]
			ws = bs*ws + as*p[i]
		}
		if i < l1 {
			continue
		}
		var v float64
		if pct {
			v = 100 * safeDiv(wf-ws, ws)
		} else {
			v = wf - ws
		}
		line[i] = v
		if !good {
			continue
		}
		if !(math.Abs(v) <= 1e300) {
			good = false
			continue
		}
		if i == l1 {
			wg = v
		} else {
			wg = bg*wg + ag*v
		}
		if i >= l2 {
			signal[i], hist[i] = wg, v-wg
		}
	}
	if !good {
		ema(line, sig, signal)
		for i := range hist {
			hist[i] = line[i] - signal[i]
		}
	}
	return true
}
