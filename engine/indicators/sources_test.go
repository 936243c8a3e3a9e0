package indicators

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/options"
)

func runSrc(t *testing.T, f *Frame, src Source, name string, params map[string]any) map[string][]float64 {
	t.Helper()
	cols, err := Compute(context.Background(), name, params, f, src)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string][]float64{}
	for _, c := range cols {
		out[c.Name] = c.Values
	}
	return out
}

// prevDaily returns, for each row, the index of the fake daily bar of the
// previous weekday session and that of the row's own date.
func prevDaily(t *testing.T, f *Frame, d *Frame) (prev, same []int) {
	for i := range f.TS {
		day := time.UnixMilli(f.TS[i]).In(nyc).Format("2006-01-02")
		p, s := -1, -1
		for k := range d.TS {
			dk := time.UnixMilli(d.TS[k]).In(nyc).Format("2006-01-02")
			if dk < day {
				p = k
			}
			if dk == day {
				s = k
			}
		}
		prev = append(prev, p)
		same = append(same, s)
	}
	return
}

func TestDailyAndIndexIndicators(t *testing.T) {
	f := synthFrame(200, 4)
	src := &fakeSource{vol: flatVol(0.2)}
	ctx := context.Background()
	d, _ := src.Bars(ctx, "SPY", "1d", f.TS[0]-400*dayMs, f.TS[len(f.TS)-1]+2*dayMs)
	vix, _ := src.Bars(ctx, "I:VIX", "1d", f.TS[0]-400*dayMs, f.TS[len(f.TS)-1]+2*dayMs)
	vix3, _ := src.Bars(ctx, "I:VIX3M", "1d", f.TS[0]-400*dayMs, f.TS[len(f.TS)-1]+2*dayMs)
	prev, same := prevDaily(t, f, d)
	// recursive daily indicators start from the same history the indicator fetches
	from := func(sessions int) int64 { return f.TS[0] - int64(lookback(sessions))*dayMs - dayMs }
	dAt := func(sessions int) *Frame {
		b, _ := src.Bars(ctx, "SPY", "1d", from(sessions), f.TS[len(f.TS)-1]+2*dayMs)
		return b
	}
	pickFrom := func(b *Frame, v []float64) []float64 {
		p, _ := prevDaily(t, f, b)
		return mapf(f.Len(), func(i int) float64 { return v[p[i]] })
	}
	pick := func(v []float64) []float64 {
		return mapf(f.Len(), func(i int) float64 {
			if prev[i] < 0 {
				return math.NaN()
			}
			return v[prev[i]]
		})
	}
	d140, d200 := dAt(140), dAt(200)
	expectCol(t, "rsi_14_d", runSrc(t, f, src, "daily_rsi", nil)["rsi_14_d"], pickFrom(d140, nRSI(d140.Close, 14)), 1e-9)
	expectCol(t, "ema_20_d", runSrc(t, f, src, "daily_ema", nil)["ema_20_d"], pickFrom(d200, nEMA(d200.Close, 20)), 1e-9)
	expectCol(t, "ret_2d_d", runSrc(t, f, src, "daily_ret", map[string]any{"window": 2})["ret_2d_d"], pick(nPct(d.Close, 2)), 1e-12)
	e20 := nEMA(d200.Close, 20)
	expectCol(t, "dist_ema20_d", runSrc(t, f, src, "daily_dist_to_ema", nil)["dist_ema20_d"],
		pickFrom(d200, mapf(d200.Len(), func(k int) float64 { return (d200.Close[k] - e20[k]) / math.Abs(d200.Close[k]) })), 1e-9)
	expectCol(t, "vwap_d", runSrc(t, f, src, "daily_vwap", nil)["vwap_d"], pick(d.VWAP), 0)
	expectCol(t, "vix_level", runSrc(t, f, src, "vix_level", nil)["vix_level"], pick(vix.Close), 0)
	expectCol(t, "vix_delta", runSrc(t, f, src, "vix_delta", nil)["vix_delta"], mapf(f.Len(), func(i int) float64 {
		return vix.Close[prev[i]] - vix.Close[prev[i]-1]
	}), 1e-12)
	expectCol(t, "vix_term_slope", runSrc(t, f, src, "vix_term_slope", map[string]any{"near": "1m", "far": "3m"})["vix_term_slope"], pick(mapf(vix.Len(), func(k int) float64 { return vix3.Close[k] - vix.Close[k] })), 1e-12)
	expectCol(t, "close_vs_vwap daily", runSrc(t, f, src, "close_vs_vwap", map[string]any{"kind": "daily"})["close_vs_vwap"],
		mapf(f.Len(), func(i int) float64 { v := d.VWAP[prev[i]]; return (f.Close[i] - v) / v }), 1e-12)

	atr14 := nSMA(nTR(d), 14, 14)
	g := runSrc(t, f, src, "open_gap_z", nil)["open_gap_z"]
	for i := range g {
		h := time.UnixMilli(f.TS[i]).In(nyc)
		known := h.Hour()*60+h.Minute()+60 > 9*60+30 // the bar ends after 09:30
		want := math.NaN()
		if known && prev[i] >= 0 && same[i] >= 0 {
			want = (d.Open[same[i]] - d.Close[prev[i]]) / atr14[prev[i]]
		}
		if !near(g[i], want, 1e-12) {
			t.Fatalf("open_gap_z row %d (%s): %v want %v", i, h, g[i], want)
		}
	}
	g = runSrc(t, f, src, "first15m_range_z", nil)["first15m_range_z_15"]
	for i := range g {
		h := time.UnixMilli(f.TS[i]).In(nyc)
		want := math.NaN()
		if h.Hour()*60+60 >= 9*60+45 && prev[i] >= 0 {
			// fake 5m bars 09:30 and 09:35 and 09:40 (3 bars) of that day
			day := time.Date(h.Year(), h.Month(), h.Day(), 9, 30, 0, 0, nyc).UnixMilli()
			b, _ := src.Bars(ctx, "SPY", "5m", day-1, day+15*60000-1)
			hi, lo := math.Inf(-1), math.Inf(1)
			for k := range b.TS {
				hi, lo = math.Max(hi, b.High[k]), math.Min(lo, b.Low[k])
			}
			want = (hi - lo) / atr14[prev[i]]
		}
		if !near(g[i], want, 1e-12) {
			t.Fatalf("first15m row %d (%s): %v want %v", i, h, g[i], want)
		}
	}
	// without a source, indicators that need one fail with ErrNoData
	if _, err := Compute(context.Background(), "vix_level", nil, f, nil); !errors.Is(err, errs.ErrNoData) {
		t.Fatalf("no source: %v", err)
	}
}

// constFrame: hourly bars whose close is always S (so option-bar IVs are exact).
func constFrame(days int, S float64) *Frame {
	f := &Frame{Ticker: "SPY", BarMs: 3600000}
	d := time.Date(2024, 7, 1, 0, 0, 0, 0, nyc)
	for k := 0; k < days; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		k++
		for h := 9; h <= 15; h++ {
			f.TS = append(f.TS, time.Date(d.Year(), d.Month(), d.Day(), h, 0, 0, 0, nyc).UnixMilli())
			f.Open = append(f.Open, S)
			f.High = append(f.High, S+1)
			f.Low = append(f.Low, S-1)
			f.Close = append(f.Close, S)
			f.Volume = append(f.Volume, 1000)
		}
	}
	return f
}

func TestOptionsIndicatorsFlatSurface(t *testing.T) {
	const S, vol = 500.0, 0.2
	f := constFrame(6, S)
	src := &fakeSource{vol: flatVol(vol), spot: func(int64) float64 { return S }}
	col := func(name string, params map[string]any, out string) []float64 {
		return runSrc(t, f, src, name, params)[out]
	}
	// Flat surface: every ATM IV is 0.2, skew, smile and jumps are 0.
	rv := retStd(f.Close, 20)
	checkAll := func(name string, v []float64, want func(i int) float64, tol float64) {
		t.Helper()
		seen := 0
		for i := range v {
			if math.IsNaN(v[i]) {
				continue
			}
			seen++
			if math.Abs(v[i]-want(i)) > tol {
				t.Fatalf("%s row %d = %v want %v", name, i, v[i], want(i))
			}
		}
		if seen == 0 {
			t.Fatalf("%s: all NaN", name)
		}
	}
	_ = rv
	checkAll("iv_realized_spread", col("iv_realized_spread", map[string]any{"window": 3}, "iv_realized_spread_3"), func(int) float64 { return vol }, 1e-8) // constant closes: RV 0
	checkAll("iv_realized_spread/bars", col("iv_realized_spread", map[string]any{"window": 3, "iv_source": "bars"}, "iv_realized_spread_3"), func(int) float64 { return vol }, 1e-7)
	checkAll("iv_skew_25d", col("iv_skew25_delta", nil, "iv_skew_25d"), func(int) float64 { return 0 }, 1e-8)
	checkAll("iv_skew_25d/bars", col("iv_skew25_delta", map[string]any{"iv_source": "bars"}, "iv_skew_25d"), func(int) float64 { return 0 }, 1e-7)
	checkAll("iv_term_slope", col("iv_term_slope", nil, "iv_term_slope"), func(int) float64 { return 0 }, 1e-8)
	checkAll("atm_iv_eod", col("atm_iv_eod", nil, "atm_iv_eod"), func(int) float64 { return vol }, 1e-7)
	checkAll("div_eod", col("div_eod", nil, "div_eod"), func(int) float64 { return 0 }, 1e-7)
	checkAll("atm_iv_open_delta", col("atm_iv_open_delta", nil, "atm_iv_open_delta"), func(int) float64 { return 0 }, 1e-7)
	// 60 one-minute bars: the median averages the two middle prices, a
	// convexity error of ~1e-6 in IV against the midpoint time.
	checkAll("iv_smile_wings", col("iv_smile_wings", nil, "iv_smile_wings"), func(int) float64 { return 0 }, 1e-5)

	// Term structure 0.20 for expiries within 10 days, 0.25 beyond → slope 0.05.
	src2 := &fakeSource{spot: src.spot, vol: func(exp string, _ float64) float64 {
		if exp > "2024-07-20" {
			return 0.25
		}
		return 0.2
	}}
	v := runSrc(t, f, src2, "iv_term_slope", map[string]any{"days_fwd": 30})["iv_term_slope"]
	checkAll("iv_term_slope/structure", v, func(int) float64 { return 0.05 }, 1e-8)

	// Open-interest structure against the fake chain computed by hand.
	ctx := context.Background()
	g := runSrc(t, f, src, "pcr_oi", nil)["pcr_oi"]
	for i := range g {
		asOf := f.TS[i] + f.BarMs
		date := time.UnixMilli(f.TS[i]).In(nyc).Format("2006-01-02")
		chs, _ := src.Chains(ctx, "SPY", asOf, date, date)
		if len(chs) == 0 {
			if !math.IsNaN(g[i]) {
				t.Fatalf("pcr_oi row %d: %v without a snapshot", i, g[i])
			}
			continue
		}
		var p, c float64
		oi := map[float64]float64{}
		for _, k := range chs[0].Contracts {
			if k.Call {
				c += k.OI
			} else {
				p += k.OI
			}
			oi[k.Strike] += k.OI
		}
		if !near(g[i], (p+1e-9)/(c+1e-9), 1e-12) {
			t.Fatalf("pcr_oi row %d", i)
		}
		best, bk := -1.0, 0.0
		for k := S - 15; k <= S+15; k++ {
			if oi[k] > best {
				best, bk = oi[k], k
			}
		}
		if pk := runSrc(t, f, src, "oi_peak_strike", nil)["oi_peak_strike"][i]; pk != bk {
			t.Fatalf("oi_peak_strike row %d = %v want %v", i, pk, bk)
		}
		if dp := runSrc(t, f, src, "dist_to_oi_peak", nil)["dist_to_oi_peak"][i]; dp != S-bk {
			t.Fatalf("dist_to_oi_peak row %d = %v", i, dp)
		}
		break
	}
	// Gamma with a flat surface peaks at the money; the two keys agree.
	gp := col("gamma_peak_strike", nil, "gamma_peak_strike")
	gd := col("gamma_density_peak_strike", nil, "gamma_density_peak_strike")
	checkAll("gamma_peak_strike", gp, func(i int) float64 { return gd[i] }, 0)
	for _, name := range []string{"gamma_concentration", "oi_concentration_hhi"} {
		for _, v := range runSrc(t, f, src, name, map[string]any{"top_n": 31}) {
			for i, x := range v {
				if !math.IsNaN(x) && (x <= 0 || x > 1) {
					t.Fatalf("%s row %d = %v not in (0,1]", name, i, x)
				}
			}
		}
	}
	// With top_n=1 the HHI is the squared largest share.
	hhi := col("oi_concentration_hhi", map[string]any{"top_n": 1}, "oi_concentration_hhi_1")
	for i := range hhi {
		if math.IsNaN(hhi[i]) {
			continue
		}
		date := time.UnixMilli(f.TS[i]).In(nyc).Format("2006-01-02")
		chs, _ := src.Chains(ctx, "SPY", f.TS[i]+f.BarMs, date, date)
		st := options.OIByStrike(chs[0])
		var tot, mx float64
		for _, s := range st {
			tot += s.Value
			mx = math.Max(mx, s.Value)
		}
		if !near(hhi[i], (mx/tot)*(mx/tot), 1e-12) {
			t.Fatalf("hhi row %d", i)
		}
		break
	}
	gs := col("gamma_skew_left_right", nil, "gamma_skew_left_right")
	checkAll("gamma_skew bounded", gs, func(i int) float64 { return math.Max(-1, math.Min(1, gs[i])) }, 0)
}

func TestIVRankAndOITrendHistory(t *testing.T) {
	// Vol rises 1 point per calendar day: today's ATM IV is the highest of
	// the window → rank 1, percentile 1, positive z-score.
	const S = 500.0
	f := constFrame(3, S)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, nyc)
	src := &fakeSource{spot: func(int64) float64 { return S }, vol: func(exp string, _ float64) float64 {
		e, _ := time.ParseInLocation("2006-01-02", exp, nyc)
		return 0.1 + 0.001*e.Sub(base).Hours()/24
	}}
	for _, c := range []struct{ name, col string }{{"iv_rank_52w", "iv_rank_52w"}, {"iv_percentile_52w", "iv_percentile_52w"}} {
		v := runSrc(t, f, src, c.name, map[string]any{"window_days": 20})[c.col]
		for i, x := range v {
			if !math.IsNaN(x) && math.Abs(x-1) > 1e-9 {
				t.Fatalf("%s row %d = %v want 1", c.name, i, x)
			}
		}
		if math.IsNaN(v[len(v)-1]) {
			t.Fatalf("%s: last row NaN", c.name)
		}
	}
	z := runSrc(t, f, src, "atm_iv_zscore", nil)["atm_iv_zscore"]
	// by hand: the last row's ATM IV and those of the 19 previous weekdays
	// (front expiry = the session date, so IV = surface(date))
	last := time.UnixMilli(f.TS[len(f.TS)-1]).In(nyc)
	ivOf := func(d time.Time) float64 {
		e := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, nyc)
		return 0.1 + 0.001*e.Sub(base).Hours()/24
	}
	ser := []float64{ivOf(last)}
	for d := last.AddDate(0, 0, -1); len(ser) < 20; d = d.AddDate(0, 0, -1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			ser = append(ser, ivOf(d))
		}
	}
	zm := nSMA(ser, 20, 20)[19]
	zs := nSTD(ser, 20, 20)[19]
	if want := (ser[0] - zm) / zs; !near(z[len(z)-1], want, 1e-6) {
		t.Fatalf("zscore %v want %v", z[len(z)-1], want)
	}
	// oi_change_1d against the previous session's 15:30 snapshot by hand.
	ch := runSrc(t, f, src, "oi_change_1d", nil)["oi_change_1d"]
	ctx := context.Background()
	i := len(f.TS) - 1
	date := time.UnixMilli(f.TS[i]).In(nyc).Format("2006-01-02")
	cur, _ := src.Chains(ctx, "SPY", f.TS[i]+f.BarMs, date, addDays(date, 7))
	pd := time.UnixMilli(f.TS[i]).In(nyc).AddDate(0, 0, -1)
	for pd.Weekday() == time.Saturday || pd.Weekday() == time.Sunday {
		pd = pd.AddDate(0, 0, -1)
	}
	pds := pd.Format("2006-01-02")
	prev, _ := src.Chains(ctx, "SPY", time.Date(pd.Year(), pd.Month(), pd.Day(), 16, 0, 0, 0, nyc).UnixMilli(), pds, addDays(pds, 7))
	want := options.TotalOI(cur[0]) - options.TotalOI(prev[0])
	if !near(ch[i], want, 1e-12) {
		t.Fatalf("oi_change_1d = %v want %v", ch[i], want)
	}
	tr := runSrc(t, f, src, "oi_trend", nil)["oi_trend_5"]
	if math.IsNaN(tr[i]) {
		t.Fatal("oi_trend NaN")
	}
}

// TestDailyFrameSeesOnlyItsSession: daily rows (stamped at ET midnight) are
// evaluated at that session's 16:00 close, never the next morning.
func TestDailyFrameSeesOnlyItsSession(t *testing.T) {
	src := &fakeSource{vol: flatVol(0.2)}
	ctx := context.Background()
	d, _ := src.Bars(ctx, "SPY", "1d", time.Date(2024, 6, 3, 0, 0, 0, 0, nyc).UnixMilli(), time.Date(2024, 7, 3, 0, 0, 0, 0, nyc).UnixMilli())
	d.Ticker = "SPY"
	// stamped at noon, a bar-length horizon would reach the next morning's
	// snapshot; the session close must cap it
	noon := truncate(d, d.Len())
	noon.TS = make([]int64, d.Len())
	for i := range d.TS {
		noon.TS[i] = d.TS[i] + 12*3600000
	}
	got := runSrc(t, noon, src, "pcr_oi", nil)["pcr_oi"]
	for i := range d.TS {
		date := time.UnixMilli(d.TS[i]).In(nyc).Format("2006-01-02")
		close := time.UnixMilli(d.TS[i]).In(nyc).Add(16 * time.Hour).UnixMilli()
		chs, _ := src.Chains(ctx, "SPY", close, date, addDays(date, 7))
		if want := options.PutCallOIRatio(chs[0]); !near(got[i], want, 1e-12) || chs[0].AsOf > close {
			t.Fatalf("row %s: %v want %v (snapshot %v)", date, got[i], want, time.UnixMilli(chs[0].AsOf).In(nyc))
		}
	}
	// and the whole registry is causal on a daily frame too
	for _, m := range List() {
		full, err := Compute(ctx, m.Name, nil, d, src)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		part, err := Compute(ctx, m.Name, nil, truncate(d, 12), src)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		for k := range part {
			for i := 0; i < 12; i++ {
				if !sameNaN(part[k].Values[i], full[k].Values[i]) {
					t.Fatalf("%s/%s row %d changes with later rows", m.Name, part[k].Name, i)
				}
			}
		}
	}
}

// TestGammaAndOITrendByHand recomputes the gamma structure and the OI trend
// of the last row from the raw fake chain.
func TestGammaAndOITrendByHand(t *testing.T) {
	const S, vol = 500.0, 0.2
	f := constFrame(4, S)
	src := &fakeSource{vol: flatVol(vol), spot: func(int64) float64 { return S }}
	ctx := context.Background()
	i := f.Len() - 1
	asOf := f.TS[i] + f.BarMs
	date := time.UnixMilli(f.TS[i]).In(nyc).Format("2006-01-02")
	chs, _ := src.Chains(ctx, "SPY", asOf, date, addDays(date, 7))
	ch := chs[0]
	T := options.YearFrac(ch.AsOf, ch.Expiry)
	G := map[float64]float64{}
	for _, k := range ch.Contracts {
		d1 := (math.Log(S/k.Strike) + 0.5*vol*vol*T) / (vol * math.Sqrt(T))
		gamma := math.Exp(-d1*d1/2) / math.Sqrt(2*math.Pi) / (S * vol * math.Sqrt(T))
		G[k.Strike] += gamma * k.OI
	}
	var tot, above, below, best float64
	peak := 0.0
	var vals []float64
	for k, g := range G {
		tot += g
		vals = append(vals, g)
		if g > best || (g == best && k < peak) {
			best, peak = g, k
		}
		if k > S {
			above += g
		} else if k < S {
			below += g
		}
	}
	// top-5 HHI
	for a := 0; a < len(vals); a++ {
		for b := a + 1; b < len(vals); b++ {
			if vals[b] > vals[a] {
				vals[a], vals[b] = vals[b], vals[a]
			}
		}
	}
	hhi := 0.0
	for _, g := range vals[:5] {
		hhi += (g / tot) * (g / tot)
	}
	get := func(name, col string) float64 { return runSrc(t, f, src, name, nil)[col][i] }
	if v := get("gamma_peak_strike", "gamma_peak_strike"); v != peak {
		t.Errorf("gamma_peak_strike %v want %v", v, peak)
	}
	if v := get("dist_to_gamma_peak", "dist_to_gamma_peak"); v != S-peak {
		t.Errorf("dist_to_gamma_peak %v want %v", v, S-peak)
	}
	if v := get("gamma_concentration", "gamma_concentration_5"); !near(v, hhi, 1e-6) {
		t.Errorf("gamma_concentration %v want %v", v, hhi)
	}
	if v := get("gamma_skew_left_right", "gamma_skew_left_right"); !near(v, (above-below)/(above+below+1e-9), 1e-6) {
		t.Errorf("gamma_skew %v want %v", v, (above-below)/(above+below+1e-9))
	}
	// oi_trend: total OI minus EMA_5 of the per-session totals (previous
	// sessions' 16:00 snapshots, then the current one).
	var series []float64
	rowDay := time.UnixMilli(f.TS[i]).In(nyc)
	for d := rowDay.AddDate(0, 0, -25); ; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		ds := d.Format("2006-01-02")
		if ds >= date {
			break
		}
		cl := time.Date(d.Year(), d.Month(), d.Day(), 16, 0, 0, 0, nyc).UnixMilli()
		c, _ := src.Chains(ctx, "SPY", cl, ds, addDays(ds, 7))
		series = append(series, options.TotalOI(c[0]))
	}
	if len(series) > 15 {
		series = series[len(series)-15:]
	}
	cur := options.TotalOI(ch)
	series = append(series, cur)
	e := nEWM(series, 2.0/6, 1)
	if v := get("oi_trend", "oi_trend_5"); !near(v, cur-e[len(e)-1], 1e-9) {
		t.Errorf("oi_trend %v want %v", v, cur-e[len(e)-1])
	}
}

func TestSupertrendAgainstTextbook(t *testing.T) {
	f := synthFrame(300, 8)
	n := f.Len()
	atr := nSMA(nTR(f), 10, 5)
	line := make([]float64, n)
	dir := make([]float64, n)
	var fu, fl float64
	upper := false
	for i := 0; i < n; i++ {
		hl2 := (f.High[i] + f.Low[i]) / 2
		bu, bl := hl2+3*atr[i], hl2-3*atr[i]
		if math.IsNaN(atr[i]) {
			line[i], dir[i] = math.NaN(), math.NaN()
			continue
		}
		if i == 0 || math.IsNaN(atr[i-1]) {
			fu, fl = bu, bl
			upper = f.Close[i] <= fu
		} else {
			// textbook: keep the tighter band unless the previous close broke through it
			if bu < fu || f.Close[i-1] > fu {
				fu = bu
			}
			if bl > fl || f.Close[i-1] < fl {
				fl = bl
			}
			if upper && f.Close[i] > fu {
				upper = false
			} else if !upper && f.Close[i] < fl {
				upper = true
			}
		}
		if upper {
			line[i] = fu
		} else {
			line[i] = fl
		}
		dir[i] = -1
		if f.Close[i] >= line[i] {
			dir[i] = 1
		}
	}
	g := runInd(t, f, "supertrend", nil)
	expectCol(t, "supertrend", g["supertrend"], line, 1e-12)
	expectCol(t, "supertrend_dir", g["supertrend_dir"], dir, 0)
}
