// Package doc reads YAML/JSON documents (already decoded to generic values:
// maps, slices, numbers, strings, bools) into typed fields. It is the one
// place where the loose shapes of the wire meet the engine's types: YAML
// integers and JSON floats both become numbers here, every value of the wrong
// type is recorded as a problem at its location (FastAPI-style loc), and the
// keys a type does not know are handed back so a round trip keeps them.
//
// Strings are never parsed as numbers: "1.5" where a number belongs is a
// problem, not a value. null means absent (and is kept for the round trip).
package doc

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"sigmalab/engine/errs"
)

// Problems collects the failures of one decode.
type Problems struct {
	Fields []errs.FieldError
}

// Add records a failure at loc.
func (p *Problems) Add(loc []string, msg, typ string) {
	p.Fields = append(p.Fields, errs.FieldError{Loc: append([]string(nil), loc...), Msg: msg, Type: typ})
}

// Err returns the problems as a 422 validation error with every loc prefixed
// by prefix (e.g. "body","config"), or nil when there are none.
func (p *Problems) Err(prefix ...string) error {
	if p == nil || len(p.Fields) == 0 {
		return nil
	}
	v := &errs.Validation{}
	for _, f := range p.Fields {
		f.Loc = append(append([]string(nil), prefix...), f.Loc...)
		v.Fields = append(v.Fields, f)
	}
	return v
}

// Strings renders the problems as "a.b.c msg" lines.
func (p *Problems) Strings() []string {
	out := []string{}
	if p == nil {
		return out
	}
	for _, f := range p.Fields {
		out = append(out, Path(f.Loc)+" "+f.Msg)
	}
	return out
}

// Path joins a loc with dots.
func Path(loc []string) string {
	s := ""
	for i, l := range loc {
		if i > 0 {
			s += "."
		}
		s += l
	}
	return s
}

// Reader reads the keys of one object. A nil *Reader (an absent object)
// reads every key as absent, so chains like r.Obj("a").Float("b") are safe.
type Reader struct {
	m    map[string]any
	loc  []string
	used map[string]bool
	p    *Problems
}

// Object opens v as an object at loc. nil v gives a nil reader (absent); a
// value that is not an object is recorded as a problem and gives nil too.
func Object(v any, p *Problems, loc ...string) *Reader {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.Add(loc, "must be an object", "type_error.dict")
		return nil
	}
	return &Reader{m: m, loc: append([]string(nil), loc...), used: map[string]bool{}, p: p}
}

// Loc is the location of key inside the object.
func (r *Reader) Loc(key string) []string {
	if r == nil {
		return []string{key}
	}
	return append(append([]string(nil), r.loc...), key)
}

// Fail records a problem at key.
func (r *Reader) Fail(key, msg, typ string) {
	if r != nil {
		r.p.Add(r.Loc(key), msg, typ)
	}
}

// Raw returns key's value (marking it read); ok is false when absent or
// null. A null is left unread, so Rest keeps it and a round trip writes it
// back.
func (r *Reader) Raw(key string) (any, bool) {
	if r == nil {
		return nil, false
	}
	v, ok := r.m[key]
	if !ok || v == nil {
		return nil, false
	}
	r.used[key] = true
	return v, true
}

// Has reports whether key is present with a non-null value (without reading it).
func (r *Reader) Has(key string) bool {
	if r == nil {
		return false
	}
	v, ok := r.m[key]
	return ok && v != nil
}

// Obj opens the object under key (nil when absent; a problem when not an object).
func (r *Reader) Obj(key string) *Reader {
	v, ok := r.Raw(key)
	if !ok {
		return nil
	}
	return Object(v, r.p, r.Loc(key)...)
}

// Number converts a decoded JSON/YAML number to float64 (ok=false for
// anything else, and for NaN or ±Inf).
func Number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// LenientNumber is Number, plus a finite number written as a string ("0.5").
// It is the one leniency of the free-form parameter objects (hyperparams,
// indicator params): request bodies and CLI flags often carry numbers as text.
// Typed documents (configs, policies) read numbers with Float and Int.
func LenientNumber(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return Number(v)
}

// LenientBool is a boolean, one of the words true/false, 1/0, yes/no, on/off
// (any case), or the number 0 or 1 — the free-form parameter objects'
// spelling of a switch (see LenientNumber).
func LenientBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "on":
			return true, true
		case "false", "0", "no", "off":
			return false, true
		}
		return false, false
	}
	if f, ok := Number(v); ok && (f == 0 || f == 1) {
		return f == 1, true
	}
	return false, false
}

// Float reads a finite number.
func (r *Reader) Float(key string) *float64 {
	v, ok := r.Raw(key)
	if !ok {
		return nil
	}
	f, ok := Number(v)
	if !ok {
		r.Fail(key, "must be a number", "type_error.float")
		return nil
	}
	return &f
}

// Int reads a whole number.
func (r *Reader) Int(key string) *int {
	v, ok := r.Raw(key)
	if !ok {
		return nil
	}
	f, ok := Number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		r.Fail(key, "must be an integer", "type_error.integer")
		return nil
	}
	n := int(f)
	return &n
}

// Bool reads a boolean (true/false only: "yes" and 1 are problems).
func (r *Reader) Bool(key string) *bool {
	v, ok := r.Raw(key)
	if !ok {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		r.Fail(key, "must be a boolean", "type_error.bool")
		return nil
	}
	return &b
}

// Str reads a string ("" when absent).
func (r *Reader) Str(key string) string {
	v, ok := r.Raw(key)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.Fail(key, "must be a string", "type_error.str")
		return ""
	}
	return s
}

// StrPtr reads a string, nil when absent.
func (r *Reader) StrPtr(key string) *string {
	v, ok := r.Raw(key)
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		r.Fail(key, "must be a string", "type_error.str")
		return nil
	}
	return &s
}

// Ints reads a list of whole numbers (nil when absent).
func (r *Reader) Ints(key string) []int {
	v, ok := r.Raw(key)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		r.Fail(key, "must be a list of integers", "type_error.list")
		return nil
	}
	out := make([]int, 0, len(list))
	for i, x := range list {
		f, ok := Number(x)
		if !ok || f != math.Trunc(f) {
			r.p.Add(append(r.Loc(key), fmt.Sprint(i)), "must be an integer", "type_error.integer")
			continue
		}
		out = append(out, int(f))
	}
	return out
}

// StringList reads v as a list of strings, recording problems at loc.
func StringList(v any, p *Problems, loc []string) []string {
	list, ok := v.([]any)
	if !ok {
		if ss, ok := v.([]string); ok {
			return append([]string{}, ss...)
		}
		p.Add(loc, "must be a list of strings", "type_error.list")
		return nil
	}
	out := make([]string, 0, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			p.Add(append(append([]string(nil), loc...), fmt.Sprint(i)), "must be a string", "type_error.str")
			continue
		}
		out = append(out, s)
	}
	return out
}

// Map reads a free-form object (copied), nil when absent.
func (r *Reader) Map(key string) map[string]any {
	v, ok := r.Raw(key)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.Fail(key, "must be an object", "type_error.dict")
		return nil
	}
	return Copy(m).(map[string]any)
}

// Rest returns the keys not read so far (deep copies), nil when none: the
// Extra of the type being decoded.
func (r *Reader) Rest() map[string]any {
	if r == nil {
		return nil
	}
	var out map[string]any
	for k, v := range r.m {
		if r.used[k] {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = Copy(v)
	}
	return out
}

// Copy deep-copies a generic document (maps, slices, scalars); YAML's
// map[any]any becomes map[string]any.
func Copy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = Copy(e)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = Copy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = Copy(e)
		}
		return s
	}
	return v
}

// Writer builds the document of a typed value: fields set in order, then the
// Extra keys (which never override a typed field).
type Writer struct {
	m map[string]any
}

// NewWriter starts a document.
func NewWriter() *Writer { return &Writer{m: map[string]any{}} }

// Set writes key when v is not a nil pointer, empty string, nil map or nil slice.
func (w *Writer) Set(key string, v any) {
	switch x := v.(type) {
	case nil:
		return
	case *float64:
		if x == nil {
			return
		}
		w.m[key] = *x
	case *int:
		if x == nil {
			return
		}
		w.m[key] = *x
	case *bool:
		if x == nil {
			return
		}
		w.m[key] = *x
	case *string:
		if x == nil {
			return
		}
		w.m[key] = *x
	case string:
		if x == "" {
			return
		}
		w.m[key] = x
	case map[string]any:
		if x == nil {
			return
		}
		w.m[key] = x
	case []string:
		if x == nil {
			return
		}
		w.m[key] = x
	case []int:
		if x == nil {
			return
		}
		w.m[key] = x
	default:
		w.m[key] = v
	}
}

// Extra adds the unknown keys kept by a decode.
func (w *Writer) Extra(extra map[string]any) {
	for k, v := range extra {
		if _, ok := w.m[k]; !ok {
			w.m[k] = v
		}
	}
}

// Doc returns the document (keys marshal sorted).
func (w *Writer) Doc() map[string]any { return w.m }
