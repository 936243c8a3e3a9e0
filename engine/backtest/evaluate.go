package backtest

import (
	"math"
)

// Result is the evaluation of one TradeParams on one OOF.
type Result struct {
	Mode string `json:"mode"` // "threshold" or "top_pct"
	// ThresholdResults is the reported path per fold (key kept from the
	// predecessor; also filled in top-pct mode, with thr null).
	ThresholdResults []FoldResult `json:"threshold_results"`
	// TopPctResult is the fold with the highest sharpe_hourly (first on ties),
	// kept for wire compatibility; Overall is the figure to rank by.
	TopPctResult *FoldResult `json:"top_pct_result"`
	Overall      Metrics     `json:"overall"`
	// ThresholdTable evaluates every threshold on all OOF rows with that
	// threshold fixed. It is chosen with hindsight, so it describes the
	// threshold surface; the honest figure is Overall. Path-dependent fields
	// (comp_ret, max_dd, turnover) are zero in it. Empty in top-pct mode.
	ThresholdTable []ThresholdRow `json:"threshold_table"`
	// ThresholdTableBasis says so in the response, next to the table, so a
	// client cannot mistake its best row for a tradable result.
	ThresholdTableBasis string   `json:"threshold_table_basis,omitempty"`
	SelectBy            string   `json:"select_by"`
	Warnings            []string `json:"warnings,omitempty"`
	// Pos and PnL are the reported path per OOF row (0 for rows that are not
	// eligible); only with TradeParams.KeepSeries.
	Pos []float64 `json:"-"`
	PnL []float64 `json:"-"`
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
	mark  []uint32 // per row: == gen when selected (top-pct mode); avoids clearing per call
	gen   uint32
	stats []stat // per (release fold, hour, threshold)
	acc   []stat // per threshold (and per hour × threshold): running sums over earlier folds
}

// NewEvaluator returns an Evaluator for oof.
func NewEvaluator(oof *OOF) *Evaluator {
	return &Evaluator{oof: oof, mark: make([]uint32, oof.Len())}
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

// posPnl is the position and net PnL of row i if it trades.
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

// Evaluate normalises p and evaluates it. Cost: two passes over the OOF rows
// in threshold mode whatever the number of thresholds (rows are bucketed by
// how many thresholds they clear and the per-threshold sums are suffix sums),
// one pass plus the selected rows in top-pct mode.
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
	if p.TopPct > 0 {
		res.Mode = "top_pct"
		e.topPct(&p, &mask)
	} else {
		res.Mode = "threshold"
	}
	e.walk(&p, &mask, &ru, &res)
	return res, nil
}

// walker accumulates the reported path: a fold's additive stats and equity,
// plus the overall equity that runs across folds. Its add is small enough to
// inline into the row loop.
type walker struct {
	fs                 stat
	eq, peak, dd, turn float64
	prev               float64
	oeq, opeak, odd    float64
}

func (w *walker) add(pos, pnl float64) {
	w.fs.n++
	if pos != 0 {
		w.fs.addTrade(pos, pnl)
	}
	w.turn += math.Abs(pos - w.prev)
	w.prev = pos
	g := 1 + pnl
	w.eq *= g
	w.peak = max(w.peak, w.eq)
	if w.eq < w.peak*(1+w.dd) { // divide only on a new worst drawdown
		w.dd = w.eq/w.peak - 1
	}
	w.oeq *= g
	w.opeak = max(w.opeak, w.oeq)
	if w.oeq < w.opeak*(1+w.odd) {
		w.odd = w.oeq/w.opeak - 1
	}
}

// walk evaluates the folds in time order in one pass over the rows. In
// threshold mode each fold's threshold is chosen from the sums of the earlier
// folds' rows whose outcome is known by the fold's start (label end T1 at or
// before its first row; a multi-day label of the previous fold may only count
// a fold or more later), and the same pass buckets each row, under the fold
// that may first read it, by how many thresholds it clears so later folds
// (and the per-threshold table) can score every threshold: threshold t trades
// the rows of buckets > t, a suffix sum. The cost is one pass whatever the
// number of thresholds.
func (e *Evaluator) walk(p *TradeParams, mask *[256]bool, ru *rules, res *Result) {
	o := e.oof
	th := p.Thresholds
	T, F := len(th), o.Folds()
	topPct := res.Mode == "top_pct"
	if !topPct {
		need := (F + 1) * 24 * T
		if cap(e.stats) < need {
			e.stats = make([]stat, need)
		}
		clear(e.stats[:need])
		if cap(e.acc) < 25*T {
			e.acc = make([]stat, 25*T)
		}
		clear(e.acc[:25*T])
	}
	st := e.stats
	var acc, accH []stat
	if !topPct {
		acc, accH = e.acc[:T], e.acc[T:25*T]
	}
	if p.KeepSeries {
		res.Pos = make([]float64, o.Len())
		res.PnL = make([]float64, o.Len())
	}
	var all stat
	oturn, lastPos := 0.0, 0.0
	w := walker{oeq: 1, opeak: 1}
	res.ThresholdResults = make([]FoldResult, F)
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
		if !topPct {
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
		}
		w.fs, w.eq, w.peak, w.dd, w.turn, w.prev = stat{}, 1, 1, 0, 0, 0
		first := true
		for i := o.FoldStart[f]; i < o.FoldStart[f+1]; i++ {
			r := &rows[i]
			if !r.ok || !mask[r.hour] {
				continue
			}
			var pos, pnl float64
			if topPct {
				if e.mark[i] == e.gen && r.dir != 0 {
					pos, pnl = ru.posPnl(i, r)
				}
			} else if r.dir != 0 {
				// Count cleared thresholds with a fixed trip count (a
				// data-dependent loop exit mispredicts).
				b := 0
				for _, t := range th {
					if r.conf >= t {
						b++
					}
				}
				if b > 0 {
					if pos, pnl = ru.posPnl(i, r); pos != 0 {
						st[(int(r.rel)*24+int(r.hour))*T+b-1].addTrade(pos, pnl)
					}
					if b <= ch[r.hour] {
						pos, pnl = 0, 0
					}
				}
			}
			if first {
				// Overall turnover continues from the previous fold's last position.
				oturn += math.Abs(pos-lastPos) - math.Abs(pos)
				first = false
			}
			w.add(pos, pnl)
			if res.Pos != nil {
				res.Pos[i], res.PnL[i] = pos, pnl
			}
		}
		if !first {
			lastPos = w.prev
		}
		oturn += w.turn
		all.merge(&w.fs)
		fp := path{stat: w.fs, eq: w.eq, peak: w.peak, maxDD: w.dd, turn: w.turn}
		fr.Metrics = fp.metrics(o.BarsPerYear)
		res.ThresholdResults[f] = fr
	}
	if !topPct {
		release(F) // rows never readable during the walk join the hindsight table
	}
	overall := path{stat: all, eq: w.oeq, peak: w.opeak, maxDD: w.odd, turn: oturn}
	res.Overall = overall.metrics(o.BarsPerYear)
	for f := range res.ThresholdResults {
		if res.TopPctResult == nil || res.ThresholdResults[f].SharpeHourly > res.TopPctResult.SharpeHourly {
			res.TopPctResult = &res.ThresholdResults[f]
		}
	}
	if !topPct {
		// After the last release acc holds every row: the per-threshold table.
		res.ThresholdTableBasis = ThresholdTableBasis
		res.ThresholdTable = make([]ThresholdRow, T)
		for t := range res.ThresholdTable {
			res.ThresholdTable[t] = ThresholdRow{Thr: th[t], Metrics: acc[t].metrics(o.BarsPerYear)}
		}
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

// topPct marks, per fold, the ⌈TopPct·n⌉ most confident eligible rows.
func (e *Evaluator) topPct(p *TradeParams, mask *[256]bool) {
	o := e.oof
	e.gen++
	if e.gen == 0 { // wrapped: old marks could collide
		clear(e.mark)
		e.gen = 1
	}
	for f := 0; f < o.Folds(); f++ {
		n := 0
		for h := 0; h < 24; h++ {
			if mask[h] {
				n += int(o.cntFH[f*24+h])
			}
		}
		k := int(math.Ceil(p.TopPct*float64(n) - 1e-9))
		for _, r := range o.order[o.FoldStart[f]:o.FoldStart[f+1]] {
			if k == 0 {
				break
			}
			if r.ok && mask[r.hour] {
				e.mark[r.idx] = e.gen
				k--
			}
		}
	}
}
