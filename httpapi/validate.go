package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// Check accumulates field failures at one location ("query" or "body") so a
// handler reports every bad field at once as a 422 with FastAPI-style detail.
type Check struct {
	loc string
	v   errs.Validation
}

// NewCheck starts a check for location loc ("body", "query", "path").
func NewCheck(loc string) *Check { return &Check{loc: loc} }

// Fail records a failure of field.
func (c *Check) Fail(field, msg, typ string) { c.v.Add(c.loc, field, msg, typ) }

// Err returns the 422 error, or nil when every check passed.
func (c *Check) Err() error { return c.v.Err() }

// Required records "Field required" when value is empty and reports presence.
func (c *Check) Required(field, value string) bool { return !c.absent(field, value, true) }

// absent reports whether value is blank, recording "Field required" when the
// field must be given: the one rule every validator below starts with.
func (c *Check) absent(field, value string, required bool) bool {
	if strings.TrimSpace(value) != "" {
		return false
	}
	if required {
		c.Fail(field, "Field required", "missing")
	}
	return true
}

// ID validates an id (model_id, pack_id …); empty is allowed unless required.
func (c *Check) ID(field, value string, required bool) string {
	value = strings.TrimSpace(value)
	if c.absent(field, value, required) {
		return ""
	}
	if !engine.ValidID(value) {
		c.Fail(field, fmt.Sprintf("invalid id %q: must match ^[a-z0-9][a-z0-9_-]{0,63}$", clip(value)), "value_error")
	}
	return value
}

// Ticker upper-cases and validates a ticker.
func (c *Check) Ticker(field, value string, required bool) string {
	if c.absent(field, value, required) {
		return ""
	}
	t, ok := engine.NormalizeTicker(value)
	if !ok {
		c.Fail(field, fmt.Sprintf("invalid ticker %q: must match ^[A-Z][A-Z0-9.-]{0,9}$ after upper-casing", clip(value)), "value_error")
	}
	return t
}

// Date validates a YYYY-MM-DD date.
func (c *Check) Date(field, value string, required bool) string {
	value = strings.TrimSpace(value)
	if c.absent(field, value, required) {
		return ""
	}
	if _, ok := engine.ParseDate(value); !ok {
		c.Fail(field, fmt.Sprintf("invalid date %q: expected YYYY-MM-DD", clip(value)), "value_error")
	}
	return value
}

// DateRange validates both dates and start ≤ end (the failure names the end field).
func (c *Check) DateRange(startField, start, endField, end string, required bool) (string, string) {
	s := c.Date(startField, start, required)
	e := c.Date(endField, end, required)
	st, ok1 := engine.ParseDate(s)
	en, ok2 := engine.ParseDate(e)
	if ok1 && ok2 && en.Before(st) {
		c.Fail(endField, fmt.Sprintf("%s %s is before %s %s", endField, e, startField, s), "value_error")
	}
	return s, e
}

// Enum checks value is one of allowed (exact match); empty gives def.
func (c *Check) Enum(field, value, def string, allowed ...string) string {
	if value == "" {
		return def
	}
	for _, a := range allowed {
		if value == a {
			return value
		}
	}
	c.Fail(field, fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, "|"), clip(value)), "enum")
	return value
}

// Range checks that f is finite and within [min, max].
func (c *Check) Range(field string, f, min, max float64) float64 {
	switch {
	case !isFinite(f):
		c.Fail(field, "must be a finite number", "finite_number")
	case f < min:
		c.Fail(field, fmt.Sprintf("must be >= %v", min), "greater_than_equal")
	case f > max:
		c.Fail(field, fmt.Sprintf("must be <= %v", max), "less_than_equal")
	}
	return f
}

// IntRange checks that n is within [min, max].
func (c *Check) IntRange(field string, n, min, max int) int {
	if n < min {
		c.Fail(field, fmt.Sprintf("must be >= %d", min), "greater_than_equal")
	} else if n > max {
		c.Fail(field, fmt.Sprintf("must be <= %d", max), "less_than_equal")
	}
	return n
}

// Query reads and validates query-string parameters, collecting failures in C.
type Query struct {
	Vals url.Values
	C    *Check
}

// NewQuery wraps r's query string.
func NewQuery(r *http.Request) *Query { return &Query{Vals: r.URL.Query(), C: NewCheck("query")} }

// Err is the accumulated 422 error or nil.
func (q *Query) Err() error { return q.C.Err() }

// Has reports whether the parameter is present and non-empty.
func (q *Query) Has(name string) bool { return strings.TrimSpace(q.Vals.Get(name)) != "" }

// String returns the trimmed parameter or def.
func (q *Query) String(name, def string) string {
	if v := strings.TrimSpace(q.Vals.Get(name)); v != "" {
		return v
	}
	return def
}

// ID returns a validated id parameter (def when absent).
func (q *Query) ID(name, def string, required bool) string {
	if q.C.absent(name, q.Vals.Get(name), required) {
		return def
	}
	return q.C.ID(name, q.Vals.Get(name), true)
}

// Ticker returns a validated, upper-cased ticker parameter (def when absent).
func (q *Query) Ticker(name, def string, required bool) string {
	if q.C.absent(name, q.Vals.Get(name), required) {
		return def
	}
	return q.C.Ticker(name, q.Vals.Get(name), true)
}

// Date returns a validated YYYY-MM-DD parameter.
func (q *Query) Date(name string, required bool) string {
	return q.C.Date(name, q.Vals.Get(name), required)
}

// Int parses an integer parameter within [min, max] (def when absent).
func (q *Query) Int(name string, def, min, max int) int {
	if !q.Has(name) {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(q.Vals.Get(name)))
	if err != nil {
		q.C.Fail(name, "Input should be a valid integer", "int_parsing")
		return def
	}
	return q.C.IntRange(name, n, min, max)
}

// Float parses a finite number parameter within [min, max] (def when absent).
func (q *Query) Float(name string, def, min, max float64) float64 {
	if !q.Has(name) {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(q.Vals.Get(name)), 64)
	if err != nil {
		q.C.Fail(name, "Input should be a valid number", "float_parsing")
		return def
	}
	return q.C.Range(name, f, min, max)
}

// Bool parses true/false/1/0/yes/no/on/off (def when absent).
func (q *Query) Bool(name string, def bool) bool {
	if !q.Has(name) {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(q.Vals.Get(name))) {
	case "1", "true", "t", "yes", "y", "on":
		return true
	case "0", "false", "f", "no", "n", "off":
		return false
	}
	q.C.Fail(name, "Input should be a valid boolean", "bool_parsing")
	return def
}

// List parses a JSON array or "a,b,c" parameter; repeated parameters are joined.
func (q *Query) List(name string) []string {
	var out []string
	for _, raw := range q.Vals[name] {
		items, err := engine.ParseList(raw)
		if err != nil {
			q.C.Fail(name, err.Error(), "list_parsing")
			return nil
		}
		out = append(out, items...)
	}
	return out
}

// Floats parses a list of finite numbers.
func (q *Query) Floats(name string) []float64 {
	items := q.List(name)
	if items == nil {
		return nil
	}
	out, err := engine.ParseFloats(items)
	if err != nil {
		q.C.Fail(name, err.Error(), "float_parsing")
	}
	return out
}

// Enum returns an exact-match enum parameter (def when absent).
func (q *Query) Enum(name, def string, allowed ...string) string {
	return q.C.Enum(name, q.String(name, ""), def, allowed...)
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// clip shortens echoed input so error messages stay small.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
