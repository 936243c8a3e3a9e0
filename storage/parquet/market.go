package parquet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// MarketStore implements market.Store with zstd Parquet files under one directory
// (the data dir's market/):
//
//	bars/<TICKER>/<timeframe>/<YYYY-MM>.parquet   underlying bars, month of the ET session date
//	options/<UNDERLYING>/<YYYY-MM-DD>.parquet     option minute bars of one session, all contracts
//	chains/<UNDERLYING>/<YYYY-MM>.parquet         chain snapshots, month of the ET snapshot date
//
// Every file carries one source in its metadata; a ticker never mixes demo and real rows
// (writing real rows over demo ones, or demo over real, fails with errs.ErrConflict). Writes merge
// into the partition and publish it atomically; reads touch only the partitions that
// overlap the requested range.
type MarketStore struct {
	root  string
	locks sync.Map // partition path → *sync.Mutex; serialises read-merge-write per file
}

var _ market.Store = (*MarketStore)(nil)

// NewMarketStore returns a store rooted at dir (created on first write).
func NewMarketStore(dir string) *MarketStore { return &MarketStore{root: dir} }

// Root is the directory the store writes under.
func (s *MarketStore) Root() string { return s.root }

// IsEmpty reports whether the store holds no data file at all (used to decide on demo seeding).
func (s *MarketStore) IsEmpty() bool {
	empty := true
	_ = filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			empty = false
			return fs.SkipAll
		}
		return nil
	})
	return empty
}

// Metadata keys of market files.
const (
	mkKind     = "sigmalab.kind"
	mkSource   = "sigmalab.source"
	mkTicker   = "sigmalab.ticker"
	mkTF       = "sigmalab.timeframe"
	mkFirst    = "sigmalab.first_ts"
	mkLast     = "sigmalab.last_ts"
	mkExpiries = "sigmalab.expiries"
)

func (s *MarketStore) lock(path string) func() {
	m, _ := s.locks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

func checkTicker(t string) error {
	if !market.ValidTicker(t) {
		return errs.Invalidf("bad ticker %q", t)
	}
	return nil
}

func (s *MarketStore) barsDir(ticker, tf string) string {
	return filepath.Join(s.root, "bars", ticker, tf)
}

// barRow is the on-disk row of an underlying bar.
type barRow struct {
	TS     int64   `parquet:"ts,timestamp(millisecond)"`
	Open   float64 `parquet:"open"`
	High   float64 `parquet:"high"`
	Low    float64 `parquet:"low"`
	Close  float64 `parquet:"close"`
	Volume float64 `parquet:"volume"`
	VWAP   float64 `parquet:"vwap"` // NaN when the source had none
}

// WriteBars implements market.Store.
func (s *MarketStore) WriteBars(ctx context.Context, b *market.Bars) (market.WriteStats, error) {
	var st market.WriteStats
	if err := checkTicker(b.Ticker); err != nil {
		return st, err
	}
	if !market.ValidTimeframe(b.Timeframe) {
		return st, errs.Invalidf("bad timeframe %q", b.Timeframe)
	}
	if b.Source == "" {
		return st, errs.Invalidf("bars of %s have no source", b.Ticker)
	}
	if err := b.Validate(); err != nil {
		return st, fmt.Errorf("%v: %w", err, errs.ErrInvalid)
	}
	if err := s.checkSource(b.Ticker, b.Source); err != nil {
		return st, err
	}
	for lo := 0; lo < b.Len(); {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		month := market.SessionDate(b.TS[lo])[:7]
		hi := lo + 1
		for hi < b.Len() && market.SessionDate(b.TS[hi])[:7] == month {
			hi++
		}
		ps, err := s.mergeBars(b, lo, hi, month)
		if err != nil {
			return st, err
		}
		st.Add(ps)
		lo = hi
	}
	return st, nil
}

func (s *MarketStore) mergeBars(b *market.Bars, lo, hi int, month string) (market.WriteStats, error) {
	var st market.WriteStats
	path := filepath.Join(s.barsDir(b.Ticker, b.Timeframe), month+".parquet")
	defer s.lock(path)()
	old, meta, err := ReadParquetRows[barRow](path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	if meta != nil && mixes(meta[mkSource], b.Source) {
		return st, fmt.Errorf("%s %s %s holds %q data, refusing to mix in %q: %w",
			b.Ticker, b.Timeframe, month, meta[mkSource], b.Source, errs.ErrConflict)
	}
	rows := make([]barRow, 0, len(old)+hi-lo)
	i, j := 0, lo
	for i < len(old) || j < hi {
		switch {
		case j == hi || (i < len(old) && old[i].TS < b.TS[j]):
			rows = append(rows, old[i])
			i++
		default:
			if i < len(old) && old[i].TS == b.TS[j] {
				st.Replaced++
				i++
			} else {
				st.Added++
			}
			rows = append(rows, barRow{b.TS[j], b.Open[j], b.High[j], b.Low[j], b.Close[j], b.Volume[j], b.VWAP[j]})
			j++
		}
	}
	m := map[string]string{mkKind: market.KindBars, mkSource: b.Source, mkTicker: b.Ticker, mkTF: b.Timeframe,
		mkFirst: strconv.FormatInt(rows[0].TS, 10), mkLast: strconv.FormatInt(rows[len(rows)-1].TS, 10)}
	return st, WriteParquetAtomic(path, rows, m)
}

// checkSource refuses to write source over a ticker that holds data of another source.
// Reading one footer per series keeps this cheap.
func (s *MarketStore) checkSource(ticker, source string) error {
	src, ok, err := s.tickerSource(ticker)
	if err != nil || !ok {
		return err
	}
	if mixes(src, source) {
		return fmt.Errorf("%s holds %q data, refusing to mix in %q (delete it first): %w", ticker, src, source, errs.ErrConflict)
	}
	return nil
}

// mixes reports whether writing source over rows of stored would mix demo and real data.
// Real sources (file, polygon, …) may replace each other's rows; the partition then
// records the latest writer.
func mixes(stored, source string) bool {
	return (stored == market.SourceDemo) != (source == market.SourceDemo)
}

// tickerSource returns the source of any stored file of ticker.
func (s *MarketStore) tickerSource(ticker string) (string, bool, error) {
	for _, dir := range s.tickerDirs(ticker) {
		var found string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fs.SkipAll
				}
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".parquet") {
				return nil
			}
			meta, _, err := ReadParquetMeta(p)
			if err != nil {
				return err
			}
			found = meta[mkSource]
			return fs.SkipAll
		})
		if err != nil {
			return "", false, err
		}
		if found != "" {
			return found, true, nil
		}
	}
	return "", false, nil
}

func (s *MarketStore) tickerDirs(ticker string) []string {
	return []string{filepath.Join(s.root, "bars", ticker), filepath.Join(s.root, "options", ticker), filepath.Join(s.root, "chains", ticker)}
}

// partitions lists the partition files in dir whose name (without .parquet) lies in
// [lo, hi] by string order, sorted; names are YYYY-MM or YYYY-MM-DD so string order is time order.
func partitions(dir, lo, hi string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".parquet") || strings.HasPrefix(name, ".") {
			continue
		}
		key := strings.TrimSuffix(name, ".parquet")
		if (lo == "" || key >= lo) && (hi == "" || key <= hi) {
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out)
	return out, nil
}

// dateRange maps [from, to) unix ms to inclusive ET date keys ("" = unbounded), cut to n characters.
func dateRange(from, to int64, n int) (string, string) {
	lo, hi := "", ""
	if from > 0 {
		lo = market.SessionDate(from)[:n]
	}
	if to > 0 {
		hi = market.SessionDate(to - 1)[:n]
	}
	return lo, hi
}

func inRange(ts, from, to int64) bool { return ts >= from && (to <= 0 || ts < to) }

// ReadBars implements market.Store.
func (s *MarketStore) ReadBars(ctx context.Context, ticker, tf string, from, to int64) (*market.Bars, error) {
	out := market.NewBars(ticker, tf, "", 0)
	err := s.ScanBars(ctx, ticker, tf, from, to, func(c *market.Bars) error {
		out.Source = c.Source
		out.TS = append(out.TS, c.TS...)
		out.Open = append(out.Open, c.Open...)
		out.High = append(out.High, c.High...)
		out.Low = append(out.Low, c.Low...)
		out.Close = append(out.Close, c.Close...)
		out.Volume = append(out.Volume, c.Volume...)
		out.VWAP = append(out.VWAP, c.VWAP...)
		return nil
	})
	return out, err
}

// ScanBars implements market.Store: one callback per monthly partition.
func (s *MarketStore) ScanBars(ctx context.Context, ticker, tf string, from, to int64, fn func(*market.Bars) error) error {
	if err := checkTicker(ticker); err != nil {
		return err
	}
	if !market.ValidTimeframe(tf) {
		return errs.Invalidf("bad timeframe %q", tf)
	}
	lo, hi := dateRange(from, to, 7)
	parts, err := partitions(s.barsDir(ticker, tf), lo, hi)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, meta, err := ReadParquetRows[barRow](p)
		if err != nil {
			return err
		}
		c := market.NewBars(ticker, tf, meta[mkSource], len(rows))
		for _, r := range rows {
			if inRange(r.TS, from, to) {
				c.Append(r.TS, r.Open, r.High, r.Low, r.Close, r.Volume, r.VWAP)
			}
		}
		if c.Len() == 0 {
			continue
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSource implements market.Store.
func (s *MarketStore) DeleteSource(ctx context.Context, ticker, source string) (int64, error) {
	if err := checkTicker(ticker); err != nil {
		return 0, err
	}
	var n int64
	for _, dir := range s.tickerDirs(ticker) {
		var victims []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fs.SkipAll
				}
				return err
			}
			if d.IsDir() || !strings.HasSuffix(p, ".parquet") {
				return nil
			}
			meta, rows, err := ReadParquetMeta(p)
			if err != nil {
				return err
			}
			if meta[mkSource] == source {
				victims = append(victims, p)
				n += rows
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		for _, p := range victims {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			unlock := s.lock(p)
			err := os.Remove(p)
			unlock()
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return n, err
			}
		}
		removeEmptyDirs(dir)
	}
	return n, nil
}

// removeEmptyDirs prunes empty directories under (and including) dir, bottom-up.
func removeEmptyDirs(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() {
			removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir) // fails, harmlessly, when not empty
}
