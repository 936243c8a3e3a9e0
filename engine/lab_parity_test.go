package engine

import (
	"context"
	"testing"

	"sigmalab/engine/backtest"
	"sigmalab/engine/market"
	"sigmalab/engine/matrix"
)

// barStore serves one hourly series from memory; other methods are unused.
type barStore struct {
	market.Store
	bars *market.Bars
}

func (s barStore) ReadBars(_ context.Context, ticker, tf string, from, to int64) (*market.Bars, error) {
	out := market.NewBars(ticker, tf, "test", 0)
	if ticker != s.bars.Ticker || tf != s.bars.Timeframe {
		return out, nil
	}
	for i, ts := range s.bars.TS {
		if ts >= from && (to <= 0 || ts < to) {
			out.AppendFrom(s.bars, i)
		}
	}
	return out, nil
}

// trendingHours: 12 sessions of 7 hourly bars rising 1 per bar with a range
// of 1.5, so longs reach a 3·ATR target within a session.
func trendingHours(t *testing.T) *market.Bars {
	t.Helper()
	b := market.NewBars("SPY", market.TF1h, "test", 0)
	px := 500.0
	sessions, err := market.Sessions("2024-07-08", "2024-07-23")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		for h := 0; h < 7; h++ {
			ts := s.Open + int64(h)*3600_000
			b.Append(ts, px, px+1.25, px-0.25, px+1, 1000, px+0.5)
			px++
		}
	}
	return b
}

// optMatrix mimics the options flow matrix: the underlying's close and the
// hour rows, no open/high/low.
func optMatrix(b *market.Bars) *matrix.Matrix {
	m := &matrix.Matrix{TS: append([]int64(nil), b.TS...), Meta: map[string]string{"ticker": "SPY", "cadence": "hourly", "asset_type": "opt"}}
	for _, ts := range m.TS {
		m.Date = append(m.Date, market.SessionDate(ts))
		m.HourET = append(m.HourET, int32(market.HourET(ts)))
	}
	m.AddCol("close", append([]float64(nil), b.Close...))
	return m
}

// TestParityOptionsMatrixUsesMarketBars: parity on a close-only matrix trades
// on the underlying's stored bars (not a zero-return time-out per signal), and
// reports ok:false with a reason when those bars are unavailable.
func TestParityOptionsMatrixUsesMarketBars(t *testing.T) {
	bars := trendingHours(t)
	m := optMatrix(bars)
	// Long signals on the last bar of sessions 4..10 (ATR is warm by then).
	var rows []int
	var pos []float64
	for i := range m.TS {
		if i%7 == 6 && i/7 >= 3 && i/7 < 10 {
			rows, pos = append(rows, i), append(pos, 1)
		}
	}
	o := &backtest.OOF{Rows: rows}
	res := backtest.Result{Pos: pos}
	br := backtest.Brackets{AtrPeriod: 14, AtrMultStop: 1.5, AtrMultTarget: 3, TimeStopMinutes: 420, EntryMode: backtest.EntryNextSessionOpen}
	ctx := context.Background()

	l := &Lab{Market: barStore{bars: bars}}
	pr := l.parityFor(ctx, m, o, res, br)
	if !pr.OK || pr.Trades != len(rows) || pr.Wins != len(rows) || pr.Timeouts != 0 || !(pr.AvgRR > 1.9) || !(pr.AvgReturnPct > 0) {
		t.Fatalf("parity on market bars: %+v", pr)
	}
	if pr.BarSource != "market:SPY/1h" {
		t.Fatalf("bar source %q", pr.BarSource)
	}

	for name, lab := range map[string]*Lab{
		"no store":  {},
		"no bars":   {Market: barStore{bars: market.NewBars("QQQ", market.TF1h, "test", 0)}},
		"no ticker": {Market: barStore{bars: bars}},
	} {
		mm := m
		if name == "no ticker" {
			mm = optMatrix(bars)
			delete(mm.Meta, "ticker")
		}
		pr := lab.parityFor(ctx, mm, o, res, br)
		if pr.OK || pr.Trades != 0 || pr.Timeouts != 0 || pr.Reason == "" || pr.Signals != len(rows) {
			t.Fatalf("%s: want ok:false with a reason, got %+v", name, pr)
		}
	}
	// Close alone is never simulated, even handed to Parity directly.
	if pr := backtest.Parity(backtest.Bars{TS: m.TS, Date: m.Date, Close: m.Col("close")},
		[]backtest.Signal{{Row: 30, Side: 1}}, br); pr.OK || pr.Trades != 0 || pr.Reason == "" {
		t.Fatalf("close-only bars: %+v", pr)
	}
}
