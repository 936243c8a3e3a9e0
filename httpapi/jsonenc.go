package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// MarshalJSON encodes v like encoding/json but writes NaN and ±Inf floats as null
// wherever they occur (nested in maps, slices, structs, pointers). encoding/json
// refuses non-finite floats outright, and engine results carry NaN for "missing",
// so the fast path is tried first and the value is rebuilt without non-finite
// floats only when that fails.
func MarshalJSON(v any) ([]byte, error) {
	b, err := encode(v)
	if err == nil {
		return b, nil
	}
	var uve *json.UnsupportedValueError
	if !errors.As(err, &uve) {
		return nil, err
	}
	return encode(sanitize(reflect.ValueOf(v), 0))
}

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// sanitize converts v into plain maps/slices/scalars with non-finite floats as nil.
func sanitize(v reflect.Value, depth int) any {
	if !v.IsValid() || depth > 200 {
		return nil
	}
	t := v.Type()
	if t.Implements(marshalerType) && (v.Kind() != reflect.Pointer || !v.IsNil()) {
		b, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return nil
		}
		return json.RawMessage(b)
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return sanitize(v.Elem(), depth+1)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return v.Interface()
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			out[mapKey(it.Key())] = sanitize(it.Value(), depth+1)
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return v.Interface()
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = sanitize(v.Index(i), depth+1)
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		sanitizeStruct(v, out, depth)
		return out
	default:
		if v.CanInterface() {
			return v.Interface()
		}
		return nil
	}
}

func mapKey(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	if k.Type().Implements(textMarshalerType) {
		if b, err := k.Interface().(encoding.TextMarshaler).MarshalText(); err == nil {
			return string(b)
		}
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10)
	}
	return fmt.Sprint(k.Interface())
}

// sanitizeStruct copies exported fields honouring json tags ("-", name,
// omitempty, string) and promoting untagged embedded structs; outer fields win
// over promoted ones, as in encoding/json.
func sanitizeStruct(v reflect.Value, out map[string]any, depth int) {
	t := v.Type()
	type promoted struct{ v reflect.Value }
	var embedded []promoted
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, promoted{fv})
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if strings.Contains(opts, "omitempty") && isEmpty(fv) {
			continue
		}
		if strings.Contains(opts, "omitzero") && fv.IsZero() {
			continue
		}
		val := sanitize(fv, depth+1)
		if strings.Contains(opts, "string") && val != nil {
			val = fmt.Sprint(val)
		}
		out[name] = val
	}
	for _, e := range embedded {
		inner := map[string]any{}
		sanitizeStruct(e.v, inner, depth+1)
		keys := make([]string, 0, len(inner))
		for k := range inner {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, taken := out[k]; !taken {
				out[k] = inner[k]
			}
		}
	}
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
