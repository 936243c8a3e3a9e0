package policy

import (
	"fmt"
	"strconv"
)

// num writes a setting as a person would: 1, 1.5, 0.35 (no trailing zeros,
// no exponent for the magnitudes policies hold).
func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// ExecutionNotes expands effective execution settings into short sentences
// (GET /policy/explain's notes): what a backtest charges and trades, the
// brackets bracket parity simulates, and the option selection.
func ExecutionNotes(e EffectiveExecution) []string {
	unit := "bps"
	if e.SlippageBps == 1 {
		unit = "bp"
	}
	notes := []string{fmt.Sprintf("slippage %s %s per trade, charged once on entry per unit of position", num(e.SlippageBps), unit)}
	if e.SizeByConf {
		notes = append(notes, fmt.Sprintf("size by confidence: min(max(0, 2·conf − 1), %s) per position", num(e.ConfCap)))
	} else {
		notes = append(notes, "size: 1 unit per position (size_by_conf off)")
	}
	if e.MomentumGate {
		notes = append(notes, fmt.Sprintf("momentum gate: a row trades only when %s ≥ %s", e.MomentumColumn, num(e.MomentumMin)))
	} else {
		notes = append(notes, "momentum gate off")
	}
	b := e.Brackets
	entry := "next session open"
	if b.EntryMode == EntryNextBar {
		entry = "next bar"
	}
	ts := fmt.Sprintf("time stop %d min", b.TimeStopMinutes)
	if b.TimeStopMinutes <= 0 {
		ts = "no time stop set"
	}
	br := fmt.Sprintf("brackets: stop %s×ATR(%d), target %s×ATR, %s, entry %s",
		num(b.AtrMultStop), b.AtrPeriod, num(b.AtrMultTarget), ts, entry)
	switch {
	case !b.Enabled:
		br = "brackets disabled: " + br[len("brackets: "):] + " (bracket parity off)"
	case e.Parity:
		br += " (bracket parity on: backtests also simulate these brackets on the stored bars)"
	default:
		br += " (defaults; bracket parity off: the policy has no brackets block)"
	}
	notes = append(notes, br)
	s := e.Options.Selection
	sel := fmt.Sprintf("option selection: target delta %s, spread width %s, min open interest %s", num(s.TargetDelta),
		num(s.SpreadWidth), num(s.MinOI))
	if s.DteTarget != nil {
		sel += fmt.Sprintf(", %s days to expiry", num(*s.DteTarget))
	}
	if s.MinVol != nil {
		sel += fmt.Sprintf(", implied vol ≥ %s%%", num(*s.MinVol*100))
	}
	if s.WeeklyOK {
		sel += ", weeklies allowed"
	} else {
		sel += ", no weeklies"
	}
	return append(notes, sel)
}

// RiskNotes expands the risk section's limits (nil: none) into sentences.
// The gate's own bounds depend on the risk profile and are written by the
// caller.
func RiskNotes(r *Risk) []string {
	if r == nil {
		return nil
	}
	var notes []string
	if r.MaxDrawdown != nil && *r.MaxDrawdown > 0 {
		notes = append(notes, fmt.Sprintf("max drawdown %s%%: a run with a deeper drawdown fails the gate", num(*r.MaxDrawdown*100)))
	}
	if r.MaxExposure != nil && *r.MaxExposure > 0 {
		notes = append(notes, fmt.Sprintf("max exposure %s: a run whose mean exposure is higher fails the gate", num(*r.MaxExposure)))
	}
	if r.MaxPositionPct != nil {
		notes = append(notes, fmt.Sprintf("max_position_pct %s (recorded, not enforced by backtests)", num(*r.MaxPositionPct)))
	}
	if r.MaxDailyTrades != nil {
		notes = append(notes, fmt.Sprintf("at most %d trades a day (recorded, not enforced by backtests)", *r.MaxDailyTrades))
	}
	if r.StopLossBps != nil {
		notes = append(notes, fmt.Sprintf("stop loss %s bps (recorded, not enforced by backtests)", num(*r.StopLossBps)))
	}
	return notes
}
