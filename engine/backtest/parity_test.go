package backtest

import (
	"math"
	"testing"
)

// twoDays: day 1 bars 0..2, day 2 bars 3..6, hourly; ATR fixed at 1.
func twoDays() Bars {
	h := int64(3600_000)
	return Bars{
		TS:    []int64{0, h, 2 * h, 24 * h, 25 * h, 26 * h, 27 * h},
		Date:  []string{"d1", "d1", "d1", "d2", "d2", "d2", "d2"},
		Open:  []float64{100, 100, 100, 100, 100.5, 101, 99},
		High:  []float64{100, 100, 100, 101, 102, 104, 100},
		Low:   []float64{100, 100, 100, 99.5, 100, 100.5, 96},
		Close: []float64{100, 100, 100, 100.5, 101, 103.5, 97},
		ATR:   []float64{1, 1, 1, 1, 1, 1, 1},
	}
}

func TestParityLongTarget(t *testing.T) {
	// Signal on day 1 ⇒ entry at bar 3 open 100; stop 98.5, target 103;
	// 120 min = 2 bars (3, 4): neither hit ⇒ time-out at close of bar 4 (101).
	r := Parity(twoDays(), []Signal{{Row: 1, Side: 1}}, Brackets{})
	if r.Trades != 1 || r.Timeouts != 1 || r.BarsStop != 2 || math.Abs(r.AvgReturnPct-1) > 1e-12 ||
		math.Abs(r.AvgRR-1/1.5) > 1e-12 {
		t.Fatalf("%+v", r)
	}
	// 180 min = 3 bars: bar 5 high 104 ≥ 103 ⇒ win at rr 2.
	r = Parity(twoDays(), []Signal{{Row: 1, Side: 1}}, Brackets{TimeStopMinutes: 180})
	if r.Wins != 1 || r.HitRate != 1 || math.Abs(r.AvgRR-2) > 1e-12 || math.Abs(r.AvgReturnPct-3) > 1e-12 {
		t.Fatalf("%+v", r)
	}
}

func TestParityShortAndBothTouched(t *testing.T) {
	// Next bar entry after bar 5: entry 99 at bar 6; short stop 100.5, target 96.
	// Bar 6 touches the target low 96 but not the stop ⇒ win.
	r := Parity(twoDays(), []Signal{{Row: 5, Side: -1}}, Brackets{EntryMode: EntryNextBar})
	if r.Wins != 1 || math.Abs(r.AvgRR-2) > 1e-12 {
		t.Fatalf("%+v", r)
	}
	// A long entered at bar 6 (open 99): stop 97.5 and target 102; low 96 ⇒ stop.
	r = Parity(twoDays(), []Signal{{Row: 5, Side: 1}}, Brackets{EntryMode: EntryNextBar})
	if r.Losses != 1 || math.Abs(r.AvgRR+1) > 1e-12 {
		t.Fatalf("%+v", r)
	}
	// Wide bar touching both: stop counts.
	b := twoDays()
	b.High[6], b.Low[6] = 110, 90
	r = Parity(b, []Signal{{Row: 5, Side: 1}}, Brackets{EntryMode: EntryNextBar})
	if r.Losses != 1 {
		t.Fatalf("both touched must count as a stop: %+v", r)
	}
}

func TestParitySkipsOverlapAndMissing(t *testing.T) {
	r := Parity(twoDays(), []Signal{{Row: 0, Side: 1}, {Row: 1, Side: 1}, {Row: 6, Side: 1}}, Brackets{})
	// Rows 0 and 1 share the entry bar 3: the second overlaps; row 6 has no next session.
	if r.Trades != 1 || r.Skipped != 2 || r.Signals != 3 {
		t.Fatalf("%+v", r)
	}
	b := twoDays()
	b.ATR = nil // computed: NaN during the 14-bar warm-up ⇒ nothing tradeable
	if r := Parity(b, []Signal{{Row: 1, Side: 1}}, Brackets{}); r.OK || r.Trades != 0 || r.Reason == "" {
		t.Fatalf("%+v", r)
	}
}

func TestWilderATR(t *testing.T) {
	c := []float64{10, 11, 10, 12}
	h := []float64{10.5, 11.5, 11, 12.5}
	l := []float64{9.5, 10, 9.5, 10}
	a := wilderATR(h, l, c, 2)
	// TR: 1, 1.5, 1.5, 2.5; EWM α=1/2: 1, 1.25, 1.375, 1.9375; NaN before 2 bars.
	if !math.IsNaN(a[0]) || a[1] != 1.25 || a[2] != 1.375 || a[3] != 1.9375 {
		t.Fatalf("%v", a)
	}
}
