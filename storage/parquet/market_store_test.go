package parquet

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// minuteBars makes n regular-hours minute bars from the first session on or after start.
func minuteBars(t testing.TB, ticker, start string, n int) *market.Bars {
	t.Helper()
	sess, err := market.Sessions(start, "2035-12-31")
	if err != nil {
		t.Fatal(err)
	}
	b := market.NewBars(ticker, market.TF1m, market.SourceFile, n)
	// A seeded random walk in cents with random wicks and volumes: as incompressible as
	// real minute bars, so the Parquet/CSV size ratio of the benchmark is honest.
	rng := rand.New(rand.NewPCG(1, 2))
	p := 100.0
	for _, s := range sess {
		for ts := s.Open; ts < s.Close && b.Len() < n; ts += 60_000 {
			o := p
			p = math.Max(1, p*math.Exp(0.0008*rng.NormFloat64()))
			hi := math.Max(o, p) * (1 + 0.0004*math.Abs(rng.NormFloat64()))
			lo := math.Min(o, p) * (1 - 0.0004*math.Abs(rng.NormFloat64()))
			b.Append(ts, round(o), math.Ceil(hi*100)/100, math.Floor(lo*100)/100, round(p), math.Round(1000*math.Exp(rng.NormFloat64())), math.NaN())
		}
		if b.Len() == n {
			break
		}
	}
	return b
}

func round(x float64) float64 { return math.Round(x*100) / 100 }

func TestStoreMergeRangeAndScan(t *testing.T) {
	ctx := context.Background()
	st := NewMarketStore(t.TempDir())
	b := minuteBars(t, "TEST", "2024-01-02", 390*45) // ~2 months
	ws, err := st.WriteBars(ctx, b)
	if err != nil || ws.Added != b.Len() || ws.Replaced != 0 {
		t.Fatalf("write %+v %v", ws, err)
	}
	// Overwrite a slice in the middle: replaced, not added; values updated.
	mid := b.Slice(b.TS[1000], b.TS[1100])
	mod := market.NewBars("TEST", market.TF1m, market.SourceFile, 100)
	for i := 0; i < mid.Len(); i++ {
		mod.Append(mid.TS[i], mid.Open[i], mid.High[i]+1, mid.Low[i], mid.Close[i], 7, 1.5)
	}
	ws, err = st.WriteBars(ctx, mod)
	if err != nil || ws.Added != 0 || ws.Replaced != 100 {
		t.Fatalf("rewrite %+v %v", ws, err)
	}
	all, err := st.ReadBars(ctx, "TEST", market.TF1m, 0, 0)
	if err != nil || all.Len() != b.Len() || all.Volume[1000] != 7 || all.VWAP[1050] != 1.5 || !math.IsNaN(all.VWAP[0]) {
		t.Fatalf("read all: %d %v", all.Len(), err)
	}
	// A range inside January reads exactly [from, to).
	from, to := b.TS[500], b.TS[900]
	r, _ := st.ReadBars(ctx, "TEST", market.TF1m, from, to)
	if r.Len() != 400 || r.TS[0] != from || r.TS[r.Len()-1] != b.TS[899] {
		t.Fatalf("range read %d", r.Len())
	}
	chunks := 0
	_ = st.ScanBars(ctx, "TEST", market.TF1m, 0, 0, func(c *market.Bars) error { chunks++; return nil })
	if chunks != 3 { // Jan, Feb, Mar partitions
		t.Fatalf("scan chunks %d", chunks)
	}
	// Reads touch only overlapping partitions: a broken March file does not affect January reads.
	if err := os.WriteFile(filepath.Join(st.Root(), "bars", "ticker=TEST", "timeframe=1m", "2024-03.parquet"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReadBars(ctx, "TEST", market.TF1m, from, to); err != nil {
		t.Fatalf("january read touched march: %v", err)
	}
	if _, err := st.ReadBars(ctx, "TEST", market.TF1m, 0, 0); err == nil {
		t.Fatal("a corrupt partition must surface on a read that needs it")
	}
	none, err := st.ReadBars(ctx, "NONE", market.TF1h, 0, 0)
	if err != nil || none.Len() != 0 {
		t.Fatal("missing series is empty")
	}
	if _, err := st.ReadBars(ctx, "../x", market.TF1h, 0, 0); !errors.Is(err, errs.ErrInvalid) {
		t.Fatal("bad ticker must be ErrInvalid")
	}
}

func TestStoreDemoRealSeparation(t *testing.T) {
	ctx := context.Background()
	st := NewMarketStore(t.TempDir())
	cfg := market.DefaultDemoConfig(1)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-07-10", "2024-07-08"
	if _, err := market.SeedDemo(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	real := minuteBars(t, "SPY", "2024-07-01", 100)
	if _, err := st.WriteBars(ctx, real); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("real over demo must conflict, got %v", err)
	}
	n, err := st.DeleteSource(ctx, "SPY", market.SourceDemo)
	if err != nil || n == 0 {
		t.Fatalf("delete demo: %d %v", n, err)
	}
	if _, err := st.WriteBars(ctx, real); err != nil {
		t.Fatal(err)
	}
	cov, _ := st.Coverage(ctx)
	for _, c := range cov {
		if c.Ticker == "SPY" && (c.Source != market.SourceFile || c.Kind != market.KindBars) {
			t.Fatalf("SPY demo leftovers: %+v", c)
		}
	}
	// Real sources may replace each other's rows.
	real.Source = market.SourcePolygon
	if ws, err := st.WriteBars(ctx, real); err != nil || ws.Replaced != 100 {
		t.Fatalf("polygon over file: %+v %v", ws, err)
	}
}

func TestImportBadFileChangesNothing(t *testing.T) {
	ctx := context.Background()
	st, im := newTestImporter(t)
	dir := t.TempDir()
	good := "timestamp,open,high,low,close,volume\n2024-07-01 09:30:00-04:00,1,2,0.5,1.5,10\n2024-07-01 09:31:00-04:00,1,2,0.5,1.5,10\n"
	bad := good + "2024-07-01 09:32:00-04:00,1,2,0.5,1.5,-10\n"
	os.WriteFile(filepath.Join(dir, "QQQ_a.csv"), []byte(bad), 0o644)
	res, err := im.ImportPaths(ctx, []string{filepath.Join(dir, "QQQ_a.csv")}, market.ImportOptions{})
	if err != nil || res.Added != 0 || len(res.Rejected) != 1 || res.Rejected[0].Line != 4 {
		t.Fatalf("%+v %v", res, err)
	}
	if !st.IsEmpty() {
		t.Fatal("a file with a bad row must write nothing")
	}
	res, err = im.ImportPaths(ctx, []string{filepath.Join(dir, "QQQ_a.csv")}, market.ImportOptions{Partial: true})
	if err != nil || res.Added != 2 || len(res.Rejected) != 1 {
		t.Fatalf("partial: %+v %v", res, err)
	}
	// A demo ticker keeps its demo data when the real file is refused.
	st2, im2 := newTestImporter(t)
	cfg := market.DefaultDemoConfig(1)
	cfg.Start, cfg.End, cfg.OptionsFrom, cfg.Tickers = "2024-07-01", "2024-07-03", "2024-07-03", cfg.Tickers[:1]
	if _, err := market.SeedDemo(ctx, st2, cfg); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "SPY_b.csv"), []byte(strings.Replace(bad, "QQQ", "SPY", 1)), 0o644)
	res, _ = im2.ImportPaths(ctx, []string{filepath.Join(dir, "SPY_b.csv")}, market.ImportOptions{})
	cov, _ := st2.Coverage(ctx)
	if res.DemoRemoved != 0 || len(cov) == 0 || cov[0].Source != market.SourceDemo {
		t.Fatalf("refused file removed demo data: %+v %+v", res, cov)
	}
}

func TestImportParquetFile(t *testing.T) {
	ctx := context.Background()
	st, im := newTestImporter(t)
	type row struct {
		Timestamp int64   `parquet:"timestamp,timestamp(microsecond)"`
		Open      float64 `parquet:"Open"`
		High      float64 `parquet:"High"`
		Low       float64 `parquet:"Low"`
		Close     float64 `parquet:"Close"`
		Volume    int64   `parquet:"Volume"`
		Symbol    string  `parquet:"symbol"`
	}
	rows := []row{
		{1719838800000000, 1, 2, 0.5, 1.5, 10, "dia"},
		{1719842400000000, 1.5, 2, 1, 1.8, 20, "dia"},
		{1719846000000000, 1.8, 1.7, 1, 1.8, 20, "dia"}, // high < open: rejected
	}
	path := filepath.Join(t.TempDir(), "bars.parquet")
	if err := pq.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	res, err := im.ImportPaths(ctx, []string{path}, market.ImportOptions{Partial: true})
	if err != nil || res.Added != 2 || len(res.Rejected) != 1 || res.Rejected[0].Line != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	b, _ := st.ReadBars(ctx, "DIA", market.TF1h, 0, 0)
	if b.Len() != 2 || b.TS[0] != 1719838800000 || b.Volume[1] != 20 {
		t.Fatalf("read back %+v", b)
	}
	if _, _, err := OpenTable(filepath.Join(t.TempDir(), "missing.parquet")); err == nil {
		t.Fatal("missing file")
	}
}
