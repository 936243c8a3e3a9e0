package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"sigmalab/engine/calibrate"
)

// The lenient list types of request bodies (SPEC §6: "lists are JSON arrays or
// "a,b,c""). The request types use them for their list fields, so the HTTP
// body, a CLI --body file and a stored job's parameters decode alike.

// ValueError is a value a lenient wire type refused. The decoder of a request
// body reports it at the field it was in, as "<field> <Msg>".
type ValueError struct {
	Msg string
}

func (e *ValueError) Error() string { return e.Msg }

// StringList decodes a JSON array of strings (numbers are taken as written)
// or a "a,b,c" string. A string holding a JSON array ("[\"a\",\"b\"]") is
// accepted too. Items are trimmed; blanks in a "a,b,c" string are dropped.
type StringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		out, err := ParseList(s)
		if err != nil {
			return err
		}
		*l = out
		return nil
	}
	var arr []any
	if err := json.Unmarshal(b, &arr); err != nil {
		return fmt.Errorf("expected a list or a comma-separated string")
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		switch v := x.(type) {
		case string:
			out = append(out, strings.TrimSpace(v))
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			return fmt.Errorf("list items must be strings")
		}
	}
	*l = out
	return nil
}

// FloatList decodes a JSON array of numbers or a "0.5,0.6" string; every item
// must be a finite number.
type FloatList []float64

// UnmarshalJSON implements json.Unmarshaler.
func (l *FloatList) UnmarshalJSON(b []byte) error {
	var sl StringList
	if err := sl.UnmarshalJSON(b); err != nil {
		return err
	}
	if sl == nil {
		*l = nil
		return nil
	}
	out, err := ParseFloats(sl)
	if err != nil {
		return err
	}
	*l = out
	return nil
}

// IntList decodes a JSON array of integers or a "13,14" string (hours, most
// often). "" is the empty list, null no list.
type IntList []int

const intListMsg = "must be a list of ints or comma-separated ints"

// UnmarshalJSON implements json.Unmarshaler.
func (l *IntList) UnmarshalJSON(b []byte) error {
	var items StringList
	if err := items.UnmarshalJSON(b); err != nil {
		return &ValueError{Msg: intListMsg}
	}
	if items == nil {
		*l = nil
		return nil
	}
	out := make([]int, 0, len(items))
	for _, it := range items {
		n, err := strconv.Atoi(it)
		if err != nil {
			return &ValueError{Msg: intListMsg}
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

// VariantList decodes the variants of a sweep axis: a list whose items are
// "a,b,c" strings, JSON arrays of numbers or single numbers, or one string
// with the variants separated by ";" ("0.5,0.52;0.6", the predecessor's CLI
// form). Each variant is kept as its "a,b,c" string; "" is a variant too
// (every hour, on the hours axis).
type VariantList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *VariantList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		var out []string
		for _, v := range strings.Split(s, ";") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		*l = out
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return fmt.Errorf("expected a list of variants")
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		it = bytes.TrimSpace(it)
		switch {
		case len(it) > 0 && it[0] == '"':
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return err
			}
			out = append(out, strings.TrimSpace(s))
		case len(it) > 0 && it[0] == '[':
			var xs []float64
			if err := json.Unmarshal(it, &xs); err != nil {
				return fmt.Errorf("variant items must be numbers")
			}
			parts := make([]string, len(xs))
			for i, x := range xs {
				parts[i] = strconv.FormatFloat(x, 'f', -1, 64)
			}
			out = append(out, strings.Join(parts, ","))
		case len(it) > 0 && (it[0] == '-' || (it[0] >= '0' && it[0] <= '9')):
			out = append(out, string(it)) // a single number is a one-item variant
		default:
			return fmt.Errorf("each variant must be a \"a,b,c\" string or a list of numbers")
		}
	}
	*l = out
	return nil
}

// ParseList parses "a,b,c" or a JSON array string; blanks are dropped.
func ParseList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return []string{}, nil
	}
	if strings.HasPrefix(s, "[") {
		var sl StringList
		var arr []any
		if err := json.Unmarshal([]byte(s), &arr); err != nil {
			return nil, fmt.Errorf("malformed JSON list")
		}
		if err := sl.UnmarshalJSON([]byte(s)); err != nil {
			return nil, err
		}
		return []string(sl), nil
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// ParseFloats reads each item as a finite number.
func ParseFloats(items []string) ([]float64, error) {
	out := make([]float64, 0, len(items))
	for _, s := range items {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a finite number", s)
		}
		out = append(out, f)
	}
	return out, nil
}

// UnmarshalJSON decodes the body with top_pct read leniently: the
// predecessor sent null, "" or false for off, and numbers as strings.
func (r *BacktestRequest) UnmarshalJSON(b []byte) error {
	type plain BacktestRequest // without this method
	w := struct {
		*plain
		TopPct json.RawMessage `json:"top_pct"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	r.splitsZero = explicitZero(b, r.Splits)
	if w.TopPct == nil {
		return nil
	}
	tp, err := lenientFraction(w.TopPct)
	if err != nil {
		return err
	}
	r.TopPct = tp
	return nil
}

// UnmarshalJSON decodes the body, noting an explicit "splits": 0 (a 422,
// unlike an absent splits, which means the default).
func (r *SweepRequest) UnmarshalJSON(b []byte) error {
	type plain SweepRequest // without this method
	if err := json.Unmarshal(b, (*plain)(r)); err != nil {
		return err
	}
	r.splitsZero = explicitZero(b, r.Splits)
	return nil
}

// explicitZero reports whether body b sent "splits" as a number that decoded
// to 0 (absent and null do not count).
func explicitZero(b []byte, splits int) bool {
	if splits != 0 {
		return false
	}
	var p struct {
		Splits json.RawMessage `json:"splits"`
	}
	if json.Unmarshal(b, &p) != nil {
		return false
	}
	raw := bytes.TrimSpace(p.Splits)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// UnmarshalJSON decodes the body with an explicit "calibration": null meaning
// none (as in the predecessor), unlike an absent one (the default, sigmoid).
func (r *TrainRequest) UnmarshalJSON(b []byte) error {
	type plain TrainRequest // without this method
	w := struct {
		*plain
		Calibration json.RawMessage `json:"calibration"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if raw := bytes.TrimSpace(w.Calibration); len(raw) > 0 {
		cal := calibrate.None
		if !bytes.Equal(raw, []byte("null")) {
			if err := json.Unmarshal(raw, &cal); err != nil {
				return &ValueError{Msg: "must be one of: none, sigmoid, isotonic"}
			}
		}
		r.Calibration = &cal
	}
	return nil
}

// lenientFraction decodes an optional share such as top_pct: a number, a
// numeric string, or null, "", false or 0 for off (nil). true is refused.
func lenientFraction(raw json.RawMessage) (*float64, error) {
	raw = bytes.TrimSpace(raw)
	var f float64
	switch {
	case len(raw) == 0, bytes.Equal(raw, []byte("null")), bytes.Equal(raw, []byte("false")):
		return nil, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if s = strings.TrimSpace(s); s == "" {
			return nil, nil
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, &ValueError{Msg: "must be a number"}
		}
		f = x
	default:
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, &ValueError{Msg: "must be a number"}
		}
	}
	if f == 0 {
		return nil, nil
	}
	return &f, nil
}
