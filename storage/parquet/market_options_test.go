package parquet

import (
	"context"
	"testing"

	"sigmalab/engine/market"
)

// Writing option bars over a stored partition replaces rows of the same contract and
// minute, adds the others, and keeps the last of keys repeated within one write.
func TestWriteOptionBarsMerge(t *testing.T) {
	ctx := context.Background()
	s := NewMarketStore(t.TempDir())
	c, err := market.ParseOCC("O:SPY240701C00545000")
	if err != nil {
		t.Fatal(err)
	}
	const t0 = int64(1719842400000) // 2024-07-01 10:00 ET
	bars := func(closes map[int64]float64, order ...int64) *market.OptionBars {
		ob := &market.OptionBars{Underlying: "SPY", Source: "file"}
		for _, ts := range order {
			ob.Append(c, ts, 1, 1, 1, closes[ts], 10, 1)
		}
		return ob
	}
	first := bars(map[int64]float64{t0: 1, t0 + 60000: 2}, t0, t0+60000)
	if ws, err := s.WriteOptionBars(ctx, first); err != nil || ws.Added != 2 || ws.Replaced != 0 {
		t.Fatalf("first write: %+v %v, want 2 added", ws, err)
	}
	// t0+60000 replaces a stored row; t0+120000 appears twice, the second wins.
	second := &market.OptionBars{Underlying: "SPY", Source: "file"}
	second.Append(c, t0+120000, 1, 1, 1, 3, 10, 1)
	second.Append(c, t0+60000, 1, 1, 1, 5, 10, 1)
	second.Append(c, t0+120000, 1, 1, 1, 7, 10, 1)
	ws, err := s.WriteOptionBars(ctx, second)
	if err != nil || ws.Added != 1 || ws.Replaced != 2 {
		t.Fatalf("second write: %+v %v, want 1 added 2 replaced", ws, err)
	}
	got, err := s.ReadOptionBars(ctx, "SPY", "2024-07-01")
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 5, 7}
	if len(got.TS) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got.TS), len(want))
	}
	for i, w := range want {
		if got.TS[i] != t0+int64(i)*60000 || got.Close[i] != w {
			t.Fatalf("row %d = ts %d close %v, want ts %d close %v", i, got.TS[i], got.Close[i], t0+int64(i)*60000, w)
		}
	}
}
