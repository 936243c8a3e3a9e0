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
	"sync"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
	"sigmalab/storage/files"
)

// MarketStore implements market.Store with zstd Parquet files under one directory
// (the data dir's market/):
//
//	bars/ticker=<TICKER>/timeframe=<tf>/<YYYY-MM>.parquet  underlying bars, month of the ET session date
//	options/underlying=<UNDERLYING>/<YYYY-MM-DD>.parquet   option minute bars of one session, all contracts
//	chains/underlying=<UNDERLYING>/<YYYY-MM>.parquet       chain snapshots, month of the ET snapshot date
//	.staging/<import>/…                                    an import being staged (see market_tx.go)
//
// The folders are hive-style (see market_layout.go), so DuckDB, pyarrow and
// Spark read ticker, timeframe and underlying as columns of a whole tree.
//
// Every file carries one source in its metadata; a ticker never mixes demo and real rows
// (writing real rows over demo ones, or demo over real, fails with errs.ErrConflict). Writes merge
// into the partition and publish it atomically; reads touch only the partitions that
// overlap the requested range.
//
// Every path goes through the data dir's confinement (files.Dir): a symlink that leads
// out of the data dir, at any level, makes the operation ErrInvalid, and listings and
// walks skip symlinked entries altogether, so nothing outside is read, written or removed.
//
// A MarketStore value is either the live store or, from Begin, an import transaction
// over it (tx != nil) whose writes are staged until Commit.
type MarketStore struct {
	*marketCore
	tx *marketTx
}

// marketCore is the state shared by the live store and its transactions.
type marketCore struct {
	dir   files.Dir
	locks sync.Map // partition rel path → *sync.Mutex; serialises read-merge-write per file
	// writeMu: live writes share it; an import transaction holds it alone from
	// Begin to Commit/Rollback, so no write slips between its merge and its publish.
	writeMu sync.RWMutex
	// commitMu: reads share it; the publish step of a commit holds it alone, so a
	// reader sees every partition of an import or none.
	commitMu sync.RWMutex
	// broken is set when a commit published its files but could not retire its
	// commit record; further imports are refused until a restart recovers it.
	broken error
	// crash, set by tests only, stops a commit at a named step as a kill would
	// (nothing after it runs, nothing is cleaned up).
	crash func(step string) bool
}

var _ market.Store = (*MarketStore)(nil)

// NewMarketStore returns a store rooted at dir (created on first write), confined to
// dir's parent (the data dir).
func NewMarketStore(dir string) *MarketStore {
	return &MarketStore{marketCore: &marketCore{dir: files.OpenDir(dir)}}
}

// NewMarketStoreIn returns the store of the data dir's market/ folder.
func NewMarketStoreIn(d files.Dir) *MarketStore { return &MarketStore{marketCore: &marketCore{dir: d}} }

// Root is the directory the store writes under.
func (s *MarketStore) Root() string { return s.dir.Abs() }

// IsEmpty reports whether the store holds no data file at all (used to decide on demo seeding).
func (s *MarketStore) IsEmpty() bool {
	s.commitMu.RLock()
	defer s.commitMu.RUnlock()
	empty := true
	_ = s.walk("", func(string) error {
		empty = false
		return fs.SkipAll
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

func (s *MarketStore) lock(rel string) func() {
	m, _ := s.locks.LoadOrStore(rel, &sync.Mutex{})
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

// barRow is one underlying bar as written (see barColumns).
type barRow struct {
	TS                                   int64
	Open, High, Low, Close, Volume, VWAP float64 // VWAP NaN when the source had none
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
	defer s.writing()()
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
	rel := barsDir(b.Ticker, b.Timeframe) + "/" + month + ".parquet"
	defer s.lock(rel)()
	old, err := s.readBars(rel, b.Ticker, b.Timeframe)
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
	return st, writePartition(s, rel, len(rows), barColumns(rows), m)
}

// barColumns are the columns of a bar partition: every bar has its prices and
// volume; vwap is null where the source had none.
func barColumns(rows []barRow) []tableColumn {
	return []tableColumn{
		timestampColumn("ts", func(i int) int64 { return rows[i].TS }),
		doubleColumn("open", func(i int) float64 { return rows[i].Open }),
		doubleColumn("high", func(i int) float64 { return rows[i].High }),
		doubleColumn("low", func(i int) float64 { return rows[i].Low }),
		doubleColumn("close", func(i int) float64 { return rows[i].Close }),
		doubleColumn("volume", func(i int) float64 { return rows[i].Volume }),
		nullableDoubleColumn("vwap", func(i int) float64 { return rows[i].VWAP }, nil),
	}
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
	for _, dir := range tickerDirs(ticker) {
		var found string
		err := s.walk(dir, func(rel string) error {
			meta, _, err := s.readMeta(rel)
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

func tickerDirs(ticker string) []string {
	return []string{barsTickerDir(ticker), optionsDir(ticker), chainsDir(ticker)}
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
	// Every partition is opened under the read lock: a commit that lands while the
	// rows are decoded replaces the names, not the open files, so the scan sees the
	// data as it was when it started, never half of an import.
	parts, err := s.openAll(barsDir(ticker, tf), lo, hi)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range parts {
			p.Close()
		}
	}()
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
				b, err := readBarFile(p, ticker, tf)
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

// readBars decodes the bar partition rel of the store's view.
func (s *MarketStore) readBars(rel, ticker, tf string) (*market.Bars, error) {
	f, err := s.open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBarFile(f, ticker, tf)
}

// readBarFile decodes one bar partition column by column.
func readBarFile(f *os.File, ticker, tf string) (*market.Bars, error) {
	c, err := readColumnSetFile(f, ColumnSet{Int64: []string{"ts"}, Float: barFloatCols})
	if err != nil {
		return nil, err
	}
	fl := c.Float
	return &market.Bars{Ticker: ticker, Timeframe: tf, Source: c.Meta[mkSource], TS: c.Int64[0],
		Open: fl[0], High: fl[1], Low: fl[2], Close: fl[3], Volume: fl[4], VWAP: fl[5]}, nil
}

// DeleteSource implements market.Store.
func (s *MarketStore) DeleteSource(ctx context.Context, ticker, source string) (int64, error) {
	if err := checkTicker(ticker); err != nil {
		return 0, err
	}
	defer s.writing()()
	var n int64
	for _, dir := range tickerDirs(ticker) {
		var victims []string
		err := s.walk(dir, func(rel string) error {
			meta, rows, err := s.readMeta(rel)
			if err != nil {
				return err
			}
			if meta[mkSource] == source {
				victims = append(victims, rel)
				n += rows
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		for _, rel := range victims {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			unlock := s.lock(rel)
			err := s.remove(rel)
			unlock()
			if err != nil {
				return n, err
			}
		}
		if s.tx == nil {
			if p, err := s.dir.Path(dir); err == nil {
				removeEmptyDirs(p)
			}
		}
	}
	return n, nil
}

// removeEmptyDirs prunes empty directories under (and including) dir, bottom-up.
// Symlinks are never followed (ReadDir's entries are not stat-ed through links).
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
