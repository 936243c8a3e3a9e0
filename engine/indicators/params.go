package indicators

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"sigmalab/engine/doc"
	"sigmalab/engine/errs"
)

// paramLimits bound numeric parameters (inclusive). Windows and periods must be
// at least 1 and at most 100000 bars; named exceptions below.
var paramLimits = map[string][2]float64{
	"num_std":     {0, 100},
	"multiplier":  {0, 100},
	"step":        {1e-6, 1},
	"max_step":    {1e-6, 1},
	"w_hourly":    {-100, 100},
	"w_daily":     {-100, 100},
	"strike_band": {0, 1e6},
	"wing_points": {0, 1e6},
	"days_fwd":    {1, 3650},
	"shift_days":  {1, 3650},
	"r":           {-1, 1},
	"q":           {-1, 1},
	"period":      {1, 100000}, // ema_slope's period is a lag; same bounds
}

// enumParams restrict string params to fixed sets.
var enumParams = map[string][]string{
	"normalize":     {"price", "ema"},
	"kind":          {"intraday", "daily"},
	"freq":          {"hour", "day"},
	"contract_type": {"call", "put"},
	"iv_source":     {"snapshot", "quotes", "bars"},
	"norm":          {"atr", "stddev5m"},
}

// resolveParams validates user params against e's declaration and returns the
// full parameter map with defaults filled. The key "version" is accepted and
// ignored (indicator sets carry it per item).
func resolveParams(e *entry, in map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(e.Params))
	for _, p := range e.Params {
		out[p.Name] = p.Default
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic error for several bad params
	for _, k := range keys {
		v := in[k]
		if k == "version" || k == "name" || k == "indicator" {
			continue
		}
		name := k
		if a, ok := paramAliases[e.Name][k]; ok {
			name = a
		}
		var decl *Param
		for i := range e.Params {
			if e.Params[i].Name == name {
				decl = &e.Params[i]
				break
			}
		}
		if decl == nil {
			return nil, errs.Invalidf("indicator %s: unknown parameter %q", e.Name, k)
		}
		cv, err := convertParam(e.Name, *decl, v)
		if err != nil {
			return nil, err
		}
		out[name] = cv
	}
	return out, nil
}

func convertParam(ind string, p Param, v any) (any, error) {
	bad := func(why string) error {
		return errs.Invalidf("indicator %s: parameter %s=%v: %s", ind, p.Name, v, why)
	}
	if v == nil {
		if p.Default == nil {
			return nil, nil
		}
		return nil, bad("must not be null")
	}
	switch p.Type {
	case "int":
		f, ok := doc.LenientNumber(v)
		if !ok || f != math.Trunc(f) {
			return nil, bad("want an integer")
		}
		lo, hi := 1.0, 100000.0
		if l, ok := paramLimits[p.Name]; ok {
			lo, hi = l[0], l[1]
		}
		if f < lo || f > hi {
			return nil, bad("out of range [" + strconv.FormatFloat(lo, 'g', -1, 64) + ", " + strconv.FormatFloat(hi, 'g', -1, 64) + "]")
		}
		return int(f), nil
	case "float":
		f, ok := doc.LenientNumber(v)
		if !ok {
			return nil, bad("want a finite number")
		}
		if l, ok := paramLimits[p.Name]; ok && (f < l[0] || f > l[1]) {
			return nil, bad("out of range [" + strconv.FormatFloat(l[0], 'g', -1, 64) + ", " + strconv.FormatFloat(l[1], 'g', -1, 64) + "]")
		}
		return f, nil
	case "bool":
		b, ok := doc.LenientBool(v)
		if !ok {
			return nil, bad("want a boolean")
		}
		return b, nil
	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, bad("want a string")
		}
		if allowed, ok := enumParams[p.Name]; ok {
			for _, a := range allowed {
				if s == a {
					return s, nil
				}
			}
			return nil, bad("want one of " + strings.Join(allowed, "|"))
		}
		if len(s) > 64 {
			return nil, bad("too long")
		}
		return s, nil
	}
	return nil, bad("unsupported parameter type " + p.Type)
}
