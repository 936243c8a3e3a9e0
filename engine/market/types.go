// Package market holds the market-data domain: columnar bar types for underlyings,
// option minute bars keyed by OCC symbol, option chain snapshots, the America/New_York
// session calendar (NYSE holidays and half days), the deterministic demo market, the
// importers (CSV, Parquet via an injected decoder, Polygon cache JSON), an optional
// Polygon REST client, and the Store port that storage adapters implement.
//
// All timestamps are unix milliseconds UTC; bar timestamps are the bar start. Sessions,
// dates and ET hours are derived with the embedded tzdata so results do not depend on the
// host's zone files.
//
// What is stored, per ticker (see Store; storage/parquet implements it):
//   - bars at 1m, 5m, 1h, 1d. Hourly bars follow Polygon: clock hours 04–19 ET including
//     extended hours, so the hour_et 9 bar covers 09:00–10:00. Daily bars are stamped at
//     ET midnight of their session. 1m demo bars are regular hours only; Aggregate derives
//     5m/1h/1d from finer bars when needed.
//   - option minute bars per OCC contract (one bar per traded minute);
//   - chain snapshots (rows per snapshot time × expiry × type × strike).
//
// The demo market (SeedDemo, DefaultDemoConfig) covers SPY (index ETF, daily 0DTE
// expiries), AAPL and MSFT (Friday weeklies) over the sessions 2023-01-03 … 2024-12-31:
// 1m/1h/1d bars and a chain snapshot at every close for all three; from 2024-10-01 hourly
// intraday chain snapshots and SPY 0DTE option minute bars (±15 $1 strikes around
// round(previous close)) every session. Its rows carry source "demo".
package market

import (
	"fmt"
	"math"
	"sort"
)

// Timeframes the store understands. Daily bars are stamped at ET midnight of the session
// date (as Polygon does), so SessionDate(ts) of a daily bar is its session.
const (
	TF1m = "1m"
	TF5m = "5m"
	TF1h = "1h"
	TF1d = "1d"
)

// Data sources. SourceDemo marks synthetic data; everything else is real. Demo and real
// data never share a ticker (SPEC §4): importing real data for a ticker removes its demo
// data first.
const (
	SourceDemo    = "demo"
	SourceFile    = "file"
	SourcePolygon = "polygon"
)

// TimeframeMillis returns the bar length of a timeframe in milliseconds, or 0 if unknown.
func TimeframeMillis(tf string) int64 {
	switch tf {
	case TF1m:
		return 60_000
	case TF5m:
		return 300_000
	case TF1h:
		return 3_600_000
	case TF1d:
		return 86_400_000
	}
	return 0
}

// ValidTimeframe reports whether tf is one of the supported timeframes.
func ValidTimeframe(tf string) bool { return TimeframeMillis(tf) > 0 }

// Bars is a columnar series of underlying bars for one ticker and timeframe, sorted by TS.
// VWAP is NaN where the source had none.
type Bars struct {
	Ticker    string
	Timeframe string
	Source    string
	TS        []int64 // unix ms UTC, bar start
	Open      []float64
	High      []float64
	Low       []float64
	Close     []float64
	Volume    []float64
	VWAP      []float64
}

// NewBars returns an empty series with capacity n.
func NewBars(ticker, tf, source string, n int) *Bars {
	return &Bars{Ticker: ticker, Timeframe: tf, Source: source,
		TS: make([]int64, 0, n), Open: make([]float64, 0, n), High: make([]float64, 0, n),
		Low: make([]float64, 0, n), Close: make([]float64, 0, n), Volume: make([]float64, 0, n),
		VWAP: make([]float64, 0, n)}
}

// Len is the number of bars.
func (b *Bars) Len() int { return len(b.TS) }

// Append adds one bar.
func (b *Bars) Append(ts int64, o, h, l, c, v, vwap float64) {
	b.TS = append(b.TS, ts)
	b.Open = append(b.Open, o)
	b.High = append(b.High, h)
	b.Low = append(b.Low, l)
	b.Close = append(b.Close, c)
	b.Volume = append(b.Volume, v)
	b.VWAP = append(b.VWAP, vwap)
}

// AppendFrom appends bar i of src.
func (b *Bars) AppendFrom(src *Bars, i int) {
	b.Append(src.TS[i], src.Open[i], src.High[i], src.Low[i], src.Close[i], src.Volume[i], src.VWAP[i])
}

// Slice returns the bars with from <= TS < to (sharing the underlying arrays).
func (b *Bars) Slice(from, to int64) *Bars {
	i := sort.Search(len(b.TS), func(k int) bool { return b.TS[k] >= from })
	j := sort.Search(len(b.TS), func(k int) bool { return b.TS[k] >= to })
	return &Bars{Ticker: b.Ticker, Timeframe: b.Timeframe, Source: b.Source,
		TS: b.TS[i:j], Open: b.Open[i:j], High: b.High[i:j], Low: b.Low[i:j],
		Close: b.Close[i:j], Volume: b.Volume[i:j], VWAP: b.VWAP[i:j]}
}

// Validate checks column lengths, strict time order and finite, consistent prices.
func (b *Bars) Validate() error {
	n := len(b.TS)
	if len(b.Open) != n || len(b.High) != n || len(b.Low) != n || len(b.Close) != n || len(b.Volume) != n || len(b.VWAP) != n {
		return fmt.Errorf("bars %s %s: column lengths differ", b.Ticker, b.Timeframe)
	}
	for i := 0; i < n; i++ {
		if i > 0 && b.TS[i] <= b.TS[i-1] {
			return fmt.Errorf("bars %s %s: timestamps not strictly increasing at %d", b.Ticker, b.Timeframe, i)
		}
		if msg := checkOHLCV(b.Open[i], b.High[i], b.Low[i], b.Close[i], b.Volume[i], b.VWAP[i]); msg != "" {
			return fmt.Errorf("bars %s %s row %d: %s", b.Ticker, b.Timeframe, i, msg)
		}
	}
	return nil
}

// checkOHLCV returns "" for a sane bar, else the reason it is not.
func checkOHLCV(o, h, l, c, v, vwap float64) string {
	for _, x := range [...]float64{o, h, l, c, v} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "non-finite price or volume"
		}
	}
	if math.IsInf(vwap, 0) {
		return "non-finite vwap"
	}
	if o <= 0 || h <= 0 || l <= 0 || c <= 0 {
		return "prices must be > 0"
	}
	if v < 0 {
		return "volume must be >= 0"
	}
	// A relative tolerance absorbs rounding in vendors' files.
	tol := 1e-9 * h
	if h+tol < math.Max(o, c) || l-tol > math.Min(o, c) || h+tol < l {
		return fmt.Sprintf("inconsistent OHLC (o=%g h=%g l=%g c=%g)", o, h, l, c)
	}
	return ""
}

// OptionBars is a columnar series of option minute bars of one underlying, sorted by
// (Symbol, TS). Expiry, Type and Strike are parsed from the OCC symbol.
type OptionBars struct {
	Underlying string
	Source     string
	Symbol     []string // OCC symbol with the "O:" prefix, e.g. O:SPY240701C00545000
	Expiry     []string // YYYY-MM-DD
	Type       []byte   // 'C' or 'P'
	Strike     []float64
	TS         []int64 // unix ms UTC, minute start
	Open       []float64
	High       []float64
	Low        []float64
	Close      []float64
	Volume     []float64
	VWAP       []float64
}

// Len is the number of option bars.
func (o *OptionBars) Len() int { return len(o.TS) }

// Append adds one bar of contract c.
func (o *OptionBars) Append(c Contract, ts int64, op, h, l, cl, v, vwap float64) {
	o.Symbol = append(o.Symbol, c.Symbol)
	o.Expiry = append(o.Expiry, c.Expiry)
	o.Type = append(o.Type, c.Type)
	o.Strike = append(o.Strike, c.Strike)
	o.TS = append(o.TS, ts)
	o.Open = append(o.Open, op)
	o.High = append(o.High, h)
	o.Low = append(o.Low, l)
	o.Close = append(o.Close, cl)
	o.Volume = append(o.Volume, v)
	o.VWAP = append(o.VWAP, vwap)
}

// AppendFrom appends row i of src.
func (o *OptionBars) AppendFrom(src *OptionBars, i int) {
	c := Contract{Symbol: src.Symbol[i], Expiry: src.Expiry[i], Type: src.Type[i], Strike: src.Strike[i]}
	o.Append(c, src.TS[i], src.Open[i], src.High[i], src.Low[i], src.Close[i], src.Volume[i], src.VWAP[i])
}

// Chain is a columnar set of option chain snapshot rows of one underlying, sorted by
// (SnapTS, Expiry, Type, Strike). Greeks follow desk conventions: Theta per day (the
// demo's clock counts trading days), Vega per 1 vol point (0.01), IV as a decimal;
// missing values are NaN.
type Chain struct {
	Underlying      string
	Source          string
	SnapTS          []int64 // unix ms UTC of the snapshot
	UnderlyingPrice []float64
	Expiry          []string // YYYY-MM-DD
	Type            []byte   // 'C' or 'P'
	Strike          []float64
	Bid             []float64
	Ask             []float64
	IV              []float64
	Delta           []float64
	Gamma           []float64
	Theta           []float64
	Vega            []float64
	OpenInterest    []float64
}

// Len is the number of chain rows.
func (c *Chain) Len() int { return len(c.SnapTS) }

// ChainRow is one chain row, used to build a Chain row by row where that is clearer.
type ChainRow struct {
	SnapTS                                          int64
	UnderlyingPrice                                 float64
	Expiry                                          string
	Type                                            byte
	Strike, Bid, Ask, IV, Delta, Gamma, Theta, Vega float64
	OpenInterest                                    float64
}

// Append adds one row.
func (c *Chain) Append(r ChainRow) {
	c.SnapTS = append(c.SnapTS, r.SnapTS)
	c.UnderlyingPrice = append(c.UnderlyingPrice, r.UnderlyingPrice)
	c.Expiry = append(c.Expiry, r.Expiry)
	c.Type = append(c.Type, r.Type)
	c.Strike = append(c.Strike, r.Strike)
	c.Bid = append(c.Bid, r.Bid)
	c.Ask = append(c.Ask, r.Ask)
	c.IV = append(c.IV, r.IV)
	c.Delta = append(c.Delta, r.Delta)
	c.Gamma = append(c.Gamma, r.Gamma)
	c.Theta = append(c.Theta, r.Theta)
	c.Vega = append(c.Vega, r.Vega)
	c.OpenInterest = append(c.OpenInterest, r.OpenInterest)
}

// Row returns row i.
func (c *Chain) Row(i int) ChainRow {
	return ChainRow{SnapTS: c.SnapTS[i], UnderlyingPrice: c.UnderlyingPrice[i], Expiry: c.Expiry[i], Type: c.Type[i],
		Strike: c.Strike[i], Bid: c.Bid[i], Ask: c.Ask[i], IV: c.IV[i], Delta: c.Delta[i], Gamma: c.Gamma[i],
		Theta: c.Theta[i], Vega: c.Vega[i], OpenInterest: c.OpenInterest[i]}
}
