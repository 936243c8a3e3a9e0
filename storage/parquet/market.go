package parquet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
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

// writePartition publishes one partition file atomically (temp file, fsync, rename).
func writePartition[T any](_ *MarketStore, path string, rows []T, meta map[string]string) error {
	return WriteParquetAtomic(path, rows, meta)
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
	type span struct {
		lo, hi int
		month  string
	}
	var spans []span
	for lo := 0; lo < b.Len(); {
		month := market.SessionDate(b.TS[lo])[:7]
		// Jump ahead by the month boundary instead of converting every timestamp.
		end := monthEnd(month)
		hi := lo + sort.Search(b.Len()-lo, func(k int) bool { return b.TS[lo+k] >= end })
		spans = append(spans, span{lo, hi, month})
		lo = hi
	}
	// Partitions are independent files: merge them in parallel so fsyncs overlap.
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, scanWorkers)
	)
	for _, sp := range spans {
		if err := ctx.Err(); err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			ps, err := s.mergeBars(b, sp.lo, sp.hi, sp.month)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			st.Add(ps)
		}()
	}
	wg.Wait()
	return st, first
}

// monthEnd returns unix ms of ET midnight on the first day of the month after month (YYYY-MM).
func monthEnd(month string) int64 {
	t, err := market.ParseDate(month + "-01")
	if err != nil {
		return math.MaxInt64
	}
	return t.AddDate(0, 1, 0).UnixMilli()
}

func (s *MarketStore) mergeBars(b *market.Bars, lo, hi int, month string) (market.WriteStats, error) {
	var st market.WriteStats
	path := filepath.Join(s.barsDir(b.Ticker, b.Timeframe), month+".parquet")
	defer s.lock(path)()
	old, err := readBarPartition(path, b.Ticker, b.Timeframe)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = &market.Bars{}
	case err != nil:
		return st, err
	case mixes(old.Source, b.Source):
		return st, fmt.Errorf("%s %s %s holds %q data, refusing to mix in %q: %w",
			b.Ticker, b.Timeframe, month, old.Source, b.Source, errs.ErrConflict)
	}
	rows := make([]barRow, 0, old.Len()+hi-lo)
	i, j := 0, lo
	for i < old.Len() || j < hi {
		switch {
		case j == hi || (i < old.Len() && old.TS[i] < b.TS[j]):
			rows = append(rows, barRow{old.TS[i], old.Open[i], old.High[i], old.Low[i], old.Close[i], old.Volume[i], old.VWAP[i]})
			i++
		default:
			if i < old.Len() && old.TS[i] == b.TS[j] {
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
	return st, writePartition(s, path, rows, m)
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
		err := walkParquet(dir, func(p string, _ fs.DirEntry) error {
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

// walkParquet calls fn for every .parquet file under dir, in lexical order; a missing
// dir holds none. fn may return fs.SkipAll to stop early.
func walkParquet(dir string, fn func(path string, d fs.DirEntry) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		return fn(p, d)
	})
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

// ReadBars implements market.Store. Partitions are decoded in parallel and the result
// is assembled once at its final size.
func (s *MarketStore) ReadBars(ctx context.Context, ticker, tf string, from, to int64) (*market.Bars, error) {
	var chunks []*market.Bars
	n := 0
	err := s.ScanBars(ctx, ticker, tf, from, to, func(c *market.Bars) error {
		chunks = append(chunks, c)
		n += c.Len()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := market.NewBars(ticker, tf, "", n)
	for _, c := range chunks {
		out.Source = c.Source
		out.TS = append(out.TS, c.TS...)
		out.Open = append(out.Open, c.Open...)
		out.High = append(out.High, c.High...)
		out.Low = append(out.Low, c.Low...)
		out.Close = append(out.Close, c.Close...)
		out.Volume = append(out.Volume, c.Volume...)
		out.VWAP = append(out.VWAP, c.VWAP...)
	}
	return out, nil
}

// scanWorkers bounds how many partitions are decoded ahead of the consumer.
const scanWorkers = 4

// ScanBars implements market.Store: one callback per monthly partition, in time order.
// Up to scanWorkers partitions are decoded ahead in parallel, so memory stays bounded
// by a few months whatever the range.
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
	type result struct {
		b   *market.Bars
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	futures := make([]chan result, len(parts))
	for i := range futures {
		futures[i] = make(chan result, 1)
	}
	sem := make(chan struct{}, scanWorkers)
	go func() {
		for i, p := range parts {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() {
				b, err := readBarPartition(p, ticker, tf)
				if err == nil {
					b = b.Slice(from, upper(to))
				}
				futures[i] <- result{b, err}
			}()
		}
	}()
	for i := range parts {
		var r result
		select {
		case r = <-futures[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-sem
		if r.err != nil {
			return r.err
		}
		if r.b.Len() == 0 {
			continue
		}
		if err := fn(r.b); err != nil {
			return err
		}
	}
	return nil
}

// upper maps the "no upper bound" convention (to <= 0) to MaxInt64 for Slice.
func upper(to int64) int64 {
	if to <= 0 {
		return math.MaxInt64
	}
	return to
}

// barFloatCols are the DOUBLE columns of a bar partition, in market.Bars order.
var barFloatCols = []string{"open", "high", "low", "close", "volume", "vwap"}

// readBarPartition decodes one bar partition column by column.
func readBarPartition(path, ticker, tf string) (*market.Bars, error) {
	ints, fl, meta, err := ReadColumns(path, []string{"ts"}, barFloatCols)
	if err != nil {
		return nil, err
	}
	return &market.Bars{Ticker: ticker, Timeframe: tf, Source: meta[mkSource], TS: ints[0],
		Open: fl[0], High: fl[1], Low: fl[2], Close: fl[3], Volume: fl[4], VWAP: fl[5]}, nil
}

// DeleteSource implements market.Store.
func (s *MarketStore) DeleteSource(ctx context.Context, ticker, source string) (int64, error) {
	if err := checkTicker(ticker); err != nil {
		return 0, err
	}
	var n int64
	for _, dir := range s.tickerDirs(ticker) {
		var victims []string
		err := walkParquet(dir, func(p string, _ fs.DirEntry) error {
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
