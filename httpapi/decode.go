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
	"strings"

	"sigmalab/engine"
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
	var ve *engine.ValueError
	if errors.As(err, &ve) {
		// A lenient type (IntList, top_pct …) refused the value: name the field
		// in the message, as "allowed_hours must be a list of ints …".
		loc := failingField(data, dst)
		msg := ve.Msg
		if len(loc) > 1 {
			msg = loc[len(loc)-1] + " " + msg
		}
		return &errs.Validation{Fields: []errs.FieldError{{Loc: loc, Msg: msg, Type: "value_error"}}}
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

// StringList and FloatList are the engine's lenient list types (a JSON array
// or "a,b,c"), named here for bodies that are not engine requests.
type (
	StringList = engine.StringList
	FloatList  = engine.FloatList
)
