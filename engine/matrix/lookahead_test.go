package matrix

import (
	"context"
	"math"
	"strings"
	"testing"

	"sigmalab/engine/market"
)

// causalFeatures is a stand-in indicator set: a 3-bar mean of close and a
// 5-bar sum of the call flow; both read only bars up to their own.
func causalFeatures(_ context.Context, b *market.Bars, extra map[string][]float64) ([]string, [][]float64, error) {
	n := b.Len()
	ma, flow := make([]float64, n), make([]float64, n)
	cs := extra["calls_sold_total"]
	for i := 0; i < n; i++ {
		ma[i], flow[i] = math.NaN(), math.NaN()
		if i >= 2 {
			ma[i] = (b.Close[i] + b.Close[i-1] + b.Close[i-2]) / 3
		}
		if cs != nil && i >= 4 {
			flow[i] = cs[i] + cs[i-1] + cs[i-2] + cs[i-3] + cs[i-4]
		}
	}
	names := []string{"sma_3"}
	cols := [][]float64{ma}
	if cs != nil {
		names = append(names, "flow_sum_5")
		cols = append(cols, flow)
	}
	return names, cols, nil
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// assertPrefixEqual checks that rows 0..k of cutM equal those of full in every
// key and feature column, and in the label columns where the label ended by cut.
func assertPrefixEqual(t *testing.T, full, cutM *Matrix, k int, cut int64) {
	t.Helper()
	if cutM.Len() < k+1 {
		t.Fatalf("cut at row %d: rebuilt matrix has only %d rows", k, cutM.Len())
	}
	labels := map[string]bool{}
	for _, c := range strings.Split(full.Meta["label_columns"], ",") {
		labels[c] = true
	}
	if !labels["ret_fwd"] || !labels["y"] {
		t.Fatalf("label_columns meta: %q", full.Meta["label_columns"])
	}
	for i := 0; i <= k; i++ {
		if full.TS[i] != cutM.TS[i] || full.Date[i] != cutM.Date[i] || full.HourET[i] != cutM.HourET[i] {
			t.Fatalf("cut %d: key of row %d differs", k, i)
		}
		labelDone := full.T1[i] <= cut
		for j, name := range full.Names {
			if labels[name] && !labelDone {
				continue
			}
			c := cutM.Col(name)
			if c == nil {
				t.Fatalf("cut %d: column %s missing", k, name)
			}
			if !sameFloat(full.Cols[j][i], c[i]) {
				t.Fatalf("cut %d: %s row %d uses later data: %v vs %v", k, name, i, full.Cols[j][i], c[i])
			}
		}
		for j, name := range full.TextNames {
			if labelDone && full.Text[j][i] != cutM.TextCol(name)[i] {
				t.Fatalf("cut %d: label %s row %d changed although it ended by the cut", k, name, i)
			}
		}
		if labelDone && full.T1[i] != cutM.T1[i] {
			t.Fatalf("cut %d: t1 row %d", k, i)
		}
	}
}

// TestOptionsNoLookAhead rebuilds the SPY options matrix from inputs truncated
// at the end of row k and requires rows ≤ k to be unchanged (demo market, and
// the real sample files when present).
func TestOptionsNoLookAhead(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			src := fx.src
			for _, session := range []string{"", "rth"} {
				spec := OptSpec{Ticker: "SPY", Start: "2024-07-01", End: "2024-07-03", DistanceMax: 5, Features: causalFeatures,
					Session: session, Label: LabelConfig{SigmaMinPeriods: 3}, ATM: true, DealerDirection: true, DivergenceScore: true}
				ctx := context.Background()
				full, err := BuildOptions(ctx, src, spec)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range []int{3, 6, 7, 12, 15, 17} {
					cut := full.Matrix.TS[k] + hourMS
					res, err := BuildOptions(ctx, src.withCut(cut), spec)
					if err != nil {
						t.Fatal(err)
					}
					assertPrefixEqual(t, full.Matrix, res.Matrix, k, cut)
				}
				if session != "rth" {
					continue
				}
				// with session rth the 3-bar mean at 09:00 averages regular-hours bars only:
				// 07-02 09:00 ET = mean of the 07-01 14:00, 15:00 and 07-02 09:00 closes.
				var want float64
				for _, at := range []struct {
					date string
					hour int
				}{{"2024-07-01", 14}, {"2024-07-01", 15}, {"2024-07-02", 9}} {
					ts, _ := market.ETMillis(at.date, at.hour, 0)
					want += src.barClose(t, "SPY", market.TF1h, ts) / 3
				}
				if fx.real {
					if real := (544.755 + 545.37 + 545.125) / 3; math.Abs(want-real) > 1e-9 {
						t.Fatalf("sample closes: mean %v, want %v", want, real)
					}
				}
				i := rowOf(t, full.Matrix, "2024-07-02", 9)
				if got := full.Matrix.Col("sma_3")[i]; math.Abs(got-want) > 1e-9 {
					t.Fatalf("rth sma_3 = %v, want %v", got, want)
				}
			}
		})
	}
}

// TestEquityNoLookAhead does the same for the hourly equity matrix with every
// label kind.
func TestEquityNoLookAhead(t *testing.T) {
	ctx := context.Background()
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			src := fx.src
			for _, kind := range []string{"next_hour", "fwd_ret_1d", "close_to_open", "headfake_reversal", "pin_drift"} {
				spec := EqSpec{Ticker: "SPY", Start: "2024-06-26", End: "2024-07-03", Features: causalFeatures,
					Label: LabelConfig{Kind: kind, SigmaMinPeriods: 3}}
				full, err := BuildEquity(ctx, src, spec)
				if err != nil {
					t.Fatal(err)
				}
				labelled := 0
				for _, v := range full.TextCol("y") {
					if v != "" {
						labelled++
					}
				}
				if labelled == 0 {
					t.Fatalf("%s: no labelled row", kind)
				}
				for _, k := range []int{10, 25, 40, 60} {
					cut := full.TS[k] + hourMS
					cutM, err := BuildEquity(ctx, src.withCut(cut), spec)
					if err != nil {
						t.Fatal(err)
					}
					assertPrefixEqual(t, full, cutM, k, cut)
				}
			}
		})
	}
}

// TestEquityDailyNoLookAhead: daily rows are stamped at the session open but
// observed at the close; rebuilt from inputs cut at row k's close, rows ≤ k
// must not change (labels only once their T1 has passed).
func TestEquityDailyNoLookAhead(t *testing.T) {
	ctx := context.Background()
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			src := fx.src
			for _, kind := range []string{"next_hour", "fwd_ret_1d", "close_to_open"} {
				spec := EqSpec{Ticker: "SPY", Start: "2024-06-26", End: "2024-07-03", Cadence: "daily", Features: causalFeatures,
					Label: LabelConfig{Kind: kind, SigmaMinPeriods: 2}}
				full, err := BuildEquity(ctx, src, spec)
				if err != nil {
					t.Fatal(err)
				}
				if full.Len() < 4 {
					t.Fatalf("%s: %d daily rows", kind, full.Len())
				}
				for k := 1; k < full.Len()-1; k++ {
					s, ok := market.SessionOn(full.Date[k])
					if !ok || full.TS[k] != s.Open {
						t.Fatalf("%s: daily row %d at %d, want the session open", kind, k, full.TS[k])
					}
					if full.T1[k] <= s.Close && full.TextCol("y")[k] != "" {
						t.Fatalf("%s: row %d label ends at %d, before its own close", kind, k, full.T1[k])
					}
					cutM, err := BuildEquity(ctx, src.withCut(s.Close), spec)
					if err != nil {
						t.Fatal(err)
					}
					assertPrefixEqual(t, full, cutM, k, s.Close)
				}
			}
		})
	}
}
