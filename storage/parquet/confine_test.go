package parquet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// treeSnapshot maps every file under root to its content, so a test can prove
// that nothing outside the data dir changed.
func treeSnapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for rel, b := range readTree(t, root) {
		out[rel] = string(b)
	}
	return out
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: outside dir had %d files, now %d", what, len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: outside file %s changed or went", what, k)
		}
	}
}

// TestMarketStoreRefusesSymlinksOut plants links out of the data dir at every
// level of market/ (a ticker folder, a timeframe folder, a partition file, for
// bars, options and chains) and runs every store operation: nothing outside is
// read (no outside row ever comes back), written or removed.
func TestMarketStoreRefusesSymlinksOut(t *testing.T) {
	ctx := context.Background()
	outside := t.TempDir()
	cfg := smallDemo(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-07-01", "2024-07-12", "2024-07-08"
	cfg.Tickers = cfg.Tickers[:1] // SPY
	if _, err := market.SeedDemo(ctx, NewMarketStore(outside), cfg); err != nil {
		t.Fatal(err)
	}
	before := treeSnapshot(t, outside)

	data := t.TempDir()
	root := filepath.Join(data, "market")
	for _, l := range [][2]string{
		{"bars/ticker=SPY", "bars/ticker=SPY"},                                                           // a ticker folder
		{"options/underlying=SPY", "options/underlying=SPY"},                                             // an underlying's option days
		{"chains/underlying=SPY", "chains/underlying=SPY"},                                               // an underlying's chains
		{"bars/ticker=QQQ/timeframe=1h", "bars/ticker=SPY/timeframe=1h"},                                 // a timeframe folder
		{"bars/ticker=IWM/timeframe=1h/2024-07.parquet", "bars/ticker=SPY/timeframe=1h/2024-07.parquet"}, // one partition file
		{"options/underlying=IWM/2024-07-08.parquet", "options/underlying=SPY/2024-07-08.parquet"},
		{"chains/underlying=IWM/2024-07.parquet", "chains/underlying=SPY/2024-07.parquet"},
		{"bars/DIA", "bars/ticker=SPY"}, // an old-layout ticker folder: never migrated through
		{"options/DIA", "options/underlying=SPY"},
	} {
		link := filepath.Join(root, filepath.FromSlash(l[0]))
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, filepath.FromSlash(l[1])), link); err != nil {
			t.Fatal(err)
		}
	}
	st := NewMarketStore(root)
	// The layout migration at open must not move anything through a link.
	if rs, err := st.Recover(); err != nil || rs.Migrated != 0 {
		t.Fatalf("recover: %+v %v", rs, err)
	}
	for _, tk := range []string{"SPY", "QQQ", "IWM"} {
		b, err := st.ReadBars(ctx, tk, market.TF1h, 0, 0)
		if err == nil && b.Len() > 0 {
			t.Errorf("ReadBars %s read %d rows through a link out", tk, b.Len())
		}
		err = st.ScanBars(ctx, tk, market.TF1h, 0, 0, func(b *market.Bars) error {
			t.Errorf("ScanBars %s read %d rows through a link out", tk, b.Len())
			return nil
		})
		_ = err
		if ob, err := st.ReadOptionBars(ctx, tk, "2024-07-08"); err == nil && ob.Len() > 0 {
			t.Errorf("ReadOptionBars %s read %d rows through a link out", tk, ob.Len())
		}
		if ob, err := st.ReadContractBars(ctx, "O:"+tk+"240708C00500000", 0, 0); err == nil && ob.Len() > 0 {
			t.Errorf("ReadContractBars %s read %d rows", tk, ob.Len())
		}
		if c, err := st.ReadChains(ctx, tk, 0, 0); err == nil && c.Len() > 0 {
			t.Errorf("ReadChains %s read %d rows through a link out", tk, c.Len())
		}
		if ex, err := st.Expirations(ctx, tk); err == nil && len(ex) > 0 {
			t.Errorf("Expirations %s read %d expiries through a link out", tk, len(ex))
		}
		if n, err := st.DeleteSource(ctx, tk, market.SourceDemo); n > 0 {
			t.Errorf("DeleteSource %s removed %d rows through a link out (err %v)", tk, n, err)
		}
		// Writes through the links must fail (nothing is written outside).
		nb := market.NewBars(tk, market.TF1h, market.SourceDemo, 1)
		nb.Append(1720447200000, 1, 1, 1, 1, 1, 1) // 2024-07-08 10:00 ET
		if _, err := st.WriteBars(ctx, nb); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("WriteBars %s through a link out: %v", tk, err)
		}
	}
	cov, err := st.Coverage(ctx)
	if err != nil {
		t.Fatalf("coverage: %v", err)
	}
	for _, c := range cov {
		if c.Ticker == "SPY" || c.Rows > 1 {
			t.Errorf("coverage read an outside series: %+v", c)
		}
	}
	sameTree(t, "market store", before, treeSnapshot(t, outside))
}

// TestMatrixStoreRefusesSymlinksOut: a model folder or a build file linked out
// of the data dir is neither read, listed, written nor removed.
func TestMatrixStoreRefusesSymlinksOut(t *testing.T) {
	outside := t.TempDir()
	out := NewMatrixStore(outside)
	if _, _, err := out.Put("m1", "b1", sampleMatrix()); err != nil {
		t.Fatal(err)
	}
	before := treeSnapshot(t, outside)
	root := filepath.Join(t.TempDir(), "matrices")
	if err := os.MkdirAll(filepath.Join(root, "m2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "m1"), filepath.Join(root, "m1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "m1", "b1.parquet"), filepath.Join(root, "m2", "b1.parquet")); err != nil {
		t.Fatal(err)
	}
	st := NewMatrixStore(root)
	for _, m := range []string{"m1", "m2"} {
		if _, err := st.Get(m, "b1"); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Get %s/b1 through a link out: %v", m, err)
		}
		if _, err := st.Bytes(m, "b1"); err == nil {
			t.Errorf("Bytes %s/b1 read through a link out", m)
		}
		if l, err := st.List(m); err == nil && len(l) > 0 {
			t.Errorf("List %s listed outside files: %+v", m, l)
		}
		if _, _, err := st.Put(m, "b2", sampleMatrix()); m == "m1" && err == nil {
			t.Errorf("Put %s/b2 wrote through a link out", m)
		}
		_ = st.Delete(m, "b1")
	}
	sameTree(t, "matrix store", before, treeSnapshot(t, outside))
}
