package indicators

import (
	"fmt"
	"math"
)

const dayMs = 24 * 3600000

// fetchBars loads bars of ticker at timeframe covering the frame's days plus
// lookbackDays calendar days before the first row.
func fetchBars(c *call, ticker, timeframe string, lookbackDays int) (*Frame, error) {
	src, err := c.source()
	if err != nil {
		return nil, err
	}
	if c.n() == 0 {
		return &Frame{}, nil
	}
	from := c.f.TS[0] - int64(lookbackDays)*dayMs - dayMs
	to := c.f.TS[c.n()-1] + 2*dayMs
	b, err := src.Bars(c.ctx, ticker, timeframe, from, to)
	if err != nil {
		return nil, fmt.Errorf("load %s %s bars: %w", ticker, timeframe, err)
	}
	if b == nil {
		b = &Frame{}
	}
	return b, nil
}

// lookback converts a number of sessions into calendar days with margin.
// Recursive (EWM) daily indicators ask for 10× their period so the seed's
// weight has decayed below ~1e-4 by the first frame row; the value still
// depends only on data before the row.
func lookback(sessions int) int { return sessions*3/2 + 15 }

// prevSession maps each frame row to the index of the last daily bar whose
// session date is before the row's ET date (-1 when none). sameDay is the
// index of the daily bar of the row's own date (-1 when none).
func prevSession(c *call, daily *Frame) (prev, same []int) {
	loc := newYork()
	ds := splitDays(c.f.TS, loc)
	prev = make([]int, c.n())
	same = make([]int, c.n())
	j := -1 // last daily bar with TS < day start
	for i := range prev {
		d := ds.list[ds.idx[i]]
		for j+1 < len(daily.TS) && daily.TS[j+1] < d.Start {
			j++
		}
		for j >= 0 && daily.TS[j] >= d.Start { // unsorted rows: step back
			j--
		}
		prev[i] = j
		same[i] = -1
		if j+1 < len(daily.TS) && daily.TS[j+1] < d.End {
			same[i] = j + 1
		}
	}
	return prev, same
}

// mapPrev gives each row v[prev session].
func mapPrev(c *call, daily *Frame, v []float64) []float64 {
	prev, _ := prevSession(c, daily)
	out := make([]float64, c.n())
	for i, j := range prev {
		if j >= 0 {
			out[i] = v[j]
		} else {
			out[i] = nan
		}
	}
	return out
}

func dailyRSICol(c *call, period int, column string) ([]float64, error) {
	t, err := c.ticker("underlying")
	if err != nil {
		return nil, err
	}
	d, err := fetchBars(c, t, "1d", lookback(10*period))
	if err != nil {
		return nil, err
	}
	p := d.Col(column)
	if p == nil {
		return nanCol(c.n()), nil
	}
	return mapPrev(c, d, rsiCore(p, period)), nil
}

func dailyRSI(c *call) ([]Column, error) {
	p := c.int("period")
	v, err := dailyRSICol(c, p, c.str("column"))
	if err != nil {
		return nil, err
	}
	return one("rsi_"+itoa(p)+"_d", v), nil
}

func dailyCloses(c *call, sessions int) (*Frame, error) {
	t, err := c.ticker("underlying")
	if err != nil {
		return nil, err
	}
	return fetchBars(c, t, "1d", lookback(sessions))
}

func dailyEMA(c *call) ([]Column, error) {
	w := c.int("window")
	d, err := dailyCloses(c, 10*w)
	if err != nil {
		return nil, err
	}
	return one("ema_"+itoa(w)+"_d", mapPrev(c, d, ema(d.Close, w, nil))), nil
}

func dailyRet(c *call) ([]Column, error) {
	w := c.int("window")
	d, err := dailyCloses(c, w+2)
	if err != nil {
		return nil, err
	}
	return one("ret_"+itoa(w)+"d_d", mapPrev(c, d, pct(d.Close, w))), nil
}

func dailyDistToEMA(c *call) ([]Column, error) {
	w := c.int("window")
	d, err := dailyCloses(c, 10*w)
	if err != nil {
		return nil, err
	}
	e := ema(d.Close, w, nil)
	byPrice := c.str("normalize") == "price"
	v := make([]float64, len(e))
	for i := range e {
		den := math.Abs(e[i])
		if byPrice {
			den = math.Abs(d.Close[i])
		}
		v[i] = safeDiv(d.Close[i]-e[i], den)
	}
	return one("dist_ema"+itoa(w)+"_d", mapPrev(c, d, v)), nil
}

// dailyVWAPCol is the daily VWAP shift sessions back (shift ≥ 1).
func dailyVWAPCol(c *call, shift int) ([]float64, error) {
	if shift < 1 {
		shift = 1
	}
	d, err := dailyCloses(c, shift+2)
	if err != nil {
		return nil, err
	}
	if d.VWAP == nil {
		return nanCol(c.n()), nil
	}
	prev, _ := prevSession(c, d)
	out := make([]float64, c.n())
	for i, j := range prev {
		if k := j - (shift - 1); j >= 0 && k >= 0 {
			out[i] = d.VWAP[k]
		} else {
			out[i] = nan
		}
	}
	return out, nil
}

func dailyVWAP(c *call) ([]Column, error) {
	v, err := dailyVWAPCol(c, c.int("shift_days"))
	if err != nil {
		return nil, err
	}
	return one("vwap_d", v), nil
}

// minutesAfterMidnight is the minutes from day d's local midnight to t (can
// exceed 1440 for the end of a daily bar).
func minutesAfterMidnight(t int64, d etDay) float64 { return float64(t-d.Start) / 60000 }

func openGapZ(c *call) ([]Column, error) {
	t, err := c.ticker("ticker")
	if err != nil {
		return nil, err
	}
	n := c.int("atr_period")
	d, err := fetchBars(c, t, "1d", lookback(n+2))
	if err != nil {
		return nil, err
	}
	out := nanCol(c.n())
	if d.Len() == 0 {
		return one("open_gap_z", out), nil
	}
	var norm []float64
	stddev := c.str("norm") == "stddev5m"
	if !stddev {
		norm = rollMean(trueRange(d.High, d.Low, d.Close), n, n)
	} else {
		norm, err = prevSession5mStd(c, t, d)
		if err != nil {
			return nil, err
		}
	}
	prev, same := prevSession(c, d)
	ds := splitDays(c.f.TS, newYork())
	for i := range out {
		j, k := prev[i], same[i]
		if j < 0 || k < 0 {
			continue
		}
		day := ds.list[ds.idx[i]]
		if minutesAfterMidnight(c.rowEnd(i, ds), day) <= 9*60+30 { // open not yet printed
			continue
		}
		gap := d.Open[k] - d.Close[j]
		if stddev {
			out[i] = safeDiv(gap, d.Close[j]*norm[j])
		} else {
			out[i] = safeDiv(gap, norm[j])
		}
	}
	return one("open_gap_z", out), nil
}

// prevSession5mStd gives, per daily bar, the std of that session's RTH
// 5-minute returns scaled to a whole session (·√78).
func prevSession5mStd(c *call, ticker string, d *Frame) ([]float64, error) {
	b, err := fetchBars(c, ticker, "5m", lookback(3))
	if err != nil {
		return nil, err
	}
	loc := newYork()
	out := nanCol(d.Len())
	bd := splitDays(b.TS, loc)
	j := 0
	for k := range d.TS {
		var rs []float64
		for ; j < b.Len() && b.TS[j] < d.TS[k]+20*3600000; j++ {
			if b.TS[j] < d.TS[k] {
				continue
			}
			m := minuteOfDay(b.TS[j], bd.list[bd.idx[j]], loc)
			if m >= 9*60+30 && m < 16*60 && j > 0 && bd.idx[j-1] == bd.idx[j] {
				rs = append(rs, b.Close[j]/b.Close[j-1]-1)
			}
		}
		if len(rs) >= 2 {
			var m, s float64
			for _, r := range rs {
				m += r
			}
			m /= float64(len(rs))
			for _, r := range rs {
				s += (r - m) * (r - m)
			}
			out[k] = math.Sqrt(s/float64(len(rs)-1)) * math.Sqrt(78)
		}
	}
	return out, nil
}

func first15mRangeZ(c *call) ([]Column, error) {
	t, err := c.ticker("ticker")
	if err != nil {
		return nil, err
	}
	m := c.int("window_mins")
	name := "first15m_range_z_" + itoa(m)
	d, err := fetchBars(c, t, "1d", lookback(16))
	if err != nil {
		return nil, err
	}
	out := nanCol(c.n())
	if d.Len() == 0 {
		return one(name, out), nil
	}
	b, err := fetchBars(c, t, "5m", 1)
	if err != nil {
		return nil, err
	}
	atrD := rollMean(trueRange(d.High, d.Low, d.Close), 14, 14)
	loc := newYork()
	// opening range per 5m-bar day, keyed by day start
	bd := splitDays(b.TS, loc)
	rng := map[int64]float64{}
	hi, lo := map[int64]float64{}, map[int64]float64{}
	for i := range b.TS {
		day := bd.list[bd.idx[i]]
		mm := minuteOfDay(b.TS[i], day, loc)
		if mm < 9*60+30 || mm >= float64(9*60+30+m) {
			continue
		}
		h, okh := hi[day.Start]
		if !okh || b.High[i] > h {
			hi[day.Start] = b.High[i]
		}
		l, okl := lo[day.Start]
		if !okl || b.Low[i] < l {
			lo[day.Start] = b.Low[i]
		}
		rng[day.Start] = hi[day.Start] - lo[day.Start]
	}
	prev, _ := prevSession(c, d)
	ds := splitDays(c.f.TS, loc)
	for i := range out {
		day := ds.list[ds.idx[i]]
		r, ok := rng[day.Start]
		if !ok || prev[i] < 0 {
			continue
		}
		if minutesAfterMidnight(c.rowEnd(i, ds), day) < float64(9*60+30+m) { // range not complete
			continue
		}
		out[i] = safeDiv(r, atrD[prev[i]])
	}
	return one(name, out), nil
}

// indexPrev maps each row to the index ticker's close k sessions back (k ≥ 1).
func indexPrev(c *call, ticker string, k int) ([]float64, error) {
	d, err := fetchBars(c, ticker, "1d", lookback(k+2))
	if err != nil {
		return nil, err
	}
	prev, _ := prevSession(c, d)
	out := make([]float64, c.n())
	for i, j := range prev {
		if jj := j - (k - 1); j >= 0 && jj >= 0 {
			out[i] = d.Close[jj]
		} else {
			out[i] = nan
		}
	}
	return out, nil
}

func vixLevel(c *call) ([]Column, error) {
	v, err := indexPrev(c, c.str("index_ticker"), 1)
	if err != nil {
		return nil, err
	}
	return one("vix_level", v), nil
}

func vixDelta(c *call) ([]Column, error) {
	a, err := indexPrev(c, "I:VIX", 1)
	if err != nil {
		return nil, err
	}
	b, err := indexPrev(c, "I:VIX", 2)
	if err != nil {
		return nil, err
	}
	for i := range a {
		a[i] -= b[i]
	}
	return one("vix_delta", a), nil
}

func vixTicker(s string) string {
	switch s {
	case "1m", "near":
		return "I:VIX"
	case "3m", "next":
		return "I:VIX3M"
	case "6m":
		return "I:VIX6M"
	}
	return s
}

func vixTermSlope(c *call) ([]Column, error) {
	near, err := indexPrev(c, vixTicker(c.str("near")), 1)
	if err != nil {
		return nil, err
	}
	far, err := indexPrev(c, vixTicker(c.str("far")), 1)
	if err != nil {
		return nil, err
	}
	for i := range far {
		far[i] -= near[i]
	}
	return one("vix_term_slope", far), nil
}
