package matrix

import (
	"context"
	"fmt"
	"math"
	"strings"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// EqSpec configures the equity matrix.
type EqSpec struct {
	Ticker     string
	Start, End string // ET session dates, inclusive
	Cadence    string // hourly (default) or daily
	// Session: "" or "extended" keeps every stored hourly bar of the session date
	// (pre/post market included, as the predecessor did); "rth" keeps the bars
	// that start before the close and end after the 09:30 open (ET hours 9..15,
	// 9..12 on half days).
	Session        string
	Features       FeatureFunc
	WarmupSessions int // sessions loaded before Start for indicator warm-up (default 30 hourly, 260 daily)
	Label          LabelConfig
}

// BuildEquity builds the equity matrix: the underlying's bars (hourly or
// daily), `open, high, low, close, volume`, the indicator columns computed on
// that same series (with warm-up history before Start) and the label.
//
// Daily rows come from stored 1d bars when present, else from the session's
// regular-hours hourly bars (first open, max high, min low, last close, summed
// volume). A daily row's time is the session open and its bar ends at the close.
func BuildEquity(ctx context.Context, src Source, spec EqSpec) (*Matrix, error) {
	sessions, err := sessionsIn(spec.Start, spec.End)
	if err != nil {
		return nil, err
	}
	cadence := strings.ToLower(spec.Cadence)
	if cadence == "" {
		cadence = "hourly"
	}
	if cadence != "hourly" && cadence != "daily" {
		return nil, errs.Field("body", "cadence", "cadence must be hourly or daily")
	}
	sessMode := strings.ToLower(spec.Session)
	if sessMode != "" && sessMode != "rth" && sessMode != "extended" && sessMode != "all" {
		return nil, errs.Field("body", "session", "session must be rth or extended")
	}
	warm := spec.WarmupSessions
	if warm <= 0 {
		warm = 30
		if cadence == "daily" {
			warm = 260
		}
	}
	first := sessions[0].Date
	last := sessions[len(sessions)-1].Date
	from := dayStartMS(sessionsBefore(first, warm))
	to := nextDayStartMS(last)
	startMS := dayStartMS(first)

	var bars *market.Bars // the series rows and indicators use
	var end []int64
	var rth []bool
	if cadence == "hourly" {
		hourly, err := src.ReadBars(ctx, spec.Ticker, market.TF1h, from, to)
		if err != nil {
			return nil, fmt.Errorf("read %s hourly bars: %w", spec.Ticker, err)
		}
		bars = market.NewBars(hourly.Ticker, hourly.Timeframe, hourly.Source, hourly.Len())
		for i := 0; i < hourly.Len(); i++ {
			ts := hourly.TS[i]
			s, ok := market.SessionOn(market.SessionDate(ts))
			if !ok {
				continue // a weekend or holiday print is not part of any session
			}
			inRTH := ts < s.Close && ts+hourMS > s.Open
			if sessMode == "rth" && !inRTH {
				continue
			}
			bars.AppendFrom(hourly, i)
			end = append(end, ts+hourMS)
			rth = append(rth, inRTH)
		}
		if bars.Source == "" {
			bars.Source = hourly.Source
		}
	} else {
		bars, end, err = dailySeries(ctx, src, spec.Ticker, from, to)
		if err != nil {
			return nil, err
		}
		rth = make([]bool, bars.Len())
		for i := range rth {
			rth[i] = true
		}
	}
	// rows: bars of sessions in [start, end]
	var at []int
	for i, ts := range bars.TS {
		if ts >= startMS && ts < to {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return nil, fmt.Errorf("no %s %s bars for %s between %s and %s: %w", cadence, "underlying", spec.Ticker, spec.Start, spec.End, errs.ErrNoData)
	}
	n := len(at)
	m := &Matrix{TS: make([]int64, n), Date: make([]string, n), HourET: make([]int32, n), Meta: map[string]string{}}
	rowEnd := make([]int64, n)
	rowRTH := make([]bool, n)
	for r, k := range at {
		m.TS[r] = bars.TS[k]
		m.Date[r] = market.SessionDate(bars.TS[k])
		if cadence == "hourly" {
			m.HourET[r] = int32(market.HourET(bars.TS[k]))
		}
		rowEnd[r] = end[k]
		rowRTH[r] = rth[k]
	}
	o, h, l, c := pricesAt(bars, at)
	v := make([]float64, n)
	for r, k := range at {
		v[r] = bars.Volume[k]
	}
	m.AddCol("open", o)
	m.AddCol("high", h)
	m.AddCol("low", l)
	m.AddCol("close", c)
	m.AddCol("volume", v)
	names, cols, err := computeFeatures(ctx, spec.Features, bars, nil, at)
	if err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	if err := addFeatureCols(m, names, cols); err != nil {
		return nil, err
	}
	if err := ApplyLabel(m, spec.Label, LabelInput{End: rowEnd, RTH: rowRTH, Open: o, High: h, Low: l, Close: c, Loc: market.ET()}); err != nil {
		return nil, err
	}
	m.Meta["asset_type"] = "eq"
	m.Meta["cadence"] = cadence
	m.Meta["ticker"] = spec.Ticker
	m.Meta["start"] = spec.Start
	m.Meta["end"] = spec.End
	if sessMode == "rth" {
		m.Meta["session"] = "rth"
	} else {
		m.Meta["session"] = "extended"
	}
	m.Meta["data_source"] = dataSource(bars.Source)
	return m, nil
}

// dailySeries returns one bar per session in [from, to), stamped at the session
// open, with the session close as bar end.
func dailySeries(ctx context.Context, src Source, ticker string, from, to int64) (*market.Bars, []int64, error) {
	daily, err := src.ReadBars(ctx, ticker, market.TF1d, from, to)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s daily bars: %w", ticker, err)
	}
	out := market.NewBars(ticker, market.TF1d, daily.Source, daily.Len())
	var end []int64
	if daily.Len() > 0 {
		for i := 0; i < daily.Len(); i++ {
			s, ok := market.SessionOn(market.SessionDate(daily.TS[i]))
			if !ok {
				continue
			}
			out.Append(s.Open, daily.Open[i], daily.High[i], daily.Low[i], daily.Close[i], daily.Volume[i], daily.VWAP[i])
			end = append(end, s.Close)
		}
		return out, end, nil
	}
	hourly, err := src.ReadBars(ctx, ticker, market.TF1h, from, to)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s hourly bars: %w", ticker, err)
	}
	out.Source = hourly.Source
	cur := ""
	var sess market.Session
	for i := 0; i < hourly.Len(); i++ {
		ts := hourly.TS[i]
		d := market.SessionDate(ts)
		if d != cur {
			s, ok := market.SessionOn(d)
			if !ok {
				continue
			}
			cur, sess = d, s
		}
		if !(ts < sess.Close && ts+hourMS > sess.Open) {
			continue
		}
		// A session's row ends with its last bar (the calendar close when the
		// session is complete; earlier when its bars stop, so labels that
		// need the close see an incomplete session).
		barEnd := min(ts+hourMS, sess.Close)
		k := out.Len() - 1
		if k < 0 || out.TS[k] != sess.Open {
			out.Append(sess.Open, hourly.Open[i], hourly.High[i], hourly.Low[i], hourly.Close[i], hourly.Volume[i], math.NaN())
			end = append(end, barEnd)
			continue
		}
		end[k] = barEnd
		out.High[k] = math.Max(out.High[k], hourly.High[i])
		out.Low[k] = math.Min(out.Low[k], hourly.Low[i])
		out.Close[k] = hourly.Close[i]
		out.Volume[k] += hourly.Volume[i]
	}
	return out, end, nil
}
