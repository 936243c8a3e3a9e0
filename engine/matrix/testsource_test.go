package matrix

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"sigmalab/engine/market"
)

// memSource is an in-memory Source for builder tests. cut > 0 hides every row
// that starts at or after cut (the look-ahead test truncates inputs with it).
type memSource struct {
	bars   map[string]*market.Bars // ticker|tf
	opts   map[string]*market.OptionBars
	chains map[string]*market.Chain
	cut    int64
}

func newMemSource() *memSource {
	return &memSource{bars: map[string]*market.Bars{}, opts: map[string]*market.OptionBars{}, chains: map[string]*market.Chain{}}
}

func (s *memSource) withCut(cut int64) *memSource {
	c := *s
	c.cut = cut
	return &c
}

func (s *memSource) ReadBars(_ context.Context, ticker, tf string, from, to int64) (*market.Bars, error) {
	b := s.bars[ticker+"|"+tf]
	if b == nil {
		return market.NewBars(ticker, tf, "", 0), nil
	}
	if s.cut > 0 && (to <= 0 || to > s.cut) {
		to = s.cut
	}
	if to <= 0 {
		to = math.MaxInt64
	}
	return b.Slice(from, to), nil
}

func (s *memSource) ReadOptionBars(_ context.Context, underlying, date string) (*market.OptionBars, error) {
	ob := s.opts[underlying]
	out := &market.OptionBars{Underlying: underlying}
	if ob == nil {
		return out, nil
	}
	out.Source = ob.Source
	for i := 0; i < ob.Len(); i++ {
		if market.SessionDate(ob.TS[i]) == date && (s.cut <= 0 || ob.TS[i] < s.cut) {
			out.AppendFrom(ob, i)
		}
	}
	return out, nil
}

func (s *memSource) ReadChains(_ context.Context, underlying string, from, to int64) (*market.Chain, error) {
	c := s.chains[underlying]
	out := &market.Chain{Underlying: underlying}
	if c == nil {
		return out, nil
	}
	for i := 0; i < c.Len(); i++ {
		ts := c.SnapTS[i]
		if ts >= from && (to <= 0 || ts < to) && (s.cut <= 0 || ts < s.cut) {
			out.Append(c.Row(i))
		}
	}
	return out, nil
}

// addBars merges bars (by timestamp) into the source.
func (s *memSource) addBars(b *market.Bars) {
	key := b.Ticker + "|" + b.Timeframe
	old := s.bars[key]
	type row struct {
		ts                int64
		o, h, l, c, v, vw float64
	}
	m := map[int64]row{}
	if old != nil {
		for i := range old.TS {
			m[old.TS[i]] = row{old.TS[i], old.Open[i], old.High[i], old.Low[i], old.Close[i], old.Volume[i], old.VWAP[i]}
		}
	}
	for i := range b.TS {
		m[b.TS[i]] = row{b.TS[i], b.Open[i], b.High[i], b.Low[i], b.Close[i], b.Volume[i], b.VWAP[i]}
	}
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := market.NewBars(b.Ticker, b.Timeframe, b.Source, len(keys))
	for _, k := range keys {
		r := m[k]
		out.Append(r.ts, r.o, r.h, r.l, r.c, r.v, r.vw)
	}
	s.bars[key] = out
}

// sharedCacheDir is the real sample data folder, relative to this package; it
// sits beside the repository and is absent from a plain clone.
var sharedCacheDir = filepath.Join("..", "..", "..", "shared", "data", "polygon-cache")

// sharedCache returns the real sample data folder, or skips a test that only
// makes sense on it.
func sharedCache(t testing.TB) string {
	if _, err := os.Stat(sharedCacheDir); err != nil {
		t.Skip("shared sample data not present")
	}
	return sharedCacheDir
}

// fixture is one market a builder test runs on: the demo market always, the
// real sample files as an extra case when they are present.
type fixture struct {
	name string
	src  *memSource
	real bool
}

// fixtures lists the markets a builder test runs on.
func fixtures(t testing.TB) []fixture {
	out := []fixture{{name: "demo", src: demoSPY(t)}}
	if _, err := os.Stat(sharedCacheDir); err == nil {
		out = append(out, fixture{name: "real", src: loadRealSPY(t), real: true})
	}
	return out
}

// The demo fixture covers the real sample files' dates: hourly, daily and
// minute bars of SPY from 2024-05-01 (enough warm-up sessions) to 2024-07-05,
// with 0DTE option minute bars and intraday chains from 2024-07-01, so the
// 2024-07-03 half day and the 2024-07-04 holiday are in it.
var (
	demoOnce sync.Once
	demoSrc  *memSource
	demoErr  error
)

func demoSPY(t testing.TB) *memSource {
	t.Helper()
	demoOnce.Do(func() {
		cfg := market.DefaultDemoConfig(market.DemoSeed)
		cfg.Start, cfg.End, cfg.OptionsFrom = "2024-05-01", "2024-07-05", "2024-07-01"
		cfg.Tickers = cfg.Tickers[:1] // SPY
		w := &memWriter{src: newMemSource()}
		_, demoErr = market.SeedDemo(context.Background(), w, cfg)
		demoSrc = w.src
	})
	if demoErr != nil {
		t.Fatalf("demo market: %v", demoErr)
	}
	return demoSrc
}

// memWriter is the market.Store the demo generator writes into; only the write
// methods are called (the generator writes tickers concurrently).
type memWriter struct {
	market.Store
	mu  sync.Mutex
	src *memSource
}

func (w *memWriter) WriteBars(_ context.Context, b *market.Bars) (market.WriteStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.src.addBars(b)
	return market.WriteStats{Added: b.Len()}, nil
}

func (w *memWriter) WriteOptionBars(_ context.Context, ob *market.OptionBars) (market.WriteStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	dst := w.src.opts[ob.Underlying]
	if dst == nil {
		dst = &market.OptionBars{Underlying: ob.Underlying, Source: ob.Source}
		w.src.opts[ob.Underlying] = dst
	}
	for i := 0; i < ob.Len(); i++ {
		dst.AppendFrom(ob, i)
	}
	return market.WriteStats{Added: ob.Len()}, nil
}

func (w *memWriter) WriteChain(_ context.Context, c *market.Chain) (market.WriteStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	dst := w.src.chains[c.Underlying]
	if dst == nil {
		dst = &market.Chain{Underlying: c.Underlying, Source: c.Source}
		w.src.chains[c.Underlying] = dst
	}
	for i := 0; i < c.Len(); i++ {
		dst.Append(c.Row(i))
	}
	return market.WriteStats{Added: c.Len()}, nil
}

// barClose is the close of the bar of ticker/tf that starts at ts.
func (s *memSource) barClose(t testing.TB, ticker, tf string, ts int64) float64 {
	t.Helper()
	b := s.bars[ticker+"|"+tf]
	if b != nil {
		for i := range b.TS {
			if b.TS[i] == ts {
				return b.Close[i]
			}
		}
	}
	t.Fatalf("no %s %s bar at %d", ticker, tf, ts)
	return math.NaN()
}

// loadRealSPY reads the Polygon cache JSON files with a minimal parser of its
// own (independent of the market importer, so the builder is checked against
// the raw files).
func loadRealSPY(t testing.TB) *memSource {
	dir := sharedCache(t)
	s := newMemSource()
	for _, f := range []string{"SPY_hour_2024-06-25_2024-07-05.json", "SPY_hour_2024-07-01_2024-07-03.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Date                           string
			Open, High, Low, Close, Volume float64
			VWAP                           *float64 `json:"vwap"`
		}
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		b := market.NewBars("SPY", market.TF1h, market.SourceFile, len(rows))
		for _, r := range rows {
			ts, err := time.Parse("2006-01-02 15:04:05-07:00", r.Date)
			if err != nil {
				t.Fatal(err)
			}
			vw := math.NaN()
			if r.VWAP != nil {
				vw = *r.VWAP
			}
			b.Append(ts.UnixMilli(), r.Open, r.High, r.Low, r.Close, r.Volume, vw)
		}
		s.addBars(b)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "O_SPY*.json"))
	ob := &market.OptionBars{Underlying: "SPY", Source: market.SourceFile}
	for _, f := range files {
		base := filepath.Base(f)
		sym := "O:" + strings.Split(strings.TrimPrefix(base, "O_"), "_")[0]
		c, err := market.ParseOCC(sym)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Timestamp                            string
			Open, High, Low, Close, Volume, VWAP float64
		}
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			ts, err := time.Parse("2006-01-02 15:04:05-07:00", r.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			ob.Append(c, ts.UnixMilli(), r.Open, r.High, r.Low, r.Close, r.Volume, r.VWAP)
		}
	}
	s.opts["SPY"] = ob
	return s
}
