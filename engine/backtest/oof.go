// Package backtest turns out-of-fold (OOF) class probabilities into positions,
// per-trade PnL and metrics, and produces those probabilities with a purged,
// embargoed cross-validation of any learner.
//
// The work is split so that sweeps are cheap: RunOOF trains once per fold and
// yields an immutable *OOF; Evaluate (or an Evaluator, which reuses its scratch
// buffers) applies one set of TradeParams to it in two linear passes over the
// rows, independent of how many thresholds are tried.
package backtest

import (
	"fmt"
	"math"
	"sort"
	"sync"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// Class names the positions are read from. Probabilities are always looked up
// by these names, never by class index.
const (
	ClassUp   = "UP"
	ClassDown = "DOWN"
)

// SessionsPerYear annualises per-period figures: a series with k periods per
// session has 252·k periods a year.
const SessionsPerYear = 252

// OOF holds the out-of-fold predictions of one cross-validated model: only the
// test rows of the folds, in time order, grouped by fold. It is read-only after
// NewOOF and safe to share between goroutines.
type OOF struct {
	Classes []string    `json:"classes"`
	Probs   [][]float64 `json:"probs"` // Probs[class][i]: calibrated class probabilities
	Label   []int       `json:"label"` // class index of the realised label, −1 when unknown
	PUp     []float64   `json:"-"`     // P(UP) by name; zeros when the class is absent
	PDown   []float64   `json:"-"`     // P(DOWN) by name
	Rows    []int       `json:"rows"`  // row index in the source matrix
	TS      []int64     `json:"ts"`    // row time, unix ms
	// T1 is each row's label end time (unix ms): its outcome is known from
	// then on. Threshold choice for a fold reads only earlier rows whose T1 is
	// at or before the fold's first row time. nil: every row's outcome counts
	// from the next fold on (labels no longer than the gap between folds).
	T1        []int64   `json:"t1,omitempty"`
	Hour      []int32   `json:"hour"`       // ET hour 0..23
	Ret       []float64 `json:"ret"`        // realised forward return of the label horizon; NaN = not tradeable
	FoldStart []int     `json:"fold_start"` // fold f holds rows [FoldStart[f], FoldStart[f+1])
	// Aux holds extra per-row columns the trading rules may read (momentum gate).
	Aux map[string][]float64 `json:"aux,omitempty"`
	// Close is the underlying's close per row: positions are marked to market
	// on it period by period. nil (or NaN at a row): the position's return is
	// booked in the last period of its holding window.
	Close []float64 `json:"close,omitempty"`
	// Entry is, per row, the time of the row whose close is the label's entry
	// price (close_to_open: the session's close row); nil or 0: the row itself.
	Entry []int64 `json:"entry,omitempty"`
	// Day is the session ordinal of each row (equal for rows of one session);
	// nil: derived from TS in New York time.
	Day []int32 `json:"day,omitempty"`

	// Derived, built by prepare. Hot per-row data is packed so an evaluation
	// streams one array instead of five.
	row   []prow  // per row, time order
	order []orow  // per fold, rows by confidence descending, ties by time
	cntFH []int32 // valid rows per (fold, hour)
	cntRH []int32 // valid rows per (release fold 0..Folds(), hour); see prow.rel

	// The calendar. Period j runs from row j's close to row j+1's close; a
	// position taken on row i holds over periods [ent[i], ext[i]).
	ent, ext []int32
	mark     []float64 // the underlying's return over period j (0 when unknown)
	last     []float64 // row i's return over the last period of its window, so the window compounds to Ret[i]
	day      []int32   // session ordinal per row
	rank     []int32   // dense rank of conf, ascending from 1 (top-pct history counts)
	nrank    int
	marked   bool // Close was given: multi-period positions are marked to market
	simple   bool // every tradeable row holds for its own period only (book's fast path)

	// Calendars and top-pct histories depend only on the allowed hours; the
	// evaluators of one OOF (a sweep's workers) share them.
	mu     sync.Mutex
	shared map[[2]uint32]any
}

// cached returns the shared calendar (or history) of an hour mask, nil when
// none is kept yet.
func (o *OOF) cached(key uint32, hist bool) any {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.shared[sharedKey(key, hist)]
}

// keep shares v for the hour mask (at most 256 are kept).
func (o *OOF) keep(key uint32, hist bool, v any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.shared == nil || len(o.shared) >= 256 {
		o.shared = map[[2]uint32]any{}
	}
	o.shared[sharedKey(key, hist)] = v
}

func sharedKey(key uint32, hist bool) [2]uint32 {
	if hist {
		return [2]uint32{key, 1}
	}
	return [2]uint32{key, 0}
}

// prow is the per-row data every evaluation reads.
type prow struct {
	conf float64 // max(p_up, p_down)
	ret  float64 // realised forward return
	hour uint8   // ET hour (0..23; 24 when out of range)
	dir  int8    // +1 when p_up > p_down, −1 when p_down > p_up, 0 on a tie
	ok   bool    // tradeable: return finite and hour in range
	// rel is the first fold whose threshold choice may read this row's
	// outcome: a later fold starting at or after the row's T1 (Folds() when
	// none does; such rows only reach the hindsight table).
	rel int32
}

// release is the first fold after f (row i's fold) that starts at or after
// row i's label end, so its threshold may be chosen knowing row i's outcome;
// Folds() when no fold does. A fold starts at its first row's time: the
// earliest moment any of its positions is taken.
func (o *OOF) release(i, f int) int {
	g := f + 1
	if o.T1 == nil {
		return g
	}
	for g < o.Folds() && (o.FoldStart[g] == o.FoldStart[g+1] || o.T1[i] > o.TS[o.FoldStart[g]]) {
		g++
	}
	return g
}

// orow is one entry of the per-fold confidence order.
type orow struct {
	idx  int32
	hour uint8
	ok   bool
}

// Len is the number of OOF rows.
func (o *OOF) Len() int { return len(o.TS) }

// Folds is the number of folds.
func (o *OOF) Folds() int { return len(o.FoldStart) - 1 }

// NewOOF checks o's columns, maps the UP/DOWN probabilities by class name and
// precomputes what every evaluation needs (confidence order per fold). It
// takes ownership of o.
func NewOOF(o *OOF) (*OOF, error) {
	n := len(o.TS)
	if len(o.Hour) != n || len(o.Ret) != n || len(o.Probs) != len(o.Classes) {
		return nil, errs.Invalidf("backtest: oof columns differ in length")
	}
	if o.Label != nil && len(o.Label) != n {
		return nil, errs.Invalidf("backtest: oof labels have %d rows, want %d", len(o.Label), n)
	}
	if o.Rows == nil {
		o.Rows = make([]int, n)
		for i := range o.Rows {
			o.Rows[i] = i
		}
	}
	if len(o.Rows) != n {
		return nil, errs.Invalidf("backtest: oof rows have %d entries, want %d", len(o.Rows), n)
	}
	for c := range o.Probs {
		if len(o.Probs[c]) != n {
			return nil, errs.Invalidf("backtest: class %s has %d probabilities, want %d", o.Classes[c], len(o.Probs[c]), n)
		}
	}
	if o.T1 != nil && len(o.T1) != n {
		return nil, errs.Invalidf("backtest: oof t1 has %d rows, want %d", len(o.T1), n)
	}
	for name, col := range o.Aux {
		if len(col) != n {
			return nil, errs.Invalidf("backtest: aux column %s has %d rows, want %d", name, len(col), n)
		}
	}
	if len(o.FoldStart) < 2 || o.FoldStart[0] != 0 || o.FoldStart[len(o.FoldStart)-1] != n {
		return nil, errs.Invalidf("backtest: fold offsets %v do not cover %d rows", o.FoldStart, n)
	}
	for f := 1; f < len(o.FoldStart); f++ {
		if o.FoldStart[f] < o.FoldStart[f-1] {
			return nil, errs.Invalidf("backtest: fold offsets %v are not ascending", o.FoldStart)
		}
	}
	up, down := -1, -1
	for c, name := range o.Classes {
		switch name {
		case ClassUp:
			up = c
		case ClassDown:
			down = c
		}
	}
	if up < 0 && down < 0 {
		return nil, fmt.Errorf("backtest: classes %v contain neither %s nor %s: %w", o.Classes, ClassUp, ClassDown, errs.ErrInvalid)
	}
	zeros := make([]float64, n)
	o.PUp, o.PDown = zeros, zeros
	if up >= 0 {
		o.PUp = o.Probs[up]
	}
	if down >= 0 {
		o.PDown = o.Probs[down]
	}
	for name, col := range map[string]int{"close": len(o.Close), "entry": len(o.Entry), "day": len(o.Day)} {
		if col != 0 && col != n {
			return nil, errs.Invalidf("backtest: oof %s has %d rows, want %d", name, col, n)
		}
	}
	o.prepare()
	return o, nil
}

func (o *OOF) prepare() {
	n := o.Len()
	o.row = make([]prow, n)
	o.cntFH = make([]int32, o.Folds()*24)
	o.cntRH = make([]int32, (o.Folds()+1)*24)
	f := 0
	for i := 0; i < n; i++ {
		for f+1 < o.Folds() && i >= o.FoldStart[f+1] {
			f++
		}
		pu, pd := o.PUp[i], o.PDown[i]
		if math.IsNaN(pu) {
			pu = 0
		}
		if math.IsNaN(pd) {
			pd = 0
		}
		r := prow{ret: o.Ret[i], hour: 24}
		switch {
		case pu > pd:
			r.dir, r.conf = 1, pu
		case pd > pu:
			r.dir, r.conf = -1, pd
		default:
			r.conf = pu
		}
		if h := o.Hour[i]; h >= 0 && h < 24 {
			r.hour = uint8(h)
			r.ok = !math.IsNaN(r.ret) && !math.IsInf(r.ret, 0)
		}
		r.rel = int32(o.release(i, f))
		if r.ok && o.T1 != nil && o.T1[i] > 0 && o.T1[i] <= o.TS[i] {
			r.ok = false // a label that ends before its row starts cannot be held
		}
		if r.ok {
			o.cntRH[int(r.rel)*24+int(r.hour)]++
		}
		o.row[i] = r
	}
	o.order = make([]orow, n)
	idx := make([]int32, 0, n)
	for f := 0; f < o.Folds(); f++ {
		lo, hi := o.FoldStart[f], o.FoldStart[f+1]
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			idx = append(idx, int32(i))
			if o.row[i].ok {
				o.cntFH[f*24+int(o.row[i].hour)]++
			}
		}
		// Rows are in time order, so the index breaks confidence ties by time.
		sort.SliceStable(idx, func(a, b int) bool { return o.row[idx[a]].conf > o.row[idx[b]].conf })
		for k, i := range idx {
			o.order[lo+k] = orow{idx: i, hour: o.row[i].hour, ok: o.row[i].ok}
		}
	}
	o.prepareCalendar()
}

// prepareCalendar derives each row's holding window, the per-period marks,
// the session of each row and the confidence ranks.
//
// A row's window starts at its entry row (the row itself, or Entry) and ends
// at its exit row: the last row that starts before the label's end T1 (the
// bar whose close is the label's exit price), at least one period later. The
// position earns the underlying's period returns over the window, and its
// last period carries the rest of the label's return, so the window
// compounds to exactly Ret[i] whatever the marks are.
func (o *OOF) prepareCalendar() {
	n := o.Len()
	o.ent, o.ext = make([]int32, n), make([]int32, n)
	o.mark, o.last = make([]float64, n), make([]float64, n)
	o.marked = o.Close != nil
	if o.marked {
		for j := 0; j+1 < n; j++ {
			a, b := o.Close[j], o.Close[j+1]
			if a > 0 && !math.IsInf(a, 0) && b > 0 && !math.IsInf(b, 0) {
				o.mark[j] = b/a - 1
			}
		}
	}
	// lastBefore is the last row whose time is < t (−1 when none).
	lastBefore := func(t int64) int { return sort.Search(n, func(k int) bool { return o.TS[k] >= t }) - 1 }
	for i := 0; i < n; i++ {
		s := i
		if o.Entry != nil && o.Entry[i] > o.TS[i] {
			s = max(i, lastBefore(o.Entry[i]+1))
		}
		e := s + 1
		if o.T1 != nil && o.T1[i] > 0 {
			e = max(e, lastBefore(o.T1[i]))
		}
		if e > n-1 {
			o.row[i].ok = false // the exit is past the last row: the window cannot be marked
			e = n - 1
			s = min(s, n-1)
		}
		o.ent[i], o.ext[i] = int32(s), int32(e)
		g := 1.0
		for j := s; j < e-1; j++ {
			g *= 1 + o.mark[j]
		}
		o.last[i] = (1+o.Ret[i])/g - 1
	}
	o.simple = true
	for i := 0; i < n; i++ {
		if o.row[i].ok && (o.ent[i] != int32(i) || o.ext[i] != int32(i)+1) {
			o.simple = false
			break
		}
	}
	o.day = o.Day
	if o.day == nil {
		o.day = make([]int32, n)
		d, prev := int32(-1), ""
		for i, ts := range o.TS {
			if s := market.SessionDate(ts); s != prev {
				d, prev = d+1, s
			}
			o.day[i] = d
		}
	}
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return o.row[idx[a]].conf < o.row[idx[b]].conf })
	o.rank = make([]int32, n)
	r := int32(0)
	for k, i := range idx {
		if k == 0 || o.row[i].conf != o.row[idx[k-1]].conf {
			r++
		}
		o.rank[i] = r
	}
	o.nrank = int(r)
}
