package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"sigmalab/engine/errs"
)

// DecodeJSON reads the request body into dst (a pointer). An empty body leaves
// dst untouched, so required-field checks report what is missing (422).
// Malformed JSON → 400 bad_json; a field of the wrong type → 422 naming it;
// a body over the cap → 413. Unknown fields are ignored (SPEC §6).
func DecodeJSON(r *http.Request, dst any) error {
	if r.Body == nil {
		return nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
				Message: fmt.Sprintf("request body exceeds %d bytes", mbe.Limit), Err: errs.ErrTooLarge}
		}
		return &Error{Status: http.StatusBadRequest, Code: "bad_body", Message: "reading body: " + err.Error(), Err: errs.ErrInvalid}
	}
	return DecodeJSONBytes(data, dst)
}

// DecodeJSONBytes is DecodeJSON over bytes already read.
func DecodeJSONBytes(data []byte, dst any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	err := json.Unmarshal(data, dst)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		loc := []string{"body"}
		if te.Field != "" {
			loc = append(loc, strings.Split(te.Field, ".")...)
		}
		what := "a valid " + te.Value
		if te.Type != nil {
			what = jsonKind(te.Type.String())
		}
		return &errs.Validation{Fields: []errs.FieldError{{Loc: loc, Msg: "Input should be " + what + ", got " + te.Value, Type: "type_error"}}}
	}
	var fe *FieldDecodeError
	if errors.As(err, &fe) {
		return &errs.Validation{Fields: []errs.FieldError{{Loc: []string{"body", fe.Field}, Msg: fe.Msg, Type: "value_error"}}}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Status: http.StatusBadRequest, Code: "bad_json", Message: "malformed JSON body: " + err.Error(), Err: errs.ErrInvalid}
	}
	// Well-formed JSON whose value a field's UnmarshalJSON refused (e.g.
	// thresholds "a,b"): a validation error of that field, not a 400.
	return &errs.Validation{Fields: []errs.FieldError{{Loc: failingField(data, dst), Msg: err.Error(), Type: "value_error"}}}
}

// failingField finds which top-level member of a JSON object made decoding
// into dst's type fail, by decoding the members one at a time into a fresh
// value. It runs only on the error path. ["body"] when no single member fails.
func failingField(data []byte, dst any) []string {
	var members map[string]json.RawMessage
	rt := reflect.TypeOf(dst)
	if json.Unmarshal(data, &members) != nil || rt == nil || rt.Kind() != reflect.Pointer || len(members) > 200 {
		return []string{"body"}
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, err := json.Marshal(map[string]json.RawMessage{k: members[k]})
		if err != nil {
			continue
		}
		if json.Unmarshal(one, reflect.New(rt.Elem()).Interface()) != nil {
			return []string{"body", k}
		}
	}
	return []string{"body"}
}

// FieldDecodeError lets custom UnmarshalJSON methods (e.g. StringList) report
// a 422 for their field rather than a 400.
type FieldDecodeError struct {
	Field string
	Msg   string
}

func (e *FieldDecodeError) Error() string { return e.Field + ": " + e.Msg }

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "struct"), strings.Contains(goType, "."):
		return "an object"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "a boolean"
	case goType == "string":
		return "a string"
	}
	return "a " + goType
}

// StringList decodes a JSON array of strings or a "a,b,c" string (SPEC §6).
// A string holding a JSON array ("[\"a\",\"b\"]") is accepted too.
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

// FloatList decodes a JSON array of numbers or a "0.5,0.6" string.
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
	out, err := parseFloats(sl)
	if err != nil {
		return err
	}
	*l = out
	return nil
}

func parseFloats(items []string) ([]float64, error) {
	out := make([]float64, 0, len(items))
	for _, s := range items {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !isFinite(f) {
			return nil, fmt.Errorf("%q is not a finite number", s)
		}
		out = append(out, f)
	}
	return out, nil
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
