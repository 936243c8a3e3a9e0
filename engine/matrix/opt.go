package matrix

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// OptSpec configures the options 0DTE hourly matrix.
type OptSpec struct {
	Ticker      string
	Start, End  string // ET session dates, inclusive
	DistanceMax int    // D: strike distances −D..D around the anchor (default 7)
	Features    FeatureFunc
	Session     string // "rth": indicators see only regular-hours bars; default every stored bar
	// Optional flow extras named by the model config's features block:
	// flow.atm → atm_calls, atm_puts, atm_pc_ratio, atm_imbalance;
	// dealer.mm_profit_dir_simple → mm_profit_dir_simple;
	// dealer.divergence_score → divergence_score.
	ATM, DealerDirection, DivergenceScore bool
	WarmupSessions                        int // sessions of underlying bars loaded before Start for indicators (default 30)
	Label                                 LabelConfig
}

// RawFlow is the per-(date, strike level, hour) flow before the per-distance
// expansion — the predecessor's dump_raw frame.
type RawFlow struct {
	Date         []string
	PriceLevel   []float64
	SpyPrevClose []float64
	HourET       []int32
	CallsSold    []float64
	PutsSold     []float64
	CallsPremium []float64
	PutsPremium  []float64
}

// Len is the number of raw rows.
func (r *RawFlow) Len() int { return len(r.Date) }

// OptResult is the options matrix and its raw flow.
type OptResult struct {
	Matrix *Matrix
	Raw    *RawFlow
	Source string // demo or real source of the underlying bars
}

// flowCell accumulates one (strike level, hour) of one session.
type flowCell struct {
	calls, puts, callsPrem, putsPrem float64
}

// PrevClose returns the previous session's official close for each session:
// the 1d bar close when daily bars are stored, else the close of the last
// hourly bar that starts inside the previous session's regular hours (the
// 15:00 ET bar, or 12:00 ET before a half-day close). NaN when unknown.
func PrevClose(sessions []market.Session, daily, hourly *market.Bars) []float64 {
	out := make([]float64, len(sessions))
	dailyAt := map[string]float64{}
	if daily != nil {
		for i, ts := range daily.TS {
			dailyAt[market.SessionDate(ts)] = daily.Close[i]
		}
	}
	for k, s := range sessions {
		out[k] = math.NaN()
		prev, err := market.PrevSession(s.Date)
		if err != nil {
			continue
		}
		if c, ok := dailyAt[prev]; ok && !math.IsNaN(c) {
			out[k] = c
			continue
		}
		ps, ok := market.SessionOn(prev)
		if !ok || hourly == nil {
			continue
		}
		j := sort.Search(hourly.Len(), func(i int) bool { return hourly.TS[i] >= ps.Close })
		for j--; j >= 0 && hourly.TS[j] >= dayStartMS(prev); j-- {
			if hourly.TS[j] < ps.Close && hourly.TS[j]+hourMS > ps.Open {
				out[k] = hourly.Close[j]
				break
			}
		}
	}
	return out
}

// BuildOptions builds the options 0DTE hourly matrix (reference/engine.md §3.1,
// fixed): one row per session and ET hour with 0DTE option trading on the
// strike grid anchor+k, k∈[−D, D], anchor = round-half-even(prev close). The
// model's indicator columns are computed on the underlying's own hourly series
// and joined on the row's bar; chain analytics are joined when chains exist.
func BuildOptions(ctx context.Context, src Source, spec OptSpec) (*OptResult, error) {
	sessions, err := sessionsIn(spec.Start, spec.End)
	if err != nil {
		return nil, err
	}
	D := spec.DistanceMax
	if D == 0 {
		D = 7
	}
	if D < 0 {
		D = -D
	}
	if D > 50 {
		return nil, errs.Field("body", "distance_max", "distance_max must be at most 50")
	}
	warm := spec.WarmupSessions
	if warm <= 0 {
		warm = 30
	}
	ticker := spec.Ticker
	first := sessions[0].Date
	last := sessions[len(sessions)-1].Date
	from := dayStartMS(sessionsBefore(first, max(warm, 1)))
	to := nextDayStartMS(last)
	hourly, err := src.ReadBars(ctx, ticker, market.TF1h, from, to)
	if err != nil {
		return nil, fmt.Errorf("read %s hourly bars: %w", ticker, err)
	}
	daily, err := src.ReadBars(ctx, ticker, market.TF1d, dayStartMS(sessionsBefore(first, 1)), to)
	if err != nil {
		return nil, fmt.Errorf("read %s daily bars: %w", ticker, err)
	}
	prevClose := PrevClose(sessions, daily, hourly)

	raw := &RawFlow{}
	m := &Matrix{Meta: map[string]string{}}
	var rowPrev []float64
	flowPerRow := [][]flowCell{} // per row: 2D+1 cells
	optSource := ""
	// Sessions without a previous close have no anchor (the predecessor skipped
	// them too); the others' option bars are read ahead concurrently.
	var fetchIdx []int
	var fetchDates []string
	for si, s := range sessions {
		if !math.IsNaN(prevClose[si]) {
			fetchIdx = append(fetchIdx, si)
			fetchDates = append(fetchDates, s.Date)
		}
	}
	pf := newOptionPrefetcher(ctx, src, ticker, fetchDates, runtime.GOMAXPROCS(0))
	defer pf.stop()
	for fi, si := range fetchIdx {
		s := sessions[si]
		pc := prevClose[si]
		anchor := math.RoundToEven(pc)
		ob, err := pf.get(ctx, fi)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("build cancelled: %w", errs.ErrCancelled)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s option bars %s: %w", ticker, s.Date, err)
		}
		if ob == nil || ob.Len() == 0 {
			continue
		}
		if optSource == "" {
			optSource = ob.Source
		}
		rthEnd, _ := market.ETMillis(s.Date, 16, 0)
		cells := map[[2]int]*flowCell{}
		hoursSeen := map[int]bool{}
		for i := 0; i < ob.Len(); i++ {
			if ob.Expiry[i] != s.Date {
				continue // 0DTE only
			}
			ts := ob.TS[i]
			if ts < s.Open || ts >= rthEnd {
				continue
			}
			k := ob.Strike[i] - anchor
			if k != math.Trunc(k) || math.Abs(k) > float64(D) {
				continue // not on the integer strike grid
			}
			// distance bucket as the predecessor computed it: round(level − prev_close)
			d := int(math.RoundToEven(ob.Strike[i] - pc))
			if d < -D || d > D {
				continue
			}
			v := ob.Volume[i]
			if math.IsNaN(v) || v <= 0 {
				continue
			}
			px := ob.VWAP[i]
			if math.IsNaN(px) || px <= 0 {
				px = ob.Close[i]
			}
			prem := v * px * 100
			h := market.HourET(ts)
			key := [2]int{d + D, h}
			c := cells[key]
			if c == nil {
				c = &flowCell{}
				cells[key] = c
			}
			if ob.Type[i] == 'C' {
				c.calls += v
				c.callsPrem += prem
			} else {
				c.puts += v
				c.putsPrem += prem
			}
			hoursSeen[h] = true
		}
		hours := make([]int, 0, len(hoursSeen))
		for h := range hoursSeen {
			hours = append(hours, h)
		}
		sort.Ints(hours)
		// raw frame: (level, hour) ordered by level then hour
		for kk := 0; kk <= 2*D; kk++ {
			for _, h := range hours {
				if c := cells[[2]int{kk, h}]; c != nil {
					raw.Date = append(raw.Date, s.Date)
					raw.PriceLevel = append(raw.PriceLevel, anchor+float64(kk-D))
					raw.SpyPrevClose = append(raw.SpyPrevClose, pc)
					raw.HourET = append(raw.HourET, int32(h))
					raw.CallsSold = append(raw.CallsSold, c.calls)
					raw.PutsSold = append(raw.PutsSold, c.puts)
					raw.CallsPremium = append(raw.CallsPremium, c.callsPrem)
					raw.PutsPremium = append(raw.PutsPremium, c.putsPrem)
				}
			}
		}
		for _, h := range hours {
			ts, _ := market.ETMillis(s.Date, h, 0)
			m.TS = append(m.TS, ts)
			m.Date = append(m.Date, s.Date)
			m.HourET = append(m.HourET, int32(h))
			rowPrev = append(rowPrev, pc)
			row := make([]flowCell, 2*D+1)
			for kk := range row {
				if c := cells[[2]int{kk, h}]; c != nil {
					row[kk] = *c
				}
			}
			flowPerRow = append(flowPerRow, row)
		}
	}
	n := m.Len()
	if n == 0 {
		return nil, fmt.Errorf("no 0DTE option trading for %s between %s and %s (need option minute bars and a previous close): %w",
			ticker, spec.Start, spec.End, errs.ErrNoData)
	}

	// per-distance columns, interleaved per distance as the predecessor wrote them
	cs, ps := make([]float64, n), make([]float64, n)
	cp, pp := make([]float64, n), make([]float64, n)
	for kk := 0; kk <= 2*D; kk++ {
		d := kk - D
		a, b, c, e := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := 0; i < n; i++ {
			f := flowPerRow[i][kk]
			a[i], b[i], c[i], e[i] = f.calls, f.puts, f.callsPrem, f.putsPrem
			cs[i] += f.calls
			ps[i] += f.puts
			cp[i] += f.callsPrem
			pp[i] += f.putsPrem
		}
		ds := strconv.Itoa(d)
		m.AddCol(CallsSoldPrefix+ds, a)
		m.AddCol(PutsSoldPrefix+ds, b)
		m.AddCol(CallsPremiumPrefix+ds, c)
		m.AddCol(PutsPremiumPrefix+ds, e)
	}
	hIdx := barIndex(hourly)
	at := make([]int, n)
	closeCol := make([]float64, n)
	dow := make([]float64, n)
	for i := 0; i < n; i++ {
		at[i] = -1
		closeCol[i] = math.NaN()
		if k, ok := hIdx[m.TS[i]]; ok {
			at[i] = k
			closeCol[i] = hourly.Close[k]
		}
		t, _ := market.ParseDate(m.Date[i])
		dow[i] = float64((int(t.Weekday()) + 6) % 7) // Monday = 0
	}
	m.AddCol("spy_prev_close", rowPrev)
	m.AddCol("close", closeCol)
	m.AddCol("day_of_week", dow)
	pc, imb, dsp := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		pc[i] = (ps[i] + 1e-6) / (cs[i] + 1e-6)
		imb[i] = cs[i] - ps[i]
		dsp[i] = (pp[i] - cp[i]) / (pp[i] + cp[i] + 1e-6)
	}
	m.AddCol("calls_sold_total", cs)
	m.AddCol("puts_sold_total", ps)
	m.AddCol("pc_ratio", pc)
	m.AddCol("imbalance", imb)
	m.AddCol("calls_premium_total", cp)
	m.AddCol("puts_premium_total", pp)
	m.AddCol("dealer_sold_premium_imbalance", dsp)
	if spec.ATM {
		addATMColumns(m)
	}
	if spec.DealerDirection || spec.DivergenceScore {
		addDealerColumns(m, hourly, hIdx, spec.DealerDirection, spec.DivergenceScore)
	}

	// Indicators on the underlying's own hourly series (every stored bar, or
	// the regular-hours bars with session: rth). The flow totals are aligned to
	// it (no 0DTE trading in an hour = zero flow, pc_ratio 1 by its definition)
	// for the flow indicators.
	if spec.Features != nil && hourly.Len() > 0 {
		series, atS := hourly, at
		if strings.EqualFold(spec.Session, "rth") {
			series = market.NewBars(hourly.Ticker, hourly.Timeframe, hourly.Source, hourly.Len())
			for i, ts := range hourly.TS {
				if s, ok := market.SessionOn(market.SessionDate(ts)); ok && ts < s.Close && ts+hourMS > s.Open {
					series.AppendFrom(hourly, i)
				}
			}
			idx := barIndex(series)
			atS = make([]int, n)
			for i := range atS {
				atS[i] = -1
				if k, ok := idx[m.TS[i]]; ok {
					atS[i] = k
				}
			}
		}
		extra := map[string][]float64{}
		flowNames := []string{"calls_sold_total", "puts_sold_total", "calls_premium_total", "puts_premium_total", "pc_ratio", "imbalance"}
		for _, name := range flowNames {
			col := make([]float64, series.Len())
			if name == "pc_ratio" {
				for k := range col {
					col[k] = 1
				}
			}
			src := m.Col(name)
			for i, k := range atS {
				if k >= 0 {
					col[k] = src[i]
				}
			}
			extra[name] = col
		}
		names, cols, err := computeFeatures(ctx, spec.Features, series, extra, atS)
		if err != nil {
			return nil, fmt.Errorf("indicators: %w", err)
		}
		if err := addFeatureCols(m, names, cols); err != nil {
			return nil, err
		}
	}

	// Chain analytics from snapshots taken before each row's bar ends.
	chains, err := src.ReadChains(ctx, ticker, dayStartMS(first), to)
	if err != nil {
		return nil, fmt.Errorf("read %s chains: %w", ticker, err)
	}
	if chains != nil && chains.Len() > 0 {
		addChainAnalytics(m, chains, closeCol)
	}

	o, h, l, c := pricesAt(hourly, at)
	end := make([]int64, n)
	for i := range end {
		end[i] = m.TS[i] + hourMS
	}
	if err := ApplyLabel(m, spec.Label, LabelInput{End: end, Open: o, High: h, Low: l, Close: c, Loc: market.ET()}); err != nil {
		return nil, err
	}
	source := hourly.Source
	if source == "" {
		source = optSource
	}
	m.Meta["asset_type"] = "opt"
	m.Meta["cadence"] = "hourly"
	m.Meta["ticker"] = ticker
	m.Meta["start"] = spec.Start
	m.Meta["end"] = spec.End
	m.Meta["distance_max"] = strconv.Itoa(D)
	m.Meta["data_source"] = dataSource(source, optSource)
	return &OptResult{Matrix: m, Raw: raw, Source: m.Meta["data_source"]}, nil
}

// addATMColumns adds the at-the-money flow (the d0 strike, nearest the
// previous close): atm_calls, atm_puts, atm_pc_ratio, atm_imbalance.
func addATMColumns(m *Matrix) {
	c, p := m.Col(CallsSoldPrefix+"0"), m.Col(PutsSoldPrefix+"0")
	n := m.Len()
	ac, ap, r, imb := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		ac[i], ap[i] = c[i], p[i]
		r[i] = (p[i] + 1e-6) / (c[i] + 1e-6)
		imb[i] = c[i] - p[i]
	}
	m.AddCol("atm_calls", ac)
	m.AddCol("atm_puts", ap)
	m.AddCol("atm_pc_ratio", r)
	m.AddCol("atm_imbalance", imb)
}

// addDealerColumns adds mm_profit_dir_simple = sign(puts_sold_total −
// calls_sold_total) and divergence_score = −sign(ret_prev_hour)·mm, where
// ret_prev_hour is the underlying's return over the row's own bar (close of the
// row's bar vs the bar before it) — the predecessor read a column that never
// existed; this is the causal version of what it meant.
func addDealerColumns(m *Matrix, hourly *market.Bars, hIdx map[int64]int, dir, div bool) {
	n := m.Len()
	cs, ps := m.Col("calls_sold_total"), m.Col("puts_sold_total")
	mm := make([]float64, n)
	for i := 0; i < n; i++ {
		mm[i] = sign(ps[i] - cs[i])
	}
	if dir {
		m.AddCol("mm_profit_dir_simple", mm)
	}
	if !div {
		return
	}
	ds := nanCol(n)
	for i := 0; i < n; i++ {
		k, ok := hIdx[m.TS[i]]
		if !ok || k == 0 || hourly.TS[k-1] != m.TS[i]-hourMS {
			continue
		}
		if prev := hourly.Close[k-1]; prev > 0 {
			ds[i] = -sign(hourly.Close[k]/prev-1) * mm[i]
		}
	}
	m.AddCol("divergence_score", ds)
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// dataSource classifies the inputs: demo when any input is demo (they never
// mix by construction), real otherwise.
func dataSource(srcs ...string) string {
	for _, s := range srcs {
		if s == market.SourceDemo {
			return "demo"
		}
	}
	return "real"
}

// addChainAnalytics joins per-row chain facts of the 0DTE expiry from the
// latest snapshot taken before the row's bar ends: atm_iv (mean call/put IV at
// the strike nearest the close), oi_total, pc_oi_ratio, oi_peak_strike and
// gamma_peak_strike (max open interest, max gamma×OI).
func addChainAnalytics(m *Matrix, ch *market.Chain, closeCol []float64) {
	n := m.Len()
	atmIV, oiTot, pcOI, oiPeak, gPeak := nanCol(n), nanCol(n), nanCol(n), nanCol(n), nanCol(n)
	// index rows of the chain by expiry
	byExp := map[string][]int{}
	for i := 0; i < ch.Len(); i++ {
		byExp[ch.Expiry[i]] = append(byExp[ch.Expiry[i]], i)
	}
	any := false
	for r := 0; r < n; r++ {
		rows := byExp[m.Date[r]]
		end := m.TS[r] + hourMS
		var snap int64 = -1
		for _, i := range rows {
			if ch.SnapTS[i] < end && ch.SnapTS[i] > snap {
				snap = ch.SnapTS[i]
			}
		}
		if snap < 0 {
			continue
		}
		any = true
		type agg struct{ oiC, oiP, gex, ivC, ivP float64 }
		strikes := map[float64]*agg{}
		var totC, totP float64
		for _, i := range rows {
			if ch.SnapTS[i] != snap {
				continue
			}
			k := ch.Strike[i]
			a := strikes[k]
			if a == nil {
				a = &agg{ivC: math.NaN(), ivP: math.NaN()}
				strikes[k] = a
			}
			oi := ch.OpenInterest[i]
			if math.IsNaN(oi) {
				oi = 0
			}
			if ch.Type[i] == 'C' {
				a.oiC += oi
				a.ivC = ch.IV[i]
				totC += oi
			} else {
				a.oiP += oi
				a.ivP = ch.IV[i]
				totP += oi
			}
			if g := ch.Gamma[i]; !math.IsNaN(g) {
				a.gex += g * oi
			}
		}
		ks := make([]float64, 0, len(strikes))
		for k := range strikes {
			ks = append(ks, k)
		}
		sort.Float64s(ks)
		bestOI, bestG := -1.0, 0.0
		nearest, nd := math.NaN(), math.Inf(1)
		for _, k := range ks {
			a := strikes[k]
			if t := a.oiC + a.oiP; t > bestOI {
				bestOI, oiPeak[r] = t, k
			}
			if a.gex > bestG {
				bestG, gPeak[r] = a.gex, k
			}
			if px := closeCol[r]; !math.IsNaN(px) && math.Abs(k-px) < nd {
				nd, nearest = math.Abs(k-px), k
			}
		}
		if !math.IsNaN(nearest) {
			a := strikes[nearest]
			switch {
			case !math.IsNaN(a.ivC) && !math.IsNaN(a.ivP):
				atmIV[r] = (a.ivC + a.ivP) / 2
			case !math.IsNaN(a.ivC):
				atmIV[r] = a.ivC
			default:
				atmIV[r] = a.ivP
			}
		}
		oiTot[r] = totC + totP
		pcOI[r] = (totP + 1e-6) / (totC + 1e-6)
	}
	if !any {
		return
	}
	m.AddCol("atm_iv", atmIV)
	m.AddCol("oi_total", oiTot)
	m.AddCol("pc_oi_ratio", pcOI)
	m.AddCol("oi_peak_strike", oiPeak)
	m.AddCol("gamma_peak_strike", gPeak)
}
