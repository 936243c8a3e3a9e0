package parquet

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"sigmalab/engine/market"
)

// The row types of the layout before hive folders, as that code wrote them
// (struct schemas, every column required, NaN for absent values).
type oldBarRow struct {
	TS     int64   `parquet:"ts,timestamp(millisecond)"`
	Open   float64 `parquet:"open"`
	High   float64 `parquet:"high"`
	Low    float64 `parquet:"low"`
	Close  float64 `parquet:"close"`
	Volume float64 `parquet:"volume"`
	VWAP   float64 `parquet:"vwap"`
}

type oldOptionRow struct {
	Symbol string  `parquet:"symbol,dict"`
	TS     int64   `parquet:"ts,timestamp(millisecond)"`
	Open   float64 `parquet:"open"`
	High   float64 `parquet:"high"`
	Low    float64 `parquet:"low"`
	Close  float64 `parquet:"close"`
	Volume float64 `parquet:"volume"`
	VWAP   float64 `parquet:"vwap"`
}

type oldChainRow struct {
	SnapTS          int64   `parquet:"snapshot_ts,timestamp(millisecond)"`
	UnderlyingPrice float64 `parquet:"underlying_price"`
	Expiry          string  `parquet:"expiry,dict"`
	Type            string  `parquet:"type,dict"`
	Strike          float64 `parquet:"strike"`
	Bid             float64 `parquet:"bid"`
	Ask             float64 `parquet:"ask"`
	IV              float64 `parquet:"iv"`
	Delta           float64 `parquet:"delta"`
	Gamma           float64 `parquet:"gamma"`
	Theta           float64 `parquet:"theta"`
	Vega            float64 `parquet:"vega"`
	OpenInterest    float64 `parquet:"open_interest"`
}

func writeOld[T any](t *testing.T, root, rel string, rows []T, meta map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeRows(&buf, rows, meta); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMarketMigratesOldLayout opens a market dir laid out the old way
// (bars/SPY/1h/…, options/SPY/…, chains/SPY/…): Recover moves every partition
// to its hive folder, the store reads the same rows (NaN where the old files
// held NaN), writes merge into the moved files, and a second open moves
// nothing.
func TestMarketMigratesOldLayout(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "market")
	const t0 = 1720445400000 // 2024-07-08 09:30 ET
	nan := math.NaN()
	meta := func(kind, tf string, first, last int64) map[string]string {
		m := map[string]string{mkKind: kind, mkSource: "file", mkTicker: "SPY",
			mkFirst: strconv.FormatInt(first, 10), mkLast: strconv.FormatInt(last, 10)}
		if tf != "" {
			m[mkTF] = tf
		}
		return m
	}
	writeOld(t, root, "bars/SPY/1h/2024-07.parquet", []oldBarRow{
		{t0, 500, 501, 499, 500.5, 1000, nan}, {t0 + 3_600_000, 500.5, 502, 500, 501, 1200, 500.9}},
		meta(market.KindBars, market.TF1h, t0, t0+3_600_000))
	writeOld(t, root, "bars/SPY/1d/2024-07.parquet", []oldBarRow{{t0, 500, 503, 499, 502, 9000, nan}},
		meta(market.KindBars, market.TF1d, t0, t0))
	om := meta(market.KindOptions, "", t0, t0)
	om[mkExpiries] = "2024-07-08:1"
	writeOld(t, root, "options/SPY/2024-07-08.parquet", []oldOptionRow{{"O:SPY240708C00500000", t0, 1, 1.2, 0.9, 1.1, 10, nan}}, om)
	cm := meta(market.KindChains, "", t0, t0)
	cm[mkExpiries] = "2024-07-08:1"
	writeOld(t, root, "chains/SPY/2024-07.parquet", []oldChainRow{{t0, 500, "2024-07-08", "C", 500, 1, 1.1, nan, nan, nan, nan, nan, nan}}, cm)
	// A temp file of an interrupted write is not a partition: it stays for the
	// data dir's orphan cleanup.
	if err := os.WriteFile(filepath.Join(root, "bars", "SPY", "1h", ".2024-08.parquet.tmp-1"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	st := NewMarketStore(root)
	rs, err := st.Recover()
	if err != nil || rs.Migrated != 4 || len(rs.NotMigrated) != 0 {
		t.Fatalf("recover: %+v %v", rs, err)
	}
	for _, rel := range []string{"bars/ticker=SPY/timeframe=1h/2024-07.parquet", "bars/ticker=SPY/timeframe=1d/2024-07.parquet",
		"options/underlying=SPY/2024-07-08.parquet", "chains/underlying=SPY/2024-07.parquet"} {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			t.Errorf("not migrated: %s", rel)
		}
	}
	for _, gone := range []string{"options/SPY", "chains/SPY", "bars/SPY/1d"} {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(gone))); !os.IsNotExist(err) {
			t.Errorf("old folder %s left behind: %v", gone, err)
		}
	}

	// Moved files are rewritten in the current format.
	if sh := readShape(t, filepath.Join(root, "bars", "ticker=SPY", "timeframe=1d", "2024-07.parquet")); sh.types["vwap"] != "optional DOUBLE" || sh.nulls["vwap"] != 1 {
		t.Fatalf("moved partition keeps the old format: %+v", sh)
	}
	if sh := readShape(t, filepath.Join(root, "chains", "underlying=SPY", "2024-07.parquet")); sh.nulls["iv"] != 1 || sh.nulls["open_interest"] != 1 || sh.metadata[mkSource] != "file" {
		t.Fatalf("moved chain partition: %+v", sh)
	}

	b, err := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	if err != nil || b.Len() != 2 || !math.IsNaN(b.VWAP[0]) || b.VWAP[1] != 500.9 || b.Source != "file" {
		t.Fatalf("bars after migration: %+v %v", b, err)
	}
	ob, err := st.ReadOptionBars(ctx, "SPY", "2024-07-08")
	if err != nil || ob.Len() != 1 || ob.Close[0] != 1.1 {
		t.Fatalf("options after migration: %+v %v", ob, err)
	}
	ch, err := st.ReadChains(ctx, "SPY", 0, 0)
	if err != nil || ch.Len() != 1 || !math.IsNaN(ch.IV[0]) || ch.Strike[0] != 500 {
		t.Fatalf("chain after migration: %+v %v", ch, err)
	}
	cov, err := st.Coverage(ctx)
	if err != nil || len(cov) != 4 {
		t.Fatalf("coverage after migration: %+v %v", cov, err)
	}

	// A write merges into the moved partition, which is rewritten in the new
	// format (vwap now optional with a null).
	nb := market.NewBars("SPY", market.TF1h, "file", 1)
	nb.Append(t0+7_200_000, 501, 502, 500, 501.5, 800, nan)
	if _, err := st.WriteBars(ctx, nb); err != nil {
		t.Fatal(err)
	}
	sh := readShape(t, filepath.Join(root, "bars", "ticker=SPY", "timeframe=1h", "2024-07.parquet"))
	if sh.numRows != 3 || sh.nulls["vwap"] != 2 || sh.types["vwap"] != "optional DOUBLE" {
		t.Fatalf("merged partition: %+v", sh)
	}

	// On the next open: an old file left by a move interrupted after its new
	// file was published (same rows) is removed; a partition whose new name
	// holds other rows is left where it is and reported.
	writeOld(t, root, "bars/SPY/1d/2024-07.parquet", []oldBarRow{{t0, 500, 503, 499, 502, 9000, nan}},
		meta(market.KindBars, market.TF1d, t0, t0))
	writeOld(t, root, "bars/SPY/1h/2024-07.parquet", []oldBarRow{{t0, 1, 1, 1, 1, 1, 1}}, meta(market.KindBars, market.TF1h, t0, t0))
	rs, err = NewMarketStore(root).Recover()
	if _, serr := os.Stat(filepath.Join(root, "bars", "SPY", "1d")); !os.IsNotExist(serr) {
		t.Errorf("leftover of an interrupted move not removed: %v", serr)
	}
	if err != nil || rs.Migrated != 1 || !reflect.DeepEqual(rs.NotMigrated, []string{"bars/SPY/1h/2024-07.parquet"}) {
		t.Fatalf("second recover: %+v %v", rs, err)
	}
	if b, _ := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0); b.Len() != 3 {
		t.Fatalf("a stuck old partition changed the data: %d rows", b.Len())
	}
}
