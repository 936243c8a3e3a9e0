package indicators

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"sigmalab/engine/errs"
)

// Set is a named, versioned list of indicators with resolved parameters.
type Set struct {
	Name        string `json:"name"`
	Version     int    `json:"version"`
	Description string `json:"description,omitempty"`
	Indicators  []Spec `json:"indicators"`
}

// ParseSet reads an indicator set from YAML or JSON (JSON is valid YAML):
//
//	{name, version, description?, indicators: [ "rsi" | {name|indicator: rsi, period: 7, …} ]}
//
// Names go through the alias table; an unknown name or a bad parameter is an
// error (wrapping errs.ErrInvalid) naming the item, never a silent skip.
func ParseSet(data []byte) (*Set, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, errs.Invalidf("indicator set: %v", err)
	}
	if raw == nil {
		return nil, errs.Invalidf("indicator set: empty document")
	}
	return SetFromMap(raw)
}

// SetFromMap builds a Set from an already decoded document (e.g. a JSON body).
func SetFromMap(raw map[string]any) (*Set, error) {
	s := &Set{Version: 1}
	if v, ok := raw["name"]; ok && v != nil {
		name, ok := v.(string)
		if !ok {
			return nil, errs.Invalidf("indicator set: name must be a string")
		}
		s.Name = name
	}
	if v, ok := raw["version"]; ok && v != nil {
		ver, err := parseVersion(v)
		if err != nil {
			return nil, err
		}
		s.Version = ver
	}
	if v, ok := raw["description"].(string); ok {
		s.Description = v
	}
	list, ok := raw["indicators"]
	if !ok || list == nil {
		return nil, errs.Invalidf("indicator set %q: indicators list missing", s.Name)
	}
	items, ok := list.([]any)
	if !ok {
		return nil, errs.Invalidf("indicator set %q: indicators must be a list", s.Name)
	}
	specs, err := ResolveItems(items)
	if err != nil {
		return nil, fmt.Errorf("indicator set %q: %w", s.Name, err)
	}
	s.Indicators = specs
	return s, nil
}

// ResolveItems resolves indicator-set items: a bare name string, or an object
// whose name is under "name" (or "indicator") and whose other keys are
// parameters. Item-level "version" is ignored.
func ResolveItems(items []any) ([]Spec, error) {
	out := make([]Spec, 0, len(items))
	for i, it := range items {
		var name string
		params := map[string]any{}
		switch x := it.(type) {
		case string:
			name = x
		case map[string]any:
			n, _ := x["name"].(string)
			if n == "" {
				n, _ = x["indicator"].(string)
			}
			name = n
			for k, v := range x {
				params[k] = v
			}
		default:
			return nil, errs.Invalidf("indicators[%d]: want a name or an object", i)
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, errs.Invalidf("indicators[%d]: missing name", i)
		}
		sp, err := Resolve(name, params)
		if err != nil {
			return nil, fmt.Errorf("indicators[%d]: %w", i, err)
		}
		out = append(out, sp)
	}
	return out, nil
}

func parseVersion(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case float64:
		if x == math.Trunc(x) {
			return int(x), nil
		}
	case string:
		s := strings.TrimPrefix(strings.TrimSpace(x), "v")
		if n, err := strconv.Atoi(s); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) {
			return int(f), nil
		}
	}
	return 0, errs.Invalidf("indicator set: version %v is not an integer", v)
}

// Compute runs every indicator of the set in order on f. Each output is also
// stored in f.Cols so later indicators can read earlier outputs (ema_slope
// reuses ema_{w}; momentum_score_total reads rsi_14_d). The returned columns
// are in set order; a duplicate output name keeps its first occurrence.
func (s *Set) Compute(ctx context.Context, f *Frame, src Source) ([]Column, error) {
	var out []Column
	seen := map[string]bool{}
	sh := newShared() // intermediates shared by the set's indicators (see ComputeAll)
	defer sh.release()
	for _, sp := range s.Indicators {
		cols, err := sp.compute(ctx, f, src, sh)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			if seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			f.SetCol(c.Name, c.Values)
			out = append(out, c)
		}
	}
	return out, nil
}
