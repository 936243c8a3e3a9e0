package engine

import (
	"context"
	"math"

	"sigmalab/engine/market"
)

// dailyFromIntraday derives daily bars from the stored hourly bars (regular
// hours of each session, stamped at 00:00 New York like stored daily bars)
// when a ticker has no daily bars of its own: daily indicators would
// otherwise be NaN on every row. Only sessions whose daily stamp lies in
// [from, to) are returned; nil when there are no hourly bars either.
func dailyFromIntraday(ctx context.Context, store market.Store, ticker string, from, to int64) (*market.Bars, error) {
	const day = 24 * 3600_000
	hto := to
	if to > 0 && to < math.MaxInt64-day {
		hto = to + day // the last session's hours start after its 00:00 stamp
	}
	h, err := store.ReadBars(ctx, ticker, market.TF1h, from, hto)
	if err != nil || h == nil || h.Len() == 0 {
		return nil, err
	}
	d, err := market.Aggregate(h, market.TF1d)
	if err != nil {
		return nil, err
	}
	out := market.NewBars(ticker, market.TF1d, h.Source, d.Len())
	for i, ts := range d.TS {
		if ts >= from && (to <= 0 || ts < to) {
			out.Append(ts, d.Open[i], d.High[i], d.Low[i], d.Close[i], d.Volume[i], d.VWAP[i])
		}
	}
	return out, nil
}
