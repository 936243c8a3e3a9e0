package signals

import (
	"math"
	"sort"
)

// ScanParams are the scanner's gates (reference storage-admin §8).
type ScanParams struct {
	Epsilon float64 // breakout margin over the upper band / Donchian high (fraction); default 0.002
	BosMin  float64 // minimum break-of-structure in ATRs; default 0.25
	RSIMin  float64 // default 55
	ADXMin  float64 // default 18
}

// ScanBarsMin is the fewest daily bars a ticker needs (momentum_63 + 1).
const ScanBarsMin = 64

// ScanInput is one ticker's daily bars, oldest first.
type ScanInput struct {
	Ticker           string
	High, Low, Close []float64
}

// ScanRow is one ticker's scanner reading at its last bar.
type ScanRow struct {
	Ticker       string
	Close        float64
	ATR          float64 // Wilder ATR(14), price units
	DonchianHigh float64 // highest high of the 20 bars before the last
	BBUpper      float64 // 20-bar mean + 2 population σ of closes
	BoS          float64 // (close − donchian_high)/ATR, ATRs
	Mom20, Mom63 float64 // close/close[−n] − 1 (fractions)
	RSI, ADX     float64 // Wilder 14, 0..100
	EMA20, EMA50 float64

	Breakout, Momentum, TrendQuality, Alignment, Total float64 // scores 0..1
	Pass                                               bool    // the gates
}

// Scan reads each input's last bar and scores it:
//
//	score_breakout      = clip(BoS/0.5, 0, 1)
//	score_momentum      = mean of the cross-sectional percentile ranks of momentum_20 and momentum_63
//	score_trend_quality = clip((ADX − 20)/15, 0, 1)
//	score_alignment     = mean(ema20 > ema50, rsi ≥ rsi_min, adx ≥ adx_min)
//	score_total         = (40·breakout + 30·momentum + 15·trend_quality + 15·alignment)/100
//
// The gates: (close > bb_upper·(1+ε) or close > donchian_high·(1+ε) or BoS ≥
// bos_min) and rsi ≥ rsi_min and adx ≥ adx_min. Inputs with fewer than
// ScanBarsMin bars are left out. Rows come back in input order.
func Scan(in []ScanInput, p ScanParams) []ScanRow {
	var rows []ScanRow
	for _, t := range in {
		n := len(t.Close)
		if n < ScanBarsMin {
			continue
		}
		r := ScanRow{Ticker: t.Ticker, Close: t.Close[n-1]}
		r.ATR = WilderATR(t.High, t.Low, t.Close, 14)
		r.DonchianHigh = maxOf(t.High[n-21 : n-1])
		mean, sd := meanStd(t.Close[n-20:])
		r.BBUpper = mean + 2*sd
		r.BoS = (r.Close - r.DonchianHigh) / r.ATR
		r.Mom20 = r.Close/t.Close[n-21] - 1
		r.Mom63 = r.Close/t.Close[n-64] - 1
		r.RSI = wilderRSI(t.Close, 14)
		r.ADX = wilderADX(t.High, t.Low, t.Close, 14)
		r.EMA20, r.EMA50 = emaLast(t.Close, 20), emaLast(t.Close, 50)
		r.Breakout = clip01(r.BoS / 0.5)
		r.TrendQuality = clip01((r.ADX - 20) / 15)
		r.Alignment = (b01(r.EMA20 > r.EMA50) + b01(r.RSI >= p.RSIMin) + b01(r.ADX >= p.ADXMin)) / 3
		brk := r.Close > r.BBUpper*(1+p.Epsilon) || r.Close > r.DonchianHigh*(1+p.Epsilon) || r.BoS >= p.BosMin
		r.Pass = brk && r.RSI >= p.RSIMin && r.ADX >= p.ADXMin
		rows = append(rows, r)
	}
	r20, r63 := make([]float64, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		r20[i], r63[i] = r.Mom20, r.Mom63
	}
	p20, p63 := pctRank(r20), pctRank(r63)
	for i := range rows {
		rows[i].Momentum = (p20[i] + p63[i]) / 2
		r := &rows[i]
		r.Total = (40*r.Breakout + 30*r.Momentum + 15*r.TrendQuality + 15*r.Alignment) / 100
		if !finite(r.Total) {
			r.Total, r.Pass = 0, false
		}
	}
	return rows
}

func clip01(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return math.Max(0, math.Min(1, x))
}

func b01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}

func meanStd(x []float64) (float64, float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	mean := s / float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)))
}

// pctRank is the percentile rank of each value (average rank of ties / n),
// as pandas rank(pct=True); NaN values rank 0.
func pctRank(x []float64) []float64 {
	idx := make([]int, 0, len(x))
	for i, v := range x {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	out := make([]float64, len(x))
	n := float64(len(idx))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = avg / n
		}
		i = j + 1
	}
	return out
}

func emaLast(x []float64, n int) float64 {
	a := 2 / float64(n+1)
	e := x[0]
	for _, v := range x[1:] {
		e += a * (v - e)
	}
	return e
}

// wilderRSI is RSI(n) at the last close with Wilder smoothing (0..100).
func wilderRSI(c []float64, n int) float64 {
	if len(c) <= n {
		return math.NaN()
	}
	var g, l float64
	for i := 1; i <= n; i++ {
		d := c[i] - c[i-1]
		g += math.Max(d, 0)
		l += math.Max(-d, 0)
	}
	g, l = g/float64(n), l/float64(n)
	for i := n + 1; i < len(c); i++ {
		d := c[i] - c[i-1]
		g += (math.Max(d, 0) - g) / float64(n)
		l += (math.Max(-d, 0) - l) / float64(n)
	}
	if l == 0 {
		if g == 0 {
			return 50
		}
		return 100
	}
	return 100 - 100/(1+g/l)
}

// wilderADX is ADX(n) at the last bar (0..100): Wilder-smoothed +DM, −DM and
// TR give +DI and −DI, DX = 100·|+DI − −DI|/(+DI + −DI), ADX = Wilder mean of DX.
func wilderADX(h, l, c []float64, n int) float64 {
	if len(c) < 2*n+1 {
		return math.NaN()
	}
	var trS, pS, mS, adx float64
	dxs := 0
	for i := 1; i < len(c); i++ {
		up, dn := h[i]-h[i-1], l[i-1]-l[i]
		pdm, mdm := 0.0, 0.0
		if up > dn && up > 0 {
			pdm = up
		}
		if dn > up && dn > 0 {
			mdm = dn
		}
		tr := math.Max(h[i]-l[i], math.Max(math.Abs(h[i]-c[i-1]), math.Abs(l[i]-c[i-1])))
		if i <= n {
			trS, pS, mS = trS+tr, pS+pdm, mS+mdm
			if i < n {
				continue
			}
		} else {
			trS, pS, mS = trS-trS/float64(n)+tr, pS-pS/float64(n)+pdm, mS-mS/float64(n)+mdm
		}
		dx := 0.0
		if trS > 0 {
			pdi, mdi := 100*pS/trS, 100*mS/trS
			if pdi+mdi > 0 {
				dx = 100 * math.Abs(pdi-mdi) / (pdi + mdi)
			}
		}
		dxs++
		switch {
		case dxs < n:
			adx += dx
		case dxs == n:
			adx = (adx + dx) / float64(n)
		default:
			adx = (adx*float64(n-1) + dx) / float64(n)
		}
	}
	if dxs < n {
		return math.NaN()
	}
	return adx
}
