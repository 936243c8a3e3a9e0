package indicators

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/options"
)

// Options indicators read chains and option bars through Source. Every row is
// evaluated "as of" the end of its bar: only snapshots taken at or before that
// instant, and option bars that have closed by then, are used.

type optCtx struct {
	c    *call
	src  Source
	und  string
	r, q float64
	loc  *time.Location
	ds   days
}

func newOptCtx(c *call) (*optCtx, error) {
	src, err := c.source()
	if err != nil {
		return nil, err
	}
	und, err := c.ticker("underlying")
	if err != nil {
		return nil, err
	}
	loc := newYork()
	return &optCtx{c: c, src: src, und: und, r: c.float("r"), q: c.float("q"), loc: loc, ds: splitDays(c.f.TS, loc)}, nil
}

func (o *optCtx) day(i int) etDay  { return o.ds.list[o.ds.idx[i]] }
func (o *optCtx) asOf(i int) int64 { return o.c.rowEnd(i, o.ds) }
func addDays(date string, n int) string {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format("2006-01-02")
}

// chains loads the snapshots visible at asOf for expiries in [date, date+span].
func (o *optCtx) chains(asOf int64, date string, span int) ([]options.Chain, error) {
	chs, err := o.src.Chains(o.c.ctx, o.und, asOf, date, addDays(date, span))
	if err != nil {
		return nil, err
	}
	out := chs[:0:0]
	for _, ch := range chs { // defend against a source returning later snapshots
		if ch.AsOf <= asOf && len(ch.Contracts) > 0 {
			out = append(out, ch)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Expiry < out[j].Expiry })
	return out, nil
}

// firstOnOrAfter is the chain of the earliest expiry ≥ date, or nil.
func firstOnOrAfter(chs []options.Chain, date string) *options.Chain {
	for k := range chs {
		if chs[k].Expiry >= date {
			return &chs[k]
		}
	}
	return nil
}

// market prices a chain: spot from the snapshot, else fallback; T from the
// snapshot time (else asOf) to the 16:00 ET expiry.
func (o *optCtx) market(ch *options.Chain, asOf int64, fallbackSpot float64) options.Market {
	s := ch.Spot
	if !(s > 0) {
		s = fallbackSpot
	}
	t := ch.AsOf
	if t <= 0 {
		t = asOf
	}
	return options.Market{Spot: s, T: options.YearFrac(t, ch.Expiry), R: o.r, Q: o.q}
}

// perRow evaluates f on the front chain (earliest expiry ≥ row date within
// span days) visible at each row's end.
func perRow(c *call, span int, f func(o *optCtx, i int, ch *options.Chain, m options.Market) float64) ([]float64, error) {
	o, err := newOptCtx(c)
	if err != nil {
		return nil, err
	}
	out := nanCol(c.n())
	for i := range out {
		date := o.day(i).date()
		chs, err := o.chains(o.asOf(i), date, span)
		if err != nil {
			return nil, err
		}
		ch := firstOnOrAfter(chs, date)
		if ch == nil {
			continue
		}
		out[i] = f(o, i, ch, o.market(ch, o.asOf(i), c.f.Close[i]))
	}
	return out, nil
}

const frontSpan = 7 // front expiry: the first listed within a week of the row date

func sideOf(ct string) options.Side {
	switch ct {
	case "call":
		return options.CallsOnly
	case "put":
		return options.PutsOnly
	}
	return options.Both
}

func ivRealizedSpread(c *call) ([]Column, error) {
	w := c.int("window")
	name := "iv_realized_spread_" + itoa(w)
	ann := math.Sqrt(252 * 6.5)
	if c.str("freq") == "day" {
		ann = math.Sqrt(252)
	}
	rv := retStd(c.f.Close, w)
	var iv []float64
	var err error
	if c.str("iv_source") == "snapshot" {
		side := sideOf(c.str("contract_type"))
		iv, err = perRow(c, frontSpan, func(o *optCtx, i int, ch *options.Chain, m options.Market) float64 {
			return options.ATMIV(*ch, m, side)
		})
	} else {
		iv, err = barsIV(c, c.str("quote_window"), c.float("strike_band"), func(ivAt func(k float64, call bool) float64, anchor float64) float64 {
			a, b := ivAt(anchor, true), ivAt(anchor, false)
			switch {
			case a == a && b == b:
				return (a + b) / 2
			case a == a:
				return a
			}
			return b
		})
	}
	if err != nil {
		return nil, err
	}
	for i := range iv {
		iv[i] -= rv[i] * ann
	}
	return one(name, iv), nil
}

func ivSkew25(c *call) ([]Column, error) {
	var v []float64
	var err error
	if c.str("iv_source") == "snapshot" {
		v, err = perRow(c, frontSpan, func(o *optCtx, i int, ch *options.Chain, m options.Market) float64 {
			return options.Skew25Delta(*ch, m)
		})
	} else {
		v, err = barsIV(c, c.str("quote_window"), c.float("strike_band"), func(ivAt func(k float64, call bool) float64, anchor float64) float64 {
			return ivAt(anchor, true) - ivAt(anchor, false)
		})
	}
	if err != nil {
		return nil, err
	}
	return one("iv_skew_25d", v), nil
}

func ivTermSlope(c *call) ([]Column, error) {
	o, err := newOptCtx(c)
	if err != nil {
		return nil, err
	}
	fwd := c.int("days_fwd")
	out := nanCol(c.n())
	for i := range out {
		date := o.day(i).date()
		chs, err := o.chains(o.asOf(i), date, fwd+45)
		if err != nil {
			return nil, err
		}
		near := firstOnOrAfter(chs, date)
		far := firstOnOrAfter(chs, addDays(date, fwd))
		if near == nil || far == nil || far.Expiry == near.Expiry {
			continue
		}
		out[i] = options.TermSlope(*near, o.market(near, o.asOf(i), c.f.Close[i]), *far, o.market(far, o.asOf(i), c.f.Close[i]))
	}
	return one("iv_term_slope", out), nil
}

// sessionValue is one per-session observation used by the rank/z-score/OI
// trend indicators.
type sessionValue struct {
	start int64 // local midnight of the session date
	v     float64
}

// sessionSeries evaluates f on the front chain of each session's last
// snapshot (visible at 16:00 ET) for the lookback calendar days before the
// frame and every day it covers. A day counts only when its snapshot was
// taken that day (weekends and holidays repeat Friday's and are skipped).
func sessionSeries(o *optCtx, lookbackDays int, f func(ch *options.Chain, m options.Market) float64) ([]sessionValue, error) {
	if o.c.n() == 0 {
		return nil, nil
	}
	first := o.day(0)
	lastDay := o.ds.list[o.ds.idx[o.c.n()-1]]
	start := time.Date(first.Y, time.Month(first.M), first.D, 0, 0, 0, 0, o.loc).AddDate(0, 0, -lookbackDays)
	end := time.Date(lastDay.Y, time.Month(lastDay.M), lastDay.D, 0, 0, 0, 0, o.loc)
	var out []sessionValue
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		date := d.Format("2006-01-02")
		close := time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, o.loc)
		chs, err := o.chains(close.UnixMilli(), date, frontSpan)
		if err != nil {
			return nil, err
		}
		ch := firstOnOrAfter(chs, date)
		if ch == nil || time.UnixMilli(ch.AsOf).In(o.loc).Format("2006-01-02") != date {
			continue
		}
		out = append(out, sessionValue{start: d.UnixMilli(), v: f(ch, o.market(ch, close.UnixMilli(), math.NaN()))})
	}
	return out, nil
}

// history returns up to k values of sessions strictly before dayStart.
func history(s []sessionValue, dayStart int64, k int) []float64 {
	j := sort.Search(len(s), func(i int) bool { return s[i].start >= dayStart })
	lo := j - k
	if lo < 0 {
		lo = 0
	}
	out := make([]float64, 0, j-lo)
	for _, x := range s[lo:j] {
		out = append(out, x.v)
	}
	return out
}

// ivStat combines the previous sessions' ATM IVs with the row's own.
func ivStat(c *call, name string, f func(hist []float64, cur float64) float64) ([]Column, error) {
	o, err := newOptCtx(c)
	if err != nil {
		return nil, err
	}
	wd := c.int("window_days")
	atm := func(ch *options.Chain, m options.Market) float64 { return options.ATMIV(*ch, m, options.Both) }
	series, err := sessionSeries(o, wd*3/2+10, func(ch *options.Chain, m options.Market) float64 {
		if !(m.Spot > 0) {
			return math.NaN()
		}
		return atm(ch, m)
	})
	if err != nil {
		return nil, err
	}
	cur, err := perRow(c, frontSpan, func(o *optCtx, i int, ch *options.Chain, m options.Market) float64 { return atm(ch, m) })
	if err != nil {
		return nil, err
	}
	out := nanCol(c.n())
	for i := range out {
		out[i] = f(history(series, o.day(i).Start, wd-1), cur[i])
	}
	return one(name, out), nil
}

func ivRank(c *call) ([]Column, error) {
	return ivStat(c, "iv_rank_52w", func(h []float64, cur float64) float64 { return options.IVRank(h, cur, 10) })
}

func ivPercentile(c *call) ([]Column, error) {
	return ivStat(c, "iv_percentile_52w", func(h []float64, cur float64) float64 { return options.IVPercentile(h, cur, 10) })
}

func atmIVZScore(c *call) ([]Column, error) {
	return ivStat(c, "atm_iv_zscore", func(h []float64, cur float64) float64 {
		if cur != cur {
			return nan
		}
		var s, ss float64
		n := 0
		for _, v := range append(h, cur) {
			if v == v {
				s += v
				n++
			}
		}
		if n < 5 {
			return nan
		}
		m := s / float64(n)
		for _, v := range append(h, cur) {
			if v == v {
				ss += (v - m) * (v - m)
			}
		}
		return safeDiv(cur-m, math.Sqrt(ss/float64(n-1)))
	})
}

// ---- option-bar based IVs ----

// window parses "HH:MM-HH:MM" into minutes after midnight.
func parseWindow(s string) (int, int, error) {
	var h1, m1, h2, m2 int
	if _, err := fmtSscanf(strings.TrimSpace(s), &h1, &m1, &h2, &m2); err != nil || h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || h1*60+m1 >= h2*60+m2 {
		return 0, 0, errs.Invalidf("bad time window %q (want HH:MM-HH:MM)", s)
	}
	return h1*60 + m1, h2*60 + m2, nil
}

// barIV is the IV of contract ref from its option bars in [from, to): the
// median bar close (vwap when present) priced at the window midpoint against
// spot S. NaN when no bar traded.
func (o *optCtx) barIV(ref options.ContractRef, from, to int64, S float64) (float64, error) {
	b, err := o.src.OptionBars(o.c.ctx, ref, from, to)
	if err != nil {
		return nan, err
	}
	if b == nil || b.Len() == 0 {
		return nan, nil
	}
	px := make([]float64, 0, b.Len())
	for k := range b.TS {
		v := b.Close[k]
		if b.VWAP != nil && b.VWAP[k] > 0 {
			v = b.VWAP[k]
		}
		if v > 0 {
			px = append(px, v)
		}
	}
	if len(px) == 0 {
		return nan, nil
	}
	sort.Float64s(px)
	med := px[len(px)/2]
	if len(px)%2 == 0 {
		med = (px[len(px)/2-1] + px[len(px)/2]) / 2
	}
	mid := from + (to-from)/2
	T := options.YearFrac(mid, ref.Expiry)
	return options.ImpliedVol(ref.Call, med, S, ref.Strike, T, o.r, o.q), nil
}

// spotAt is the close of the last frame row of day dayIdx that ends at or
// before t; NaN when none.
func (o *optCtx) spotAt(dayIdx int, t int64) float64 {
	// the last row of that day ending by t; failing that (daily frames, or a
	// window before the first bar) the last row of an earlier day, within 5 days
	s := nan
	for i := range o.c.f.TS {
		if o.asOf(i) > t {
			break
		}
		if int(o.ds.idx[i]) == dayIdx || o.c.f.TS[i] >= o.ds.list[dayIdx].Start-5*dayMs {
			s = o.c.f.Close[i]
		}
	}
	return s
}

// barsIV evaluates f once per session of the frame for the 0DTE
// contracts in window w; rows ending before the window closes get NaN.
func barsIV(c *call, w string, band float64, f func(ivAt func(k float64, call bool) float64, anchor float64) float64) ([]float64, error) {
	o, err := newOptCtx(c)
	if err != nil {
		return nil, err
	}
	a, b, err := parseWindow(w)
	if err != nil {
		return nil, err
	}
	perDay := make([]float64, len(o.ds.list))
	ends := make([]int64, len(o.ds.list))
	for k, d := range o.ds.list {
		perDay[k] = nan
		from := d.Start + int64(a)*60000
		to := d.Start + int64(b)*60000
		ends[k] = to
		S := o.spotAt(k, to)
		if !(S > 0) {
			continue
		}
		anchor := math.Round(S)
		date := d.date()
		var ferr error
		ivAt := func(K float64, call bool) float64 {
			// nearest listed strike with trades, searching outward within band
			for step := 0.0; step <= band; step++ {
				for _, k := range []float64{K - step, K + step} {
					if step == 0 && k != K {
						continue
					}
					iv, err := o.barIV(options.ContractRef{Underlying: o.und, Expiry: date, Strike: k, Call: call}, from, to, S)
					if err != nil {
						ferr = err
						return nan
					}
					if iv == iv {
						return iv
					}
				}
			}
			return nan
		}
		perDay[k] = f(ivAt, anchor)
		if ferr != nil {
			return nil, ferr
		}
	}
	out := nanCol(c.n())
	for i := range out {
		k := o.ds.idx[i]
		if o.asOf(i) >= ends[k] {
			out[i] = perDay[k]
		}
	}
	return out, nil
}

// eodSeries is the per-session end-of-day ATM IV for the frame's days and
// the session before the first one.
func eodSeries(o *optCtx, sampling string, band float64) (map[int64]float64, []int64, error) {
	a, b, err := parseWindow(sampling)
	if err != nil {
		return nil, nil, err
	}
	vals := map[int64]float64{}
	// sessions: the frame's days plus up to 2 earlier weekdays with data
	var starts []int64
	first := o.ds.list[0]
	t0 := time.Date(first.Y, time.Month(first.M), first.D, 0, 0, 0, 0, o.loc)
	for k := 5; k >= 1; k-- {
		d := t0.AddDate(0, 0, -k)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			starts = append(starts, d.UnixMilli())
		}
	}
	for _, d := range o.ds.list {
		starts = append(starts, d.Start)
	}
	// spot: the frame's close at the window end, else (days before the frame)
	// that day's daily close from the source
	for _, st := range starts {
		d := time.UnixMilli(st).In(o.loc)
		date := d.Format("2006-01-02")
		from, to := st+int64(a)*60000, st+int64(b)*60000
		S := nan
		for k, dd := range o.ds.list {
			if dd.Start == st {
				S = o.spotAt(k, to)
			}
		}
		if !(S > 0) {
			bars, err := o.src.Bars(o.c.ctx, o.und, "1d", st, st+dayMs)
			if err != nil {
				return nil, nil, err
			}
			if bars != nil && bars.Len() > 0 {
				S = bars.Close[bars.Len()-1]
			}
		}
		if !(S > 0) {
			continue
		}
		anchor := math.Round(S)
		iv := nan
		for step := 0.0; step <= band && iv != iv; step++ {
			for _, k := range []float64{anchor - step, anchor + step} {
				for _, call := range []bool{true, false} {
					if iv == iv || (step == 0 && k != anchor) {
						continue
					}
					v, err := o.barIV(options.ContractRef{Underlying: o.und, Expiry: date, Strike: k, Call: call}, from, to, S)
					if err != nil {
						return nil, nil, err
					}
					iv = v
				}
			}
		}
		if iv == iv {
			vals[st] = iv
		}
	}
	have := make([]int64, 0, len(starts)) // session starts with a value, ascending
	for _, st := range starts {
		if _, ok := vals[st]; ok {
			have = append(have, st)
		}
	}
	return vals, have, nil
}

// eodAligned returns, per row, the latest and the one-before-latest session
// EOD IV visible at the row's end.
func eodAligned(c *call, sampling string, band float64) (cur, prev []float64, err error) {
	o, err := newOptCtx(c)
	if err != nil {
		return nil, nil, err
	}
	cur, prev = nanCol(c.n()), nanCol(c.n())
	if c.n() == 0 {
		return cur, prev, nil
	}
	vals, starts, err := eodSeries(o, sampling, band)
	if err != nil {
		return nil, nil, err
	}
	_, b, _ := parseWindow(sampling)
	for i := range cur {
		t := o.asOf(i)
		// sessions whose window has closed by t
		j := sort.Search(len(starts), func(k int) bool { return starts[k]+int64(b)*60000 > t }) - 1
		if j >= 0 {
			cur[i] = vals[starts[j]]
		}
		if j >= 1 {
			prev[i] = vals[starts[j-1]]
		}
	}
	return cur, prev, nil
}

func atmIVEOD(c *call) ([]Column, error) {
	cur, _, err := eodAligned(c, c.str("sampling"), c.float("strike_band"))
	if err != nil {
		return nil, err
	}
	return one("atm_iv_eod", cur), nil
}

func divEOD(c *call) ([]Column, error) {
	cur, prev, err := eodAligned(c, "15:55-16:00", 5)
	if err != nil {
		return nil, err
	}
	for i := range cur {
		cur[i] -= prev[i]
	}
	return one("div_eod", cur), nil
}

func atmIVOpenDelta(c *call) ([]Column, error) {
	o, err := newOptCtx(c)
	if err != nil {
		return nil, err
	}
	oa, ob, err := parseWindow(c.str("open_sampling"))
	if err != nil {
		return nil, err
	}
	ca, cb, err := parseWindow(c.str("close_sampling_prev"))
	if err != nil {
		return nil, err
	}
	band := c.float("strike_band")
	perDay := make([]float64, len(o.ds.list))
	for k, d := range o.ds.list {
		perDay[k] = nan
		// previous session: last frame day before this one, else the source's daily bar
		S, prevStart := nan, int64(0)
		if k > 0 {
			prevStart = o.ds.list[k-1].Start
			S = o.spotAt(k-1, prevStart+dayMs+3600000)
		}
		if !(S > 0) {
			bars, err := o.src.Bars(o.c.ctx, o.und, "1d", d.Start-7*dayMs, d.Start)
			if err != nil {
				return nil, err
			}
			if bars == nil || bars.Len() == 0 {
				continue
			}
			S = bars.Close[bars.Len()-1]
			prevStart = bars.TS[bars.Len()-1]
		}
		if !(S > 0) {
			continue
		}
		date := d.date()
		anchor := math.Round(S)
		for step := 0.0; step <= band && perDay[k] != perDay[k]; step++ {
			for _, K := range []float64{anchor - step, anchor + step} {
				if perDay[k] == perDay[k] || (step == 0 && K != anchor) {
					continue
				}
				for _, call := range []bool{true, false} {
					ref := options.ContractRef{Underlying: o.und, Expiry: date, Strike: K, Call: call}
					open, err := o.barIV(ref, d.Start+int64(oa)*60000, d.Start+int64(ob)*60000, S)
					if err != nil {
						return nil, err
					}
					prev, err := o.barIV(ref, prevStart+int64(ca)*60000, prevStart+int64(cb)*60000, S)
					if err != nil {
						return nil, err
					}
					if open == open && prev == prev {
						perDay[k] = open - prev
						break
					}
				}
			}
		}
	}
	out := nanCol(c.n())
	for i := range out {
		k := o.ds.idx[i]
		if o.asOf(i) >= o.ds.list[k].Start+int64(ob)*60000 {
			out[i] = perDay[k]
		}
	}
	return one("atm_iv_open_delta", out), nil
}

func ivSmileWings(c *call) ([]Column, error) {
	wp := c.float("wing_points")
	v, err := barsIV(c, c.str("sampling"), c.float("strike_band"), func(ivAt func(k float64, call bool) float64, anchor float64) float64 {
		// OTM sides: puts below, calls above; ATM averages both.
		lo := ivAt(anchor-wp, false)
		hi := ivAt(anchor+wp, true)
		a, b := ivAt(anchor, true), ivAt(anchor, false)
		atm := a
		if a == a && b == b {
			atm = (a + b) / 2
		} else if a != a {
			atm = b
		}
		return (lo+hi)/2 - atm
	})
	if err != nil {
		return nil, err
	}
	return one("iv_smile_wings", v), nil
}

// ---- open interest and gamma structure ----

func chainInd(c *call, name string, f func(o *optCtx, i int, ch *options.Chain, m options.Market) float64) ([]Column, error) {
	v, err := perRow(c, frontSpan, f)
	if err != nil {
		return nil, err
	}
	return one(name, v), nil
}

func pcrOI(c *call) ([]Column, error) {
	return chainInd(c, "pcr_oi", func(_ *optCtx, _ int, ch *options.Chain, _ options.Market) float64 {
		return options.PutCallOIRatio(*ch)
	})
}

func oiSeries(c *call, lookbackDays int) (*optCtx, []sessionValue, []float64, error) {
	o, err := newOptCtx(c)
	if err != nil {
		return nil, nil, nil, err
	}
	tot := func(ch *options.Chain, _ options.Market) float64 { return options.TotalOI(*ch) }
	s, err := sessionSeries(o, lookbackDays, tot)
	if err != nil {
		return nil, nil, nil, err
	}
	cur, err := perRow(c, frontSpan, func(_ *optCtx, _ int, ch *options.Chain, m options.Market) float64 { return tot(ch, m) })
	if err != nil {
		return nil, nil, nil, err
	}
	return o, s, cur, nil
}

func oiChange1d(c *call) ([]Column, error) {
	o, s, cur, err := oiSeries(c, 10)
	if err != nil {
		return nil, err
	}
	for i := range cur {
		h := history(s, o.day(i).Start, 1)
		if len(h) == 0 {
			cur[i] = nan
			continue
		}
		cur[i] -= h[0]
	}
	return one("oi_change_1d", cur), nil
}

func oiTrend(c *call) ([]Column, error) {
	w := c.int("window")
	o, s, cur, err := oiSeries(c, 3*w+10)
	if err != nil {
		return nil, err
	}
	for i := range cur {
		h := append(history(s, o.day(i).Start, 3*w), cur[i])
		e := ewm(h, 2/float64(w+1), 1, nil)
		cur[i] -= e[len(e)-1]
	}
	return one("oi_trend_"+itoa(w), cur), nil
}

func oiPeakStrike(c *call) ([]Column, error) {
	return chainInd(c, "oi_peak_strike", func(_ *optCtx, _ int, ch *options.Chain, _ options.Market) float64 {
		return options.PeakStrike(options.OIByStrike(*ch))
	})
}

func spotCol(c *call) ([]float64, error) { return c.column("spot_col") }

func distToOIPeak(c *call) ([]Column, error) {
	s, err := spotCol(c)
	if err != nil {
		return nil, err
	}
	return chainInd(c, "dist_to_oi_peak", func(_ *optCtx, i int, ch *options.Chain, _ options.Market) float64 {
		return s[i] - options.PeakStrike(options.OIByStrike(*ch))
	})
}

func oiHHI(c *call) ([]Column, error) {
	n := c.int("top_n")
	return chainInd(c, "oi_concentration_hhi_"+itoa(n), func(_ *optCtx, _ int, ch *options.Chain, _ options.Market) float64 {
		return options.Concentration(options.OIByStrike(*ch), n)
	})
}

func gammaPeakStrike(c *call) ([]Column, error) {
	return chainInd(c, "gamma_peak_strike", func(_ *optCtx, _ int, ch *options.Chain, m options.Market) float64 {
		return options.PeakStrike(options.GammaByStrike(*ch, m))
	})
}

func gammaDensityPeak(c *call) ([]Column, error) {
	return chainInd(c, "gamma_density_peak_strike", func(_ *optCtx, _ int, ch *options.Chain, m options.Market) float64 {
		return options.PeakStrike(options.GammaByStrike(*ch, m))
	})
}

func distToGammaPeak(c *call) ([]Column, error) {
	s, err := spotCol(c)
	if err != nil {
		return nil, err
	}
	return chainInd(c, "dist_to_gamma_peak", func(_ *optCtx, i int, ch *options.Chain, m options.Market) float64 {
		return s[i] - options.PeakStrike(options.GammaByStrike(*ch, m))
	})
}

func gammaConcentration(c *call) ([]Column, error) {
	n := c.int("top_n")
	return chainInd(c, "gamma_concentration_"+itoa(n), func(_ *optCtx, _ int, ch *options.Chain, m options.Market) float64 {
		return options.Concentration(options.GammaByStrike(*ch, m), n)
	})
}

func gammaSkew(c *call) ([]Column, error) {
	s, err := spotCol(c)
	if err != nil {
		return nil, err
	}
	return chainInd(c, "gamma_skew_left_right", func(_ *optCtx, i int, ch *options.Chain, m options.Market) float64 {
		return options.SkewAround(options.GammaByStrike(*ch, m), s[i])
	})
}

func fmtSscanf(s string, h1, m1, h2, m2 *int) (int, error) {
	return fmt.Sscanf(s, "%d:%d-%d:%d", h1, m1, h2, m2)
}
