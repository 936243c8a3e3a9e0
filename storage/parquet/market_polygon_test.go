package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigmalab/engine/market"
)

// The Polygon cache import tests run on files in the cache's own format that
// the test writes from the demo market (the project's generator), and on the
// real sample files beside the repository as an extra case when present.

func TestImportPolygonHourly(t *testing.T) {
	t.Run("demo", importDemoHourly)
	if dir, ok := sharedCache(); ok {
		t.Run("real", func(t *testing.T) { importSharedHourly(t, dir) })
	}
}

func TestImportPolygonOptions(t *testing.T) {
	t.Run("demo", importDemoOptions)
	if dir, ok := sharedCache(); ok {
		t.Run("real", func(t *testing.T) { importSharedOptions(t, dir) })
	}
}

// seedDemoSPY seeds the demo SPY market of [start, end] (0DTE option minute bars
// from optionsFrom) into a store under a temp dir.
func seedDemoSPY(t *testing.T, start, end, optionsFrom string) *MarketStore {
	t.Helper()
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Tickers = cfg.Tickers[:1] // SPY
	cfg.Start, cfg.End, cfg.OptionsFrom = start, end, optionsFrom
	st := NewMarketStore(filepath.Join(t.TempDir(), "demo"))
	if _, err := market.SeedDemo(context.Background(), st, cfg); err != nil {
		t.Fatal(err)
	}
	return st
}

// writePolygonHourly writes the hourly bars of b whose session date lies in
// [from, to] as a Polygon hourly cache file (UTC timestamps) and returns how
// many it wrote.
func writePolygonHourly(t *testing.T, path string, b *market.Bars, from, to string) int {
	t.Helper()
	var rows []string
	for i, ts := range b.TS {
		if d := market.SessionDate(ts); d < from || d > to {
			continue
		}
		rows = append(rows, fmt.Sprintf(`{"date": "%s", "open": %g, "high": %g, "low": %g, "close": %g, "volume": %g, "vwap": %g}`,
			time.UnixMilli(ts).UTC().Format("2006-01-02 15:04:05-07:00"), b.Open[i], b.High[i], b.Low[i], b.Close[i], b.Volume[i], b.VWAP[i]))
	}
	if err := os.WriteFile(path, []byte("["+strings.Join(rows, ", ")+"]"), 0o644); err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

func importDemoHourly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Winter into summer: the file's UTC hours must land on 04..19 ET on both sides of
	// the 2023-03-12 switch to daylight time.
	winterSrc := seedDemoSPY(t, "2023-01-03", "2023-03-31", "2023-03-31")
	wb, err := winterSrc.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	const winterName = "SPY_hour_2023-01-01_2023-03-28.json"
	nWinter := writePolygonHourly(t, filepath.Join(dir, winterName), wb, "2023-01-03", "2023-03-28")

	src := seedDemoSPY(t, "2024-06-24", "2024-07-05", "2024-07-05")
	hb, err := src.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int{
		winterName:                            nWinter,
		"SPY_hour_2024-06-25_2024-07-05.json": writePolygonHourly(t, filepath.Join(dir, "SPY_hour_2024-06-25_2024-07-05.json"), hb, "2024-06-25", "2024-07-05"),
		"SPY_hour_2024-07-01_2024-07-03.json": writePolygonHourly(t, filepath.Join(dir, "SPY_hour_2024-07-01_2024-07-03.json"), hb, "2024-07-01", "2024-07-03"),
	}
	st, im := newTestImporter(t)
	for f, n := range files {
		p, rej, err := im.ParseFile(filepath.Join(dir, f), f, market.ImportOptions{})
		if err != nil || len(rej) > 0 {
			t.Fatalf("%s: err=%v rejects=%v", f, err, rej)
		}
		if n == 0 || len(p.Bars) != 1 || p.Bars[0].Len() != n || p.Bars[0].Timeframe != market.TF1h || p.Bars[0].Ticker != "SPY" {
			t.Fatalf("%s: got %d series, want 1 of %d hourly rows", f, len(p.Bars), n)
		}
	}
	winter, _, _ := im.ParseFile(filepath.Join(dir, winterName), winterName, market.ImportOptions{})
	w := winter.Bars[0]
	if market.SessionDate(w.TS[0]) != "2023-01-03" || market.HourET(w.TS[0]) != 4 || market.SessionDate(w.TS[w.Len()-1]) != "2023-03-28" {
		t.Fatalf("winter file: first %s h%d, last %s", market.SessionDate(w.TS[0]), market.HourET(w.TS[0]), market.SessionDate(w.TS[w.Len()-1]))
	}
	for i, ts := range w.TS {
		if h := market.HourET(ts); h < 4 || h > 19 || ts != wb.TS[i] {
			t.Fatalf("winter bar %d: %s h%d (ts %d, demo %d)", i, market.SessionDate(ts), h, ts, wb.TS[i])
		}
	}

	long, short := files["SPY_hour_2024-06-25_2024-07-05.json"], files["SPY_hour_2024-07-01_2024-07-03.json"]
	paths := []string{filepath.Join(dir, "SPY_hour_2024-06-25_2024-07-05.json"), filepath.Join(dir, "SPY_hour_2024-07-01_2024-07-03.json")}
	res, err := im.ImportPaths(ctx, paths, market.ImportOptions{})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("import: %v %v", err, res.Rejected)
	}
	// The second file lies inside the first: every one of its rows replaces one.
	if res.Added != long || res.Replaced != short {
		t.Fatalf("added/replaced = %d/%d, want %d/%d", res.Added, res.Replaced, long, short)
	}
	again, err := im.ImportPaths(ctx, paths, market.ImportOptions{})
	if err != nil || again.Added != 0 || again.Replaced != long+short {
		t.Fatalf("re-import: added %d replaced %d err %v, want 0/%d", again.Added, again.Replaced, err, long+short)
	}
	b, err := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	if err != nil || b.Len() != long {
		t.Fatalf("read: %d rows, %v", b.Len(), err)
	}
	want := hb.Slice(b.TS[0], b.TS[b.Len()-1]+1)
	for i, ts := range b.TS {
		if ts != want.TS[i] || b.Close[i] != want.Close[i] || b.Volume[i] != want.Volume[i] {
			t.Fatalf("bar %d: %d close %v vol %v, demo %d close %v vol %v", i, ts, b.Close[i], b.Volume[i], want.TS[i], want.Close[i], want.Volume[i])
		}
		if h := market.HourET(ts); h < 4 || h > 19 {
			t.Fatalf("ET hour %d outside 4..19", h)
		}
	}
	if h := market.HourET(b.TS[0]); h != 4 || market.SessionDate(b.TS[0]) != "2024-06-25" {
		t.Fatalf("first bar %s h%d", market.SessionDate(b.TS[0]), h)
	}
	cov, err := st.Coverage(ctx)
	if err != nil || len(cov) != 1 || cov[0].Rows != int64(long) || cov[0].Source != market.SourceFile || cov[0].Start != "2024-06-25" || cov[0].End != "2024-07-05" {
		t.Fatalf("coverage %+v %v", cov, err)
	}
}

// writePolygonOptions writes the option minute bars of the 15 strikes nearest
// the middle of each session's strikes as Polygon cache files, one per contract
// and session (O_<OCC>_<date>.json, ET timestamps), and returns the paths.
func writePolygonOptions(t *testing.T, dir string, st *MarketStore, dates []string) []string {
	t.Helper()
	var paths []string
	for _, date := range dates {
		ob, err := st.ReadOptionBars(context.Background(), "SPY", date)
		if err != nil || ob.Len() == 0 {
			t.Fatalf("demo option bars %s: %d, %v", date, ob.Len(), err)
		}
		strikeSet := map[float64]bool{}
		for _, k := range ob.Strike {
			strikeSet[k] = true
		}
		strikes := make([]float64, 0, len(strikeSet))
		for k := range strikeSet {
			strikes = append(strikes, k)
		}
		sort.Float64s(strikes)
		mid := len(strikes) / 2
		keep := map[float64]bool{}
		for _, k := range strikes[max(0, mid-7):min(len(strikes), mid+8)] {
			keep[k] = true
		}
		rows := map[string][]string{}
		for i := range ob.TS {
			if !keep[ob.Strike[i]] {
				continue
			}
			rows[ob.Symbol[i]] = append(rows[ob.Symbol[i]], fmt.Sprintf(`{"timestamp": "%s", "open": %g, "high": %g, "low": %g, "close": %g, "volume": %g, "vwap": %g}`,
				market.TimeET(ob.TS[i]).Format("2006-01-02 15:04:05-07:00"), ob.Open[i], ob.High[i], ob.Low[i], ob.Close[i], ob.Volume[i], ob.VWAP[i]))
		}
		for sym, r := range rows {
			p := filepath.Join(dir, "O_"+strings.TrimPrefix(sym, "O:")+"_"+date+".json")
			if err := os.WriteFile(p, []byte("["+strings.Join(r, ", ")+"]"), 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	return paths
}

func importDemoOptions(t *testing.T) {
	ctx := context.Background()
	src := seedDemoSPY(t, "2024-06-24", "2024-07-05", "2024-07-01")
	paths := writePolygonOptions(t, t.TempDir(), src, []string{"2024-07-01", "2024-07-02", "2024-07-03"})
	if len(paths) != 90 {
		t.Fatalf("want 90 option files (15 strikes × call/put × 3 days), wrote %d", len(paths))
	}
	st, im := newTestImporter(t)
	res, err := im.ImportPaths(ctx, paths, market.ImportOptions{})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("import: %v %v", err, res.Rejected)
	}
	ob, err := st.ReadOptionBars(ctx, "SPY", "2024-07-03")
	if err != nil || ob.Len() == 0 {
		t.Fatalf("read 07-03: %v", err)
	}
	syms := map[string]bool{}
	for i, ts := range ob.TS {
		syms[ob.Symbol[i]] = true
		// 2024-07-03 is a half day: the demo's options trade until the 13:00 close.
		if m := market.MinuteOfDayET(ts); m < 9*60+30 || m >= 13*60 {
			t.Fatalf("07-03 bar at ET minute %d outside 09:30–13:00", m)
		}
		if ob.Expiry[i] != "2024-07-03" {
			t.Fatalf("expiry %s", ob.Expiry[i])
		}
	}
	if len(syms) != 30 {
		t.Fatalf("07-03 contracts = %d, want 30", len(syms))
	}
	exp, err := st.Expirations(ctx, "SPY")
	if err != nil || len(exp) != 3 || exp[0].Date != "2024-07-01" || exp[2].Date != "2024-07-03" || exp[0].Contracts != 30 || !exp[0].HasBars || exp[0].HasChain {
		t.Fatalf("expirations %v %v", exp, err)
	}
	sym := ob.Symbol[0]
	one, err := st.ReadContractBars(ctx, sym, 0, 0)
	want, _ := src.ReadContractBars(ctx, sym, 0, 0)
	if err != nil || one.Len() == 0 || one.Len() != want.Len() || one.Strike[0] != want.Strike[0] || one.Type[0] != want.Type[0] {
		t.Fatalf("contract %s read: %d bars (demo %d), %v", sym, one.Len(), want.Len(), err)
	}
	for i, ts := range one.TS {
		if market.SessionDate(ts) != "2024-07-03" || ts != want.TS[i] || one.VWAP[i] != want.VWAP[i] || one.Volume[i] != want.Volume[i] {
			t.Fatalf("contract %s bar %d differs from the demo's", sym, i)
		}
	}
	again, err := im.ImportPaths(ctx, paths, market.ImportOptions{})
	if err != nil || again.Added != 0 || again.Replaced != res.Added {
		t.Fatalf("re-import: %+v %v", again, err)
	}
}
