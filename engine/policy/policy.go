// Package policy holds the trading-policy document as a type (Policy), its
// validation (Decode), the effective execution parameters with every default
// filled (Effective, the one place the defaults are written) and the guard
// checks, as served by GET /policy/explain and used by backtests, sweeps and
// signals.
package policy

import (
	"encoding/json"
	"fmt"

	"sigmalab/engine/doc"
)

// EffectiveExecution is a policy's execution section with the defaults filled.
type EffectiveExecution struct {
	SlippageBps    float64           `json:"slippage_bps"`
	SizeByConf     bool              `json:"size_by_conf"`
	ConfCap        float64           `json:"conf_cap"`
	MomentumGate   bool              `json:"momentum_gate"`
	MomentumMin    float64           `json:"momentum_min"`
	MomentumColumn string            `json:"momentum_column"`
	Venue          string            `json:"venue,omitempty"`
	OrderType      string            `json:"order_type,omitempty"`
	Brackets       EffectiveBrackets `json:"brackets"`
	Options        EffectiveOptions  `json:"options"`
	Extra          map[string]any    `json:"-"` // the document's other execution keys, echoed
	Parity         bool              `json:"-"` // the document switches bracket parity on
}

// EffectiveBrackets are the brackets with the defaults filled.
type EffectiveBrackets struct {
	Enabled         bool           `json:"enabled"`
	Mode            string         `json:"mode"`
	EntryMode       string         `json:"entry_mode"`
	AtrPeriod       int            `json:"atr_period"`
	AtrMultStop     float64        `json:"atr_mult_stop"`
	AtrMultTarget   float64        `json:"atr_mult_target"`
	TimeStopMinutes int            `json:"time_stop_minutes"`
	MinRR           float64        `json:"min_rr"`
	RegimeAdjust    bool           `json:"regime_adjust"`
	Extra           map[string]any `json:"-"`
}

// EffectiveOptions is execution.options with the selection defaults filled.
type EffectiveOptions struct {
	Selection EffectiveSelection `json:"selection"`
	Extra     map[string]any     `json:"-"`
}

// EffectiveSelection is the option selection with the defaults filled
// (dte_target and min_vol have none: null).
type EffectiveSelection struct {
	TargetDelta float64        `json:"target_delta"`
	DteTarget   *float64       `json:"dte_target"`
	MinOI       float64        `json:"min_oi"`
	MinVol      *float64       `json:"min_vol"`
	SpreadWidth float64        `json:"spread_width"`
	WeeklyOK    bool           `json:"weekly_ok"`
	Extra       map[string]any `json:"-"`
}

// Defaults are the execution defaults (the predecessor's): the only place
// they are written.
func Defaults() EffectiveExecution {
	return EffectiveExecution{
		SlippageBps: 1, SizeByConf: false, ConfCap: 1, MomentumGate: false, MomentumMin: 0,
		MomentumColumn: "momentum_score_total",
		Brackets: EffectiveBrackets{Enabled: true, Mode: "atr", EntryMode: EntryNextSessionOpen, AtrPeriod: 14,
			AtrMultStop: 1.5, AtrMultTarget: 3, TimeStopMinutes: 120, MinRR: 1, RegimeAdjust: false},
		Options: EffectiveOptions{Selection: EffectiveSelection{TargetDelta: 0.35, MinOI: 0, SpreadWidth: 5, WeeklyOK: true}},
	}
}

func setF(dst *float64, v *float64) {
	if v != nil {
		*dst = *v
	}
}

func setB(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func setS(dst *string, v *string) {
	if v != nil && *v != "" {
		*dst = *v
	}
}

func setI(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

// Effective is the execution section over the defaults. Parity is on when
// the document itself has a non-empty brackets block that is not disabled
// (the defaults alone do not switch it on).
func (p Policy) Effective() EffectiveExecution {
	e := Defaults()
	x := p.Execution
	if x == nil {
		return e
	}
	setF(&e.SlippageBps, x.SlippageBps)
	setB(&e.SizeByConf, x.SizeByConf)
	setF(&e.ConfCap, x.ConfCap)
	setB(&e.MomentumGate, x.MomentumGate)
	setF(&e.MomentumMin, x.MomentumMin)
	setS(&e.MomentumColumn, x.MomentumColumn)
	e.Venue, e.OrderType, e.Extra = x.Venue, x.OrderType, x.Extra
	if b := x.Brackets; b != nil {
		eb := &e.Brackets
		setB(&eb.Enabled, b.Enabled)
		setS(&eb.Mode, b.Mode)
		setS(&eb.EntryMode, b.EntryMode)
		setI(&eb.AtrPeriod, b.AtrPeriod)
		setF(&eb.AtrMultStop, b.AtrMultStop)
		setF(&eb.AtrMultTarget, b.AtrMultTarget)
		setI(&eb.TimeStopMinutes, b.TimeStopMinutes)
		setF(&eb.MinRR, b.MinRR)
		setB(&eb.RegimeAdjust, b.RegimeAdjust)
		eb.Extra = b.Extra
		e.Parity = !b.empty() && eb.Enabled
	}
	if o := x.Options; o != nil {
		e.Options.Extra = o.Extra
		if s := o.Selection; s != nil {
			es := &e.Options.Selection
			setF(&es.TargetDelta, s.TargetDelta)
			es.DteTarget = s.DteTarget
			setF(&es.MinOI, s.MinOI)
			es.MinVol = s.MinVol
			setF(&es.SpreadWidth, s.SpreadWidth)
			setB(&es.WeeklyOK, s.WeeklyOK)
			es.Extra = s.Extra
		}
	}
	return e
}

// withExtra marshals v (a struct without its own MarshalJSON) and adds the
// document's unknown keys, which never override a typed one.
func withExtra(v any, extra map[string]any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, x := range extra {
		if _, ok := m[k]; ok {
			continue
		}
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		m[k] = raw
	}
	return json.Marshal(m)
}

// MarshalJSON writes the effective values and the document's other keys.
func (e EffectiveExecution) MarshalJSON() ([]byte, error) {
	type plain EffectiveExecution
	return withExtra(plain(e), e.Extra)
}

// MarshalJSON writes the effective values and the document's other keys.
func (b EffectiveBrackets) MarshalJSON() ([]byte, error) {
	type plain EffectiveBrackets
	return withExtra(plain(b), b.Extra)
}

// MarshalJSON writes the effective values and the document's other keys.
func (o EffectiveOptions) MarshalJSON() ([]byte, error) {
	type plain EffectiveOptions
	return withExtra(plain(o), o.Extra)
}

// MarshalJSON writes the effective values and the document's other keys.
func (s EffectiveSelection) MarshalJSON() ([]byte, error) {
	type plain EffectiveSelection
	return withExtra(plain(s), s.Extra)
}

// Checks are the guard checks on effective execution parameters.
type Checks struct {
	OK       bool     `json:"ok"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

// Guard runs the predecessor's guard checks on effective parameters. Values
// that Decode accepts never fail the error checks; the warnings are advice
// (a target inside the stop, a disabled time stop, …).
func Guard(e EffectiveExecution) Checks {
	c := Checks{Errors: []string{}, Warnings: []string{}}
	br := e.Brackets
	if br.AtrMultStop <= 0 {
		c.Errors = append(c.Errors, "brackets.atr_mult_stop must be > 0")
	}
	if br.MinRR < 0 {
		c.Errors = append(c.Errors, "brackets.min_rr must be >= 0")
	}
	if br.AtrMultTarget <= br.AtrMultStop {
		c.Warnings = append(c.Warnings, "brackets.atr_mult_target should exceed atr_mult_stop for positive RR")
	}
	if br.TimeStopMinutes <= 0 {
		c.Warnings = append(c.Warnings, "brackets.time_stop_minutes is non-positive; time stop will be disabled")
	}
	sel := e.Options.Selection
	if !(sel.TargetDelta > 0 && sel.TargetDelta < 1) {
		c.Errors = append(c.Errors, "options.selection.target_delta must be in (0,1)")
	}
	if sel.DteTarget != nil && *sel.DteTarget <= 0 {
		c.Warnings = append(c.Warnings, "options.selection.dte_target is non-positive; expiries may not resolve")
	}
	if sel.MinOI < 0 {
		c.Errors = append(c.Errors, "options.selection.min_oi must be >= 0")
	}
	if mv := sel.MinVol; mv != nil && (*mv < 0 || *mv > 5) {
		c.Warnings = append(c.Warnings, "options.selection.min_vol outside [0,5] (interpreted as 0-500%)")
	}
	c.OK = len(c.Errors) == 0
	return c
}

// Explanation is the verdict of GET /policy/explain.
type Explanation struct {
	OK                 bool               `json:"ok"`
	SchemaOK           bool               `json:"schema_ok"`
	SchemaErrors       []string           `json:"schema_errors"`
	ExecutionEffective EffectiveExecution `json:"execution_effective"`
	Checks             Checks             `json:"checks"`
}

// Explain validates doc (nil = no policy; missing names what was looked for)
// and derives the effective execution and its checks. Out-of-range values
// are schema errors; the effective execution then uses them as written, so
// the guard reports them too.
func Explain(v any, missing string) Explanation {
	var e Explanation
	var p Policy
	if v == nil {
		e.SchemaErrors = []string{fmt.Sprintf("missing policy: %s", missing)}
	} else {
		var pr *doc.Problems
		p, pr = Decode(v)
		e.SchemaErrors = pr.Strings()
		e.SchemaOK = len(e.SchemaErrors) == 0
	}
	e.ExecutionEffective = p.Effective()
	e.Checks = Guard(e.ExecutionEffective)
	e.OK = e.SchemaOK && e.Checks.OK
	return e
}
