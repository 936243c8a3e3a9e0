package parquet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// optionRow is the on-disk row of an option minute bar. Expiry, type and strike are not
// stored: they are parsed from the OCC symbol (dictionary-encoded, so nearly free).
type optionRow struct {
	Symbol                               string
	TS                                   int64
	Open, High, Low, Close, Volume, VWAP float64 // VWAP NaN when the source had none
}

// optionColumns are the columns of an option partition, symbol first (rows
// are sorted by it); vwap is null where the source had none.
func optionColumns(rows []optionRow) []tableColumn {
	return []tableColumn{
		stringColumn("symbol", false, func(i int) string { return rows[i].Symbol }),
		timestampColumn("ts", func(i int) int64 { return rows[i].TS }),
		doubleColumn("open", func(i int) float64 { return rows[i].Open }),
		doubleColumn("high", func(i int) float64 { return rows[i].High }),
		doubleColumn("low", func(i int) float64 { return rows[i].Low }),
		doubleColumn("close", func(i int) float64 { return rows[i].Close }),
		doubleColumn("volume", func(i int) float64 { return rows[i].Volume }),
		nullableDoubleColumn("vwap", func(i int) float64 { return rows[i].VWAP }, nil),
	}
}

func lessOpt(a, b *optionRow) bool {
	if a.Symbol != b.Symbol {
		return a.Symbol < b.Symbol
	}
	return a.TS < b.TS
}

func sameOptKey(a, b *optionRow) bool { return a.Symbol == b.Symbol && a.TS == b.TS }

// WriteOptionBars implements market.Store.
func (s *MarketStore) WriteOptionBars(ctx context.Context, ob *market.OptionBars) (market.WriteStats, error) {
	var st market.WriteStats
	if err := checkTicker(ob.Underlying); err != nil {
		return st, err
	}
	if ob.Source == "" {
		return st, errs.Invalidf("option bars of %s have no source", ob.Underlying)
	}
	defer s.writing()()
	if err := s.checkSource(ob.Underlying, ob.Source); err != nil {
		return st, err
	}
	byDate := map[string][]optionRow{}
	for i := range ob.TS {
		c, err := market.ParseOCC(ob.Symbol[i])
		if err != nil || c.Underlying != ob.Underlying {
			return st, errs.Invalidf("option bar %d: symbol %q is not a contract of %s", i, ob.Symbol[i], ob.Underlying)
		}
		d := market.SessionDate(ob.TS[i])
		byDate[d] = append(byDate[d], optionRow{c.Symbol, ob.TS[i], ob.Open[i], ob.High[i], ob.Low[i], ob.Close[i], ob.Volume[i], ob.VWAP[i]})
	}
	return writeByPartition(ctx, byDate, lessOpt, func(date string, rows []optionRow) (market.WriteStats, error) {
		return s.mergeOptions(ob.Underlying, ob.Source, date, rows)
	})
}

func (s *MarketStore) mergeOptions(u, source, date string, add []optionRow) (market.WriteStats, error) {
	rel := optionsDir(u) + "/" + date + ".parquet"
	defer s.lock(rel)()
	old, meta, err := s.readOptionRows(rel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return market.WriteStats{}, err
	}
	if meta != nil && mixes(meta[mkSource], source) {
		return market.WriteStats{}, fmt.Errorf("%s options %s hold %q data, refusing to mix in %q: %w", u, date, meta[mkSource], source, errs.ErrConflict)
	}
	rows, st := mergeSorted(old, add, lessOpt, sameOptKey)
	first, last := rows[0].TS, rows[0].TS
	expSet := map[string]int{}
	for k := range rows {
		first, last = min(first, rows[k].TS), max(last, rows[k].TS)
		if k == 0 || rows[k].Symbol != rows[k-1].Symbol {
			if c, err := market.ParseOCC(rows[k].Symbol); err == nil {
				expSet[c.Expiry]++
			}
		}
	}
	m := map[string]string{mkKind: market.KindOptions, mkSource: source, mkTicker: u,
		mkFirst: strconv.FormatInt(first, 10), mkLast: strconv.FormatInt(last, 10), mkExpiries: joinSet(expSet)}
	return st, writePartition(s, rel, len(rows), optionColumns(rows), m)
}

// joinSet renders expiry counts as "YYYY-MM-DD:n,…" (sorted) for the file footer.
func joinSet(set map[string]int) string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + ":" + strconv.Itoa(set[k])
	}
	return strings.Join(keys, ",")
}

func optionsFrom(u string, rows []optionRow, source string, keep func(*optionRow) bool) *market.OptionBars {
	out := &market.OptionBars{Underlying: u, Source: source}
	var c market.Contract
	for k := range rows {
		r := &rows[k]
		if !keep(r) {
			continue
		}
		if r.Symbol != c.Symbol {
			c, _ = market.ParseOCC(r.Symbol)
		}
		out.Append(c, r.TS, r.Open, r.High, r.Low, r.Close, r.Volume, r.VWAP)
	}
	return out
}

// ReadOptionBars implements market.Store.
func (s *MarketStore) ReadOptionBars(ctx context.Context, u, date string) (*market.OptionBars, error) {
	if err := checkTicker(u); err != nil {
		return nil, err
	}
	if _, err := market.ParseDate(date); err != nil {
		return nil, fmt.Errorf("%v: %w", err, errs.ErrInvalid)
	}
	defer s.reading()()
	rows, meta, err := s.readOptionRows(optionsDir(u) + "/" + date + ".parquet")
	if errors.Is(err, fs.ErrNotExist) {
		return &market.OptionBars{Underlying: u}, nil
	}
	if err != nil {
		return nil, err
	}
	return optionsFrom(u, rows, meta[mkSource], func(*optionRow) bool { return true }), nil
}

// ReadContractBars implements market.Store.
func (s *MarketStore) ReadContractBars(ctx context.Context, symbol string, from, to int64) (*market.OptionBars, error) {
	c, err := market.ParseOCC(symbol)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, errs.ErrInvalid)
	}
	lo, hi := dateRange(from, to, 10)
	defer s.reading()()
	parts, err := s.partitions(optionsDir(c.Underlying), lo, hi)
	if err != nil {
		return nil, err
	}
	out := &market.OptionBars{Underlying: c.Underlying}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows, meta, err := s.readOptionRows(p)
		if err != nil {
			return nil, err
		}
		out.Source = meta[mkSource]
		// Rows are sorted by symbol: binary-search the contract's run.
		i := sort.Search(len(rows), func(k int) bool { return rows[k].Symbol >= c.Symbol })
		for ; i < len(rows) && rows[i].Symbol == c.Symbol; i++ {
			if inRange(rows[i].TS, from, to) {
				r := &rows[i]
				out.Append(c, r.TS, r.Open, r.High, r.Low, r.Close, r.Volume, r.VWAP)
			}
		}
	}
	return out, nil
}

// chainRow is one row of a chain snapshot as written (see chainColumns).
type chainRow struct {
	SnapTS          int64
	UnderlyingPrice float64
	Expiry          string
	Type            string // "C" or "P"
	Strike          float64
	Bid             float64
	Ask             float64
	IV              float64
	Delta           float64
	Gamma           float64
	Theta           float64
	Vega            float64
	OpenInterest    float64
}

// chainColumns are the columns of a chain partition: the contract key is
// always there; quotes, IV, greeks and open interest are null where the
// source had none (NaN in memory).
func chainColumns(rows []chainRow) []tableColumn {
	f := func(name string, get func(r *chainRow) float64) tableColumn {
		return nullableDoubleColumn(name, func(i int) float64 { return get(&rows[i]) }, nil)
	}
	return []tableColumn{
		timestampColumn("snapshot_ts", func(i int) int64 { return rows[i].SnapTS }),
		f("underlying_price", func(r *chainRow) float64 { return r.UnderlyingPrice }),
		stringColumn("expiry", false, func(i int) string { return rows[i].Expiry }),
		stringColumn("type", false, func(i int) string { return rows[i].Type }),
		doubleColumn("strike", func(i int) float64 { return rows[i].Strike }),
		f("bid", func(r *chainRow) float64 { return r.Bid }),
		f("ask", func(r *chainRow) float64 { return r.Ask }),
		f("iv", func(r *chainRow) float64 { return r.IV }),
		f("delta", func(r *chainRow) float64 { return r.Delta }),
		f("gamma", func(r *chainRow) float64 { return r.Gamma }),
		f("theta", func(r *chainRow) float64 { return r.Theta }),
		f("vega", func(r *chainRow) float64 { return r.Vega }),
		f("open_interest", func(r *chainRow) float64 { return r.OpenInterest }),
	}
}

func lessChain(a, b *chainRow) bool {
	if a.SnapTS != b.SnapTS {
		return a.SnapTS < b.SnapTS
	}
	if a.Expiry != b.Expiry {
		return a.Expiry < b.Expiry
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	return a.Strike < b.Strike
}

func sameChainKey(a, b *chainRow) bool {
	return a.SnapTS == b.SnapTS && a.Expiry == b.Expiry && a.Type == b.Type && a.Strike == b.Strike
}

// WriteChain implements market.Store.
func (s *MarketStore) WriteChain(ctx context.Context, c *market.Chain) (market.WriteStats, error) {
	var st market.WriteStats
	if err := checkTicker(c.Underlying); err != nil {
		return st, err
	}
	if c.Source == "" {
		return st, errs.Invalidf("chain of %s has no source", c.Underlying)
	}
	defer s.writing()()
	if err := s.checkSource(c.Underlying, c.Source); err != nil {
		return st, err
	}
	byMonth := map[string][]chainRow{}
	for i := range c.SnapTS {
		if c.Type[i] != 'C' && c.Type[i] != 'P' {
			return st, errs.Invalidf("chain row %d: type must be C or P", i)
		}
		if _, err := market.ParseDate(c.Expiry[i]); err != nil {
			return st, errs.Invalidf("chain row %d: %v", i, err)
		}
		m := market.SessionDate(c.SnapTS[i])[:7]
		byMonth[m] = append(byMonth[m], chainRow{c.SnapTS[i], c.UnderlyingPrice[i], c.Expiry[i], string(c.Type[i]), c.Strike[i],
			c.Bid[i], c.Ask[i], c.IV[i], c.Delta[i], c.Gamma[i], c.Theta[i], c.Vega[i], c.OpenInterest[i]})
	}
	return writeByPartition(ctx, byMonth, lessChain, func(month string, rows []chainRow) (market.WriteStats, error) {
		return s.mergeChain(c.Underlying, c.Source, month, rows)
	})
}

func (s *MarketStore) mergeChain(u, source, month string, add []chainRow) (market.WriteStats, error) {
	rel := chainsDir(u) + "/" + month + ".parquet"
	defer s.lock(rel)()
	old, meta, err := s.readChainRows(rel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return market.WriteStats{}, err
	}
	if meta != nil && mixes(meta[mkSource], source) {
		return market.WriteStats{}, fmt.Errorf("%s chains %s hold %q data, refusing to mix in %q: %w", u, month, meta[mkSource], source, errs.ErrConflict)
	}
	rows, st := mergeSorted(old, add, lessChain, sameChainKey)
	expSet := map[string]int{}
	type contract struct {
		expiry, typ string
		strike      float64
	}
	seen := map[contract]bool{}
	for k := range rows {
		c := contract{rows[k].Expiry, rows[k].Type, rows[k].Strike}
		if !seen[c] {
			seen[c] = true
			expSet[c.expiry]++
		}
	}
	m := map[string]string{mkKind: market.KindChains, mkSource: source, mkTicker: u,
		mkFirst: strconv.FormatInt(rows[0].SnapTS, 10), mkLast: strconv.FormatInt(rows[len(rows)-1].SnapTS, 10), mkExpiries: joinSet(expSet)}
	return st, writePartition(s, rel, len(rows), chainColumns(rows), m)
}

// ReadChains implements market.Store.
func (s *MarketStore) ReadChains(ctx context.Context, u string, from, to int64) (*market.Chain, error) {
	if err := checkTicker(u); err != nil {
		return nil, err
	}
	lo, hi := dateRange(from, to, 7)
	defer s.reading()()
	parts, err := s.partitions(chainsDir(u), lo, hi)
	if err != nil {
		return nil, err
	}
	out := &market.Chain{Underlying: u}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows, meta, err := s.readChainRows(p)
		if err != nil {
			return nil, err
		}
		out.Source = meta[mkSource]
		for k := range rows {
			r := &rows[k]
			if !inRange(r.SnapTS, from, to) {
				continue
			}
			out.Append(market.ChainRow{SnapTS: r.SnapTS, UnderlyingPrice: r.UnderlyingPrice, Expiry: r.Expiry, Type: r.Type[0],
				Strike: r.Strike, Bid: r.Bid, Ask: r.Ask, IV: r.IV, Delta: r.Delta, Gamma: r.Gamma, Theta: r.Theta,
				Vega: r.Vega, OpenInterest: r.OpenInterest})
		}
	}
	return out, nil
}

// Coverage implements market.Store from file footers only.
func (s *MarketStore) Coverage(ctx context.Context) ([]market.CoverageEntry, error) {
	type key struct{ ticker, kind, tf string }
	acc := map[key]*market.CoverageEntry{}
	defer s.reading()()
	err := s.walk("", func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		meta, n, err := s.readMeta(rel)
		if err != nil {
			return err
		}
		k := key{meta[mkTicker], meta[mkKind], meta[mkTF]}
		first, _ := strconv.ParseInt(meta[mkFirst], 10, 64)
		last, _ := strconv.ParseInt(meta[mkLast], 10, 64)
		e := acc[k]
		if e == nil {
			e = &market.CoverageEntry{Ticker: k.ticker, Kind: k.kind, Timeframe: k.tf, Source: meta[mkSource], FirstTS: first, LastTS: last}
			acc[k] = e
		}
		e.Rows += n
		e.Partitions++
		e.FirstTS, e.LastTS = min(e.FirstTS, first), max(e.LastTS, last)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]market.CoverageEntry, 0, len(acc))
	for _, e := range acc {
		e.Start, e.End = market.SessionDate(e.FirstTS), market.SessionDate(e.LastTS)
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Ticker != b.Ticker {
			return a.Ticker < b.Ticker
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return market.TimeframeMillis(a.Timeframe) < market.TimeframeMillis(b.Timeframe)
	})
	return out, nil
}

// Expirations implements market.Store from file footers only.
func (s *MarketStore) Expirations(ctx context.Context, u string) ([]market.Expiry, error) {
	if err := checkTicker(u); err != nil {
		return nil, err
	}
	set := map[string]*market.Expiry{}
	defer s.reading()()
	for di, dir := range []string{optionsDir(u), chainsDir(u)} {
		parts, err := s.partitions(dir, "", "")
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			meta, _, err := s.readMeta(p)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				return nil, err
			}
			for _, item := range strings.Split(meta[mkExpiries], ",") {
				date, count, _ := strings.Cut(item, ":")
				if date == "" {
					continue
				}
				e := set[date]
				if e == nil {
					e = &market.Expiry{Date: date}
					set[date] = e
				}
				n, _ := strconv.Atoi(count)
				e.Contracts = max(e.Contracts, n)
				if di == 0 {
					e.HasBars = true
				} else {
					e.HasChain = true
				}
			}
		}
	}
	out := make([]market.Expiry, 0, len(set))
	for _, e := range set {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out, nil
}

// readOptionRows decodes the option partition rel of the view column by column.
func (s *MarketStore) readOptionRows(rel string) ([]optionRow, map[string]string, error) {
	fh, err := s.open(rel)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	c, err := readColumnSetFile(fh, ColumnSet{String: []string{"symbol"}, Int64: []string{"ts"},
		Float: []string{"open", "high", "low", "close", "volume", "vwap"}})
	if err != nil {
		return nil, nil, err
	}
	rows := make([]optionRow, c.Rows)
	sym, ts, f := c.String[0], c.Int64[0], c.Float
	for i := range rows {
		rows[i] = optionRow{sym[i], ts[i], f[0][i], f[1][i], f[2][i], f[3][i], f[4][i], f[5][i]}
	}
	return rows, c.Meta, nil
}

// readChainRows decodes the chain partition rel of the view column by column.
func (s *MarketStore) readChainRows(rel string) ([]chainRow, map[string]string, error) {
	fh, err := s.open(rel)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	c, err := readColumnSetFile(fh, ColumnSet{String: []string{"expiry", "type"}, Int64: []string{"snapshot_ts"},
		Float: []string{"underlying_price", "strike", "bid", "ask", "iv", "delta", "gamma", "theta", "vega", "open_interest"}})
	if err != nil {
		return nil, nil, err
	}
	rows := make([]chainRow, c.Rows)
	exp, typ, ts, f := c.String[0], c.String[1], c.Int64[0], c.Float
	for i := range rows {
		rows[i] = chainRow{ts[i], f[0][i], exp[i], typ[i], f[1][i], f[2][i], f[3][i], f[4][i], f[5][i], f[6][i], f[7][i], f[8][i], f[9][i]}
	}
	return rows, c.Meta, nil
}

// writeByPartition writes rows grouped by partition name (a date or a month), one
// partition at a time in name order, each sorted by less before merge folds it into the
// stored partition; it stops at the first error or cancellation.
func writeByPartition[R any](ctx context.Context, parts map[string][]R, less func(a, b *R) bool,
	merge func(part string, rows []R) (market.WriteStats, error)) (market.WriteStats, error) {
	var st market.WriteStats
	names := make([]string, 0, len(parts))
	for name := range parts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		rows := parts[name]
		sort.SliceStable(rows, func(i, j int) bool { return less(&rows[i], &rows[j]) })
		ps, err := merge(name, rows)
		if err != nil {
			return st, err
		}
		st.Add(ps)
	}
	return st, nil
}

// mergeSorted merges add into old, both sorted by less, counting rows added and replaced.
// A key of add already in old replaces the stored row; a key repeated within add keeps
// its last row.
func mergeSorted[R any](old, add []R, less, same func(a, b *R) bool) ([]R, market.WriteStats) {
	var st market.WriteStats
	rows := make([]R, 0, len(old)+len(add))
	i, j := 0, 0
	for i < len(old) || j < len(add) {
		switch {
		case j == len(add) || (i < len(old) && less(&old[i], &add[j])):
			rows = append(rows, old[i])
			i++
		default:
			if i < len(old) && same(&old[i], &add[j]) {
				st.Replaced++
				i++
			} else {
				st.Added++
			}
			if n := len(rows); n > 0 && same(&rows[n-1], &add[j]) {
				rows[n-1] = add[j]
				st.Added--
				st.Replaced++
			} else {
				rows = append(rows, add[j])
			}
			j++
		}
	}
	return rows, st
}
