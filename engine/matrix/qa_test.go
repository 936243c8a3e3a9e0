package matrix

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestColumnMatching(t *testing.T) {
	vol := map[string]bool{"atr_14": true, "close_vol_3": true, "rolling_std_20": true, "rv_20": true,
		"volume": false, "vol_zscore_20": false, "obv": false, "calls_sold_total": false, "realized_vol_10": true}
	for name, want := range vol {
		if got := IsVolatilityColumn(name); got != want {
			t.Errorf("IsVolatilityColumn(%q) = %v", name, got)
		}
	}
	iv := map[string]bool{"atm_iv": true, "iv_30": true, "implied_vol": true, "iv_realized_spread_20": false,
		"iv_skew25_delta": false, "iv_term_slope": false, "iv_rank_52w": false, "pivot": false, "dividend": false}
	for name, want := range iv {
		if got := IsIVColumn(name); got != want {
			t.Errorf("IsIVColumn(%q) = %v", name, got)
		}
	}
}

func TestQA(t *testing.T) {
	m, in := hourlyRows([]string{"2024-07-01"}, []float64{1, 2, 3, 4, 5, 6, 7})
	m.AddCol("volume", []float64{-1, -1, -1, -1, -1, -1, -1}) // not a volatility: never checked
	m.AddCol("iv_realized_spread_20", []float64{-0.2, -0.1, -0.3, -0.2, -0.2, -0.2, -0.2})
	m.AddCol("atr_14", []float64{math.NaN(), 1, 1, 1, 1, 1, 1})
	m.AddCol("atm_iv", []float64{0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2})
	bp := 1.0
	if err := ApplyLabel(m, LabelConfig{FixedBP: &bp}, in); err != nil {
		t.Fatal(err)
	}
	r := QA(m)
	if !r.OK || r.QA.NonNegativeVol.Checked != 1 || r.QA.IVSanity.Checked != 1 || r.Rows != 7 {
		t.Fatalf("QA: %+v", r)
	}
	if len(r.QA.NaN.Warn) != 1 || r.QA.NaN.Warn[0] != "atr_14" { // 1/7 = 14.286%
		t.Fatalf("nan warn: %+v", r.QA.NaN)
	}
	// a negative ATR, an IV of 9 and a duplicated hour all fail
	m.Col("atr_14")[3] = -1
	r = QA(m)
	if r.OK || r.QA.NonNegativeVol.OK || r.QA.NonNegativeVol.NegPct != 16.667 {
		t.Fatalf("neg vol: %+v", r.QA.NonNegativeVol)
	}
	m.Col("atr_14")[3] = 1
	for i := range m.Col("atm_iv") {
		m.Col("atm_iv")[i] = 9
	}
	if r = QA(m); r.OK || r.QA.IVSanity.OK {
		t.Fatal("iv out of range passed")
	}
	m.Col("atm_iv")[0] = 0.2
	m.TS[2] = m.TS[1]
	m.HourET[0] = 3
	for i := range m.Col("atm_iv") {
		m.Col("atm_iv")[i] = 0.2
	}
	r = QA(m)
	if r.OK || r.QA.MonotonicTime.Violations != 1 || r.QA.SessionAlignment.OffPct != 14.286 || r.QA.SessionAlignment.OK {
		t.Fatalf("time checks: %+v", r.QA)
	}
	// an extended-hours equity matrix may hold pre-market rows
	m.Meta["session"] = "extended"
	m.HourET[0] = 4
	if r = QA(m); !r.QA.SessionAlignment.OK || r.QA.SessionAlignment.OffPct != 0 {
		t.Fatalf("extended session: %+v", r.QA.SessionAlignment)
	}
}

func TestWriteCSV(t *testing.T) {
	m, in := hourlyRows([]string{"2024-07-01"}, []float64{1, 2, 3})
	m.AddCol("calls_sold_d-7", []float64{1.5, math.NaN(), 3})
	bp := 1.0
	if err := ApplyLabel(m, LabelConfig{FixedBP: &bp}, in); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, m); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("lines: %d", len(lines))
	}
	if lines[0] != "ts,date,hour_et,t1,calls_sold_d-7,ret_fwd,ret_next_hour,y,y_syn" {
		t.Fatalf("header %s", lines[0])
	}
	if lines[2] != "2024-07-01T14:00:00Z,2024-07-01,10,2024-07-01T16:00:00Z,,0.5,0.5,UP,UP" {
		t.Fatalf("row %s", lines[2])
	}
	if !strings.HasSuffix(lines[3], ",3,,,,") {
		t.Fatalf("last row %s", lines[3])
	}
}
