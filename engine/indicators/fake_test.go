package indicators

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"sigmalab/engine/options"
)

// The test market: every price is a deterministic function of time, so the
// fake source answers any query window consistently (as a real store would).

var nyc = func() *time.Location { l, _ := time.LoadLocation("America/New_York"); return l }()

// spotAtTime is a smooth deterministic path around 500.
func spotAtTime(ms int64) float64 {
	x := float64(ms) / 3.6e6 // hours
	return 500 + 8*math.Sin(x/37) + 3*math.Sin(x/5.3) + 0.7*math.Sin(x*1.9)
}

// synthFrame builds n hourly bars (04:00–19:00 ET sessions on weekdays) from start.
func synthFrame(n int, seed uint64) *Frame {
	r := rand.New(rand.NewPCG(seed, 7))
	f := &Frame{Ticker: "SPY", BarMs: 3600000}
	d := time.Date(2024, 6, 3, 0, 0, 0, 0, nyc)
	for len(f.TS) < n {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			for h := 4; h <= 19 && len(f.TS) < n; h++ {
				t := time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, nyc).UnixMilli()
				o := spotAtTime(t) + r.NormFloat64()*0.2
				c := spotAtTime(t+3600000) + r.NormFloat64()*0.2
				hi := math.Max(o, c) + r.Float64()*0.8
				lo := math.Min(o, c) - r.Float64()*0.8
				v := math.Round(1000 + 5000*r.Float64())
				if r.IntN(40) == 0 {
					v = 0
				}
				f.TS = append(f.TS, t)
				f.Open = append(f.Open, o)
				f.High = append(f.High, hi)
				f.Low = append(f.Low, lo)
				f.Close = append(f.Close, c)
				f.Volume = append(f.Volume, v)
				f.VWAP = append(f.VWAP, (hi+lo+c)/3)
			}
		}
		d = d.AddDate(0, 0, 1)
	}
	f.Cols = map[string][]float64{}
	calls := make([]float64, n)
	puts := make([]float64, n)
	for i := range calls {
		calls[i] = math.Round(100 + 900*r.Float64())
		puts[i] = math.Round(100 + 900*r.Float64())
	}
	f.Cols["calls_sold_total"] = calls
	f.Cols["puts_sold_total"] = puts
	return f
}

func truncate(f *Frame, m int) *Frame {
	g := &Frame{Ticker: f.Ticker, BarMs: f.BarMs, TS: f.TS[:m:m], Open: f.Open[:m:m], High: f.High[:m:m], Low: f.Low[:m:m],
		Close: f.Close[:m:m], Volume: f.Volume[:m:m]}
	if f.VWAP != nil {
		g.VWAP = f.VWAP[:m:m]
	}
	g.Cols = map[string][]float64{}
	for k, v := range f.Cols {
		g.Cols[k] = v[:m:m]
	}
	return g
}

type fakeSource struct {
	vol      func(expiry string, K float64) float64 // implied vol surface
	spot     func(ms int64) float64                 // underlying path; nil = spotAtTime
	noChains bool
	calls    int
}

func (s *fakeSource) spotFn(ms int64) float64 {
	if s.spot != nil {
		return s.spot(ms)
	}
	return spotAtTime(ms)
}

func (s *fakeSource) Bars(_ context.Context, ticker, tf string, from, to int64) (*Frame, error) {
	s.calls++
	f := &Frame{Ticker: ticker}
	level := func(t int64) float64 {
		switch ticker {
		case "I:VIX":
			return 14 + 2*math.Sin(float64(t)/8.64e7/3)
		case "I:VIX3M":
			return 16 + 1.5*math.Sin(float64(t)/8.64e7/5)
		}
		return s.spotFn(t)
	}
	switch tf {
	case "1d":
		d := time.UnixMilli(from).In(nyc)
		d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, nyc)
		for ; d.UnixMilli() < to; d = d.AddDate(0, 0, 1) {
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			open := time.Date(d.Year(), d.Month(), d.Day(), 9, 30, 0, 0, nyc).UnixMilli()
			cl := time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, nyc).UnixMilli()
			hi, lo := math.Inf(-1), math.Inf(1)
			for t := open; t <= cl; t += 15 * 60000 {
				hi, lo = math.Max(hi, level(t)), math.Min(lo, level(t))
			}
			f.TS = append(f.TS, d.UnixMilli())
			f.Open = append(f.Open, level(open))
			f.High = append(f.High, hi)
			f.Low = append(f.Low, lo)
			f.Close = append(f.Close, level(cl))
			f.Volume = append(f.Volume, 1e6)
			f.VWAP = append(f.VWAP, (hi+lo+level(cl))/3)
		}
	default:
		step := int64(5 * 60000)
		if tf == "1m" {
			step = 60000
		}
		for t := (from/step + 1) * step; t < to; t += step {
			f.TS = append(f.TS, t)
			o, c := level(t), level(t+step)
			f.Open = append(f.Open, o)
			f.High = append(f.High, math.Max(o, c)+0.05)
			f.Low = append(f.Low, math.Min(o, c)-0.05)
			f.Close = append(f.Close, c)
			f.Volume = append(f.Volume, 100)
		}
	}
	return f, nil
}

// snapshot times: 09:45, 12:00 and 15:30 ET of every weekday.
func snapshotTimes(day time.Time) []int64 {
	var out []int64
	for _, hm := range [][2]int{{9, 45}, {12, 0}, {15, 30}} {
		out = append(out, time.Date(day.Year(), day.Month(), day.Day(), hm[0], hm[1], 0, 0, nyc).UnixMilli())
	}
	return out
}

func (s *fakeSource) chainAt(asOf int64, expiry string) options.Chain {
	spot := s.spotFn(asOf)
	ch := options.Chain{Underlying: "SPY", Expiry: expiry, AsOf: asOf, Spot: spot}
	T := options.YearFrac(asOf, expiry)
	center := math.Round(spot)
	for K := center - 15; K <= center+15; K++ {
		for _, call := range []bool{true, false} {
			v := s.vol(expiry, K)
			p := options.Price(call, spot, K, T, 0, 0, v)
			oi := math.Round(1000 * math.Exp(-math.Abs(K-center-3)/6))
			if !call {
				oi = math.Round(800 * math.Exp(-math.Abs(K-center+4)/5))
			}
			ch.Contracts = append(ch.Contracts, options.Contract{Strike: K, Call: call, Bid: p, Ask: p, IV: math.NaN(),
				Delta: math.NaN(), Gamma: math.NaN(), OI: oi + float64(int(asOf/86400000)%7)})
		}
	}
	return ch
}

func (s *fakeSource) Chains(_ context.Context, und string, asOf int64, minExp, maxExp string) ([]options.Chain, error) {
	s.calls++
	if s.noChains {
		return nil, nil
	}
	// latest snapshot time ≤ asOf
	d := time.UnixMilli(asOf).In(nyc)
	var snap int64 = -1
	for k := 0; k < 7 && snap < 0; k++ {
		day := time.Date(d.Year(), d.Month(), d.Day()-k, 0, 0, 0, 0, nyc)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		ts := snapshotTimes(day)
		for j := len(ts) - 1; j >= 0; j-- {
			if ts[j] <= asOf {
				snap = ts[j]
				break
			}
		}
	}
	if snap < 0 {
		return nil, nil
	}
	var out []options.Chain
	sd := time.UnixMilli(snap).In(nyc)
	for k := 0; k <= 70; k++ {
		e := time.Date(sd.Year(), sd.Month(), sd.Day()+k, 0, 0, 0, 0, nyc)
		if wd := e.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		exp := e.Format("2006-01-02")
		if exp < minExp || exp > maxExp {
			continue
		}
		if et, _ := options.ExpiryTime(exp); et <= snap {
			continue
		}
		out = append(out, s.chainAt(snap, exp))
	}
	return out, nil
}

func (s *fakeSource) OptionBars(_ context.Context, c options.ContractRef, from, to int64) (*Frame, error) {
	s.calls++
	f := &Frame{}
	exp, _ := options.ExpiryTime(c.Expiry)
	for t := (from + 59999) / 60000 * 60000; t < to && t < exp; t += 60000 {
		tm := time.UnixMilli(t).In(nyc)
		if m := tm.Hour()*60 + tm.Minute(); m < 9*60+30 || m >= 16*60 {
			continue
		}
		// priced at the bar's mid-minute with the surface's vol and the row's spot
		p := options.Price(c.Call, s.spotFn(t), c.Strike, options.YearFrac(t+30000, c.Expiry), 0, 0, s.vol(c.Expiry, c.Strike))
		f.TS = append(f.TS, t)
		f.Open = append(f.Open, p)
		f.High = append(f.High, p)
		f.Low = append(f.Low, p)
		f.Close = append(f.Close, p)
		f.Volume = append(f.Volume, 10)
	}
	return f, nil
}

func flatVol(v float64) func(string, float64) float64 {
	return func(string, float64) float64 { return v }
}
