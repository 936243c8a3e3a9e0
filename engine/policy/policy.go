// Package policy validates trading-policy documents and derives the effective
// execution parameters (defaults filled) with their guard checks, as served by
// GET /policy/explain and used by backtests and signals.
//
// A policy document is flat ({risk, execution, alerting, …}) or wrapped
// ({name, version, policy:{risk, execution, alerting}}); Unwrap accepts both.
package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Unwrap returns the mapping holding the sections: doc["policy"] when present,
// else doc itself. The error texts are the predecessor's.
func Unwrap(doc any) (map[string]any, []string) {
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, []string{"policy root must be a mapping"}
	}
	if inner, has := root["policy"]; has {
		m, ok := inner.(map[string]any)
		if !ok {
			return nil, []string{"'policy' must be a mapping if present; otherwise provide keys at root"}
		}
		return m, nil
	}
	return root, nil
}

// Sections every policy must have.
var Sections = []string{"risk", "execution", "alerting"}

type kind int

const (
	kNumber kind = iota
	kNullableNumber
	kBool
	kString
)

type fieldCheck struct {
	path []string
	kind kind
}

// checks lists the typed fields; absent fields are fine (defaults apply).
// dte_target and min_vol default to null, so null is accepted for them.
var checks = []fieldCheck{
	{[]string{"execution", "slippage_bps"}, kNumber},
	{[]string{"execution", "size_by_conf"}, kBool},
	{[]string{"execution", "conf_cap"}, kNumber},
	{[]string{"alerting", "cooldown_minutes"}, kNumber},
	{[]string{"risk", "max_drawdown"}, kNumber},
	{[]string{"risk", "max_exposure"}, kNumber},
	{[]string{"execution", "brackets", "atr_mult_stop"}, kNumber},
	{[]string{"execution", "brackets", "atr_mult_target"}, kNumber},
	{[]string{"execution", "brackets", "time_stop_minutes"}, kNumber},
	{[]string{"execution", "brackets", "atr_period"}, kNumber},
	{[]string{"execution", "brackets", "min_rr"}, kNumber},
	{[]string{"execution", "brackets", "enabled"}, kBool},
	{[]string{"execution", "brackets", "regime_adjust"}, kBool},
	{[]string{"execution", "brackets", "entry_mode"}, kString},
	{[]string{"execution", "brackets", "mode"}, kString},
	{[]string{"execution", "options", "selection", "dte_target"}, kNullableNumber},
	{[]string{"execution", "options", "selection", "min_oi"}, kNumber},
	{[]string{"execution", "options", "selection", "min_vol"}, kNullableNumber},
	{[]string{"execution", "options", "selection", "spread_width"}, kNumber},
	{[]string{"execution", "options", "selection", "target_delta"}, kNumber},
	{[]string{"execution", "options", "selection", "weekly_ok"}, kBool},
}

// Validate checks the document's schema and returns every failure (empty when
// valid). Unlike the predecessor, stored policies are validated too, not only
// files.
func Validate(doc any) []string {
	pol, errs := Unwrap(doc)
	if errs != nil {
		return errs
	}
	out := []string{}
	for _, s := range Sections {
		if _, ok := pol[s].(map[string]any); !ok {
			out = append(out, "missing or invalid section: "+s)
		}
	}
	for _, c := range checks {
		v, present := lookup(pol, c.path)
		if !present {
			continue
		}
		name := strings.Join(c.path, ".")
		switch c.kind {
		case kNumber:
			if !isNumber(v) {
				out = append(out, name+" must be a number")
			}
		case kNullableNumber:
			if v != nil && !isNumber(v) {
				out = append(out, name+" must be a number")
			}
		case kBool:
			if _, ok := v.(bool); !ok {
				out = append(out, name+" must be a boolean")
			}
		case kString:
			if _, ok := v.(string); !ok {
				out = append(out, name+" must be a string")
			}
		}
	}
	return out
}

// lookup walks nested maps; present is false when any step is missing or not a map.
func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func isNumber(v any) bool {
	switch x := v.(type) {
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32, int, int64, int32, uint64, uint32, uint:
		return true
	}
	return false
}

// DefaultExecution returns a fresh copy of the execution defaults.
func DefaultExecution() map[string]any {
	return map[string]any{
		"slippage_bps":    1.0,
		"size_by_conf":    false,
		"conf_cap":        1.0,
		"momentum_gate":   false,
		"momentum_min":    0.0,
		"momentum_column": "momentum_score_total",
		"brackets": map[string]any{
			"enabled": true, "mode": "atr", "entry_mode": "next_session_open", "atr_period": 14.0,
			"atr_mult_stop": 1.5, "atr_mult_target": 3.0, "time_stop_minutes": 120.0, "min_rr": 1.0,
			"regime_adjust": false,
		},
		"options": map[string]any{
			"selection": map[string]any{
				"target_delta": 0.35, "dte_target": nil, "min_oi": 0.0, "min_vol": nil,
				"spread_width": 5.0, "weekly_ok": true,
			},
		},
	}
}

// Effective merges the document's execution section over the defaults:
// top-level keys replace, brackets and options.selection merge key by key.
// A document without a usable execution section yields the defaults.
func Effective(doc any) map[string]any {
	eff := DefaultExecution()
	pol, errs := Unwrap(doc)
	if errs != nil {
		return eff
	}
	ex, ok := pol["execution"].(map[string]any)
	if !ok {
		return eff
	}
	for k, v := range ex {
		switch k {
		case "brackets":
			if bm, ok := v.(map[string]any); ok {
				mergeInto(eff["brackets"].(map[string]any), bm)
				continue
			}
		case "options":
			if om, ok := v.(map[string]any); ok {
				dst := eff["options"].(map[string]any)
				for ok2, ov := range om {
					if ok2 == "selection" {
						if sm, ok := ov.(map[string]any); ok {
							mergeInto(dst["selection"].(map[string]any), sm)
							continue
						}
					}
					dst[ok2] = ov
				}
				continue
			}
		}
		eff[k] = v
	}
	return eff
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		dst[k] = v
	}
}

// Checks are the guard checks on effective execution parameters.
type Checks struct {
	OK       bool     `json:"ok"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

// toFloat casts like the predecessor's float(): numbers and numeric strings.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// Guard runs the guard checks on an effective execution map (see Effective).
func Guard(eff map[string]any) Checks {
	c := Checks{Errors: []string{}, Warnings: []string{}}
	if br, ok := eff["brackets"].(map[string]any); ok {
		guardBrackets(br, &c)
	}
	var sel map[string]any
	if om, ok := eff["options"].(map[string]any); ok {
		sel, _ = om["selection"].(map[string]any)
	}
	if sel != nil {
		guardSelection(sel, &c)
	}
	c.OK = len(c.Errors) == 0
	return c
}

func guardBrackets(br map[string]any, c *Checks) {
	// Each value is optional (nil); any present non-numeric value stops the
	// bracket checks with one warning, as the predecessor did.
	vals := map[string]*float64{}
	for _, k := range []string{"atr_mult_stop", "atr_mult_target", "time_stop_minutes", "min_rr"} {
		v, present := br[k]
		if !present || v == nil {
			continue
		}
		f, ok := toFloat(v)
		if !ok {
			c.Warnings = append(c.Warnings, "brackets values contain non-numeric entries")
			return
		}
		vals[k] = &f
	}
	stop, target, tsm, minRR := vals["atr_mult_stop"], vals["atr_mult_target"], vals["time_stop_minutes"], vals["min_rr"]
	if stop != nil && *stop <= 0 {
		c.Errors = append(c.Errors, "brackets.atr_mult_stop must be > 0")
	}
	if minRR != nil && *minRR < 0 {
		c.Errors = append(c.Errors, "brackets.min_rr must be >= 0")
	}
	if stop != nil && target != nil && *target <= *stop {
		c.Warnings = append(c.Warnings, "brackets.atr_mult_target should exceed atr_mult_stop for positive RR")
	}
	if tsm != nil && *tsm <= 0 {
		c.Warnings = append(c.Warnings, "brackets.time_stop_minutes is non-positive; time stop will be disabled")
	}
}

func guardSelection(sel map[string]any, c *Checks) {
	if v, present := sel["target_delta"]; present {
		if td, ok := toFloat(v); !ok {
			c.Warnings = append(c.Warnings, "options.selection.target_delta not numeric")
		} else if !(td > 0 && td < 1) {
			c.Errors = append(c.Errors, "options.selection.target_delta must be in (0,1)")
		}
	}
	if v := sel["dte_target"]; v != nil {
		if d, ok := toFloat(v); !ok {
			c.Warnings = append(c.Warnings, "options.selection.dte_target not numeric")
		} else if d <= 0 {
			c.Warnings = append(c.Warnings, "options.selection.dte_target is non-positive; expiries may not resolve")
		}
	}
	if v := sel["min_oi"]; v != nil {
		if n, ok := toFloat(v); !ok {
			c.Warnings = append(c.Warnings, "options.selection.min_oi not numeric")
		} else if n < 0 {
			c.Errors = append(c.Errors, "options.selection.min_oi must be >= 0")
		}
	}
	if v := sel["min_vol"]; v != nil {
		if mv, ok := toFloat(v); ok && (mv < 0 || mv > 5) {
			c.Warnings = append(c.Warnings, "options.selection.min_vol outside [0,5] (interpreted as 0-500%)")
		}
	}
}

// Explanation is the verdict of GET /policy/explain.
type Explanation struct {
	OK                 bool           `json:"ok"`
	SchemaOK           bool           `json:"schema_ok"`
	SchemaErrors       []string       `json:"schema_errors"`
	ExecutionEffective map[string]any `json:"execution_effective"`
	Checks             Checks         `json:"checks"`
}

// Explain validates doc (nil = no policy; missing names what was looked for)
// and derives the effective execution and its checks.
func Explain(doc any, missing string) Explanation {
	var e Explanation
	if doc == nil {
		e.SchemaErrors = []string{fmt.Sprintf("missing policy: %s", missing)}
	} else {
		e.SchemaErrors = Validate(doc)
		e.SchemaOK = len(e.SchemaErrors) == 0
	}
	e.ExecutionEffective = Effective(doc)
	e.Checks = Guard(e.ExecutionEffective)
	e.OK = e.SchemaOK && e.Checks.OK
	return e
}
