package market

import (
	"math"
	"testing"
)

func TestAggregate(t *testing.T) {
	s, _ := SessionOn("2024-07-03") // half day
	m := NewBars("X", TF1m, SourceFile, 0)
	pre := s.Open - 30*60_000 // 09:00 ET, pre-market
	for ts := pre; ts < s.Close; ts += 60_000 {
		k := float64((ts - pre) / 60_000)
		m.Append(ts, 100+k, 100.5+k, 99.5+k, 100.2+k, 10, 100.1+k)
	}
	h, err := Aggregate(m, TF1h)
	if err != nil {
		t.Fatal(err)
	}
	// 09:00–12:59 ET: four hourly bars, the first holding the pre-market half hour.
	if h.Len() != 4 || HourET(h.TS[0]) != 9 || h.Volume[0] != 600 || h.Open[0] != 100 || h.Close[0] != 100.2+59 {
		t.Fatalf("hourly %+v", h)
	}
	if math.Abs(h.VWAP[0]-(100.1+29.5)) > 1e-9 {
		t.Fatalf("vwap %v", h.VWAP[0])
	}
	d, _ := Aggregate(m, TF1d)
	if d.Len() != 1 || d.Open[0] != 130 || d.Volume[0] != 210*10 || SessionDate(d.TS[0]) != "2024-07-03" || MinuteOfDayET(d.TS[0]) != 0 {
		t.Fatalf("daily %+v", d)
	}
	f5, _ := Aggregate(m, TF5m)
	if f5.Len() != 240/5 || f5.Volume[0] != 50 {
		t.Fatalf("5m %d", f5.Len())
	}
	if _, err := Aggregate(h, TF1m); err == nil {
		t.Fatal("finer target accepted")
	}
	if r := RTH(m); r.Len() != 210 {
		t.Fatalf("RTH %d", r.Len())
	}
}
