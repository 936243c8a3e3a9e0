package parquet

import (
	"reflect"
	"strconv"
	"strings"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// orderedGroup is a group node whose Fields keep the order they were declared
// in. parquet.Group is a map and lists its fields by name, so a file written
// through it shows `atm_calls` first and `ts` somewhere in the middle: pandas,
// DuckDB and Spark take the column order from the file schema and ignore our
// key/value metadata. Every table this package writes uses an orderedGroup.
type orderedGroup []pq.Field

// orderedField is one named field of an orderedGroup.
type orderedField struct {
	pq.Node
	name string
}

func (f *orderedField) Name() string { return f.name }

// Value looks the field up in a map or struct value; we write rows and
// columns, not Go values, so this is only here to satisfy pq.Field.
func (f *orderedField) Value(base reflect.Value) reflect.Value {
	for base.Kind() == reflect.Interface || base.Kind() == reflect.Pointer {
		if base.IsNil() {
			return reflect.Value{}
		}
		base = base.Elem()
	}
	switch base.Kind() {
	case reflect.Map:
		return base.MapIndex(reflect.ValueOf(f.name))
	case reflect.Struct:
		t := base.Type()
		for i := range t.NumField() {
			if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("parquet"), ","); tag == f.name {
				return base.Field(i)
			}
		}
	}
	return reflect.Value{}
}

// newOrderedGroup returns a group of the given (name, node) pairs in order.
func newOrderedGroup(names []string, nodes []pq.Node) orderedGroup {
	g := make(orderedGroup, len(names))
	for i := range names {
		g[i] = &orderedField{Node: nodes[i], name: names[i]}
	}
	return g
}

func (g orderedGroup) ID() int { return 0 }

func (g orderedGroup) String() string {
	var b strings.Builder
	_ = pq.PrintSchema(&b, "", g)
	return b.String()
}

func (g orderedGroup) Type() pq.Type { return pq.Group{}.Type() }

func (g orderedGroup) Optional() bool { return false }

func (g orderedGroup) Repeated() bool { return false }

func (g orderedGroup) Required() bool { return true }

func (g orderedGroup) Leaf() bool { return false }

func (g orderedGroup) Fields() []pq.Field { return g }

func (g orderedGroup) Encoding() encoding.Encoding { return nil }

func (g orderedGroup) Compression() compress.Codec { return nil }

// GoType is a struct with one field per column, in order, tagged with the
// column name.
func (g orderedGroup) GoType() reflect.Type {
	fields := make([]reflect.StructField, len(g))
	for i, f := range g {
		fields[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: f.GoType(),
			Tag:  reflect.StructTag(`parquet:` + strconv.Quote(f.Name())),
		}
	}
	return reflect.StructOf(fields)
}
