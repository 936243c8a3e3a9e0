package backtest

import (
	"fmt"
	"math"

	"sigmalab/engine/stats"
)

// Result is the evaluation of one TradeParams on one OOF.
type Result struct {
	Mode string `json:"mode"` // "threshold" or "top_pct"
	// ThresholdResults is the reported path per fold (key kept from the
	// predecessor; also filled in top-pct mode, with thr null).
	ThresholdResults []FoldResult `json:"threshold_results"`
	// TopPctResult is, in top-pct mode only, the fold with the highest
	// sharpe_hourly (first on ties), kept for wire compatibility; Overall is
	// the figure to rank by.
	TopPctResult *FoldResult `json:"top_pct_result,omitempty"`
	Overall      Metrics     `json:"overall"`
	// Holding says how positions were held and the series annualised.
	Holding Holding `json:"holding"`
	// ThresholdTable evaluates every threshold on all OOF rows with that
	// threshold fixed, on the same calendar as Overall. It is chosen with
	// hindsight, so it describes the threshold surface; the honest figure is
	// Overall. Only with TradeParams.HindsightTable; empty in top-pct mode.
	ThresholdTable []ThresholdRow `json:"threshold_table"`
	// ThresholdTableBasis says so in the response, next to the table, so a
	// client cannot mistake its best row for a tradable result.
	ThresholdTableBasis string   `json:"threshold_table_basis,omitempty"`
	SelectBy            string   `json:"select_by"`
	Warnings            []string `json:"warnings,omitempty"`
	// Blocks are the period returns' block sums (TradeParams.PBOBlocks).
	Blocks *stats.BlockSums `json:"-"`
	// Pos is the reported path's position taken on each OOF row (0 when none)
	// and PnL the portfolio's return over each row's period (0 outside the
	// series); only with TradeParams.KeepSeries.
	Pos []float64 `json:"-"`
	PnL []float64 `json:"-"`
	// InSeries marks the periods of the series the metrics are computed on
	// (only with TradeParams.KeepSeries): bootstrap and benchmark read them.
	InSeries []bool `json:"-"`
}

// Holding describes the calendar a result's metrics were computed on.
type Holding struct {
	Mode string `json:"mode"` // overlap | flat
	// MaxConcurrent is the most positions the rules could hold at once (the
	// largest overlap of tradeable rows' holding windows); in overlap mode
	// each position takes 1/MaxConcurrent of capital, so gross exposure never
	// exceeds 1.
	MaxConcurrent    int     `json:"max_concurrent"`
	CapitalPerSignal float64 `json:"capital_per_signal"`
	PeriodsPerYear   float64 `json:"periods_per_year"`
	// MarkedToMarket is false when the OOF has no underlying close: then a
	// position's whole return is booked in the last period it is held.
	MarkedToMarket bool `json:"marked_to_market"`
}

// FoldResult is one fold of the reported path.
type FoldResult struct {
	Fold    int       `json:"fold"`
	Thr     *float64  `json:"thr"`                // threshold used (null in top-pct mode)
	HourThr []HourThr `json:"hour_thr,omitempty"` // per-hour thresholds when per_hour_thresholds is on
	Metrics
}

// HourThr is the threshold a fold used for one ET hour.
type HourThr struct {
	Hour int     `json:"hour"`
	Thr  float64 `json:"thr"`
}

// ThresholdRow is one line of the per-threshold OOF table.
type ThresholdRow struct {
	Thr float64 `json:"thr"`
	Metrics
}

// ThresholdTableBasis labels Result.ThresholdTable in responses.
const ThresholdTableBasis = "hindsight: each threshold applied to every OOF row, chosen after seeing all folds; " +
	"not a tradable result (overall is the walk-forward path, each fold using a threshold chosen on earlier outcomes)"

// Evaluator applies trading parameters to one OOF, reusing scratch buffers
// across calls so a sweep allocates only the (small) Result per cell. An
// Evaluator is not safe for concurrent use; give each worker its own (they
// may share the OOF).
type Evaluator struct {
	oof   *OOF
	stats []stat // per (release fold, hour, threshold)
	acc   []stat // per threshold (and per hour × threshold): running sums over earlier folds
	pos   []float64
	cells []calCell // calendar scratch, all zero between calls
	cals  map[uint32]*calendar
	hist  map[uint32]*history
}

// NewEvaluator returns an Evaluator for oof.
func NewEvaluator(oof *OOF) *Evaluator {
	n := oof.Len()
	return &Evaluator{oof: oof, pos: make([]float64, n), cells: make([]calCell, n+1),
		cals: map[uint32]*calendar{}, hist: map[uint32]*history{}}
}

// Evaluate is a convenience for one-off evaluations; sweeps should keep an
// Evaluator per worker.
func Evaluate(oof *OOF, p TradeParams) (Result, error) {
	return NewEvaluator(oof).Evaluate(p)
}

// rules are the per-row position rules of one evaluation.
type rules struct {
	slip, cap, momMin float64
	sized             bool
	mom               []float64 // momentum gate column, nil when off
}

// posPnl is the position and net label PnL of row i if it trades.
func (r *rules) posPnl(i int, row *prow) (pos, pnl float64) {
	pos = float64(row.dir)
	if r.mom != nil {
		m := r.mom[i]
		if m != m { // NaN counts as 0, like the predecessor's fillna(0)
			m = 0
		}
		if m < r.momMin {
			return 0, 0
		}
	}
	if r.sized {
		pos *= min(max(0, 2*row.conf-1), r.cap)
	}
	if pos == 0 {
		return 0, 0
	}
	return pos, pos*row.ret - r.slip*math.Abs(pos)
}

// Evaluate normalises p and evaluates it: it decides a position per row
// (walk), then books the positions on the calendar (book).
func (e *Evaluator) Evaluate(p TradeParams) (Result, error) {
	p, err := p.Normalize()
	if err != nil {
		return Result{}, err
	}
	o := e.oof
	res := Result{SelectBy: p.SelectBy}
	ru := rules{slip: p.SlippageBps / 1e4, cap: p.ConfCap, momMin: p.MomentumMin, sized: p.SizeByConf}
	if p.MomentumGate {
		ru.mom = o.Aux[p.MomentumColumn]
		if len(p.MomentumValues) == o.Len() {
			ru.mom = p.MomentumValues
		}
		if ru.mom == nil {
			// As in the predecessor the gate is a no-op without its column; say so.
			res.Warnings = append(res.Warnings, "momentum_gate: column "+p.MomentumColumn+" not in matrix; gate ignored")
		}
	}
	mask := p.hourMask()
	clear(e.pos)
	if p.TopPct > 0 {
		res.Mode = "top_pct"
		e.topPct(&p, &mask, &ru)
	} else {
		res.Mode = "threshold"
	}
	e.walk(&p, &mask, &ru, &res)
	cal := e.calendar(&mask)
	res.Holding = Holding{Mode: p.Holding, MaxConcurrent: cal.maxOpen, CapitalPerSignal: 1,
		PeriodsPerYear: cal.periodsPerYear, MarkedToMarket: o.marked}
	if p.Holding == HoldOverlap && cal.maxOpen > 1 {
		res.Holding.CapitalPerSignal = 1 / float64(cal.maxOpen)
	}
	var pnl []float64
	if p.KeepSeries {
		res.Pos = make([]float64, o.Len())
		res.PnL = make([]float64, o.Len())
		pnl = res.PnL
	}
	if p.PBOBlocks > 0 {
		b := stats.NewBlockSums(make([]float64, o.Len()), p.PBOBlocks)
		res.Blocks = &b
	}
	res.Overall = e.book(&p, &ru, cal, res.ThresholdResults, pnl, res.Blocks)
	if res.Pos != nil {
		copy(res.Pos, e.pos) // after book: flat mode drops signals taken while a position is open
		res.InSeries = append([]bool(nil), cal.in...)
	}
	if res.Mode == "top_pct" {
		for f := range res.ThresholdResults {
			if res.TopPctResult == nil || res.ThresholdResults[f].SharpeHourly > res.TopPctResult.SharpeHourly {
				res.TopPctResult = &res.ThresholdResults[f]
			}
		}
	} else if p.HindsightTable {
		// The hindsight table: each threshold fixed over every row.
		res.ThresholdTableBasis = ThresholdTableBasis
		res.ThresholdTable = make([]ThresholdRow, len(p.Thresholds))
		for t, thr := range p.Thresholds {
			for i := range e.pos {
				e.pos[i] = 0
				if r := &o.row[i]; r.ok && mask[r.hour] && r.dir != 0 && r.conf >= thr {
					e.pos[i], _ = ru.posPnl(i, r)
				}
			}
			res.ThresholdTable[t] = ThresholdRow{Thr: thr, Metrics: e.book(&p, &ru, cal, nil, nil, nil)}
		}
	}
	res.Warnings = append(res.Warnings, plausibility(res.Overall)...)
	if !o.marked && cal.multiPeriod {
		res.Warnings = append(res.Warnings, "no underlying close in the OOF: positions held over several periods are "+
			"booked in their last period, not marked to market, so period returns are autocorrelated and Sharpe overstated")
	}
	return res, nil
}

// plausibility flags results that are too good for the cadence: the usual
// cause is a feature that holds a future value.
func plausibility(m Metrics) []string {
	var w []string
	if m.Trades >= 30 && m.HitRate > 0.70 {
		w = append(w, fmt.Sprintf("implausible hit rate %.0f%% over %d trades: check the features for look-ahead "+
			"(a column holding a later bar's value, e.g. a vwap or close of the next bar)", 100*m.HitRate, m.Trades))
	}
	limit := 5.0 // intraday periods
	if m.PeriodsPerYear <= 1.5*SessionsPerYear {
		limit = 4 // one period a session
	}
	if m.Trades >= 10 && m.SharpeAnn > limit {
		w = append(w, fmt.Sprintf("implausible annualised Sharpe %.1f (> %.0f at %.0f periods a year): check the "+
			"features for look-ahead before trusting it", m.SharpeAnn, limit, m.PeriodsPerYear))
	}
	return w
}

// calendar is what booking needs of one set of allowed hours: which periods
// are in the series, how many positions can overlap, and the annualisation.
type calendar struct {
	in             []bool // period j is in the series
	maxOpen        int
	periodsPerYear float64
	multiPeriod    bool // some window spans more than one period
}

func maskKey(mask *[256]bool) uint32 {
	var k uint32
	for h := 0; h < 24; h++ {
		if mask[h] {
			k |= 1 << h
		}
	}
	return k
}

// calendar returns (and caches) the calendar of mask: the series is the
// union of the holding windows of every tradeable row of an allowed hour.
func (e *Evaluator) calendar(mask *[256]bool) *calendar {
	key := maskKey(mask)
	if c, ok := e.cals[key]; ok {
		return c
	}
	if c := e.oof.cached(key, false); c != nil {
		e.cals[key] = c.(*calendar)
		return c.(*calendar)
	}
	o := e.oof
	n := o.Len()
	cov := make([]int32, n+1)
	c := &calendar{in: make([]bool, n)}
	for i := 0; i < n; i++ {
		if r := &o.row[i]; r.ok && mask[r.hour] {
			cov[o.ent[i]]++
			cov[o.ext[i]]--
			if o.ext[i]-o.ent[i] > 1 {
				c.multiPeriod = true
			}
		}
	}
	open, periods, sessions, lastDay := int32(0), 0, 0, int32(-1)
	for j := 0; j < n; j++ {
		open += cov[j]
		c.maxOpen = max(c.maxOpen, int(open))
		if open > 0 {
			c.in[j] = true
			periods++
			if o.day[j] != lastDay {
				sessions++
				lastDay = o.day[j]
			}
		}
	}
	c.periodsPerYear = SessionsPerYear
	if sessions > 0 {
		c.periodsPerYear = SessionsPerYear * float64(periods) / float64(sessions)
	}
	if len(e.cals) > 64 {
		clear(e.cals)
	}
	e.cals[key] = c
	e.oof.keep(key, false, c)
	return c
}

// book realises the positions in e.pos on the calendar and returns the
// overall metrics; with folds it also fills each fold's metrics, with pnl
// the portfolio return of every period, and with blk its block sums (blocks
// of ⌊n/s⌋ or ⌈n/s⌉ periods, as stats.NewBlockSums cuts them).
//
// A position q taken on row i holds over periods [ent, ext): it earns
// q·mark[j] in each period but the last, and q·last[i] in the last, so over
// its window it earns its label return. In overlap mode every position takes
// 1/MaxConcurrent of capital (a sleeve, kept at constant weight); in flat
// mode a signal is taken only when no position is open, with all capital.
// Each position pays slippage once, on entry (slip·|q| of its capital).
// Periods belong to the fold of the row they start at; positions to the fold
// of the row that opened them.
func (e *Evaluator) book(p *TradeParams, ru *rules, cal *calendar, folds []FoldResult, pnl []float64, blk *stats.BlockSums) Metrics {
	o := e.oof
	if o.simple && pnl == nil && blk == nil {
		return e.bookSimple(ru, cal, folds)
	}
	n := o.Len()
	w := 1.0
	flat := p.Holding == HoldFlat
	if !flat && cal.maxOpen > 1 {
		w = 1 / float64(cal.maxOpen)
	}
	// cells[j] collects what changes at period j; each is zeroed as it is
	// read, so the scratch is clean for the next call without a clear.
	cells := e.cells[:n+1]
	fs := newSeries()
	all := seriesPath{newSeries()}
	var allT, ft tradeStats
	E, X, G := 0.0, 0.0, 0.0
	busy := int32(0) // flat mode: first period free of open positions
	f, first := -1, true
	b, bEnd := 0, n // current block and its end
	if blk != nil {
		bEnd = n / len(blk.Sum)
	}
	for j := 0; j < n; j++ {
		for f+1 < o.Folds() && j >= o.FoldStart[f+1] {
			if f >= 0 {
				e.closeFold(f, folds, &fs, &ft, &all, &allT, cal)
			}
			f++
			fs, ft, first = newSeries(), tradeStats{}, true
		}
		q := e.pos[j]
		var c calCell
		if o.simple {
			// One-period windows starting at their own row: nothing carries.
			X, G = 0, 0
			if q != 0 {
				a := math.Abs(q)
				ft.add(q*o.row[j].ret - ru.slip*a)
				c = calCell{dX: q, dG: a, last: q * o.last[j], cost: a}
			}
		} else {
			if q != 0 {
				s, x := o.ent[j], o.ext[j]
				if flat && s < busy {
					e.pos[j] = 0
				} else {
					busy = x
					a := math.Abs(q)
					cs, cl, cx := &cells[s], &cells[x-1], &cells[x]
					cs.dE += q
					cs.dX += q
					cs.dG += a
					cs.cost += a
					cl.dE -= q
					cl.last += q * o.last[j]
					cx.dX -= q
					cx.dG -= a
					ft.add(q*o.row[j].ret - ru.slip*a)
				}
			}
			c = cells[j]
			cells[j] = calCell{}
		}
		E += c.dE
		X += c.dX
		G += c.dG
		if !cal.in[j] {
			continue
		}
		r := w * (E*o.mark[j] + c.last - ru.slip*c.cost)
		x, g := w*X, w*G
		if first {
			// Overall turnover continues from the previous fold's last exposure.
			all.turn += math.Abs(x-all.prevX) - math.Abs(x)
			first = false
		}
		if r == 0 && x == 0 && g == 0 {
			// A flat period (most of them in a selective cell): only the
			// count and the turnover move.
			fs.n++
			fs.turn += math.Abs(fs.prevX)
			fs.prevX = 0
			continue
		}
		fs.add(r, x, g)
		all.step(r)
		if pnl != nil {
			pnl[j] = r
		}
		if blk != nil {
			for j >= bEnd {
				b++
				bEnd = (b + 1) * n / len(blk.Sum)
			}
			blk.Sum[b] += r
			blk.Sq[b] += r * r
		}
	}
	cells[n] = calCell{}
	for f < o.Folds() {
		if f >= 0 {
			e.closeFold(f, folds, &fs, &ft, &all, &allT, cal)
		}
		f++
		fs, ft = newSeries(), tradeStats{}
	}
	return all.metrics(&allT, cal.periodsPerYear)
}

// bookSimple is book for the common case of one-period windows that start at
// their own row (next-hour labels) without series outputs: a period is its
// row, earns q·ret − slip·|q| and carries nothing, so the pass needs no
// calendar scratch. Same numbers as book.
func (e *Evaluator) bookSimple(ru *rules, cal *calendar, folds []FoldResult) Metrics {
	o := e.oof
	all := seriesPath{newSeries()}
	var allT tradeStats
	for f := 0; f < o.Folds(); f++ {
		fs, ft, first := newSeries(), tradeStats{}, true
		for j := o.FoldStart[f]; j < o.FoldStart[f+1]; j++ {
			if !cal.in[j] {
				continue
			}
			q := e.pos[j]
			if first {
				// Overall turnover continues from the previous fold's last exposure.
				all.turn += math.Abs(q-all.prevX) - math.Abs(q)
				first = false
			}
			if q == 0 {
				fs.n++
				fs.turn += math.Abs(fs.prevX)
				fs.prevX = 0
				continue
			}
			a := math.Abs(q)
			ft.add(q*o.row[j].ret - ru.slip*a)
			r := q*o.last[j] - ru.slip*a
			fs.add(r, q, a)
			all.step(r)
		}
		e.closeFold(f, folds, &fs, &ft, &all, &allT, cal)
	}
	return all.metrics(&allT, cal.periodsPerYear)
}

// calCell is what changes at one period of the calendar: exposure earning the
// period's mark (dE), net and gross exposure (dX, dG), the last-period
// returns of windows ending there, and the capital of positions opening there.
type calCell struct{ dE, dX, dG, last, cost float64 }

// closeFold stores fold f's metrics and adds its sums to the overall series.
func (e *Evaluator) closeFold(f int, folds []FoldResult, fs *series, ft *tradeStats, all *seriesPath, allT *tradeStats, cal *calendar) {
	if folds != nil {
		folds[f].Metrics = fs.metrics(ft, cal.periodsPerYear)
	}
	all.merge(fs)
	allT.merge(ft)
}

// walk decides the reported path's position on every row, fold by fold in
// time order. In threshold mode each fold's threshold is chosen from the sums
// of the earlier folds' rows whose outcome is known by the fold's start (label
// end T1 at or before its first row; a multi-day label of the previous fold
// may only count a fold or more later), and the same pass buckets each row,
// under the fold that may first read it, by how many thresholds it clears so
// later folds can score every threshold: threshold t trades the rows of
// buckets > t, a suffix sum. The cost is one pass whatever the number of
// thresholds. In top-pct mode the positions are already in e.pos (topPct);
// walk only lays out the folds.
func (e *Evaluator) walk(p *TradeParams, mask *[256]bool, ru *rules, res *Result) {
	o := e.oof
	F := o.Folds()
	res.ThresholdResults = make([]FoldResult, F)
	if res.Mode == "top_pct" {
		for f := range res.ThresholdResults {
			res.ThresholdResults[f].Fold = f
		}
		return
	}
	th := p.Thresholds
	T := len(th)
	need := (F + 1) * 24 * T
	if cap(e.stats) < need {
		e.stats = make([]stat, need)
	}
	clear(e.stats[:need])
	if cap(e.acc) < 25*T {
		e.acc = make([]stat, 25*T)
	}
	clear(e.acc[:25*T])
	st := e.stats
	acc, accH := e.acc[:T], e.acc[T:25*T]
	rows := o.row
	var ch [24]int
	mid := (T - 1) / 2
	// release turns the buckets of the rows first readable at fold r into
	// per-threshold sums and adds them to the history.
	release := func(r int) {
		for h := 0; h < 24; h++ {
			seg := st[(r*24+h)*T : (r*24+h)*T+T]
			for t := T - 2; t >= 0; t-- {
				seg[t].merge(&seg[t+1])
			}
			if mask[h] {
				n := int(o.cntRH[r*24+h])
				for t := range seg {
					seg[t].n = n
				}
			}
			for t := range seg {
				acc[t].merge(&seg[t])
				accH[h*T+t].merge(&seg[t])
			}
		}
	}
	for f := 0; f < F; f++ {
		fr := FoldResult{Fold: f}
		g := mid
		if f > 0 {
			release(f)
			if acc[0].n > 0 { // else no earlier outcome is known yet: the middle one
				g = best(acc, p.SelectBy)
			}
		}
		for h := range ch {
			ch[h] = g
			if p.PerHourThresholds && f > 0 && accH[h*T].n > 0 {
				ch[h] = best(accH[h*T:h*T+T], p.SelectBy)
			}
		}
		// The fold-level choice; with per-hour thresholds it is what hours
		// without history use.
		thr := th[g]
		fr.Thr = &thr
		if p.PerHourThresholds {
			for h := 0; h < 24; h++ {
				if mask[h] && o.cntFH[f*24+h] > 0 {
					fr.HourThr = append(fr.HourThr, HourThr{Hour: h, Thr: th[ch[h]]})
				}
			}
		}
		for i := o.FoldStart[f]; i < o.FoldStart[f+1]; i++ {
			r := &rows[i]
			if !r.ok || !mask[r.hour] || r.dir == 0 {
				continue
			}
			// Count cleared thresholds with a fixed trip count (a
			// data-dependent loop exit mispredicts).
			b := 0
			for _, t := range th {
				if r.conf >= t {
					b++
				}
			}
			if b == 0 {
				continue
			}
			pos, pnl := ru.posPnl(i, r)
			if pos == 0 {
				continue
			}
			st[(int(r.rel)*24+int(r.hour))*T+b-1].addTrade(pnl)
			if b > ch[r.hour] {
				e.pos[i] = pos
			}
		}
		res.ThresholdResults[f] = fr
	}
}

// best returns the index with the highest score (the first on ties).
func best(s []stat, by string) int {
	bi, bv := 0, math.Inf(-1)
	for t := range s {
		if v := s[t].score(by); v > bv {
			bi, bv = t, v
		}
	}
	return bi
}

// history is, per row of an allowed hour, how many earlier rows of allowed
// hours there are and how many of them were strictly more confident.
type history struct {
	earlier, above []int32 // −1 for rows that are not candidates
}

// history returns (and caches) the confidence history of mask, counted with
// a Fenwick tree over the confidence ranks in one pass in time order.
func (e *Evaluator) history(mask *[256]bool) *history {
	key := maskKey(mask)
	if h, ok := e.hist[key]; ok {
		return h
	}
	if h := e.oof.cached(key, true); h != nil {
		e.hist[key] = h.(*history)
		return h.(*history)
	}
	o := e.oof
	n := o.Len()
	h := &history{earlier: make([]int32, n), above: make([]int32, n)}
	tree := make([]int32, o.nrank+1)
	var seen int32
	for i := 0; i < n; i++ {
		r := &o.row[i]
		if !r.ok || !mask[r.hour] {
			h.earlier[i], h.above[i] = -1, -1
			continue
		}
		k := int(o.rank[i])
		var atOrBelow int32
		for j := k; j > 0; j -= j & -j {
			atOrBelow += tree[j]
		}
		h.earlier[i], h.above[i] = seen, seen-atOrBelow
		for j := k; j <= o.nrank; j += j & -j {
			tree[j]++
		}
		seen++
	}
	if len(e.hist) > 64 {
		clear(e.hist)
	}
	e.hist[key] = h
	e.oof.keep(key, true, h)
	return h
}

// TopPctMinHistory is the fewest earlier candidate rows a top-pct decision
// needs: max(20, ⌈1/top_pct⌉).
func TopPctMinHistory(topPct float64) int {
	return max(20, int(math.Ceil(1/topPct-1e-9)))
}

// topPct decides top-pct positions causally: a candidate row (tradeable, of
// an allowed hour) trades when fewer than top_pct·(m+1) of the m candidate
// rows before it (all earlier OOF rows, across folds) were strictly more
// confident, i.e. when its confidence is in the top top_pct of the
// confidences known at its time, itself included. Nothing later in its block
// is read. Rows with fewer than TopPctMinHistory earlier candidates do not
// trade.
func (e *Evaluator) topPct(p *TradeParams, mask *[256]bool, ru *rules) {
	o := e.oof
	h := e.history(mask)
	minHist := int32(TopPctMinHistory(p.TopPct))
	for i := 0; i < o.Len(); i++ {
		m := h.earlier[i]
		if m < minHist || o.row[i].dir == 0 {
			continue
		}
		if float64(h.above[i]) < p.TopPct*float64(m+1)-1e-9 {
			e.pos[i], _ = ru.posPnl(i, &o.row[i])
		}
	}
}
