package market

import (
	"fmt"
	"math"
)

// Aggregate resamples bars to a coarser timeframe. Intraday targets (5m, 1h) bucket by
// bar start on the clock grid, keeping extended hours as Polygon does; the daily target
// keeps only regular-hours bars of each session and stamps the bar at ET midnight (the
// convention of stored daily bars). VWAP is volume-weighted over the bars that have one
// (NaN when none does).
func Aggregate(b *Bars, tf string) (*Bars, error) {
	src, dst := TimeframeMillis(b.Timeframe), TimeframeMillis(tf)
	if src == 0 || dst == 0 {
		return nil, fmt.Errorf("aggregate %s → %s: unknown timeframe", b.Timeframe, tf)
	}
	if dst < src || (tf != TF1d && dst%src != 0) {
		return nil, fmt.Errorf("aggregate %s → %s: target must be a multiple of the source", b.Timeframe, tf)
	}
	out := NewBars(b.Ticker, tf, b.Source, b.Len()*int(src)/int(dst)+1)
	var pv, pvVol float64
	cur := int64(math.MinInt64)
	flush := func() {
		if out.Len() > 0 {
			k := out.Len() - 1
			out.VWAP[k] = math.NaN()
			if pvVol > 0 {
				out.VWAP[k] = pv / pvVol
			}
		}
		pv, pvVol = 0, 0
	}
	for i := range b.TS {
		var key int64
		if tf == TF1d {
			if b.Timeframe == TF1d {
				key = b.TS[i]
			} else {
				if !InRTH(b.TS[i]) {
					continue
				}
				key, _ = ETMillis(SessionDate(b.TS[i]), 0, 0)
			}
		} else {
			key = b.TS[i] - ((b.TS[i]%dst)+dst)%dst
		}
		if key != cur {
			flush()
			cur = key
			out.Append(key, b.Open[i], b.High[i], b.Low[i], b.Close[i], 0, math.NaN())
		}
		k := out.Len() - 1
		out.High[k] = math.Max(out.High[k], b.High[i])
		out.Low[k] = math.Min(out.Low[k], b.Low[i])
		out.Close[k] = b.Close[i]
		out.Volume[k] += b.Volume[i]
		if !math.IsNaN(b.VWAP[i]) && b.Volume[i] > 0 {
			pv += b.VWAP[i] * b.Volume[i]
			pvVol += b.Volume[i]
		}
	}
	flush()
	return out, nil
}

// RTH returns the bars whose start lies in the regular session of their ET date.
func RTH(b *Bars) *Bars {
	out := NewBars(b.Ticker, b.Timeframe, b.Source, b.Len())
	for i, ts := range b.TS {
		if InRTH(ts) {
			out.AppendFrom(b, i)
		}
	}
	return out
}
