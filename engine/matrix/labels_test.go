package matrix

import (
	"errors"
	"math"
	"testing"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// hourlyRows builds a matrix of consecutive hourly rows (hours 9..15 per date)
// with the given closes.
func hourlyRows(dates []string, closes []float64) (*Matrix, LabelInput) {
	m := &Matrix{Meta: map[string]string{}}
	in := LabelInput{Loc: market.ET()}
	k := 0
	for _, d := range dates {
		for h := 9; h <= 15 && k < len(closes); h++ {
			ts, _ := market.ETMillis(d, h, 0)
			m.TS = append(m.TS, ts)
			m.Date = append(m.Date, d)
			m.HourET = append(m.HourET, int32(h))
			in.End = append(in.End, ts+hourMS)
			in.RTH = append(in.RTH, true)
			in.Close = append(in.Close, closes[k])
			in.Open = append(in.Open, math.NaN())
			in.High = append(in.High, math.NaN())
			in.Low = append(in.Low, math.NaN())
			k++
		}
	}
	return m, in
}

func TestNextHourFixedBP(t *testing.T) {
	m, in := hourlyRows([]string{"2024-07-01", "2024-07-02"}, []float64{100, 101, 101, 100.5, math.NaN(), 100, 100.02, 100, 99, 99.5})
	bp := 10.0
	if err := ApplyLabel(m, LabelConfig{FixedBP: &bp}, in); err != nil {
		t.Fatal(err)
	}
	y, r := m.TextCol("y"), m.Col("ret_fwd")
	// row 3 → row 4 has a NaN close, row 4 itself is NaN: both unlabelled.
	// row 6 (15:00) → next session 09:00 crosses the night: 100/100.02−1 ≈ −2 bp → FLAT.
	if y[0] != "UP" || y[1] != "FLAT" || y[2] != "DOWN" {
		t.Fatalf("y = %v", y)
	}
	if y[6] != "FLAT" || y[7] != "DOWN" {
		t.Fatalf("y = %v", y)
	}
	if y[3] != "" || y[4] != "" || !math.IsNaN(r[3]) || !math.IsNaN(r[4]) {
		t.Fatalf("labels across a missing close: %v %v", y[3:5], r[3:5])
	}
	if y[len(y)-1] != "" || m.T1[len(y)-1] != in.End[len(y)-1] {
		t.Fatal("last row must be unlabelled with t1 = its own end")
	}
	if math.Abs(r[0]-0.01) > 1e-12 || m.T1[0] != in.End[1] {
		t.Fatalf("ret/t1 of row 0: %v %v", r[0], m.T1[0])
	}
	if m.Col("ret_next_hour") == nil || m.TextCol("y_syn") == nil || m.Meta["label_kind"] != "next_hour" {
		t.Fatal("alias columns or meta missing")
	}
}

func TestNextHourSigmaUsesOnlyEarlierRows(t *testing.T) {
	closes := []float64{100, 100.1, 100.0, 100.2, 100.1, 100.3, 100.2, 100.4, 100.3, 100.5, 120, 100}
	m, in := hourlyRows([]string{"2024-07-01", "2024-07-02"}, closes)
	if err := ApplyLabel(m, LabelConfig{KSigma: 0.3, SigmaMinPeriods: 3}, in); err != nil {
		t.Fatal(err)
	}
	y := m.TextCol("y")
	// first three rows have fewer than 3 earlier returns
	for i := 0; i < 3; i++ {
		if y[i] != "" {
			t.Fatalf("row %d labelled before min periods: %q", i, y[i])
		}
	}
	// Labels of rows before the huge jump must not change when the jump (a
	// later return) is removed: σ for row i uses only returns ending by row i.
	m2, in2 := hourlyRows([]string{"2024-07-01", "2024-07-02"}, append(append([]float64{}, closes[:10]...), 100.6, 100.5))
	if err := ApplyLabel(m2, LabelConfig{KSigma: 0.3, SigmaMinPeriods: 3}, in2); err != nil {
		t.Fatal(err)
	}
	y2 := m2.TextCol("y")
	for i := 0; i < 9; i++ {
		if y[i] != y2[i] {
			t.Fatalf("row %d label depends on a later return: %q vs %q", i, y[i], y2[i])
		}
	}
	// hand check row 3: earlier returns r0..r2 = +0.1%, −0.0999%, +0.2%
	r := m.Col("ret_fwd")
	mean := (r[0] + r[1] + r[2]) / 3
	sd := math.Sqrt(((r[0]-mean)*(r[0]-mean) + (r[1]-mean)*(r[1]-mean) + (r[2]-mean)*(r[2]-mean)) / 3)
	if want := classify(r[3], 0.3*sd); y[3] != want {
		t.Fatalf("row 3: %q want %q", y[3], want)
	}
}

func TestForwardDaysAndCloseToOpen(t *testing.T) {
	dates := []string{"2024-07-01", "2024-07-02", "2024-07-03"}
	var closes []float64
	for d := 0; d < 3; d++ {
		for h := 0; h < 7; h++ {
			closes = append(closes, 100+float64(d)+0.1*float64(h))
		}
	}
	m, in := hourlyRows(dates, closes)
	if err := ApplyLabel(m, LabelConfig{Kind: "fwd_ret_1d"}, in); err != nil {
		t.Fatal(err)
	}
	r, y := m.Col("ret_fwd"), m.TextCol("y")
	// row 2 (07-01 11:00, close 100.2) → close of 07-02 (15:00 row, 101.6)
	if math.Abs(r[2]-(101.6/100.2-1)) > 1e-12 || y[2] != "UP" || m.T1[2] != in.End[13] {
		t.Fatalf("fwd_ret_1d row 2: %v %q", r[2], y[2])
	}
	if y[20] != "" || !math.IsNaN(r[20]) || m.Col("ret_fwd_1d") == nil {
		t.Fatal("last day must be unlabelled")
	}

	m, in = hourlyRows(dates, closes)
	for i := range in.Open {
		in.Open[i] = closes[i] - 0.05
	}
	if err := ApplyLabel(m, LabelConfig{Kind: "overnight_close_to_open"}, in); err != nil {
		t.Fatal(err)
	}
	r = m.Col("ret_fwd")
	// 07-01 close 100.6 → 07-02 first open 100.95
	if math.Abs(r[0]-(100.95/100.6-1)) > 1e-12 || m.T1[0] != m.TS[7] {
		t.Fatalf("close_to_open: %v t1 %v", r[0], m.T1[0])
	}
}

func TestHeadfakeAndPin(t *testing.T) {
	// 07-01: up early (09:00 open 100 → 10:00 close 102), down late (→ 98 at 16:00): head-fake DOWN.
	m, in := hourlyRows([]string{"2024-07-01"}, []float64{102, 101, 100, 99.5, 99, 98.5, 98})
	for i := range in.Open {
		in.Open[i] = 100
		if i > 0 {
			in.Open[i] = in.Close[i-1]
		}
		in.High[i] = math.Max(in.Open[i], in.Close[i]) + 0.1
		in.Low[i] = math.Min(in.Open[i], in.Close[i]) - 0.1
	}
	if err := ApplyLabel(m, LabelConfig{Kind: "headfake_reversal"}, in); err != nil {
		t.Fatal(err)
	}
	y := m.TextCol("y")
	if y[0] != ClassDown {
		t.Fatalf("headfake: %v", y)
	}
	for i := 1; i < len(y); i++ {
		if y[i] != "" {
			t.Fatalf("rows after window_end must be unlabelled: %v", y)
		}
	}
	// pin: price at 15:00 (close of 14:00 row) 98.5 drifts to 98.0, the nearest whole strike 98 (or 99)…
	m, in2 := hourlyRows([]string{"2024-07-01"}, []float64{100, 100.2, 100.4, 100.6, 100.8, 100.45, 100.95})
	for i := range in2.Open {
		in2.High[i], in2.Low[i], in2.Open[i] = in2.Close[i]+0.05, in2.Close[i]-0.05, in2.Close[i]
	}
	m.AddCol("gamma_peak_strike", []float64{101, 101, 101, 101, 101, 101, 101})
	if err := ApplyLabel(m, LabelConfig{Kind: "pin"}, in2); err != nil {
		t.Fatal(err)
	}
	y = m.TextCol("y")
	// P(15:00) = close of the 14:00 row 100.45, target 101, close 100.95: pull 0.55−0.05 = 0.5 ≥ 0.2·ATR → UP
	if y[0] != ClassUp || y[5] != ClassUp || y[6] != "" {
		t.Fatalf("pin: %v", y)
	}
}

func TestParseLabelKind(t *testing.T) {
	for in, want := range map[string]string{"": "next_hour", "next_bar_updown": "next_hour", "regression": "next_hour",
		"fwd_ret_20d": "fwd_ret", "close_to_open": "close_to_open", "headfake": "headfake_reversal", "pin": "pin_drift", "none": "none"} {
		got, _, err := ParseLabelKind(in)
		if err != nil || got != want {
			t.Errorf("%q → %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"fwd_ret_xd", "fwd_ret_0d", "moon"} {
		if _, _, err := ParseLabelKind(bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%q accepted", bad)
		}
	}
	m, in := hourlyRows([]string{"2024-07-01"}, []float64{1, 2})
	if err := ApplyLabel(m, LabelConfig{Kind: "headfake", WindowEnd: "25:99"}, in); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("bad clock accepted: %v", err)
	}
	_ = time.UTC
}
