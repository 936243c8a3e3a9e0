package indicators

import (
	"math"
	"sync"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/et"
)

// newYork is the session zone (package et, embedded zone data).
func newYork() *time.Location { return et.Location() }

// etDay is one local calendar day: its civil date and [Start, End) in unix ms.
type etDay struct {
	Y, M, D    int
	Start, End int64
	Weekday    time.Weekday
}

func (d etDay) date() string {
	return time.Date(d.Y, time.Month(d.M), d.D, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// days maps every row to its local calendar day. Rows are processed in time
// order and the current day is cached, so the cost is one zone lookup per day,
// not per row.
type days struct {
	idx  []int32 // row → index into list
	list []etDay // distinct days in first-seen order
}

func splitDays(ts []int64, loc *time.Location) days {
	return splitDaysInto(ts, loc, make([]int32, len(ts)), nil)
}

// dayIdxScratch recycles the row → day index of splitDaysTmp.
var dayIdxScratch = sync.Pool{New: func() any { return new(days) }}

// splitDaysTmp is splitDays with a recycled row index and day list; the
// days must not be used after release is called.
func splitDaysTmp(ts []int64, loc *time.Location) (ds days, release func()) {
	p := dayIdxScratch.Get().(*days)
	if cap(p.idx) < len(ts) {
		p.idx = make([]int32, len(ts))
	}
	ds = splitDaysInto(ts, loc, p.idx[:len(ts)], p.list[:0])
	p.list = ds.list // keep a grown list for the next user
	return ds, func() { dayIdxScratch.Put(p) }
}

// splitDaysInto is splitDays writing the row index into idx (len(ts)) and
// appending the days to list (empty, any capacity).
func splitDaysInto(ts []int64, loc *time.Location, idx []int32, list []etDay) days {
	out := days{idx: idx, list: list}
	if n := len(ts); n > 1 && ts[n-1] > ts[0] {
		// sorted input: about one entry per calendar day spanned
		if want := int(min((ts[n-1]-ts[0])/dayMs+2, int64(n))); cap(list) < want {
			out.list = make([]etDay, 0, want)
		}
	}
	z := zoneCache{loc: loc}
	cur := -1
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if cur >= 0 {
			d := &out.list[cur]
			if t >= d.Start && t < d.End {
				out.idx[i] = int32(cur)
				continue
			}
			// unsorted input: look back a few days
			found := false
			for k := len(out.list) - 1; k >= 0 && k >= len(out.list)-3; k-- {
				if t >= out.list[k].Start && t < out.list[k].End {
					cur, found = k, true
					break
				}
			}
			if found {
				out.idx[i] = int32(cur)
				continue
			}
		}
		out.list = append(out.list, z.day(t))
		cur = len(out.list) - 1
		out.idx[i] = int32(cur)
		// the rest of the day's run of rows in a tight loop
		start, end, k := out.list[cur].Start, out.list[cur].End, int32(cur)
		for i+1 < len(ts) && ts[i+1] >= start && ts[i+1] < end {
			i++
			out.idx[i] = k
		}
	}
	return out
}

// zoneCache resolves local days with plain arithmetic inside one UTC-offset
// period (ZoneBounds) and asks the zone database only when crossing into
// another period, which keeps the cost per day at a few integer operations.
type zoneCache struct {
	loc *time.Location
	// the last civil date produced, so consecutive days step the date
	// instead of converting the day number from scratch
	lastDn              int64
	lastY, lastM, lastD int
	haveLast            bool

	off       int64 // offset in ms
	from, to  int64 // period bounds in ms (to = 0: unbounded)
	have      bool
	toUnbound bool
	fromUnbnd bool
}

func (z *zoneCache) offsetAt(t int64) int64 {
	if z.have && (z.fromUnbnd || t >= z.from) && (z.toUnbound || t < z.to) {
		return z.off
	}
	tm := time.UnixMilli(t).In(z.loc)
	_, off := tm.Zone()
	a, b := tm.ZoneBounds()
	z.off, z.have = int64(off)*1000, true
	z.fromUnbnd, z.toUnbound = a.IsZero(), b.IsZero()
	if !z.fromUnbnd {
		z.from = a.UnixMilli()
	}
	if !z.toUnbound {
		z.to = b.UnixMilli()
	}
	return z.off
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// day returns the local calendar day containing t.
func (z *zoneCache) day(t int64) etDay {
	off := z.offsetAt(t)
	dn := floorDiv(t+off, dayMs) // local day number since 1970-01-01
	localMid := dn * dayMs
	start := localMid - z.offsetAt(localMid-off)
	if start > t { // the offset changed between midnight and t
		start = localMid - z.offsetAt(start)
	}
	endLocal := localMid + dayMs
	end := endLocal - z.offsetAt(endLocal-off)
	if end <= t {
		end = endLocal - z.offsetAt(end)
	}
	var y, m, d int
	if z.haveLast && dn == z.lastDn+1 && z.lastD < 28 {
		y, m, d = z.lastY, z.lastM, z.lastD+1 // no month end before the 29th
	} else {
		y, m, d = civil(dn)
	}
	z.lastDn, z.lastY, z.lastM, z.lastD, z.haveLast = dn, y, m, d, true
	return etDay{Y: y, M: m, D: d, Start: start, End: end, Weekday: time.Weekday((dn%7 + 11) % 7)}
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's days-to-civil algorithm).
func civil(z int64) (int, int, int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

// hourOf is the local hour of t within day d (DST days are resolved exactly).
func hourOf(t int64, d *etDay, loc *time.Location) int {
	if d.End-d.Start == 24*3600000 { // small enough to inline into the per-row loops
		return int((t - d.Start) / 3600000)
	}
	return hourIn(t, loc)
}

// hourIn is the local hour of t in loc (DST days).
func hourIn(t int64, loc *time.Location) int { return time.UnixMilli(t).In(loc).Hour() }

// minuteOfDay is minutes since local midnight of time t (ms) in day d.
func minuteOfDay(t int64, d etDay, loc *time.Location) float64 {
	if d.End-d.Start == 24*3600000 {
		return float64(t-d.Start) / 60000
	}
	lt := time.UnixMilli(t).In(loc)
	return float64(lt.Hour()*60+lt.Minute()) + float64(lt.Second())/60
}

func hourOfDay(c *call) ([]Column, error) {
	loc := newYork()
	ds, doneDS := c.frameDays(loc)
	defer doneDS()
	out := make([]float64, c.n())
	for i, t := range c.f.TS {
		out[i] = float64(hourOf(t, &ds.list[ds.idx[i]], loc))
	}
	return one("hour_of_day", out), nil
}

func calendarFlags(c *call) ([]Column, error) {
	tz := c.str("tz")
	loc := newYork()
	if tz != "US/Eastern" && tz != "" && tz != "America/New_York" {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, errs.Invalidf("tz: unknown time zone %q", c.str("tz"))
		}
	}
	ds, doneDS := c.frameDays(loc)
	defer doneDS()
	n := c.n()
	eom, eoq, opex, eve := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	type flags struct{ eom, eoq, opex, eve float64 }
	per := make([]flags, len(ds.list))
	for k, d := range ds.list {
		per[k] = dayFlags(d)
	}
	for i := range eom {
		fl := per[ds.idx[i]]
		eom[i], eoq[i], opex[i], eve[i] = fl.eom, fl.eoq, fl.opex, fl.eve
	}
	return []Column{{"is_eom", eom}, {"is_eoq", eoq}, {"is_opex", opex}, {"is_holiday_eve", eve}}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// dayFlags computes the calendar flags of a civil date with integer
// arithmetic (no time.Time per day): weekdays step from d.Weekday.
func dayFlags(d etDay) struct{ eom, eoq, opex, eve float64 } {
	wd := int(d.Weekday)
	weekday := func(w int) bool { w %= 7; return w != int(time.Saturday) && w != int(time.Sunday) }
	dim := daysIn(d.Y, d.M)
	// last weekday of the month: no later weekday in the same month
	last := true
	for k := 1; k <= 3 && d.D+k <= dim; k++ {
		if weekday(wd + k) {
			last = false
			break
		}
	}
	eom := last && weekday(wd)
	eoq := eom && d.M%3 == 0
	// third Friday: the first Friday falls on day 1..7
	wd1 := ((wd-(d.D-1))%7 + 7) % 7 // weekday of the 1st
	firstFri := 1 + (int(time.Friday)-wd1+7)%7
	opex := d.D == firstFri+14
	// the next day is Jan 1, Jul 4 or Dec 25
	eve := (d.M == 12 && d.D == 31) || (d.M == 7 && d.D == 3) || (d.M == 12 && d.D == 24)
	return struct{ eom, eoq, opex, eve float64 }{b2f(eom), b2f(eoq), b2f(opex), b2f(eve)}
}

// daysIn is the number of days of month m of year y (proleptic Gregorian).
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func dayRangePos(c *call) ([]Column, error) {
	ds, doneDS := c.frameDays(newYork())
	defer doneDS()
	f := c.f
	out := make([]float64, c.n())
	hi, lo := math.Inf(-1), math.Inf(1)
	for i := range out {
		if i == 0 || ds.idx[i] != ds.idx[i-1] {
			hi, lo = math.Inf(-1), math.Inf(1)
		}
		if f.High[i] > hi {
			hi = f.High[i]
		}
		if f.Low[i] < lo {
			lo = f.Low[i]
		}
		rg := hi - lo
		if rg > 0 && !math.IsInf(rg, 0) {
			out[i] = (f.Close[i] - lo) / rg
		} else {
			out[i] = nan
		}
	}
	return one("day_range_pos", out), nil
}

// sessionVWAP is Σ P·V / Σ V over the rows of the same local day so far.
func sessionVWAP(ds days, p, v, out []float64) []float64 {
	var pv, sv float64
	for i := range out {
		if i == 0 || ds.idx[i] != ds.idx[i-1] {
			pv, sv = 0, 0
		}
		if p[i] == p[i] && v[i] == v[i] {
			pv += p[i] * v[i]
			sv += v[i]
		}
		if sv > 0 {
			out[i] = pv / sv
		} else {
			out[i] = nan
		}
	}
	return out
}

func intradayVWAP(c *call) ([]Column, error) {
	p := c.f.Col(c.str("price_col"))
	if p == nil {
		p = c.f.Close
	}
	v, err := c.column("volume_col")
	if err != nil {
		return nil, err
	}
	ds, doneDS := c.frameDays(newYork())
	defer doneDS()
	return one("vwap_intraday", sessionVWAP(ds, p, v, make([]float64, c.n()))), nil
}

func closeVsVWAP(c *call) ([]Column, error) {
	var vw []float64
	if c.str("kind") == "daily" {
		vw = c.f.Col("vwap_d")
		if vw == nil {
			cols, err := dailyVWAPCol(c, 1)
			if err != nil {
				return nil, err
			}
			vw = cols
		}
	} else {
		vw = c.f.Col("vwap_intraday")
		if vw == nil {
			p := c.f.VWAP
			if p == nil {
				p = c.f.Close
			}
			buf, done := tmp(c.n())
			defer done()
			ds, doneDS := c.frameDays(newYork())
			defer doneDS()
			vw = sessionVWAP(ds, p, c.f.Volume, buf)
		}
	}
	out := make([]float64, c.n())
	for i := range out {
		out[i] = safeDiv(c.f.Close[i]-vw[i], vw[i])
	}
	return one("close_vs_vwap", out), nil
}

func returnsLast30m(c *call) ([]Column, error) {
	ts, cl := c.f.TS, c.f.Close
	out := make([]float64, len(ts))
	j := -1 // last row with ts[j] <= ts[i]−30min
	const lagMs = 30 * 60000
	for i := range ts {
		for j+1 < i && ts[j+1] <= ts[i]-lagMs {
			j++
		}
		if j >= 0 && ts[j] <= ts[i]-lagMs {
			out[i] = cl[i]/cl[j] - 1
		} else {
			out[i] = nan
		}
	}
	return one("returns_last_30m", out), nil
}

func rsiLastHour(c *call) ([]Column, error) {
	p := c.int("period")
	r := rsiCore(c.f.Close, p)
	loc := newYork()
	ds, doneDS := c.frameDays(loc)
	defer doneDS()
	for i, t := range c.f.TS {
		if hourOf(t, &ds.list[ds.idx[i]], loc) != 15 {
			r[i] = nan
		}
	}
	return one("rsi_last_hour_"+itoa(p), r), nil
}

// expandingZ is (x_t − mean)/std over the non-NaN values up to t (sample
// std), NaN until minObs values.
func expandingZ(x []float64, minObs int, out []float64) []float64 {
	var z expZ
	for i, v := range x {
		out[i] = z.add(v, minObs)
	}
	return out
}

// expZ is the running state of an expanding z-score. Sums are kept relative
// to the first value, so no division sits on the loop-carried path.
type expZ struct {
	c, s, ss float64
	k        int
}

// add takes the next value and returns its z-score against every non-NaN
// value so far (itself included), or NaN when v is NaN or fewer than
// max(minObs, 2) values have been seen.
func (z *expZ) add(v float64, minObs int) float64 {
	if v != v {
		return nan
	}
	if z.k == 0 {
		z.c = v
	}
	z.k++
	d := v - z.c
	z.s += d
	z.ss += d * d
	if z.k < minObs || z.k < 2 {
		return nan
	}
	fk := float64(z.k)
	m := z.s / fk
	vr := (z.ss - z.s*m) / (fk - 1)
	if vr < 0 {
		vr = 0
	}
	return (v - z.c - m) / (math.Sqrt(vr) + 1e-12)
}

// momentumFused is the momentum score computed from the closes in one pass:
// the 1- and 3-bar returns, their expanding z-scores (as expandingZ with
// minObs 20) and the weighted sum, without full-length intermediates.
func momentumFused(cl, rd []float64, wh, wd float64, out []float64) []float64 {
	const minObs = 20
	var e1, e3 expZ
	for i := range out {
		v1, v3 := nan, nan
		if i >= 1 {
			v1 = cl[i]/cl[i-1] - 1
		}
		if i >= 3 {
			v3 = cl[i]/cl[i-3] - 1
		}
		z1, z3 := e1.add(v1, minObs), e3.add(v3, minObs)
		var h float64
		switch {
		case z1 == z1 && z3 == z3:
			h = (z1 + z3) / 2
		case z1 == z1:
			h = z1
		case z3 == z3:
			h = z3
		default:
			out[i] = nan
			continue
		}
		d := 0.0
		if rd != nil && rd[i] == rd[i] {
			d = (rd[i] - 50) / 50
		}
		out[i] = wh*h + wd*d
	}
	return out
}

func momentumScore(c *call) ([]Column, error) {
	wh, wd := c.float("w_hourly"), c.float("w_daily")
	if c.f.Col("close_mom_1") == nil && c.f.Col("close_mom_3") == nil {
		rd := c.f.Col("rsi_14_d")
		if rd == nil && c.src != nil && c.f.Ticker != "" {
			v, err := dailyRSICol(c, 14, "close")
			if err != nil {
				return nil, err
			}
			rd = v
		}
		return one("momentum_score_total", momentumFused(c.f.Close, rd, wh, wd, make([]float64, c.n()))), nil
	}
	m1 := c.f.Col("close_mom_1")
	if m1 == nil {
		buf, done := tmp(c.n())
		defer done()
		m1 = pctTo(c.f.Close, 1, buf)
	}
	m3 := c.f.Col("close_mom_3")
	if m3 == nil {
		buf, done := tmp(c.n())
		defer done()
		m3 = pctTo(c.f.Close, 3, buf)
	}
	z1, doneZ1 := tmp(c.n())
	defer doneZ1()
	z3, doneZ3 := tmp(c.n())
	defer doneZ3()
	expandingZ(m1, 20, z1)
	expandingZ(m3, 20, z3)
	rd := c.f.Col("rsi_14_d")
	if rd == nil && c.src != nil && c.f.Ticker != "" {
		v, err := dailyRSICol(c, 14, "close")
		if err != nil {
			return nil, err
		}
		rd = v
	}
	out := make([]float64, c.n())
	for i := range out {
		var h float64
		switch {
		case z1[i] == z1[i] && z3[i] == z3[i]:
			h = (z1[i] + z3[i]) / 2
		case z1[i] == z1[i]:
			h = z1[i]
		case z3[i] == z3[i]:
			h = z3[i]
		default:
			out[i] = nan
			continue
		}
		d := 0.0
		if rd != nil && rd[i] == rd[i] {
			d = (rd[i] - 50) / 50
		}
		out[i] = wh*h + wd*d
	}
	return one("momentum_score_total", out), nil
}
