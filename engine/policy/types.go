package policy

import (
	"encoding/json"
	"fmt"

	"sigmalab/engine/doc"
)

// Policy is a model's trading policy document, decoded. Every field is
// optional in the document (a pointer is nil when the key is absent or null);
// Effective fills the defaults. Keys the types do not know are kept in the
// Extra maps, so Decode followed by Doc loses nothing.
//
// A document is flat ({name, description, risk, execution, alerting, …}) or
// wrapped ({name, version, policy:{risk, execution, alerting}}); Wrapped and
// Outer keep the wrapped shape.
type Policy struct {
	Name        string
	Description string
	// Risk, Execution and Alerting are the three sections every policy has;
	// nil when the document lacks one (a problem Decode reports).
	Risk      *Risk
	Execution *Execution
	Alerting  *Alerting
	// Extra holds the other keys of the sections' mapping (version, root-level
	// options and brackets blocks, which the engine ignores, …).
	Extra map[string]any
	// Wrapped is true when the sections sat under a "policy:" key; Outer holds
	// that wrapper's other keys (name, version, …).
	Wrapped bool
	Outer   map[string]any
}

// Risk is the risk section: limits a run must respect to pass the gate.
type Risk struct {
	MaxDrawdown    *float64 // fraction in [0,1]: a run whose max drawdown is deeper fails the gate
	MaxExposure    *float64 // ≥ 0: a run whose mean exposure is higher fails the gate
	MinTrades      *int     // ≥ 0: overrides the risk profile's minimum positions
	MinDSR         *float64 // [0,1]: overrides the risk profile's minimum deflated Sharpe
	MaxPositionPct *float64 // ≥ 0, informational
	MaxDailyTrades *int     // ≥ 0, informational
	StopLossBps    *float64 // ≥ 0, informational
	Extra          map[string]any
}

// Execution is the execution section: how decisions become trades.
type Execution struct {
	SlippageBps    *float64 // cost per side in basis points, [0, 10000]; default 1
	SizeByConf     *bool    // size positions by model confidence; default false
	ConfCap        *float64 // cap of a confidence-sized position, (0, 1]; default 1
	MomentumGate   *bool    // trade only when the momentum column clears MomentumMin; default false
	MomentumMin    *float64 // momentum gate threshold; default 0
	MomentumColumn *string  // matrix column of the gate; default momentum_score_total
	Venue          string   // informational
	OrderType      string   // informational
	Brackets       *Brackets
	Options        *ExecOptions
	Extra          map[string]any
}

// Brackets are the ATR stop/target brackets of the parity backtest. A
// non-empty block that is not disabled switches parity on.
type Brackets struct {
	Enabled         *bool    // default true
	Mode            *string  // default atr
	EntryMode       *string  // next_session_open (default) | next_bar
	AtrPeriod       *int     // [1, 500]; default 14
	AtrMultStop     *float64 // > 0; default 1.5
	AtrMultTarget   *float64 // > 0; default 3
	TimeStopMinutes *int     // ≥ 0 (0 disables the time stop); default 120
	MinRR           *float64 // ≥ 0; default 1
	RegimeAdjust    *bool    // default false
	Extra           map[string]any
}

// ExecOptions is the execution.options block (option contract selection).
type ExecOptions struct {
	Selection *Selection
	Extra     map[string]any
}

// Selection chooses option contracts for signals.
type Selection struct {
	TargetDelta *float64 // (0, 1); default 0.35
	DteTarget   *float64 // days to expiry; default none
	MinOI       *float64 // ≥ 0; default 0
	MinVol      *float64 // minimum implied vol (0–5 = 0–500%); default none
	SpreadWidth *float64 // ≥ 0; default 5
	WeeklyOK    *bool    // default true
	Extra       map[string]any
}

// Alerting is the alerting section (signal pacing).
type Alerting struct {
	CooldownMinutes *float64 // ≥ 0
	MaxTradesPerDay *int     // ≥ 0
	MinSignalScore  *float64
	Extra           map[string]any
}

// Entry modes of the bracket parity backtest.
const (
	EntryNextSessionOpen = "next_session_open"
	EntryNextBar         = "next_bar"
)

// Empty is the policy of a model scaffolded without a template: the three
// sections, empty (every default applies).
func Empty() Policy {
	return Policy{Risk: &Risk{}, Execution: &Execution{}, Alerting: &Alerting{}}
}

// MissingSection is the problem type of an absent section.
const MissingSection = "missing"

// Sections every policy must have.
var Sections = []string{"risk", "execution", "alerting"}

// Decode reads a policy document (JSON or YAML decoded to generic values).
// It never fails: every problem (a value of the wrong type, out of range, a
// missing section) is returned with its location inside the document, and
// the typed value holds what could be read.
func Decode(v any) (Policy, *doc.Problems) {
	var p Policy
	pr := &doc.Problems{}
	if v == nil {
		pr.Add(nil, "policy must be an object", "type_error.dict")
		return p, pr
	}
	root := doc.Object(v, pr)
	if root == nil {
		return p, pr
	}
	r := root
	if root.Has("policy") {
		inner := root.Obj("policy")
		if inner == nil {
			return p, pr
		}
		p.Wrapped, p.Outer, r = true, root.Rest(), inner
	}
	p.Name = r.Str("name")
	p.Description = r.Str("description")
	for _, s := range Sections {
		if !r.Has(s) {
			r.Raw(s)
			r.Fail(s, "Field required: every policy has risk, execution and alerting (may be empty)", MissingSection)
		}
	}
	p.Risk = decodeRisk(r.Obj("risk"))
	p.Execution = decodeExecution(r.Obj("execution"))
	p.Alerting = decodeAlerting(r.Obj("alerting"))
	p.Extra = r.Rest()
	return p, pr
}

// ranges checks a decoded number against its bounds.
type bound struct {
	lo, hi       float64
	loOpen, hiOp bool
	text         string
}

var (
	nonNeg   = bound{lo: 0, hi: inf, text: "must be ≥ 0"}
	positive = bound{lo: 0, hi: inf, loOpen: true, text: "must be > 0"}
	unit     = bound{lo: 0, hi: 1, text: "must be in [0, 1]"}
	inf      = 1e308
)

func check(r *doc.Reader, key string, v *float64, b bound) *float64 {
	if v == nil {
		return nil
	}
	x := *v
	if x < b.lo || x > b.hi || (b.loOpen && x == b.lo) || (b.hiOp && x == b.hi) {
		r.Fail(key, b.text, "value_error.number")
	}
	return v
}

func checkInt(r *doc.Reader, key string, v *int, lo, hi int) *int {
	if v != nil && (*v < lo || *v > hi) {
		if hi == maxInt {
			r.Fail(key, fmt.Sprintf("must be ≥ %d", lo), "value_error.number")
		} else {
			r.Fail(key, fmt.Sprintf("must be in [%d, %d]", lo, hi), "value_error.number")
		}
	}
	return v
}

const maxInt = int(^uint(0) >> 1)

func decodeRisk(r *doc.Reader) *Risk {
	if r == nil {
		return nil
	}
	return &Risk{
		MaxDrawdown:    check(r, "max_drawdown", r.Float("max_drawdown"), bound{lo: 0, hi: 1, text: "must be a fraction in [0, 1]"}),
		MaxExposure:    check(r, "max_exposure", r.Float("max_exposure"), nonNeg),
		MinTrades:      checkInt(r, "min_trades", r.Int("min_trades"), 0, maxInt),
		MinDSR:         check(r, "min_dsr", r.Float("min_dsr"), unit),
		MaxPositionPct: check(r, "max_position_pct", r.Float("max_position_pct"), nonNeg),
		MaxDailyTrades: checkInt(r, "max_daily_trades", r.Int("max_daily_trades"), 0, maxInt),
		StopLossBps:    check(r, "stop_loss_bps", r.Float("stop_loss_bps"), nonNeg),
		Extra:          r.Rest(),
	}
}

func decodeExecution(r *doc.Reader) *Execution {
	if r == nil {
		return nil
	}
	e := &Execution{
		SlippageBps:    check(r, "slippage_bps", r.Float("slippage_bps"), bound{lo: 0, hi: 1e4, text: "must be in [0, 10000] (basis points)"}),
		SizeByConf:     r.Bool("size_by_conf"),
		ConfCap:        check(r, "conf_cap", r.Float("conf_cap"), bound{lo: 0, hi: 1, loOpen: true, text: "must be in (0, 1]"}),
		MomentumGate:   r.Bool("momentum_gate"),
		MomentumMin:    r.Float("momentum_min"),
		MomentumColumn: r.StrPtr("momentum_column"),
		Venue:          r.Str("venue"),
		OrderType:      r.Str("order_type"),
		Brackets:       decodeBrackets(r.Obj("brackets")),
		Options:        decodeOptions(r.Obj("options")),
	}
	if e.MomentumColumn != nil && *e.MomentumColumn == "" {
		r.Fail("momentum_column", "must not be empty", "value_error.missing")
	}
	e.Extra = r.Rest()
	return e
}

func decodeBrackets(r *doc.Reader) *Brackets {
	if r == nil {
		return nil
	}
	b := &Brackets{
		Enabled:         r.Bool("enabled"),
		Mode:            r.StrPtr("mode"),
		EntryMode:       r.StrPtr("entry_mode"),
		AtrPeriod:       checkInt(r, "atr_period", r.Int("atr_period"), 1, 500),
		AtrMultStop:     check(r, "atr_mult_stop", r.Float("atr_mult_stop"), positive),
		AtrMultTarget:   check(r, "atr_mult_target", r.Float("atr_mult_target"), positive),
		TimeStopMinutes: checkInt(r, "time_stop_minutes", r.Int("time_stop_minutes"), 0, maxInt),
		MinRR:           check(r, "min_rr", r.Float("min_rr"), nonNeg),
		RegimeAdjust:    r.Bool("regime_adjust"),
	}
	if b.EntryMode != nil && *b.EntryMode != EntryNextSessionOpen && *b.EntryMode != EntryNextBar {
		r.Fail("entry_mode", "must be one of next_session_open|next_bar", "value_error.enum")
	}
	if b.Mode != nil && *b.Mode == "" {
		r.Fail("mode", "must not be empty", "value_error.missing")
	}
	b.Extra = r.Rest()
	return b
}

func decodeOptions(r *doc.Reader) *ExecOptions {
	if r == nil {
		return nil
	}
	o := &ExecOptions{}
	if s := r.Obj("selection"); s != nil {
		o.Selection = &Selection{
			TargetDelta: check(s, "target_delta", s.Float("target_delta"), bound{lo: 0, hi: 1, loOpen: true, hiOp: true, text: "must be in (0, 1)"}),
			DteTarget:   s.Float("dte_target"),
			MinOI:       check(s, "min_oi", s.Float("min_oi"), nonNeg),
			MinVol:      s.Float("min_vol"),
			SpreadWidth: check(s, "spread_width", s.Float("spread_width"), nonNeg),
			WeeklyOK:    s.Bool("weekly_ok"),
			Extra:       s.Rest(),
		}
	}
	o.Extra = r.Rest()
	return o
}

func decodeAlerting(r *doc.Reader) *Alerting {
	if r == nil {
		return nil
	}
	return &Alerting{
		CooldownMinutes: check(r, "cooldown_minutes", r.Float("cooldown_minutes"), nonNeg),
		MaxTradesPerDay: checkInt(r, "max_trades_per_day", r.Int("max_trades_per_day"), 0, maxInt),
		MinSignalScore:  r.Float("min_signal_score"),
		Extra:           r.Rest(),
	}
}

// Doc is the policy as a generic document, in the shape it was decoded from.
func (p Policy) Doc() map[string]any {
	w := doc.NewWriter()
	w.Set("name", p.Name)
	w.Set("description", p.Description)
	if p.Risk != nil {
		w.Set("risk", p.Risk.doc())
	}
	if p.Execution != nil {
		w.Set("execution", p.Execution.doc())
	}
	if p.Alerting != nil {
		w.Set("alerting", p.Alerting.doc())
	}
	w.Extra(p.Extra)
	if !p.Wrapped {
		return w.Doc()
	}
	outer := doc.NewWriter()
	outer.Set("policy", w.Doc())
	outer.Extra(p.Outer)
	return outer.Doc()
}

func (r *Risk) doc() map[string]any {
	w := doc.NewWriter()
	w.Set("max_drawdown", r.MaxDrawdown)
	w.Set("max_exposure", r.MaxExposure)
	w.Set("min_trades", r.MinTrades)
	w.Set("min_dsr", r.MinDSR)
	w.Set("max_position_pct", r.MaxPositionPct)
	w.Set("max_daily_trades", r.MaxDailyTrades)
	w.Set("stop_loss_bps", r.StopLossBps)
	w.Extra(r.Extra)
	return w.Doc()
}

func (e *Execution) doc() map[string]any {
	w := doc.NewWriter()
	w.Set("slippage_bps", e.SlippageBps)
	w.Set("size_by_conf", e.SizeByConf)
	w.Set("conf_cap", e.ConfCap)
	w.Set("momentum_gate", e.MomentumGate)
	w.Set("momentum_min", e.MomentumMin)
	w.Set("momentum_column", e.MomentumColumn)
	w.Set("venue", e.Venue)
	w.Set("order_type", e.OrderType)
	if e.Brackets != nil {
		w.Set("brackets", e.Brackets.doc())
	}
	if e.Options != nil {
		w.Set("options", e.Options.doc())
	}
	w.Extra(e.Extra)
	return w.Doc()
}

func (b *Brackets) doc() map[string]any {
	w := doc.NewWriter()
	w.Set("enabled", b.Enabled)
	w.Set("mode", b.Mode)
	w.Set("entry_mode", b.EntryMode)
	w.Set("atr_period", b.AtrPeriod)
	w.Set("atr_mult_stop", b.AtrMultStop)
	w.Set("atr_mult_target", b.AtrMultTarget)
	w.Set("time_stop_minutes", b.TimeStopMinutes)
	w.Set("min_rr", b.MinRR)
	w.Set("regime_adjust", b.RegimeAdjust)
	w.Extra(b.Extra)
	return w.Doc()
}

// empty reports whether the block sets nothing at all.
func (b *Brackets) empty() bool { return len(b.doc()) == 0 }

func (o *ExecOptions) doc() map[string]any {
	w := doc.NewWriter()
	if s := o.Selection; s != nil {
		sw := doc.NewWriter()
		sw.Set("target_delta", s.TargetDelta)
		sw.Set("dte_target", s.DteTarget)
		sw.Set("min_oi", s.MinOI)
		sw.Set("min_vol", s.MinVol)
		sw.Set("spread_width", s.SpreadWidth)
		sw.Set("weekly_ok", s.WeeklyOK)
		sw.Extra(s.Extra)
		w.Set("selection", sw.Doc())
	}
	w.Extra(o.Extra)
	return w.Doc()
}

func (a *Alerting) doc() map[string]any {
	w := doc.NewWriter()
	w.Set("cooldown_minutes", a.CooldownMinutes)
	w.Set("max_trades_per_day", a.MaxTradesPerDay)
	w.Set("min_signal_score", a.MinSignalScore)
	w.Extra(a.Extra)
	return w.Doc()
}

// MarshalJSON writes the document (see Doc).
func (p Policy) MarshalJSON() ([]byte, error) { return json.Marshal(p.Doc()) }

// UnmarshalJSON decodes a document; any problem is a validation error
// located inside the document.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	dec, pr := Decode(v)
	if err := pr.Err(); err != nil {
		return err
	}
	*p = dec
	return nil
}
