package matrix

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

func rowOf(t *testing.T, m *Matrix, date string, hour int32) int {
	t.Helper()
	for i := range m.TS {
		if m.Date[i] == date && m.HourET[i] == hour {
			return i
		}
	}
	t.Fatalf("no row %s h%d", date, hour)
	return -1
}

// TestBuildOptions checks the options matrix's rows, column layout, derived
// columns and labels on the demo market and, when present, the real sample
// files; each market then gets hand checks of its own.
func TestBuildOptions(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			res, err := BuildOptions(context.Background(), fx.src, OptSpec{Ticker: "SPY", Start: "2024-07-01", End: "2024-07-03", DistanceMax: 5})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Matrix
			// 7 hours (9..15) on 07-01 and 07-02; the 07-03 half day closes at 13:00, and the
			// real 0DTE options trade until 13:15 (hours 9..13), the demo's until the close.
			want := "01h9 01h10 01h11 01h12 01h13 01h14 01h15 02h9 02h10 02h11 02h12 02h13 02h14 02h15 03h9 03h10 03h11 03h12"
			if fx.real {
				want += " 03h13"
			}
			var got []string
			for i := range m.TS {
				got = append(got, m.Date[i][8:]+"h"+strconv.Itoa(int(m.HourET[i])))
			}
			if strings.Join(got, " ") != want {
				t.Fatalf("rows %v", got)
			}
			checkOptionsLayout(t, m)
			wantSource := "demo"
			if fx.real {
				wantSource = "real"
			}
			if m.Meta["data_source"] != wantSource || res.Raw.Len() == 0 {
				t.Fatalf("meta %v raw %d", m.Meta, res.Raw.Len())
			}
			if fx.real {
				checkRealSPYFlow(t, m)
			} else {
				checkFlowAgainstBars(t, fx.src, m, 5)
			}
		})
	}
}

// checkOptionsLayout checks what holds on any market: the column order, the
// derived columns against their definitions, and the labels.
func checkOptionsLayout(t *testing.T, m *Matrix) {
	t.Helper()
	// 4 per distance × 11 + spy_prev_close, close, day_of_week + 7 totals = 54 flow columns, then labels.
	if m.Names[0] != "calls_sold_d-5" || m.Names[3] != "puts_premium_d-5" || m.Names[4] != "calls_sold_d-4" {
		t.Fatalf("column order %v", m.Names[:5])
	}
	if m.ColIndex("dealer_sold_premium_imbalance") != 53 {
		t.Fatalf("dealer_sold_premium_imbalance at %d", m.ColIndex("dealer_sold_premium_imbalance"))
	}
	for i := 0; i < m.Len(); i++ {
		cs, ps := m.Col("calls_sold_total")[i], m.Col("puts_sold_total")[i]
		if d := m.Col("pc_ratio")[i] - (ps+1e-6)/(cs+1e-6); math.Abs(d) > 1e-12 {
			t.Fatalf("pc_ratio row %d", i)
		}
		if m.Col("imbalance")[i] != cs-ps {
			t.Fatalf("imbalance row %d", i)
		}
		var sum float64
		for d := -5; d <= 5; d++ {
			sum += m.Col("calls_sold_d" + strconv.Itoa(d))[i]
		}
		if sum != cs {
			t.Fatalf("calls_sold_total row %d: %v vs %v", i, sum, cs)
		}
		cp, pp := m.Col("calls_premium_total")[i], m.Col("puts_premium_total")[i]
		if d := m.Col("dealer_sold_premium_imbalance")[i] - (pp-cp)/(pp+cp+1e-6); math.Abs(d) > 1e-12 {
			t.Fatalf("dealer imbalance row %d", i)
		}
		tm, _ := market.ParseDate(m.Date[i])
		if want := float64((int(tm.Weekday()) + 6) % 7); m.Col("day_of_week")[i] != want {
			t.Fatalf("day_of_week row %d = %v, want %v", i, m.Col("day_of_week")[i], want)
		}
	}
	// labels present, T1 after row time, unlabelled tail
	y := m.TextCol("y")
	if y == nil || m.T1 == nil || m.Col("ret_fwd") == nil {
		t.Fatal("labels missing")
	}
	if y[m.Len()-1] != "" {
		t.Fatalf("last row must be unlabelled, got %q", y[m.Len()-1])
	}
	for i := range m.T1 {
		if m.T1[i] <= m.TS[i] {
			t.Fatalf("t1 <= ts at %d", i)
		}
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

// checkFlowAgainstBars recomputes every row's per-distance flow straight from
// the source's bars: the previous session's daily close, its nearest strike
// as d0, and the 0DTE minutes of each strike inside the row's ET hour and
// regular hours.
func checkFlowAgainstBars(t *testing.T, src *memSource, m *Matrix, D int) {
	t.Helper()
	ob := src.opts["SPY"]
	for i := 0; i < m.Len(); i++ {
		date := m.Date[i]
		prev, err := market.PrevSession(date)
		if err != nil {
			t.Fatal(err)
		}
		pc := src.barClose(t, "SPY", market.TF1d, mustDayStart(t, prev))
		if got := m.Col("spy_prev_close")[i]; got != pc {
			t.Fatalf("%s spy_prev_close = %v, want the %s daily close %v", date, got, prev, pc)
		}
		if got, want := m.Col("close")[i], src.barClose(t, "SPY", market.TF1h, m.TS[i]); got != want {
			t.Fatalf("%s h%d close = %v, want %v", date, m.HourET[i], got, want)
		}
		if frac := pc - math.Floor(pc); frac == 0.5 {
			continue // a strike exactly between two buckets; not worth a special case here
		}
		s, _ := market.SessionOn(date)
		rthEnd, _ := market.ETMillis(date, 16, 0)
		from, to := max(m.TS[i], s.Open), min(m.TS[i]+hourMS, rthEnd)
		anchor := math.Round(pc)
		type cell struct{ calls, puts, callsPrem, putsPrem float64 }
		want := map[int]*cell{}
		for j := 0; j < ob.Len(); j++ {
			d := ob.Strike[j] - anchor
			if ob.Expiry[j] != date || ob.TS[j] < from || ob.TS[j] >= to || math.Abs(d) > float64(D) {
				continue
			}
			c := want[int(d)]
			if c == nil {
				c = &cell{}
				want[int(d)] = c
			}
			if ob.Type[j] == 'C' {
				c.calls += ob.Volume[j]
				c.callsPrem += ob.Volume[j] * ob.VWAP[j] * 100
			} else {
				c.puts += ob.Volume[j]
				c.putsPrem += ob.Volume[j] * ob.VWAP[j] * 100
			}
		}
		if want[0] == nil || want[0].calls == 0 || want[0].puts == 0 {
			t.Fatalf("%s h%d: no at-the-money flow in the demo bars", date, m.HourET[i])
		}
		for d := -D; d <= D; d++ {
			c := want[d]
			if c == nil {
				c = &cell{}
			}
			ds := strconv.Itoa(d)
			for _, chk := range []struct {
				col  string
				want float64
			}{{"calls_sold_d" + ds, c.calls}, {"puts_sold_d" + ds, c.puts}, {"calls_premium_d" + ds, c.callsPrem}, {"puts_premium_d" + ds, c.putsPrem}} {
				if got := m.Col(chk.col)[i]; math.Abs(got-chk.want) > 1e-9*math.Max(1, math.Abs(chk.want)) {
					t.Errorf("%s h%d %s = %v, want %v", date, m.HourET[i], chk.col, got, chk.want)
				}
			}
		}
	}
}

func mustDayStart(t *testing.T, date string) int64 {
	t.Helper()
	ts, err := market.ETMillis(date, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// checkRealSPYFlow holds the hand checks against the real sample files.
func checkRealSPYFlow(t *testing.T, m *Matrix) {
	t.Helper()
	// Hand checks against the option files (derived with a short python script that
	// sums "volume" and volume*vwap*100 over the minutes of the ET hour, 09:30 on):
	//   O_SPY240701C00544000_2024-07-01.json, hour 10: 60 minutes, volume 74679, premium 7721670.68
	//   O_SPY240701P00544000_2024-07-01.json, hour 10: volume 79410, premium 10195778.02
	//   O_SPY240702P00542000_2024-07-02.json, hour 14: 59 minutes, volume 4382, premium 6108.15
	//   O_SPY240702C00542000_2024-07-02.json, hour 14: 18 minutes, volume 335, premium 190719.0
	//   O_SPY240703C00551000_2024-07-03.json, hour 13 (half day): 15 minutes, volume 12639, premium 612175.48
	// Anchors: 07-01 prev close = close of the 2024-06-28 15:00 ET hourly bar = 544.09 → 544, so strike
	// 544 is d=0; 07-02 prev close = 545.37 (07-01 15:00 ET bar) → 542 is round(542−545.37) = d=−3;
	// 07-03 prev close = 548.97 → 551 is d=+2.
	cases := []struct {
		date string
		hour int32
		col  string
		want float64
	}{
		{"2024-07-01", 10, "calls_sold_d0", 74679},
		{"2024-07-01", 10, "calls_premium_d0", 7721670.68},
		{"2024-07-01", 10, "puts_sold_d0", 79410},
		{"2024-07-01", 10, "puts_premium_d0", 10195778.02},
		{"2024-07-02", 14, "puts_sold_d-3", 4382},
		{"2024-07-02", 14, "puts_premium_d-3", 6108.15},
		{"2024-07-02", 14, "calls_sold_d-3", 335},
		{"2024-07-02", 14, "calls_premium_d-3", 190719.0},
		{"2024-07-03", 13, "calls_sold_d2", 12639},
		{"2024-07-03", 13, "calls_premium_d2", 612175.48},
		// Σ call volume of strikes 539..549 in 09:30–09:59 on 07-01 (same script)
		{"2024-07-01", 9, "calls_sold_total", 181335},
		{"2024-07-01", 9, "spy_prev_close", 544.09},
		{"2024-07-02", 9, "spy_prev_close", 545.37},
		{"2024-07-03", 9, "spy_prev_close", 548.97},
		// close = the hourly bar of the row: 2024-07-01 13:00 UTC bar (09:00 ET) closes at 544.77
		{"2024-07-01", 9, "close", 544.77},
		{"2024-07-01", 9, "day_of_week", 0},
		{"2024-07-03", 13, "day_of_week", 2},
	}
	for _, c := range cases {
		i := rowOf(t, m, c.date, c.hour)
		got := m.Col(c.col)[i]
		if math.Abs(got-c.want) > 1e-6*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s h%d %s = %v, want %v", c.date, c.hour, c.col, got, c.want)
		}
	}
}

// TestBuildOptionsFlowExtras: the config's flow.atm and dealer flags add the
// ATM flow, the dealer direction and the (causal) divergence score.
func TestBuildOptionsFlowExtras(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			res, err := BuildOptions(context.Background(), fx.src, OptSpec{Ticker: "SPY", Start: "2024-07-01", End: "2024-07-03",
				DistanceMax: 5, ATM: true, DealerDirection: true, DivergenceScore: true})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Matrix
			hourly := fx.src.bars["SPY|"+market.TF1h]
			divergent := 0
			for i := 0; i < m.Len(); i++ {
				c0, p0 := m.Col("calls_sold_d0")[i], m.Col("puts_sold_d0")[i]
				if m.Col("atm_calls")[i] != c0 || m.Col("atm_puts")[i] != p0 || m.Col("atm_imbalance")[i] != c0-p0 {
					t.Fatalf("row %d atm: %v %v, d0 %v %v", i, m.Col("atm_calls")[i], m.Col("atm_puts")[i], c0, p0)
				}
				mm := sign(m.Col("puts_sold_total")[i] - m.Col("calls_sold_total")[i])
				if m.Col("mm_profit_dir_simple")[i] != mm {
					t.Fatalf("row %d mm %v, want %v", i, m.Col("mm_profit_dir_simple")[i], mm)
				}
				// divergence = −sign(return of the row's own bar)·mm, NaN without the bar before
				want := math.NaN()
				for k := 1; k < hourly.Len(); k++ {
					if hourly.TS[k] == m.TS[i] && hourly.TS[k-1] == m.TS[i]-hourMS {
						want = -sign(hourly.Close[k]/hourly.Close[k-1]-1) * mm
					}
				}
				if got := m.Col("divergence_score")[i]; !sameFloat(got, want) {
					t.Fatalf("row %d divergence %v, want %v", i, got, want)
				}
				if want != 0 && !math.IsNaN(want) {
					divergent++
				}
			}
			if divergent == 0 {
				t.Fatal("no row with a divergence score")
			}
			if !fx.real {
				return
			}
			i := rowOf(t, m, "2024-07-01", 10)
			// hand values (python over the option files, strikes 539..549, 10:00–10:59 ET): calls 433393 > puts
			// 419152 → mm = sign(puts − calls) = −1; the 10:00 ET bar closes at 543.35 below the 09:00 ET bar's
			// 544.77 → ret < 0 → divergence = −(−1)·(−1) = −1. d0 flow as in TestBuildOptions.
			if m.Col("atm_calls")[i] != 74679 || m.Col("atm_puts")[i] != 79410 || m.Col("atm_imbalance")[i] != 74679-79410 {
				t.Fatalf("atm: %v %v", m.Col("atm_calls")[i], m.Col("atm_puts")[i])
			}
			if m.Col("calls_sold_total")[i] != 433393 || m.Col("puts_sold_total")[i] != 419152 {
				t.Fatalf("totals: %v %v", m.Col("calls_sold_total")[i], m.Col("puts_sold_total")[i])
			}
			if m.Col("mm_profit_dir_simple")[i] != -1 || m.Col("divergence_score")[i] != -1 {
				t.Fatalf("dealer: mm %v div %v", m.Col("mm_profit_dir_simple")[i], m.Col("divergence_score")[i])
			}
		})
	}
}

func TestBuildOptionsErrors(t *testing.T) {
	ctx := context.Background()
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			src := fx.src
			var v *errs.Validation
			if _, err := BuildOptions(ctx, src, OptSpec{Ticker: "SPY", Start: "2024-13-01", End: "2024-07-03"}); !errors.As(err, &v) {
				t.Fatalf("bad date: %v", err)
			}
			if _, err := BuildOptions(ctx, src, OptSpec{Ticker: "SPY", Start: "2024-07-03", End: "2024-07-01"}); !errors.As(err, &v) {
				t.Fatalf("reversed range: %v", err)
			}
			if _, err := BuildOptions(ctx, src, OptSpec{Ticker: "SPY", Start: "2024-07-06", End: "2024-07-07"}); !errors.Is(err, errs.ErrNoData) {
				t.Fatalf("weekend: %v", err)
			}
			if _, err := BuildOptions(ctx, src, OptSpec{Ticker: "SPY", Start: "2023-01-03", End: "2023-01-31"}); !errors.Is(err, errs.ErrNoData) {
				t.Fatalf("no data: %v", err)
			}
			if _, err := BuildOptions(ctx, src, OptSpec{Ticker: "QQQ", Start: "2024-07-01", End: "2024-07-03"}); !errors.Is(err, errs.ErrNoData) {
				t.Fatalf("unknown ticker: %v", err)
			}
			if _, err := BuildOptions(ctx, src, OptSpec{Ticker: "SPY", Start: "2024-07-01", End: "2024-07-03", Label: LabelConfig{Kind: "bogus"}}); !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("bad label: %v", err)
			}
			if _, err := BuildOptions(ctx, src, OptSpec{Ticker: "SPY", Start: "2024-07-01", End: "2024-07-03", DistanceMax: 51}); !errors.As(err, &v) {
				t.Fatalf("distance_max 51: %v", err)
			}
		})
	}
}
