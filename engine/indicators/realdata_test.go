package indicators

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigmalab/engine/market"
	"sigmalab/engine/options"
)

// sharedCacheDir holds the real sample files beside the repository; a plain
// clone has none, and the tests below then run on the demo market alone.
var sharedCacheDir = filepath.Join("..", "..", "..", "shared", "data", "polygon-cache")

// loadPolygonHourly reads a Polygon hourly cache file of the shared sample
// data; ok is false when the file is absent.
func loadPolygonHourly(t *testing.T, name string) (f *Frame, ok bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(sharedCacheDir, name))
	if err != nil {
		return nil, false
	}
	var rows []struct {
		Date                           string
		Open, High, Low, Close, Volume float64
		VWAP                           *float64 `json:"vwap"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	f = &Frame{Ticker: "SPY", BarMs: 3600000}
	for _, r := range rows {
		ts, err := time.Parse("2006-01-02 15:04:05-07:00", r.Date)
		if err != nil {
			t.Fatal(err)
		}
		f.TS = append(f.TS, ts.UnixMilli())
		f.Open = append(f.Open, r.Open)
		f.High = append(f.High, r.High)
		f.Low = append(f.Low, r.Low)
		f.Close = append(f.Close, r.Close)
		f.Volume = append(f.Volume, r.Volume)
		v := math.NaN()
		if r.VWAP != nil {
			v = *r.VWAP
		}
		f.VWAP = append(f.VWAP, v)
	}
	return f, true
}

// The demo market (the project's generator) of SPY from 2024-05-01 to
// 2024-07-05, with 0DTE option minute bars from 2024-07-01: the dates of the
// real sample files, so every test below runs on it and, when the files are
// there, on them too.
var (
	demoOnce sync.Once
	demoMkt  *demoWriter
	demoErr  error
)

func demoSPY(t *testing.T) *demoWriter {
	t.Helper()
	demoOnce.Do(func() {
		cfg := market.DefaultDemoConfig(market.DemoSeed)
		cfg.Tickers = cfg.Tickers[:1] // SPY
		cfg.Start, cfg.End, cfg.OptionsFrom = "2024-05-01", "2024-07-05", "2024-07-01"
		demoMkt = &demoWriter{bars: map[string]*market.Bars{}, opts: &market.OptionBars{Underlying: "SPY"}}
		_, demoErr = market.SeedDemo(context.Background(), demoMkt, cfg)
	})
	if demoErr != nil {
		t.Fatalf("demo market: %v", demoErr)
	}
	return demoMkt
}

// demoWriter keeps what the demo generator writes (only the write methods are
// called; the generator writes series concurrently).
type demoWriter struct {
	market.Store
	mu   sync.Mutex
	bars map[string]*market.Bars // by timeframe; one ticker
	opts *market.OptionBars
}

func (w *demoWriter) WriteBars(_ context.Context, b *market.Bars) (market.WriteStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bars[b.Timeframe] = b
	return market.WriteStats{Added: b.Len()}, nil
}

func (w *demoWriter) WriteOptionBars(_ context.Context, ob *market.OptionBars) (market.WriteStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := 0; i < ob.Len(); i++ {
		w.opts.AppendFrom(ob, i)
	}
	return market.WriteStats{Added: ob.Len()}, nil
}

func (w *demoWriter) WriteChain(context.Context, *market.Chain) (market.WriteStats, error) {
	return market.WriteStats{}, nil
}

// hourly is the demo's hourly SPY frame of the sessions from..to (inclusive).
func (w *demoWriter) hourly(t *testing.T, from, to string) *Frame {
	t.Helper()
	b := w.bars[market.TF1h]
	lo, err1 := market.ETMillis(from, 0, 0)
	hi, err2 := market.ETMillis(to, 23, 59)
	if b == nil || err1 != nil || err2 != nil {
		t.Fatalf("demo hourly bars %s..%s", from, to)
	}
	s := b.Slice(lo, hi)
	return &Frame{Ticker: "SPY", BarMs: 3600000, TS: s.TS, Open: s.Open, High: s.High, Low: s.Low, Close: s.Close,
		Volume: s.Volume, VWAP: s.VWAP}
}

// OptionBars serves the demo's option minute bars of one contract; Bars and
// Chains have nothing (as with the sample files).
func (w *demoWriter) OptionBars(_ context.Context, c options.ContractRef, from, to int64) (*Frame, error) {
	sym := c.OCC()
	f := &Frame{}
	ob := w.opts
	for i := 0; i < ob.Len(); i++ {
		if ob.Symbol[i] == sym && ob.TS[i] >= from && ob.TS[i] < to {
			f.TS = append(f.TS, ob.TS[i])
			f.Open = append(f.Open, ob.Open[i])
			f.High = append(f.High, ob.High[i])
			f.Low = append(f.Low, ob.Low[i])
			f.Close = append(f.Close, ob.Close[i])
			f.Volume = append(f.Volume, ob.Volume[i])
			f.VWAP = append(f.VWAP, ob.VWAP[i])
		}
	}
	return f, nil
}

func (w *demoWriter) Bars(context.Context, string, string, int64, int64) (*Frame, error) {
	return &Frame{}, nil
}

func (w *demoWriter) Chains(context.Context, string, int64, string, string) ([]options.Chain, error) {
	return nil, nil
}

// TestSPYHourly runs every frame indicator on SPY hourly bars with extended
// hours and real timestamps (the demo market's, and the real sample file's
// when present) and checks ranges and session facts.
func TestSPYHourly(t *testing.T) {
	frames := map[string]*Frame{"demo": demoSPY(t).hourly(t, "2024-06-03", "2024-06-14")}
	if f, ok := loadPolygonHourly(t, "SPY_hour_2024-06-01_2024-06-15.json"); ok {
		frames["real"] = f
	}
	for name, f := range frames {
		t.Run(name, func(t *testing.T) { testSPYHourly(t, f) })
	}
}

func testSPYHourly(t *testing.T, f *Frame) {
	ctx := context.Background()
	for _, name := range frameOnly() {
		if _, err := Compute(ctx, name, nil, f, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	g := runInd(t, f, "hour_of_day", nil)["hour_of_day"]
	// 2024-06-03 08:00 UTC is 04:00 EDT: the first pre-market bar
	if g[0] != 4 {
		t.Fatalf("first hour %v", g[0])
	}
	for i, h := range g {
		if h < 4 || h > 20 { // extended hours 04:00–20:00 ET (a stray 20:00 print exists)
			t.Fatalf("row %d hour %v outside 4..20", i, h)
		}
	}
	pos := runInd(t, f, "day_range_pos", nil)["day_range_pos"]
	for i, p := range pos {
		if !math.IsNaN(p) && (p < 0 || p > 1) {
			t.Fatalf("day_range_pos row %d = %v", i, p)
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range f.TS {
		lo, hi = math.Min(lo, f.Low[i]), math.Max(hi, f.High[i])
	}
	vw := runInd(t, f, "intraday_vwap", nil)["vwap_intraday"]
	for i := range vw {
		if vw[i] < lo || vw[i] > hi {
			t.Fatalf("vwap row %d = %v outside the bars' range %v..%v", i, vw[i], lo, hi)
		}
	}
	rl := runInd(t, f, "rsi_last_hour", nil)["rsi_last_hour_7"]
	n := 0
	for i, v := range rl {
		if !math.IsNaN(v) {
			n++
			if h := time.UnixMilli(f.TS[i]).In(nyc).Hour(); h != 15 {
				t.Fatalf("rsi_last_hour on hour %d", h)
			}
		}
	}
	if n < 8 { // ten sessions, one 15:00 bar each (after the RSI warm-up)
		t.Fatalf("rsi_last_hour has %d values", n)
	}
	r := runInd(t, f, "rsi", nil)["rsi_14"]
	for _, v := range r {
		if !math.IsNaN(v) && (v < 0 || v > 100) {
			t.Fatalf("rsi %v", v)
		}
	}
}

// fileOptions serves real 0DTE option minute bars from the sample cache.
type fileOptions struct{ dir string }

func (s fileOptions) Bars(context.Context, string, string, int64, int64) (*Frame, error) {
	return &Frame{}, nil
}

func (s fileOptions) Chains(context.Context, string, int64, string, string) ([]options.Chain, error) {
	return nil, nil
}

func (s fileOptions) OptionBars(_ context.Context, c options.ContractRef, from, to int64) (*Frame, error) {
	name := strings.TrimPrefix(c.OCC(), "O:")
	raw, err := os.ReadFile(filepath.Join(s.dir, "O_"+name+"_"+c.Expiry+".json"))
	if err != nil {
		return &Frame{}, nil // not stored
	}
	var rows []struct {
		Timestamp                      string
		Open, High, Low, Close, Volume float64
		VWAP                           float64 `json:"vwap"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, err
	}
	f := &Frame{}
	for _, r := range rows {
		ts, err := time.Parse("2006-01-02 15:04:05-07:00", r.Timestamp)
		if err != nil {
			return nil, err
		}
		if t := ts.UnixMilli(); t >= from && t < to {
			f.TS = append(f.TS, t)
			f.Open = append(f.Open, r.Open)
			f.High = append(f.High, r.High)
			f.Low = append(f.Low, r.Low)
			f.Close = append(f.Close, r.Close)
			f.Volume = append(f.Volume, r.Volume)
			f.VWAP = append(f.VWAP, r.VWAP)
		}
	}
	return f, nil
}

// TestZeroDTEImpliedVols solves IVs from SPY 0DTE option bars (the demo
// market's, and the real sample files of 2024-07-01..03 when present) through
// the option-bar indicators: the values must be those of an index-ETF smile
// (ATM IV a few tens of percent at most), on days with option bars only.
func TestZeroDTEImpliedVols(t *testing.T) {
	demo := demoSPY(t)
	t.Run("demo", func(t *testing.T) {
		// The demo prices its 0DTE options on a trading-minute clock (252×390 minutes a
		// year) while the solver counts calendar time, so the IVs it reads are about
		// √(365·1440 / (252·390)) ≈ 2.3 times the generator's vol, more in the last
		// minutes before expiry: the demo gets a wider bound on the end-of-day IV.
		testZeroDTEImpliedVols(t, demo.hourly(t, "2024-06-25", "2024-07-05"), demo, "2024-07-01", "2024-07-05", 4)
	})
	if f, ok := loadPolygonHourly(t, "SPY_hour_2024-06-25_2024-07-05.json"); ok {
		t.Run("real", func(t *testing.T) {
			testZeroDTEImpliedVols(t, f, fileOptions{dir: sharedCacheDir}, "2024-07-01", "2024-07-03", 1.5)
		})
	}
}

func testZeroDTEImpliedVols(t *testing.T, f *Frame, src Source, firstOptions, lastOptions string, maxEODIV float64) {
	ctx := context.Background()
	cols, err := Compute(ctx, "iv_realized_spread", map[string]any{"iv_source": "bars", "window": 5}, f, src)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for i, v := range cols[0].Values {
		if math.IsNaN(v) {
			continue
		}
		seen++
		d := time.UnixMilli(f.TS[i]).In(nyc).Format("2006-01-02")
		if d < firstOptions || d > lastOptions {
			t.Fatalf("value on %s without option data", d)
		}
		if v < -1 || v > 1 {
			t.Fatalf("iv - rv = %v on %s", v, d)
		}
	}
	if seen == 0 {
		t.Fatal("no IV solved from the option bars")
	}
	eod, err := Compute(ctx, "atm_iv_eod", nil, f, src)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for i, v := range eod[0].Values {
		if !math.IsNaN(v) {
			got++
			if v < 0.01 || v > maxEODIV {
				t.Fatalf("atm_iv_eod row %d = %v", i, v)
			}
		}
	}
	if got == 0 {
		t.Fatal("no end-of-day IV")
	}
	t.Logf("%d rows with iv-rv, %d with atm_iv_eod; e.g. %v", seen, got, eod[0].Values[len(eod[0].Values)-1])
}
