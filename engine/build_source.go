package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"math"
	"sort"
	"sync"

	"sigmalab/engine/errs"
	"sigmalab/engine/indicators"
	"sigmalab/engine/market"
	"sigmalab/engine/options"
)

// hashingSource passes reads through to the market store and feeds every row
// it returns into a sha256, in read order, so a build's lineage names the exact
// input data slice (same data ⇒ same hash; any changed bar ⇒ another hash).
//
// Option bars may be read concurrently: each session's bars get their own
// digest, combined in date order, so the hash does not depend on read order.
type hashingSource struct {
	store   market.Store
	mu      sync.Mutex
	h       hash.Hash
	buf     [8]byte
	options map[string][]byte // underlying|date → digest of its option bars
}

func newHashingSource(s market.Store) *hashingSource {
	return &hashingSource{store: s, h: sha256.New(), options: map[string][]byte{}}
}

func (s *hashingSource) str(v string) {
	binary.LittleEndian.PutUint64(s.buf[:], uint64(len(v)))
	s.h.Write(s.buf[:])
	s.h.Write([]byte(v))
}

func (s *hashingSource) i64(v int64) {
	binary.LittleEndian.PutUint64(s.buf[:], uint64(v))
	s.h.Write(s.buf[:])
}

func (s *hashingSource) f64(v float64) {
	if math.IsNaN(v) {
		v = math.NaN()
	}
	s.i64(int64(math.Float64bits(v)))
}

func (s *hashingSource) sum() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.options))
	for k := range s.options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write(s.h.Sum(nil))
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write(s.options[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReadBars implements matrix.Source.
func (s *hashingSource) ReadBars(ctx context.Context, ticker, tf string, from, to int64) (*market.Bars, error) {
	b, err := s.store.ReadBars(ctx, ticker, tf, from, to)
	if err == nil && tf == market.TF1d && (b == nil || b.Len() == 0) {
		b, err = dailyFromIntraday(ctx, s.store, ticker, from, to)
	}
	if err != nil || b == nil {
		return b, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.str("bars|" + ticker + "|" + tf + "|" + b.Source)
	for i := range b.TS {
		s.i64(b.TS[i])
		s.f64(b.Open[i])
		s.f64(b.High[i])
		s.f64(b.Low[i])
		s.f64(b.Close[i])
		s.f64(b.Volume[i])
		s.f64(b.VWAP[i])
	}
	return b, nil
}

// ReadOptionBars implements matrix.Source.
func (s *hashingSource) ReadOptionBars(ctx context.Context, underlying, date string) (*market.OptionBars, error) {
	ob, err := s.store.ReadOptionBars(ctx, underlying, date)
	if err != nil || ob == nil {
		return ob, err
	}
	d := &hashingSource{h: sha256.New()}
	d.str("options|" + underlying + "|" + date + "|" + ob.Source)
	for i := range ob.TS {
		d.str(ob.Symbol[i])
		d.i64(ob.TS[i])
		d.f64(ob.Close[i])
		d.f64(ob.Volume[i])
		d.f64(ob.VWAP[i])
	}
	sum := d.h.Sum(nil)
	s.mu.Lock()
	s.options[underlying+"|"+date] = sum
	s.mu.Unlock()
	return ob, nil
}

// ReadChains implements matrix.Source.
func (s *hashingSource) ReadChains(ctx context.Context, underlying string, from, to int64) (*market.Chain, error) {
	c, err := s.store.ReadChains(ctx, underlying, from, to)
	if err != nil || c == nil {
		return c, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.str("chains|" + underlying + "|" + c.Source)
	for i := range c.SnapTS {
		s.i64(c.SnapTS[i])
		s.str(c.Expiry[i])
		s.i64(int64(c.Type[i]))
		s.f64(c.Strike[i])
		s.f64(c.IV[i])
		s.f64(c.OpenInterest[i])
	}
	return c, nil
}

// marketIndicatorSource adapts the market store to indicators.Source. Chain
// snapshots of the build window are read once and served from memory: chain
// indicators ask for "the latest snapshot at or before t" once per bar.
type marketIndicatorSource struct {
	store    market.Store
	from, to int64 // window of the chain cache (unix ms)

	mu       sync.Mutex
	chains   map[string]*market.Chain      // by underlying, rows in [from, to)
	days     map[string]*market.OptionBars // underlying|date → that session's option bars
	dayOrder []string                      // insertion order of days (eviction)
}

func newMarketIndicatorSource(st market.Store, from, to int64) *marketIndicatorSource {
	return &marketIndicatorSource{store: st, from: from, to: to, chains: map[string]*market.Chain{}}
}

func barsFrame(b *market.Bars) *indicators.Frame {
	return &indicators.Frame{Ticker: b.Ticker, TS: b.TS, BarMs: market.TimeframeMillis(b.Timeframe),
		Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume, VWAP: b.VWAP}
}

// Bars implements indicators.Source. A ticker the store cannot hold (index
// tickers such as I:VIX when none were imported) is "nothing stored": an empty
// frame, so the indicator yields NaN rather than failing the build.
func (s *marketIndicatorSource) Bars(ctx context.Context, ticker, tf string, from, to int64) (*indicators.Frame, error) {
	b, err := s.store.ReadBars(ctx, ticker, tf, from, to)
	if errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrNotFound) {
		b, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = market.NewBars(ticker, tf, "", 0)
	}
	return barsFrame(b), nil
}

// chainWindow is how far back a snapshot may lie and still be "the latest".
const chainWindow = 45 * 24 * 3600 * 1000

func (s *marketIndicatorSource) chainsFor(ctx context.Context, underlying string, asOf int64) (*market.Chain, error) {
	if asOf < s.from || asOf >= s.to {
		return s.store.ReadChains(ctx, underlying, asOf-chainWindow, asOf+1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.chains[underlying]; ok {
		return c, nil
	}
	c, err := s.store.ReadChains(ctx, underlying, s.from-chainWindow, s.to)
	if errors.Is(err, errs.ErrInvalid) {
		c, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = &market.Chain{Underlying: underlying}
	}
	s.chains[underlying] = c
	return c, nil
}

// Chains implements indicators.Source: per expiry in range, the latest snapshot
// taken at or before asOf (later snapshots are never returned). Snapshots more
// than a day older than the newest one found are not searched.
func (s *marketIndicatorSource) Chains(ctx context.Context, underlying string, asOf int64, minExpiry, maxExpiry string) ([]options.Chain, error) {
	c, err := s.chainsFor(ctx, underlying, asOf)
	if err != nil || c == nil || c.Len() == 0 {
		return nil, err
	}
	// rows are sorted by snapshot time: walk back from the last row at or before asOf
	j := sort.Search(c.Len(), func(i int) bool { return c.SnapTS[i] > asOf })
	latest := map[string]int64{}
	var first int64 = -1
	lo := j
	for i := j - 1; i >= 0; i-- {
		ts := c.SnapTS[i]
		if ts < asOf-chainWindow || (first >= 0 && ts < first-24*3600*1000) {
			break
		}
		lo = i
		e := c.Expiry[i]
		if e < minExpiry || e > maxExpiry {
			continue
		}
		if first < 0 {
			first = ts
		}
		if _, ok := latest[e]; !ok {
			latest[e] = ts
		}
	}
	byExp := map[string]*options.Chain{}
	for i := lo; i < j; i++ {
		e := c.Expiry[i]
		if ts, ok := latest[e]; !ok || c.SnapTS[i] != ts {
			continue
		}
		ch := byExp[e]
		if ch == nil {
			ch = &options.Chain{Underlying: underlying, Expiry: e, AsOf: c.SnapTS[i], Spot: c.UnderlyingPrice[i]}
			byExp[e] = ch
		}
		ch.Contracts = append(ch.Contracts, options.Contract{Strike: c.Strike[i], Call: c.Type[i] == 'C', Bid: c.Bid[i],
			Ask: c.Ask[i], IV: c.IV[i], Delta: c.Delta[i], Gamma: c.Gamma[i], Theta: c.Theta[i], Vega: c.Vega[i], OI: c.OpenInterest[i]})
	}
	exps := make([]string, 0, len(byExp))
	for e := range byExp {
		exps = append(exps, e)
	}
	sort.Strings(exps)
	out := make([]options.Chain, 0, len(exps))
	for _, e := range exps {
		out = append(out, *byExp[e])
	}
	return out, nil
}

// dayCacheSize bounds the option-bar days kept in memory by OptionBars.
const dayCacheSize = 8

// dayBars returns every option bar of underlying on session date, from a small
// cache: option indicators ask for one contract at a time, and the store keeps
// a session's contracts in one file.
func (s *marketIndicatorSource) dayBars(ctx context.Context, underlying, date string) (*market.OptionBars, error) {
	key := underlying + "|" + date
	s.mu.Lock()
	if ob, ok := s.days[key]; ok {
		s.mu.Unlock()
		return ob, nil
	}
	s.mu.Unlock()
	ob, err := s.store.ReadOptionBars(ctx, underlying, date)
	if errors.Is(err, errs.ErrInvalid) {
		ob, err = &market.OptionBars{Underlying: underlying}, nil
	}
	if err != nil {
		return nil, err
	}
	if ob == nil {
		ob = &market.OptionBars{Underlying: underlying}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.days == nil {
		s.days = map[string]*market.OptionBars{}
	}
	if len(s.dayOrder) >= dayCacheSize {
		delete(s.days, s.dayOrder[0])
		s.dayOrder = s.dayOrder[1:]
	}
	s.days[key] = ob
	s.dayOrder = append(s.dayOrder, key)
	return ob, nil
}

// OptionBars implements indicators.Source: the contract's minute bars with
// start in [from, to), gathered per ET session date from the day cache.
func (s *marketIndicatorSource) OptionBars(ctx context.Context, c options.ContractRef, from, to int64) (*indicators.Frame, error) {
	sym := c.OCC()
	f := &indicators.Frame{Ticker: sym, BarMs: 60_000}
	if to <= from {
		return f, nil
	}
	first, last := market.SessionDate(from), market.SessionDate(to-1)
	t, err := market.ParseDate(first)
	if err != nil {
		return f, nil
	}
	for d := first; d <= last; t, d = t.AddDate(0, 0, 1), t.AddDate(0, 0, 1).Format(market.DateLayout) {
		ob, err := s.dayBars(ctx, c.Underlying, d)
		if err != nil {
			return nil, err
		}
		// rows are sorted by (symbol, ts)
		i := sort.Search(ob.Len(), func(k int) bool { return ob.Symbol[k] >= sym })
		for ; i < ob.Len() && ob.Symbol[i] == sym; i++ {
			if ts := ob.TS[i]; ts >= from && ts < to {
				f.TS = append(f.TS, ts)
				f.Open = append(f.Open, ob.Open[i])
				f.High = append(f.High, ob.High[i])
				f.Low = append(f.Low, ob.Low[i])
				f.Close = append(f.Close, ob.Close[i])
				f.Volume = append(f.Volume, ob.Volume[i])
				f.VWAP = append(f.VWAP, ob.VWAP[i])
			}
		}
	}
	return f, nil
}
