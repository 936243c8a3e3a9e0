package matrix

import (
	"context"
	"fmt"
	"math"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// Source is the slice of the market-data port the builders read. market.Store
// satisfies it; tests wrap it to hide data after a cut-off time.
type Source interface {
	ReadBars(ctx context.Context, ticker, timeframe string, from, to int64) (*market.Bars, error)
	ReadOptionBars(ctx context.Context, underlying, date string) (*market.OptionBars, error)
	ReadChains(ctx context.Context, underlying string, from, to int64) (*market.Chain, error)
}

// FeatureFunc computes feature columns on a bar series (oldest first). extra
// holds further aligned columns the indicators may read (the 0DTE flow totals
// for options matrices). It returns names and columns aligned with bars; every
// output row may use only bars up to and including its own (the indicator
// package guarantees that).
type FeatureFunc func(ctx context.Context, bars *market.Bars, extra map[string][]float64) ([]string, [][]float64, error)

// hourMS is one hour in milliseconds.
const hourMS = int64(time.Hour / time.Millisecond)

// sessionsIn validates the date range and returns its NYSE sessions.
func sessionsIn(start, end string) ([]market.Session, error) {
	v := &errs.Validation{}
	s, err1 := market.ParseDate(start)
	if err1 != nil {
		v.Add("body", "start", "start/end must be ISO date YYYY-MM-DD", "value_error.date")
	}
	e, err2 := market.ParseDate(end)
	if err2 != nil {
		v.Add("body", "end", "start/end must be ISO date YYYY-MM-DD", "value_error.date")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if e.Before(s) {
		return nil, errs.Field("body", "end", "end must be on or after start")
	}
	if e.Sub(s) > 40*365*24*time.Hour {
		return nil, errs.Field("body", "end", "range longer than 40 years")
	}
	sess, err := market.Sessions(start, end)
	if err != nil {
		return nil, errs.Invalidf("sessions %s..%s: %v", start, end, err)
	}
	if len(sess) == 0 {
		return nil, fmt.Errorf("no trading session between %s and %s: %w", start, end, errs.ErrNoData)
	}
	return sess, nil
}

// sessionsBefore returns the n sessions strictly before date (oldest first).
func sessionsBefore(date string, n int) string {
	d := date
	for i := 0; i < n; i++ {
		p, err := market.PrevSession(d)
		if err != nil {
			break
		}
		d = p
	}
	return d
}

// dayStartMS is 00:00 ET of date.
func dayStartMS(date string) int64 {
	ms, _ := market.ETMillis(date, 0, 0)
	return ms
}

// nextDayStartMS is 00:00 ET of the calendar day after date.
func nextDayStartMS(date string) int64 {
	t, _ := market.ParseDate(date)
	return t.AddDate(0, 0, 1).UnixMilli()
}

// barIndex maps bar start time to index.
func barIndex(b *market.Bars) map[int64]int {
	idx := make(map[int64]int, b.Len())
	for i, ts := range b.TS {
		idx[ts] = i
	}
	return idx
}

// computeFeatures runs ff on bars and gathers the outputs at the given bar
// indices (-1 → NaN). Returns names and row-aligned columns.
func computeFeatures(ctx context.Context, ff FeatureFunc, bars *market.Bars, extra map[string][]float64, at []int) ([]string, [][]float64, error) {
	if ff == nil || bars.Len() == 0 {
		return nil, nil, nil
	}
	names, cols, err := ff(ctx, bars, extra)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]float64, len(cols))
	for j, c := range cols {
		if len(c) != bars.Len() {
			return nil, nil, fmt.Errorf("feature %s has %d rows, want %d", names[j], len(c), bars.Len())
		}
		o := make([]float64, len(at))
		for i, k := range at {
			if k < 0 {
				o[i] = math.NaN()
			} else {
				o[i] = c[k]
			}
		}
		out[j] = o
	}
	return names, out, nil
}

// addFeatureCols appends feature columns, refusing names that would shadow a
// builder column (an indicator named like a flow column is a config error).
func addFeatureCols(m *Matrix, names []string, cols [][]float64) error {
	for j, name := range names {
		if m.ColIndex(name) >= 0 || IsKeyCol(name) {
			return errs.Invalidf("indicator output %q collides with a matrix column", name)
		}
		m.AddCol(name, cols[j])
	}
	return nil
}

func nanCol(n int) []float64 {
	c := make([]float64, n)
	for i := range c {
		c[i] = math.NaN()
	}
	return c
}

// pricesAt gathers the underlying bar's OHLC for each row (NaN when absent).
func pricesAt(b *market.Bars, at []int) (o, h, l, c []float64) {
	n := len(at)
	o, h, l, c = nanCol(n), nanCol(n), nanCol(n), nanCol(n)
	for i, k := range at {
		if k >= 0 {
			o[i], h[i], l[i], c[i] = b.Open[k], b.High[k], b.Low[k], b.Close[k]
		}
	}
	return
}

// optionPrefetcher reads the option bars of several sessions concurrently
// (the store decodes one Parquet file per session) while the builder consumes
// them strictly in session order. At most `workers` sessions are read or
// waiting at any time, so memory stays bounded on long ranges.
type optionPrefetcher struct {
	slots  []chan optionFetch
	sem    chan struct{}
	cancel context.CancelFunc
}

type optionFetch struct {
	ob  *market.OptionBars
	err error
}

func newOptionPrefetcher(ctx context.Context, src Source, ticker string, dates []string, workers int) *optionPrefetcher {
	ctx, cancel := context.WithCancel(ctx)
	p := &optionPrefetcher{slots: make([]chan optionFetch, len(dates)), sem: make(chan struct{}, max(1, workers)), cancel: cancel}
	for i := range p.slots {
		p.slots[i] = make(chan optionFetch, 1)
	}
	go func() {
		for i, d := range dates {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(i int, d string) {
				ob, err := src.ReadOptionBars(ctx, ticker, d)
				p.slots[i] <- optionFetch{ob, err}
			}(i, d)
		}
	}()
	return p
}

// get waits for session i's bars (call with i = 0, 1, 2 … in order).
func (p *optionPrefetcher) get(ctx context.Context, i int) (*market.OptionBars, error) {
	select {
	case f := <-p.slots[i]:
		<-p.sem
		return f.ob, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stop cancels outstanding reads.
func (p *optionPrefetcher) stop() { p.cancel() }
