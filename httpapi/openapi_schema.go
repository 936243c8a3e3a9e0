package httpapi

import (
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"

	"sigmalab/engine"
)

// Schema is the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) the
// generated document needs.
type Schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 any                `json:"type,omitempty"` // a name, or [name, "null"]
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"` // *Schema or bool
	OneOf                []*Schema          `json:"oneOf,omitempty"`
	AnyOf                []*Schema          `json:"anyOf,omitempty"`
	AllOf                []*Schema          `json:"allOf,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Const                any                `json:"const,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
}

// lenientLists are the wire list types that accept a JSON array or one
// "a,b,c" string (SPEC §6); their schema says both.
var lenientLists = map[reflect.Type]*Schema{
	reflect.TypeFor[engine.StringList](): {OneOf: []*Schema{
		{Type: "array", Items: &Schema{Type: "string"}},
		{Type: "string", Description: `comma-separated: "a,b,c"`},
	}},
	reflect.TypeFor[engine.FloatList](): {OneOf: []*Schema{
		{Type: "array", Items: &Schema{Type: "number"}},
		{Type: "string", Description: `comma-separated numbers: "0.5,0.6"`},
	}},
	reflect.TypeFor[engine.IntList](): {OneOf: []*Schema{
		{Type: "array", Items: &Schema{Type: "integer"}},
		{Type: "string", Description: `comma-separated integers: "13,14"`},
	}},
	reflect.TypeFor[engine.VariantList](): {
		Description: `sweep variants: a list of "a,b,c" strings, arrays of numbers or numbers, or one string with variants separated by ";"`,
		OneOf: []*Schema{
			{Type: "array", Items: &Schema{OneOf: []*Schema{
				{Type: "string"}, {Type: "number"}, {Type: "array", Items: &Schema{Type: "number"}},
			}}},
			{Type: "string", Description: `"0.5,0.52;0.6"`},
		},
	},
}

var (
	typeTime      = reflect.TypeFor[time.Time]()
	typeDuration  = reflect.TypeFor[time.Duration]()
	typeRaw       = reflect.TypeFor[json.RawMessage]()
	typeNumber    = reflect.TypeFor[json.Number]()
	typeMarshaler = reflect.TypeFor[json.Marshaler]()
	typeTextMarsh = reflect.TypeFor[encoding.TextMarshaler]()
)

// schemaGen turns Go types into JSON Schemas by reflection over their json
// tags; named struct types become components referenced by $ref. In response
// mode the fields without omitempty are required (the encoder always writes
// them); in request mode nothing is (the engine applies defaults and reports
// what is missing).
type schemaGen struct {
	components map[string]*Schema
	names      map[genKey]string
	taken      map[string]genKey
}

type genKey struct {
	t       reflect.Type
	request bool
}

func newSchemaGen() *schemaGen {
	return &schemaGen{components: map[string]*Schema{}, names: map[genKey]string{}, taken: map[string]genKey{}}
}

var (
	nameSanitizer = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	// pkgPaths are the import paths inside generic type names
	// ("Page[sigmalab/engine.Row]" → "Page[engine.Row]").
	pkgPaths = regexp.MustCompile(`[A-Za-z0-9_.\-]*/`)
)

// componentNames rename types whose Go name is not a good schema name.
var componentNames = map[reflect.Type]string{reflect.TypeFor[errorBody](): "Error"}

// componentName picks a stable component name for t: its Go name, then with a
// mode suffix or its package when another type or mode holds that name.
func (g *schemaGen) componentName(k genKey) string {
	base := componentNames[k.t]
	if base == "" {
		base = strings.Trim(nameSanitizer.ReplaceAllString(pkgPaths.ReplaceAllString(k.t.Name(), ""), "_"), "_")
	}
	pkg := k.t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	suffix := "Output"
	if k.request {
		suffix = "Input"
	}
	for _, n := range []string{base, base + suffix, pkg + "." + base, pkg + "." + base + suffix} {
		if other, ok := g.taken[n]; !ok || other == k {
			return n
		}
	}
	return pkg + "." + base + "_" + suffix // unreachable in practice
}

// schema returns the schema of t (a $ref for named structs).
func (g *schemaGen) schema(t reflect.Type, request bool) *Schema {
	if s, ok := lenientLists[t]; ok {
		return s
	}
	switch t {
	case typeTime:
		return &Schema{Type: "string", Format: "date-time"}
	case typeDuration:
		return &Schema{Type: "integer", Description: "nanoseconds"}
	case typeRaw:
		return &Schema{Description: "any JSON value"}
	case typeNumber:
		return &Schema{Type: "number"}
	}
	if t.Kind() == reflect.Pointer {
		inner := g.schema(t.Elem(), request)
		return nullable(inner)
	}
	if t.Kind() != reflect.Interface && (t.Implements(typeMarshaler) || reflect.PointerTo(t).Implements(typeMarshaler)) {
		return g.named(t, request, func() *Schema { return inferFromZero(t) })
	}
	if t.Kind() != reflect.Interface && t.Kind() != reflect.Struct && (t.Implements(typeTextMarsh) || reflect.PointerTo(t).Implements(typeTextMarsh)) {
		return &Schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return &Schema{Type: "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &Schema{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &Schema{Type: "number"}
	case reflect.String:
		return &Schema{Type: "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return &Schema{Type: "string", Format: "byte"}
		}
		return &Schema{Type: "array", Items: g.schema(t.Elem(), request)}
	case reflect.Map:
		return &Schema{Type: "object", AdditionalProperties: g.schema(t.Elem(), request)}
	case reflect.Struct:
		if t.Name() == "" {
			return g.structSchema(t, request)
		}
		return g.named(t, request, func() *Schema { return g.structSchema(t, request) })
	}
	return &Schema{} // interfaces, funcs: any JSON value
}

// named registers t as a component (once per mode) and returns its $ref.
func (g *schemaGen) named(t reflect.Type, request bool, build func() *Schema) *Schema {
	if t.Name() == "" {
		return build()
	}
	k := genKey{t, request}
	name, ok := g.names[k]
	if !ok {
		name = g.componentName(k)
		g.names[k], g.taken[name] = name, k
		g.components[name] = &Schema{} // placeholder: recursive types refer to it
		g.components[name] = build()
	}
	return &Schema{Ref: "#/components/schemas/" + name}
}

func nullable(s *Schema) *Schema {
	if s.Ref != "" || s.Type == nil {
		if s.Ref == "" {
			return s // any value already admits null
		}
		return &Schema{AnyOf: []*Schema{s, {Type: "null"}}}
	}
	if name, ok := s.Type.(string); ok {
		c := *s
		c.Type = []string{name, "null"}
		return &c
	}
	return s
}

// structSchema lists t's JSON fields, flattening embedded structs as
// encoding/json does.
func (g *schemaGen) structSchema(t reflect.Type, request bool) *Schema {
	s := &Schema{Type: "object", Properties: map[string]*Schema{}}
	g.addFields(s, t, request)
	if len(s.Properties) == 0 {
		s.Properties = nil
	}
	return s
}

func (g *schemaGen) addFields(s *Schema, t reflect.Type, request bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				g.addFields(s, et, request)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		var fs *Schema
		if strings.Contains(opts, "string") {
			fs = &Schema{Type: "string"}
		} else {
			fs = g.schema(ft, request)
		}
		s.Properties[name] = fs
		if !request && !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			s.Required = append(s.Required, name)
		}
	}
}

// inferFromZero describes a type with its own MarshalJSON by the JSON its
// zero value encodes to: the keys and their JSON types (null: any value).
func inferFromZero(t reflect.Type) *Schema {
	b, err := json.Marshal(reflect.Zero(t).Interface())
	if err != nil {
		return &Schema{Description: "any JSON value"}
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return &Schema{}
	}
	return inferValue(v)
}

func inferValue(v any) *Schema {
	switch x := v.(type) {
	case bool:
		return &Schema{Type: "boolean"}
	case float64:
		return &Schema{Type: "number"}
	case string:
		return &Schema{Type: "string"}
	case []any:
		s := &Schema{Type: "array", Items: &Schema{}}
		if len(x) > 0 {
			s.Items = inferValue(x[0])
		}
		return s
	case map[string]any:
		s := &Schema{Type: "object", AdditionalProperties: true}
		if len(x) > 0 {
			s.Properties = map[string]*Schema{}
			for k, e := range x {
				s.Properties[k] = inferValue(e)
			}
		}
		return s
	}
	return &Schema{}
}
