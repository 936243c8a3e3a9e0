package matrix

import (
	"context"
	"math"
	"testing"
)

// TestDailyFromHourlyNeedsCompleteSession: a daily matrix built from hourly
// bars ends each session's row with its last bar, so a session cut at 12:00
// is incomplete and the fwd_ret label that needs its close is absent (it was
// priced at the 12:00 bar).
func TestDailyFromHourlyNeedsCompleteSession(t *testing.T) {
	src := extendedHourBars(t, nil)
	build := func(s *memSource) *Matrix {
		m, err := BuildEquity(context.Background(), s, EqSpec{Ticker: "TEST", Start: sessionTestDates[0],
			End: sessionTestDates[len(sessionTestDates)-1], Cadence: "daily", WarmupSessions: 1,
			Label: LabelConfig{Kind: "fwd_ret_1d"}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	row := func(m *Matrix, d string) int {
		for i, x := range m.Date {
			if x == d {
				return i
			}
		}
		t.Fatalf("no row %s", d)
		return -1
	}
	full := build(src)
	i := row(full, "2024-12-02")
	if r := full.Col(RetFwdCol)[i]; math.IsNaN(r) || full.T1[i] != etMS(t, "2024-12-03", 16) {
		t.Fatalf("full input: 12-02 labelled %v t1 %d", r, full.T1[i])
	}
	cut := build(src.withCut(etMS(t, "2024-12-03", 12)))
	if y, r := cut.TextCol(LabelCol)[row(cut, "2024-12-02")], cut.Col(RetFwdCol)[row(cut, "2024-12-02")]; y != "" || !math.IsNaN(r) {
		t.Fatalf("input cut at 12:00: 12-02 labelled %q %v from the partial 12-03 session", y, r)
	}
	if y := cut.TextCol(LabelCol)[row(cut, "2024-11-29")]; y == "" {
		t.Fatal("11-29, whose horizon session is complete, lost its label")
	}
}
