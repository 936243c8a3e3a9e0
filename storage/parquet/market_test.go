package parquet

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"sigmalab/engine/market"
)

// sharedCache locates the shared Polygon cache samples relative to this package
// (repo/storage/parquet → ../shared/data/polygon-cache beside the repo); ok is
// false on a clone without them, where the import tests run on demo files only.
func sharedCache() (dir string, ok bool) {
	_, file, _, _ := runtime.Caller(0)
	dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data", "polygon-cache")
	_, err := os.Stat(dir)
	return dir, err == nil
}

func newTestImporter(t testing.TB) (*MarketStore, *market.Importer) {
	st := NewMarketStore(filepath.Join(t.TempDir(), "market"))
	return st, &market.Importer{Store: st, OpenParquet: OpenTable}
}

// importSharedHourly checks the import of the real hourly sample files in dir.
func importSharedHourly(t *testing.T, dir string) {
	st, im := newTestImporter(t)
	ctx := context.Background()
	want := map[string]int{
		"SPY_hour_2023-01-01_2023-06-30.json": 930,
		"SPY_hour_2024-06-01_2024-06-15.json": 161,
		"SPY_hour_2024-06-25_2024-07-05.json": 123,
		"SPY_hour_2024-07-01_2024-07-03.json": 43,
	}
	for f, n := range want {
		p, rej, err := im.ParseFile(filepath.Join(dir, f), f, market.ImportOptions{})
		if err != nil || len(rej) > 0 {
			t.Fatalf("%s: err=%v rejects=%v", f, err, rej)
		}
		if len(p.Bars) != 1 || p.Bars[0].Len() != n || p.Bars[0].Timeframe != market.TF1h || p.Bars[0].Ticker != "SPY" {
			t.Fatalf("%s: got %d series, want 1 of %d hourly rows", f, len(p.Bars), n)
		}
	}
	// Winter file (EST, UTC−5): the first bar is 2023-01-03 09:00 UTC = 04:00 ET and the
	// last one 2023-03-28 09:00 UTC = 05:00 EDT, after the March DST switch.
	winter, _, _ := im.ParseFile(filepath.Join(dir, "SPY_hour_2023-01-01_2023-06-30.json"), "SPY_hour_2023-01-01_2023-06-30.json", market.ImportOptions{})
	w := winter.Bars[0]
	if market.SessionDate(w.TS[0]) != "2023-01-03" || market.HourET(w.TS[0]) != 4 ||
		market.SessionDate(w.TS[w.Len()-1]) != "2023-03-28" || market.HourET(w.TS[w.Len()-1]) != 5 {
		t.Fatalf("winter file ET hours: first %s h%d, last %s h%d", market.SessionDate(w.TS[0]), market.HourET(w.TS[0]),
			market.SessionDate(w.TS[w.Len()-1]), market.HourET(w.TS[w.Len()-1]))
	}
	files := []string{"SPY_hour_2024-06-25_2024-07-05.json", "SPY_hour_2024-07-01_2024-07-03.json"}
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(dir, f))
	}
	res, err := im.ImportPaths(ctx, paths, market.ImportOptions{})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("import: %v %v", err, res.Rejected)
	}
	// The second file overlaps the first entirely: 123 new rows, 43 replaced.
	if res.Added != 123 || res.Replaced != 43 {
		t.Fatalf("added/replaced = %d/%d, want 123/43", res.Added, res.Replaced)
	}
	again, err := im.ImportPaths(ctx, paths, market.ImportOptions{})
	if err != nil || again.Added != 0 || again.Replaced != 166 {
		t.Fatalf("re-import: added %d replaced %d err %v, want 0/166", again.Added, again.Replaced, err)
	}
	b, err := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	if err != nil || b.Len() != 123 {
		t.Fatalf("read: %d rows, %v", b.Len(), err)
	}
	// 2024-07-01 08:00 UTC is 04:00 ET (EDT); the 13:00 UTC bar is the h9 bar whose close is 544.77.
	for i, ts := range b.TS {
		if market.SessionDate(ts) == "2024-07-01" && market.HourET(ts) == 9 {
			if b.Close[i] != 544.77 {
				t.Fatalf("2024-07-01 h9 close = %v, want 544.77", b.Close[i])
			}
		}
		if h := market.HourET(ts); h < 4 || h > 19 {
			t.Fatalf("ET hour %d outside 4..19", h)
		}
	}
	if h := market.HourET(b.TS[0]); h != 4 || market.SessionDate(b.TS[0]) != "2024-06-25" {
		t.Fatalf("first bar %s h%d", market.SessionDate(b.TS[0]), h)
	}
	cov, err := st.Coverage(ctx)
	if err != nil || len(cov) != 1 || cov[0].Rows != 123 || cov[0].Source != market.SourceFile || cov[0].Start != "2024-06-25" || cov[0].End != "2024-07-05" {
		t.Fatalf("coverage %+v %v", cov, err)
	}
}

// importSharedOptions checks the import of the real 0DTE option sample files in dir.
func importSharedOptions(t *testing.T, dir string) {
	st, im := newTestImporter(t)
	ctx := context.Background()
	ents, _ := os.ReadDir(dir)
	var paths []string
	for _, e := range ents {
		if e.Name()[0] == 'O' {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	if len(paths) != 90 {
		t.Fatalf("want 90 option files, found %d", len(paths))
	}
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
		// 2024-07-03 is a half day: stocks close at 13:00 ET, SPY options trade to 13:15.
		if m := market.MinuteOfDayET(ts); m < 9*60+30 || m >= 13*60+15 {
			t.Fatalf("07-03 bar at ET minute %d outside 09:30–13:15", m)
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
	one, err := st.ReadContractBars(ctx, "O:SPY240701C00545000", 0, 0)
	if err != nil || one.Len() == 0 || one.Strike[0] != 545 || one.Type[0] != 'C' {
		t.Fatalf("contract read: %v", err)
	}
	for _, ts := range one.TS {
		if market.SessionDate(ts) != "2024-07-01" {
			t.Fatal("contract bars leak other sessions")
		}
	}
	again, err := im.ImportPaths(ctx, paths, market.ImportOptions{})
	if err != nil || again.Added != 0 || again.Replaced != res.Added {
		t.Fatalf("re-import: %+v %v", again, err)
	}
}
