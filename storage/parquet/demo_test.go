package parquet

import (
	"bytes"
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"sigmalab/engine/market"
)

// smallDemo is a short demo range that keeps unit tests fast; the full default range is
// seeded in TestSeedDefaultDemo (skipped with -short).
func smallDemo(seed uint64) market.DemoConfig {
	cfg := market.DefaultDemoConfig(seed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-06-03", "2024-07-31", "2024-07-01"
	return cfg
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDemoByteIdentical(t *testing.T) {
	ctx := context.Background()
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []struct {
		dir  string
		seed uint64
	}{{a, 7}, {b, 7}, {c, 8}} {
		cfg := smallDemo(d.seed)
		cfg.Start, cfg.End, cfg.OptionsFrom = "2024-06-24", "2024-07-12", "2024-07-08"
		procs := runtime.GOMAXPROCS(0)
		if d.dir == b {
			// The same seed on one core must give the same bytes as on all cores.
			runtime.GOMAXPROCS(1)
		}
		_, err := market.SeedDemo(ctx, NewMarketStore(d.dir), cfg)
		runtime.GOMAXPROCS(procs)
		if err != nil {
			t.Fatal(err)
		}
	}
	ta, tb, tc := readTree(t, a), readTree(t, b), readTree(t, c)
	if len(ta) == 0 || len(ta) != len(tb) {
		t.Fatalf("file counts %d vs %d", len(ta), len(tb))
	}
	differ := 0
	for k, v := range ta {
		if !bytes.Equal(v, tb[k]) {
			t.Fatalf("%s differs between two runs of the same seed", k)
		}
		if !bytes.Equal(v, tc[k]) {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("a different seed produced identical files")
	}
}

func TestDemoMarketShape(t *testing.T) {
	ctx := context.Background()
	st := NewMarketStore(t.TempDir())
	cfg := smallDemo(market.DemoSeed)
	sum, err := market.SeedDemo(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Tickers) != 3 || sum.Start != "2024-06-03" || sum.End != "2024-07-31" {
		t.Fatalf("summary %+v", sum)
	}
	sess, _ := market.Sessions(cfg.Start, cfg.End)
	m1, _ := st.ReadBars(ctx, "SPY", market.TF1m, 0, 0)
	h1, _ := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	d1, _ := st.ReadBars(ctx, "SPY", market.TF1d, 0, 0)
	if d1.Len() != len(sess) || m1.Source != market.SourceDemo {
		t.Fatalf("daily %d want %d (source %q)", d1.Len(), len(sess), m1.Source)
	}
	// 2024-07-03 is a half day: 210 regular minutes and hourly bars 04..16 ET.
	want := 0
	for _, s := range sess {
		want += int((s.Close - s.Open) / 60000)
	}
	if m1.Len() != want {
		t.Fatalf("1m rows %d want %d", m1.Len(), want)
	}
	var half, full int
	for _, ts := range h1.TS {
		switch market.SessionDate(ts) {
		case "2024-07-03":
			half++
		case "2024-07-02":
			full++
		}
	}
	if half != 13 || full != 16 {
		t.Fatalf("hourly bars: half day %d (want 13), full day %d (want 16)", half, full)
	}
	if err := m1.Validate(); err != nil {
		t.Fatal(err)
	}
	// U-shaped volume: the first and last 15 minutes trade more than midday.
	var open, mid, last float64
	for i, ts := range m1.TS {
		switch m := market.MinuteOfDayET(ts); {
		case m < 9*60+45:
			open += m1.Volume[i]
		case m >= 12*60 && m < 12*60+15:
			mid += m1.Volume[i]
		case m >= 15*60+45 && m < 16*60:
			last += m1.Volume[i]
		}
	}
	if !(open > 1.5*mid && last > 1.5*mid) {
		t.Fatalf("volume not U-shaped: open %.0f mid %.0f last %.0f", open, mid, last)
	}
	// 0DTE options every session from OptionsFrom, ±15 strikes around round(prev close).
	ob, err := st.ReadOptionBars(ctx, "SPY", "2024-07-02")
	if err != nil || ob.Len() == 0 {
		t.Fatalf("options: %v", err)
	}
	prev := d1.Close[0]
	for i, ts := range d1.TS {
		if market.SessionDate(ts) == "2024-07-01" {
			prev = d1.Close[i]
		}
	}
	anchor := math.Round(prev)
	byDist := map[int]float64{}
	for i := range ob.TS {
		d := int(ob.Strike[i] - anchor)
		if d < -15 || d > 15 || ob.Expiry[i] != "2024-07-02" {
			t.Fatalf("contract %s outside anchor±15 or not 0DTE", ob.Symbol[i])
		}
		byDist[d] += ob.Volume[i]
	}
	if !(byDist[0] > 5*byDist[12] && byDist[0] > 5*byDist[-12]) {
		t.Fatalf("volume not concentrated near the money: %v", byDist)
	}
	exp, _ := st.Expirations(ctx, "SPY")
	if len(exp) < 20 {
		t.Fatalf("expirations %v", exp)
	}
	ch, err := st.ReadChains(ctx, "SPY", 0, 0)
	if err != nil || ch.Len() == 0 {
		t.Fatalf("chains: %v", err)
	}
	for i := 0; i < ch.Len(); i++ {
		if !(ch.Bid[i] <= ch.Ask[i] && ch.IV[i] > 0 && ch.OpenInterest[i] >= 0) {
			t.Fatalf("bad chain row %+v", ch.Row(i))
		}
		if ch.Type[i] == 'C' && ch.Delta[i] < 0 || ch.Type[i] == 'P' && ch.Delta[i] > 0 {
			t.Fatalf("delta sign %+v", ch.Row(i))
		}
	}
	aapl, _ := st.ReadOptionBars(ctx, "AAPL", "2024-07-02")
	if aapl.Len() != 0 {
		t.Fatal("stocks get no option minute bars")
	}
}
