package indicators

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigmalab/engine/options"
)

// loadPolygonHourly reads a Polygon hourly cache file of the shared sample
// data (skipped when the folder is absent).
func loadPolygonHourly(t *testing.T, name string) *Frame {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", "polygon-cache", name)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("sample data not available: %v", err)
	}
	var rows []struct {
		Date                           string
		Open, High, Low, Close, Volume float64
		VWAP                           *float64 `json:"vwap"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	f := &Frame{Ticker: "SPY", BarMs: 3600000}
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
	return f
}

// TestRealSPYHourly runs every frame indicator on real SPY hourly bars
// (extended hours, real timestamps) and checks ranges and session facts.
func TestRealSPYHourly(t *testing.T) {
	f := loadPolygonHourly(t, "SPY_hour_2024-06-01_2024-06-15.json")
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
	vw := runInd(t, f, "intraday_vwap", nil)["vwap_intraday"]
	for i := range vw {
		if vw[i] < 500 || vw[i] > 560 {
			t.Fatalf("vwap row %d = %v", i, vw[i])
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

// TestRealZeroDTEImpliedVols solves IVs from real SPY 0DTE option bars
// (2024-07-01..03) through the option-bar indicators: the values must be
// those of a real index-ETF smile (ATM IV a few tens of percent at most).
func TestRealZeroDTEImpliedVols(t *testing.T) {
	f := loadPolygonHourly(t, "SPY_hour_2024-06-25_2024-07-05.json")
	src := fileOptions{dir: filepath.Join("..", "..", "..", "shared", "data", "polygon-cache")}
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
		if d < "2024-07-01" || d > "2024-07-03" {
			t.Fatalf("value on %s without option data", d)
		}
		if v < -1 || v > 1 {
			t.Fatalf("iv - rv = %v on %s", v, d)
		}
	}
	if seen == 0 {
		t.Fatal("no IV solved from the real option bars")
	}
	eod, err := Compute(ctx, "atm_iv_eod", nil, f, src)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for i, v := range eod[0].Values {
		if !math.IsNaN(v) {
			got++
			if v < 0.01 || v > 1.5 {
				t.Fatalf("atm_iv_eod row %d = %v", i, v)
			}
		}
	}
	if got == 0 {
		t.Fatal("no end-of-day IV")
	}
	t.Logf("%d rows with iv-rv, %d with atm_iv_eod; e.g. %v", seen, got, eod[0].Values[len(eod[0].Values)-1])
}
