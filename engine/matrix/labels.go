package matrix

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// Class names of the direction labels. Every label kind maps to these so the
// backtest can read p_up/p_down by class name whatever the label.
const (
	ClassUp   = "UP"
	ClassDown = "DOWN"
	ClassFlat = "FLAT"
)

// Label column names shared by every labelled matrix.
const (
	LabelCol  = "y"       // class label; "" = unlabelled row (no future data yet, or a missing close)
	RetFwdCol = "ret_fwd" // realised forward return of the label horizon (PnL)
)

// LabelConfig selects and parameterises a label. Zero values take the defaults
// documented per field.
type LabelConfig struct {
	// Kind: next_hour (default; aliases next_bar_updown, regression), fwd_ret_{N}d,
	// close_to_open (alias overnight_close_to_open), headfake_reversal (aliases
	// headfake, reversal_after_window), pin_drift (alias pin), none.
	Kind string `json:"kind"`

	KSigma          float64  `json:"k_sigma"`           // next_hour: threshold = k_sigma·σ (default 0.3)
	FixedBP         *float64 `json:"fixed_bp"`          // next_hour: fixed threshold in basis points, overrides k_sigma
	SigmaWindow     int      `json:"sigma_window"`      // next_hour: rows in the σ window (0 = all earlier rows)
	SigmaMinPeriods int      `json:"sigma_min_periods"` // next_hour: earlier returns needed before labelling (default 5)

	Band float64 `json:"band"` // fwd_ret/close_to_open FLAT band (defaults 0.001 / 0.0005)

	OpenTime           string  `json:"open_time"`             // headfake: default 09:30
	WindowEnd          string  `json:"window_end"`            // headfake: default 10:30
	MinOpenMoveATR     float64 `json:"min_open_move_atr"`     // headfake: default 0.5
	MinReversalMoveATR float64 `json:"min_reversal_move_atr"` // headfake: default 0.5
	DriftStartTime     string  `json:"drift_start_time"`      // pin: default 15:00
	MinPullATR         float64 `json:"min_pull_atr"`          // pin: default 0.2
}

// LabelInput carries the per-row facts the labellers need besides the matrix:
// each row's bar end time, whether the bar is inside regular trading hours,
// and the underlying bar's prices (NaN when missing).
type LabelInput struct {
	End                    []int64 // bar end, unix ms UTC
	RTH                    []bool  // bar lies in the regular session (the last RTH row of a date is the session close)
	Open, High, Low, Close []float64
	Loc                    *time.Location // America/New_York
}

// ParseLabelKind normalises a label kind and returns the canonical kind plus the
// day count of fwd_ret_{N}d. Unknown kinds are an error naming the kind.
func ParseLabelKind(kind string) (string, int, error) {
	k := strings.ToLower(strings.TrimSpace(kind))
	switch k {
	case "", "next_hour", "next_bar_updown", "next_hour_direction", "regression", "next_bar":
		return "next_hour", 0, nil
	case "close_to_open", "overnight_close_to_open", "fwd_ret_close_to_open":
		return "close_to_open", 0, nil
	case "headfake_reversal", "headfake", "reversal_after_window":
		return "headfake_reversal", 0, nil
	case "pin_drift", "pin":
		return "pin_drift", 0, nil
	case "none":
		return "none", 0, nil
	}
	if strings.HasPrefix(k, "fwd_ret_") && strings.HasSuffix(k, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "fwd_ret_"), "d"))
		if err != nil || n < 1 || n > 1000 {
			return "", 0, errs.Invalidf("label kind %q: N must be an integer 1..1000", kind)
		}
		return "fwd_ret", n, nil
	}
	return "", 0, errs.Invalidf("unknown label kind %q (want next_hour, fwd_ret_{N}d, close_to_open, headfake_reversal, pin_drift or none)", kind)
}

// ApplyLabel adds the label columns to m: text `y` (and its predecessor alias
// `y_syn`), float `ret_fwd` plus the predecessor's name for the same return
// (`ret_next_hour`, `ret_fwd_{N}d`, `ret_close_to_open`), and T1.
//
// No label reads a price after its own T1, and no threshold uses a return
// that ends after the row it labels. Rows whose outcome is unknown (end of
// data, a missing close) get y = "" and ret_fwd = NaN, never a made-up FLAT.
func ApplyLabel(m *Matrix, cfg LabelConfig, in LabelInput) error {
	kind, days, err := ParseLabelKind(cfg.Kind)
	if err != nil {
		return err
	}
	n := m.Len()
	if len(in.End) != n || len(in.Close) != n {
		return fmt.Errorf("label input has %d/%d rows, want %d", len(in.End), len(in.Close), n)
	}
	if in.RTH == nil {
		in.RTH = make([]bool, n)
		for i := range in.RTH {
			in.RTH[i] = true
		}
	}
	if in.Loc == nil {
		in.Loc = time.UTC
	}
	if kind == "none" {
		return nil
	}
	y := make([]string, n)
	ret := make([]float64, n)
	t1 := make([]int64, n)
	for i := range ret {
		ret[i] = math.NaN()
		t1[i] = in.End[i]
	}
	alias := ""
	switch kind {
	case "next_hour":
		labelNextHour(m, cfg, in, y, ret, t1)
		alias = RetNextHourCol
	case "fwd_ret":
		labelForwardDays(m, cfg, in, days, y, ret, t1)
		alias = fmt.Sprintf("ret_fwd_%dd", days)
	case "close_to_open":
		labelCloseToOpen(m, cfg, in, y, ret, t1)
		alias = RetCloseToOpenCol
	case "headfake_reversal":
		if err := labelHeadfake(m, cfg, in, y, ret, t1); err != nil {
			return err
		}
	case "pin_drift":
		if err := labelPinDrift(m, cfg, in, y, ret, t1); err != nil {
			return err
		}
	}
	m.T1 = t1
	m.AddCol(RetFwdCol, ret)
	if alias != "" {
		m.AddCol(alias, append([]float64(nil), ret...))
	}
	m.AddText(LabelCol, y)
	m.AddText(SynLabelCol, append([]string(nil), y...))
	if m.Meta == nil {
		m.Meta = map[string]string{}
	}
	m.Meta["label_kind"] = kind
	if kind == "fwd_ret" {
		m.Meta["label_kind"] = fmt.Sprintf("fwd_ret_%dd", days)
	}
	labels := []string{RetFwdCol}
	if alias != "" {
		labels = append(labels, alias)
	}
	m.Meta["label_columns"] = strings.Join(append(labels, LabelCol, SynLabelCol), ",")
	return nil
}

func classify(r, thr float64) string {
	switch {
	case math.IsNaN(r) || math.IsNaN(thr):
		return ""
	case r > thr:
		return ClassUp
	case r < -thr:
		return ClassDown
	}
	return ClassFlat
}

// labelNextHour: ret_t = C_{t+1}/C_t − 1 over the next row when that row is the
// next bar of the same session (or the first row of the next session when row
// t closes its date); the threshold is k_sigma·σ of the returns of earlier rows
// (each ends no later than row t's own bar), or fixed_bp.
func labelNextHour(m *Matrix, cfg LabelConfig, in LabelInput, y []string, ret []float64, t1 []int64) {
	n := m.Len()
	c := in.Close
	for i := 0; i+1 < n; i++ {
		if math.IsNaN(c[i]) || math.IsNaN(c[i+1]) || c[i] == 0 {
			continue
		}
		if m.Date[i] == m.Date[i+1] {
			// same session: the next row must be the very next bar (no hole)
			if m.TS[i+1] != in.End[i] {
				continue
			}
		} else if m.TS[i+1]-in.End[i] > 5*24*3600*1000 {
			continue // a data hole of days, not a night or weekend
		}
		ret[i] = c[i+1]/c[i] - 1
		t1[i] = in.End[i+1]
	}
	if cfg.FixedBP != nil {
		thr := *cfg.FixedBP / 1e4
		for i := range y {
			y[i] = classify(ret[i], thr)
		}
		return
	}
	k := cfg.KSigma
	if k == 0 {
		k = 0.3
	}
	minP := cfg.SigmaMinPeriods
	if minP <= 0 {
		minP = 5
	}
	// Expanding (or rolling) population std of the returns of rows j < i whose
	// label has ended by the end of row i (t1[j] <= End[i]). Rows are in time
	// order and t1 is non-decreasing over labelled rows, so a pointer suffices.
	var sum, sumSq float64
	var cnt int
	var window []float64
	next := 0
	for i := 0; i < n; i++ {
		for next < i && t1[next] <= in.End[i] {
			if r := ret[next]; !math.IsNaN(r) {
				sum += r
				sumSq += r * r
				cnt++
				if cfg.SigmaWindow > 0 {
					window = append(window, r)
					if len(window) > cfg.SigmaWindow {
						old := window[0]
						window = window[1:]
						sum -= old
						sumSq -= old * old
						cnt--
					}
				}
			}
			next++
		}
		if cnt < minP {
			continue
		}
		mean := sum / float64(cnt)
		v := sumSq/float64(cnt) - mean*mean
		if v < 0 {
			v = 0
		}
		y[i] = classify(ret[i], k*math.Sqrt(v))
	}
}

// sessionCloses returns, per distinct date in row order, the index of the
// last RTH row (the session close), or -1 when the date has no RTH row, and
// whether that row is the session's real close (see closeIsFinal).
func sessionCloses(m *Matrix, in LabelInput) (closeIdx []int, final []bool, dayOf []int) {
	dayOf = make([]int, m.Len())
	for i := 0; i < m.Len(); i++ {
		if i == 0 || m.Date[i] != m.Date[i-1] {
			closeIdx = append(closeIdx, -1)
		}
		d := len(closeIdx) - 1
		dayOf[i] = d
		if in.RTH[i] {
			closeIdx[d] = i
		}
	}
	final = make([]bool, len(closeIdx))
	for d, j := range closeIdx {
		final[d] = j >= 0 && closeIsFinal(m.Date[j], in.End[j])
	}
	return
}

// closeIsFinal reports whether a session's last RTH bar, ending at end, reaches
// the close of date's session on the market calendar (13:00 ET on half days,
// 16:00 otherwise). A session whose input stops earlier — data cut mid-session
// (today's session still trading) or a hole in the afternoon — has no known
// close, and a label that needs that close is absent rather than priced at
// whatever bar came last. Dates the calendar has no session for (weekends and
// holidays, which the builders drop, or hand-made matrices) cannot be checked
// and are taken as they are.
func closeIsFinal(date string, end int64) bool {
	s, ok := market.SessionOn(date)
	return !ok || end >= s.Close
}

// labelForwardDays: ret = C_close(d+N)/C_t − 1 — entry at the row's own close,
// exit at the session close N sessions (of the input) later; T1 = that session
// close. The label is absent when that session's bars stop before its close.
func labelForwardDays(m *Matrix, cfg LabelConfig, in LabelInput, days int, y []string, ret []float64, t1 []int64) {
	band := cfg.Band
	if band == 0 {
		band = 0.001
	}
	closeIdx, final, dayOf := sessionCloses(m, in)
	for i := 0; i < m.Len(); i++ {
		d := dayOf[i] + days
		if d >= len(closeIdx) || closeIdx[d] < 0 || !final[d] {
			continue // the horizon's session is not in the input, or not to its close
		}
		j := closeIdx[d]
		if math.IsNaN(in.Close[i]) || math.IsNaN(in.Close[j]) || in.Close[i] == 0 {
			continue
		}
		ret[i] = in.Close[j]/in.Close[i] - 1
		t1[i] = in.End[j]
		y[i] = classify(ret[i], band)
	}
}

// labelCloseToOpen: rows of session d up to its close get ret = O(d+1)/C_close(d) − 1,
// where O is the open of the next session's first RTH row (its close when no open is
// stored); T1 = the time that price is known.
//
// The label is absent unless C_close(d) is the real close (session d's bars reach
// its calendar close) and the next session's open is in the input: the next session
// of the data must be the calendar's next session and its first RTH bar must start
// by the session open (a session whose morning is missing has no open).
func labelCloseToOpen(m *Matrix, cfg LabelConfig, in LabelInput, y []string, ret []float64, t1 []int64) {
	band := cfg.Band
	if band == 0 {
		band = 0.0005
	}
	closeIdx, final, dayOf := sessionCloses(m, in)
	// first RTH row per day
	first := make([]int, len(closeIdx))
	for d := range first {
		first[d] = -1
	}
	for i := m.Len() - 1; i >= 0; i-- {
		if in.RTH[i] {
			first[dayOf[i]] = i
		}
	}
	// hasOpen[d]: day d+1 holds the open of the session after day d.
	hasOpen := make([]bool, len(closeIdx))
	for d := 0; d+1 < len(first); d++ {
		if c, j := closeIdx[d], first[d+1]; c >= 0 && j >= 0 {
			hasOpen[d] = opensNextSession(m.Date[c], m.Date[j], m.TS[j])
		}
	}
	for i := 0; i < m.Len(); i++ {
		d := dayOf[i]
		c := closeIdx[d]
		if c < 0 || i > c || !final[d] || !hasOpen[d] {
			continue // after the close the trade is no longer close-to-open
		}
		j := first[d+1]
		px, end := math.NaN(), in.End[j]
		if in.Open != nil && !math.IsNaN(in.Open[j]) {
			px, end = in.Open[j], m.TS[j]
		} else if !math.IsNaN(in.Close[j]) {
			px = in.Close[j]
		}
		if math.IsNaN(px) || math.IsNaN(in.Close[c]) || in.Close[c] == 0 {
			continue
		}
		ret[i] = px/in.Close[c] - 1
		t1[i] = end
		y[i] = classify(ret[i], band)
	}
}

// opensNextSession reports whether a bar of date next starting at ts holds the
// open of the session after date: next must be the calendar's next session and
// the bar must start no later than that session's open. Dates off the calendar
// cannot be checked and are taken as they are.
func opensNextSession(date, next string, ts int64) bool {
	if !market.IsTradingDay(date) {
		return true
	}
	want, err := market.NextSession(date)
	if err != nil || next != want {
		return false
	}
	s, ok := market.SessionOn(next)
	return !ok || ts <= s.Open
}

// parseClock parses "HH:MM" into minutes after midnight.
func parseClock(s, def string) (int, error) {
	if s == "" {
		s = def
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, errs.Invalidf("bad time %q (want HH:MM)", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// dayClockMS returns the unix ms of ET wall-clock minute mins on date.
func dayClockMS(date string, mins int, loc *time.Location) int64 {
	d, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return 0
	}
	return time.Date(d.Year(), d.Month(), d.Day(), mins/60, mins%60, 0, 0, loc).UnixMilli()
}

// priceAt is the last known price at time t on the rows lo..hi of one date:
// the close of the last row ended by t, else the open of the first row
// started by t; NaN if neither.
func priceAt(in LabelInput, ts []int64, lo, hi int, t int64) (float64, int) {
	best := -1
	for i := lo; i <= hi; i++ {
		if in.End[i] <= t && !math.IsNaN(in.Close[i]) {
			best = i
		}
	}
	if best >= 0 {
		return in.Close[best], best
	}
	if in.Open != nil {
		for i := lo; i <= hi; i++ {
			if ts[i] <= t && !math.IsNaN(in.Open[i]) {
				return in.Open[i], i
			}
		}
	}
	return math.NaN(), -1
}

// atrAt is Wilder's ATR(14) over rows 0..i (true range from high/low/close,
// |ΔC| when high/low are missing); causal by construction.
func atrSeries(in LabelInput) []float64 {
	n := len(in.Close)
	out := make([]float64, n)
	const alpha = 1.0 / 14
	w := math.NaN()
	prev := math.NaN()
	for i := 0; i < n; i++ {
		c := in.Close[i]
		tr := math.NaN()
		if in.High != nil && in.Low != nil && !math.IsNaN(in.High[i]) && !math.IsNaN(in.Low[i]) {
			tr = in.High[i] - in.Low[i]
			if !math.IsNaN(prev) {
				tr = math.Max(tr, math.Max(math.Abs(in.High[i]-prev), math.Abs(in.Low[i]-prev)))
			}
		} else if !math.IsNaN(prev) && !math.IsNaN(c) {
			tr = math.Abs(c - prev)
		}
		if !math.IsNaN(tr) {
			if math.IsNaN(w) {
				w = tr
			} else {
				w = (1-alpha)*w + alpha*tr
			}
		}
		out[i] = w
		if !math.IsNaN(c) {
			prev = c
		}
	}
	return out
}

// dayRanges returns [lo, hi] row ranges per date in row order.
func dayRanges(m *Matrix) [][2]int {
	var out [][2]int
	for i := 0; i < m.Len(); i++ {
		if i == 0 || m.Date[i] != m.Date[i-1] {
			out = append(out, [2]int{i, i})
		}
		out[len(out)-1][1] = i
	}
	return out
}

// labelHeadfake: per session, early = P(window_end) − P(open_time), late =
// P(close) − P(window_end); a head-fake is |early| ≥ a·ATR, |late| ≥ b·ATR with
// opposite signs. Rows that end by window_end are labelled UP/DOWN (direction of
// the reversal) or FLAT (no head-fake), ret_fwd = C_close/C_t − 1, T1 = close;
// a session whose bars stop before its close is unlabelled.
func labelHeadfake(m *Matrix, cfg LabelConfig, in LabelInput, y []string, ret []float64, t1 []int64) error {
	openM, err := parseClock(cfg.OpenTime, "09:30")
	if err != nil {
		return err
	}
	endM, err := parseClock(cfg.WindowEnd, "10:30")
	if err != nil {
		return err
	}
	a, b := cfg.MinOpenMoveATR, cfg.MinReversalMoveATR
	if a == 0 {
		a = 0.5
	}
	if b == 0 {
		b = 0.5
	}
	atr := atrSeries(in)
	closeIdx, final, _ := sessionCloses(m, in)
	for d, r := range dayRanges(m) {
		c := closeIdx[d]
		if c < 0 || !final[d] {
			continue // the outcome needs the session's real close
		}
		date := m.Date[r[0]]
		tOpen, tEnd := dayClockMS(date, openM, in.Loc), dayClockMS(date, endM, in.Loc)
		pOpen, _ := priceAt(in, m.TS, r[0], r[1], tOpen)
		pEnd, iEnd := priceAt(in, m.TS, r[0], r[1], tEnd)
		pClose := in.Close[c]
		if math.IsNaN(pOpen) || math.IsNaN(pEnd) || math.IsNaN(pClose) || iEnd < 0 || iEnd >= c {
			continue
		}
		early, late := pEnd-pOpen, pClose-pEnd
		v := atr[iEnd]
		cls := ClassFlat
		if !math.IsNaN(v) && v > 0 && math.Abs(early) >= a*v && math.Abs(late) >= b*v && early*late < 0 {
			cls = ClassDown
			if late > 0 {
				cls = ClassUp
			}
		}
		for i := r[0]; i <= r[1] && in.End[i] <= tEnd; i++ {
			if math.IsNaN(in.Close[i]) || in.Close[i] == 0 {
				continue
			}
			y[i] = cls
			ret[i] = pClose/in.Close[i] - 1
			t1[i] = in.End[c]
		}
	}
	return nil
}

// pinTargetCols are chain-analytics columns naming the strike price is pinned to.
var pinTargetCols = []string{"gamma_peak_strike", "oi_peak_strike", "max_pain"}

// labelPinDrift: target = the row's gamma/OI peak strike when chain analytics
// exist, else the strike nearest the price at drift_start (whole dollars); the
// day is a pin when |P(start) − K| − |C_close − K| ≥ min_pull·ATR; labelled rows
// (those ending by drift_start) get the pull direction UP/DOWN, or FLAT; a
// session whose bars stop before its close is unlabelled.
func labelPinDrift(m *Matrix, cfg LabelConfig, in LabelInput, y []string, ret []float64, t1 []int64) error {
	startM, err := parseClock(cfg.DriftStartTime, "15:00")
	if err != nil {
		return err
	}
	pull := cfg.MinPullATR
	if pull == 0 {
		pull = 0.2
	}
	var target []float64
	for _, name := range pinTargetCols {
		if col := m.Col(name); col != nil {
			target = col
			break
		}
	}
	atr := atrSeries(in)
	closeIdx, final, _ := sessionCloses(m, in)
	for d, r := range dayRanges(m) {
		c := closeIdx[d]
		if c < 0 || !final[d] {
			continue // the outcome needs the session's real close
		}
		tStart := dayClockMS(m.Date[r[0]], startM, in.Loc)
		pStart, iStart := priceAt(in, m.TS, r[0], r[1], tStart)
		pClose := in.Close[c]
		if math.IsNaN(pStart) || math.IsNaN(pClose) || iStart < 0 || iStart >= c {
			continue
		}
		k := math.NaN()
		if target != nil {
			k = target[iStart]
		}
		if math.IsNaN(k) {
			k = math.Round(pStart)
		}
		cls := ClassFlat
		if v := atr[iStart]; !math.IsNaN(v) && math.Abs(pStart-k)-math.Abs(pClose-k) >= pull*v {
			cls = ClassDown
			if k > pStart {
				cls = ClassUp
			}
		}
		for i := r[0]; i <= r[1] && in.End[i] <= tStart; i++ {
			if math.IsNaN(in.Close[i]) || in.Close[i] == 0 {
				continue
			}
			y[i] = cls
			ret[i] = pClose/in.Close[i] - 1
			t1[i] = in.End[c]
		}
	}
	return nil
}
