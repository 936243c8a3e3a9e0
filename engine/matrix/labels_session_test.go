package matrix

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"sigmalab/engine/market"
)

// sessionTestDates span Thanksgiving 2024: 11-28 is a holiday and 11-29 a
// 13:00 half day.
var sessionTestDates = []string{"2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29", "2024-12-02", "2024-12-03", "2024-12-04"}

// extendedHourBars writes hand-made hourly bars of ticker TEST, 04:00 to the
// end of the post-market (20:00 ET, 17:00 on half days), as a random walk
// with a fixed seed. skip drops the bars of date d at the listed ET hours.
func extendedHourBars(t *testing.T, skip map[string][]int) *memSource {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 2024))
	b := market.NewBars("TEST", market.TF1h, market.SourceFile, 0)
	px := 100.0
	for _, d := range sessionTestDates {
		last := 19
		if market.IsHalfDay(d) {
			last = 16
		}
	hours:
		for h := 4; h <= last; h++ {
			o := px
			px = math.Round(px*(1+0.004*rng.NormFloat64())*100) / 100
			for _, s := range skip[d] {
				if s == h {
					continue hours
				}
			}
			ts, err := market.ETMillis(d, h, 0)
			if err != nil {
				t.Fatal(err)
			}
			b.Append(ts, o, math.Max(o, px)+0.05, math.Min(o, px)-0.05, px, 1000, math.NaN())
		}
	}
	s := newMemSource()
	s.addBars(b)
	return s
}

func buildSessionMatrix(t *testing.T, src *memSource, kind string) *Matrix {
	t.Helper()
	m, err := BuildEquity(context.Background(), src, EqSpec{Ticker: "TEST", Start: sessionTestDates[0],
		End: sessionTestDates[len(sessionTestDates)-1], WarmupSessions: 1, Label: LabelConfig{Kind: kind}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func etMS(t *testing.T, d string, h int) int64 {
	t.Helper()
	ms, err := market.ETMillis(d, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// assertAbsent: no class, NaN return, T1 = the row's own bar end (how every
// absent label is written).
func assertAbsent(t *testing.T, m *Matrix, i int, what string) {
	t.Helper()
	if y, r := m.TextCol(LabelCol)[i], m.Col(RetFwdCol)[i]; y != "" || !math.IsNaN(r) || m.T1[i] != m.TS[i]+hourMS {
		t.Fatalf("%s: row %d labelled %q ret %v t1 %d, want absent", what, i, y, r, m.T1[i])
	}
}

// assertLabel: the label equals want bit for bit and ends at t1.
func assertLabel(t *testing.T, m *Matrix, i int, want float64, t1 int64, what string) {
	t.Helper()
	if y, r := m.TextCol(LabelCol)[i], m.Col(RetFwdCol)[i]; y == "" || r != want || m.T1[i] != t1 {
		t.Fatalf("%s: row %d labelled %q ret %v t1 %d, want %v t1 %d", what, i, y, r, m.T1[i], want, t1)
	}
}

// TestForwardDaysNeedsCompleteSession: fwd_ret_{N}d exits at the close of the
// N-th later session; when the input stops inside that session (cut at 12:00)
// the label is absent instead of being priced at the 12:00 bar.
func TestForwardDaysNeedsCompleteSession(t *testing.T) {
	src := extendedHourBars(t, nil)
	full := buildSessionMatrix(t, src, "fwd_ret_1d")
	i := rowOf(t, full, "2024-12-02", 10)
	j := rowOf(t, full, "2024-12-03", 15) // last RTH bar, ends 16:00
	close0, closeN := full.Col("close")[i], full.Col("close")[j]
	want := closeN/close0 - 1
	assertLabel(t, full, i, want, etMS(t, "2024-12-03", 16), "full input")

	noon := buildSessionMatrix(t, src.withCut(etMS(t, "2024-12-03", 12)), "fwd_ret_1d")
	assertAbsent(t, noon, i, "input cut at 12:00")
	if k := rowOf(t, noon, "2024-12-02", 15); noon.TextCol(LabelCol)[k] != "" {
		t.Fatalf("the 15:00 row of 12-02 is labelled from a cut session")
	}
	if k := rowOf(t, noon, "2024-11-29", 10); noon.TextCol(LabelCol)[k] == "" {
		t.Fatal("rows whose horizon session is complete must stay labelled")
	}

	atClose := buildSessionMatrix(t, src.withCut(etMS(t, "2024-12-03", 16)), "fwd_ret_1d")
	assertLabel(t, atClose, i, want, etMS(t, "2024-12-03", 16), "input cut at the 16:00 close")

	// an afternoon hole with the post-market present: the last RTH bar (12:00)
	// does not reach the close either.
	hole := buildSessionMatrix(t, extendedHourBars(t, map[string][]int{"2024-12-03": {13, 14, 15}}), "fwd_ret_1d")
	assertAbsent(t, hole, rowOf(t, hole, "2024-12-02", 10), "afternoon hole")
}

// TestForwardDaysHalfDayIsComplete: on the 13:00 half day after Thanksgiving
// the 12:00 bar is the close; a two-session horizon from 11-26 (skipping the
// holiday) ends there, also when the input stops at 13:00, but not at 12:00.
func TestForwardDaysHalfDayIsComplete(t *testing.T) {
	src := extendedHourBars(t, nil)
	full := buildSessionMatrix(t, src, "fwd_ret_2d")
	i := rowOf(t, full, "2024-11-26", 11)
	j := rowOf(t, full, "2024-11-29", 12)
	want := full.Col("close")[j]/full.Col("close")[i] - 1
	closeMS := etMS(t, "2024-11-29", 13)
	assertLabel(t, full, i, want, closeMS, "half day, full input")

	cut := buildSessionMatrix(t, src.withCut(closeMS), "fwd_ret_2d")
	assertLabel(t, cut, i, want, closeMS, "half day, input cut at its 13:00 close")

	noon := buildSessionMatrix(t, src.withCut(etMS(t, "2024-11-29", 12)), "fwd_ret_2d")
	assertAbsent(t, noon, i, "half day cut at 12:00")
}

// TestCloseToOpenNeedsCloseAndNextOpen: close_to_open needs the real close of
// the row's session and the open of the calendar's next session.
func TestCloseToOpenNeedsCloseAndNextOpen(t *testing.T) {
	full := buildSessionMatrix(t, extendedHourBars(t, nil), "close_to_open")
	i := rowOf(t, full, "2024-12-02", 10)
	c := rowOf(t, full, "2024-12-02", 15)
	o := rowOf(t, full, "2024-12-03", 9)
	want := full.Col("open")[o]/full.Col("close")[c] - 1
	assertLabel(t, full, i, want, full.TS[o], "full input")
	// the half day's close (12:00 bar) to the next Monday's open
	h := rowOf(t, full, "2024-11-29", 10)
	want = full.Col("open")[rowOf(t, full, "2024-12-02", 9)]/full.Col("close")[rowOf(t, full, "2024-11-29", 12)] - 1
	assertLabel(t, full, h, want, etMS(t, "2024-12-02", 9), "half day")

	for _, c := range []struct {
		name string
		skip map[string][]int
	}{
		{"afternoon hole in the row's session", map[string][]int{"2024-12-02": {13, 14, 15}}},
		{"next session missing", map[string][]int{"2024-12-03": {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}}},
		{"next session's morning missing", map[string][]int{"2024-12-03": {9, 10}}},
	} {
		m := buildSessionMatrix(t, extendedHourBars(t, c.skip), "close_to_open")
		assertAbsent(t, m, rowOf(t, m, "2024-12-02", 10), c.name)
	}
}

// TestSessionLabelsOnHandRows: the same rule on hand-written RTH rows, for
// every label that prices the session close.
func TestSessionLabelsOnHandRows(t *testing.T) {
	closes := []float64{100, 100.5, 101, 100.8, 101.2, 101.4, 101.6, 102, 103, 104, 105, 106, 107, 108}
	for _, c := range []struct {
		name   string
		dates  []string
		n      int // rows given: 7 for the first date, the rest for the second
		absent bool
	}{
		{"full day", []string{"2024-07-01", "2024-07-02"}, 14, false},
		{"second day cut at 12:00", []string{"2024-07-01", "2024-07-02"}, 10, true},
		{"half day complete at 13:00", []string{"2024-07-02", "2024-07-03"}, 11, false},
		{"half day cut at 12:00", []string{"2024-07-02", "2024-07-03"}, 10, true},
	} {
		m, in := hourlyRows(c.dates, closes[:c.n])
		if err := ApplyLabel(m, LabelConfig{Kind: "fwd_ret_1d"}, in); err != nil {
			t.Fatal(err)
		}
		r := m.Col(RetFwdCol)
		if c.absent {
			assertAbsent(t, m, 2, c.name)
		} else if want := closes[c.n-1]/closes[2] - 1; r[2] != want {
			t.Fatalf("%s: ret %v want %v", c.name, r[2], want)
		}
		// the second session's own close labels: head-fake and pin need it too
		for _, kind := range []string{"headfake_reversal", "pin_drift"} {
			m, in := hourlyRows(c.dates, closes[:c.n])
			for i := range in.Open {
				in.Open[i] = in.Close[i] - 0.1
			}
			// drift from 11:00 so that a half day's pin window ends before its close
			if err := ApplyLabel(m, LabelConfig{Kind: kind, DriftStartTime: "11:00"}, in); err != nil {
				t.Fatal(err)
			}
			if got := m.TextCol(LabelCol)[7] != ""; got == c.absent {
				t.Fatalf("%s %s: first row of the second session labelled = %v", c.name, kind, got)
			}
		}
	}
}
