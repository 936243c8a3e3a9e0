package signals

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func ny(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func sample(t *testing.T) []Signal {
	t.Helper()
	f, err := os.Open("testdata/signals_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, bad := ParseExecLog(f, ny(t))
	if len(bad) > 0 || len(rows) != 4 {
		t.Fatalf("parse: %d rows, errors %v", len(rows), bad)
	}
	out := make([]Signal, len(rows))
	for i, r := range rows {
		out[i] = r.Signal
	}
	return out
}

func window(rows []Signal, start, end string) []Signal {
	var out []Signal
	for _, r := range rows {
		if InWindow(r.Date, start, end) {
			out = append(out, r)
		}
	}
	return out
}

// want is a figure: nil means the metric must be null.
type want struct {
	name string
	got  *float64
	want *float64
}

func checkFigures(t *testing.T, label string, ws []want) {
	t.Helper()
	for _, w := range ws {
		switch {
		case w.want == nil && w.got != nil:
			t.Errorf("%s %s = %v, want null", label, w.name, *w.got)
		case w.want != nil && w.got == nil:
			t.Errorf("%s %s = null, want %v", label, w.name, *w.want)
		case w.want != nil && math.Abs(*w.got-*w.want) > 5e-6:
			t.Errorf("%s %s = %.6f, want %.6f", label, w.name, *w.got, *w.want)
		}
	}
}

// TestWorkedVector checks the hand-worked figures of the reference's sample
// execution log (storage-admin §8). The reference's max_dd (−0.256) is
// cumsum/cummax − 1, the relative fall: here max_dd_pct; max_dd is the same
// fall in the log's units (12.5 → 9.3: −3.2). win_rate is now computed, and the
// end date is inclusive, so the reference's start=08-15&end=08-16 window (which
// kept only 08-15 because its end meant midnight) is end=08-15 here, and
// end=08-16 keeps the 08-16 rows too.
func TestWorkedVector(t *testing.T) {
	now := time.Date(2025, 8, 17, 0, 0, 0, 0, time.UTC)
	rows := sample(t)
	m := Compute(rows, now)
	if m.Trades != 3 || m.PerfSource != "pnl" || math.Abs(m.CumReturn-16.4) > 1e-9 {
		t.Fatalf("whole file: trades %d source %s cum %v", m.Trades, m.PerfSource, m.CumReturn)
	}
	checkFigures(t, "whole", []want{
		{"sharpe", m.Sharpe, F(1.45385)}, {"sortino", m.Sortino, nil}, {"max_dd", m.MaxDD, F(-3.2)},
		{"max_dd_pct", m.MaxDDPct, F(-0.256)}, {"fill_rate", m.FillRate, F(0.75)},
		{"avg_slippage", m.AvgSlippage, F(0.016667)}, {"coverage_pct", m.CoveragePct, F(100)},
		{"win_rate", m.WinRate, F(2.0 / 3)}, {"capacity", m.Capacity, nil},
		// last ts 2025-08-16T15:30Z, now 2025-08-17T00:00Z
		{"freshness_sec", m.FreshnessSec, F(8.5 * 3600)},
	})

	w := Compute(window(rows, "2025-08-15", "2025-08-15"), now)
	if w.Trades != 2 || math.Abs(w.CumReturn-9.3) > 1e-9 {
		t.Fatalf("08-15: trades %d cum %v", w.Trades, w.CumReturn)
	}
	checkFigures(t, "08-15", []want{
		{"sharpe", w.Sharpe, F(0.83772)}, {"max_dd_pct", w.MaxDDPct, F(-0.256)}, {"max_dd", w.MaxDD, F(-3.2)},
		{"fill_rate", w.FillRate, F(1)}, {"avg_slippage", w.AvgSlippage, F(0)}, {"win_rate", w.WinRate, F(0.5)},
	})
	if incl := window(rows, "2025-08-15", "2025-08-16"); len(incl) != 4 {
		t.Fatalf("end date inclusive: %d rows in 08-15..08-16, want 4", len(incl))
	}
}

func filledRow(date string, pnl float64) Signal {
	ts, _ := time.Parse(time.DateOnly, date)
	ts = ts.Add(15 * time.Hour)
	return Signal{Date: date, TS: ts, ExecTS: &ts, Status: StatusFilled, PnL: F(pnl), Slippage: F(0.01)}
}

// TestEdgeWindows: no-loss, single-trade, all-unfilled and empty windows give
// numbers or nulls, never NaN or Inf.
func TestEdgeWindows(t *testing.T) {
	now := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	// No losses: σ of the losses is undefined → sortino null; the curve only
	// rises → max_dd 0.
	noLoss := Compute([]Signal{filledRow("2025-08-01", 1), filledRow("2025-08-02", 2), filledRow("2025-08-03", 3)}, now)
	if noLoss.Trades != 3 || noLoss.CumReturn != 6 {
		t.Fatalf("no-loss: %+v", noLoss)
	}
	checkFigures(t, "no-loss", []want{
		{"sharpe", noLoss.Sharpe, F(2 / math.Sqrt(2.0/3) * math.Sqrt(3))}, {"sortino", noLoss.Sortino, nil},
		{"max_dd", noLoss.MaxDD, F(0)}, {"max_dd_pct", noLoss.MaxDDPct, F(0)}, {"win_rate", noLoss.WinRate, F(1)},
		{"fill_rate", noLoss.FillRate, F(1)}, {"coverage_pct", noLoss.CoveragePct, F(100)},
	})
	// One trade: no dispersion → sharpe and sortino null.
	one := Compute([]Signal{filledRow("2025-08-05", -2)}, now)
	if one.Trades != 1 || one.CumReturn != -2 {
		t.Fatalf("single: %+v", one)
	}
	checkFigures(t, "single", []want{
		{"sharpe", one.Sharpe, nil}, {"sortino", one.Sortino, nil}, {"max_dd", one.MaxDD, F(-2)},
		{"max_dd_pct", one.MaxDDPct, nil}, {"win_rate", one.WinRate, F(0)}, {"fill_rate", one.FillRate, F(1)},
	})
	// Nothing filled: no trades, fill rate 0, the rest null.
	ts := time.Date(2025, 8, 6, 15, 0, 0, 0, time.UTC)
	unfilled := Compute([]Signal{
		{Date: "2025-08-06", TS: ts, ExecTS: &ts, Status: StatusCanceled},
		{Date: "2025-08-08", TS: ts.Add(48 * time.Hour), Status: StatusPending},
	}, now)
	if unfilled.Trades != 0 || unfilled.CumReturn != 0 || unfilled.PerfSource != "none" {
		t.Fatalf("unfilled: %+v", unfilled)
	}
	checkFigures(t, "unfilled", []want{
		{"fill_rate", unfilled.FillRate, F(0)}, {"sharpe", unfilled.Sharpe, nil}, {"win_rate", unfilled.WinRate, nil},
		{"max_dd", unfilled.MaxDD, nil}, {"avg_slippage", unfilled.AvgSlippage, nil},
		{"coverage_pct", unfilled.CoveragePct, F(2.0 / 3 * 100)},
	})
	empty := Compute(nil, now)
	if empty.Trades != 0 || empty.Rows != 0 || empty.CumReturn != 0 {
		t.Fatalf("empty: %+v", empty)
	}
	checkFigures(t, "empty", []want{
		{"sharpe", empty.Sharpe, nil}, {"fill_rate", empty.FillRate, nil}, {"coverage_pct", empty.CoveragePct, nil},
		{"freshness_sec", empty.FreshnessSec, nil}, {"max_dd", empty.MaxDD, nil},
	})
	// Planned signals only (no executions): perf is the planned rr.
	plan := Compute([]Signal{{Date: "2025-08-01", RR: F(2)}, {Date: "2025-08-01", HourET: 11, RR: F(2)}}, now)
	if plan.PerfSource != "rr" || plan.Trades != 2 || plan.CumReturn != 4 || plan.Sharpe != nil {
		t.Fatalf("plan: %+v", plan)
	}
}

// TestDrawdownBelowZero: a curve that starts with losses has a drawdown in
// the log's units and no relative figure until it rises above zero.
func TestDrawdownBelowZero(t *testing.T) {
	m := Compute([]Signal{filledRow("2025-08-01", -1), filledRow("2025-08-02", -1), filledRow("2025-08-03", 4), filledRow("2025-08-04", -1)}, time.Time{})
	checkFigures(t, "below zero", []want{{"max_dd", m.MaxDD, F(-2)}, {"max_dd_pct", m.MaxDDPct, F(-0.5)}})
}

func TestExecLogErrors(t *testing.T) {
	in := "ts,model_id,ticker,side,status,pnl\n" +
		"2025-08-15T14:30:00Z,m1,SPY,buy,filled,1\n" +
		"not-a-time,m1,SPY,buy,filled,1\n" +
		"2025-08-15T15:30:00Z,BAD ID,spy,hold,weird,x\n" +
		"2025-08-15T14:45:00Z,m1,SPY,buy,filled,2\n"
	rows, bad := ParseExecLog(strings.NewReader(in), ny(t))
	if len(rows) != 1 {
		t.Fatalf("rows %d", len(rows))
	}
	lines := map[int][]string{}
	for _, e := range bad {
		lines[e.Line] = append(lines[e.Line], e.Column)
	}
	if len(lines[3]) != 1 || lines[3][0] != "ts" || len(lines[4]) != 4 || len(lines[5]) != 1 {
		t.Fatalf("errors by line: %v (%v)", lines, bad)
	}
	if _, bad := ParseExecLog(strings.NewReader("ts,model_id\n"), ny(t)); len(bad) != 1 || bad[0].Line != 1 {
		t.Fatalf("missing columns: %v", bad)
	}
}
