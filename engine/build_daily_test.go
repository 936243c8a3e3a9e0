package engine_test

import (
	"context"
	"math"
	"testing"

	"sigmalab/app/apptest"
	"sigmalab/engine"
	"sigmalab/engine/market"
)

// With only hourly bars stored, daily bars are derived from them (regular
// hours, stamped at 00:00 New York), so daily indicators are not all NaN.
func TestDailyBarsFromIntraday(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	sess, err := market.Sessions("2024-03-04", "2024-03-08")
	if err != nil {
		t.Fatal(err)
	}
	b := market.NewBars("ABC", market.TF1h, market.SourceFile, 0)
	px := 100.0
	for _, s := range sess {
		for h := 9; h <= 15; h++ {
			ts, _ := market.ETMillis(s.Date, h, 30)
			if h == 15 {
				ts, _ = market.ETMillis(s.Date, 15, 0)
			}
			b.Append(ts, px, px+1, px-1, px+0.5, 1000, math.NaN())
			px += 0.5
		}
	}
	if _, err := a.Lab.Market.WriteBars(ctx, b); err != nil {
		t.Fatal(err)
	}
	from, _ := market.ETMillis("2024-03-04", 0, 0)
	to, _ := market.ETMillis("2024-03-09", 0, 0)
	d, err := engine.DailyFromIntradayForTest(ctx, a.Lab.Market, "ABC", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != len(sess) {
		t.Fatalf("%d daily bars from %d sessions", d.Len(), len(sess))
	}
	for i, s := range sess {
		want, _ := market.ETMillis(s.Date, 0, 0)
		if d.TS[i] != want || d.Volume[i] <= 0 || !(d.High[i] >= d.Close[i]) {
			t.Fatalf("day %s: %+v", s.Date, d)
		}
	}
}
