package parquet

import (
	"fmt"
	"io"
	"math"
	"unsafe"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// tableColumn is one column of a table written by writeTable: its name, its
// schema node and how to produce the values of rows [lo, hi) at leaf index col.
type tableColumn struct {
	name string
	node pq.Node
	fill func(dst []pq.Value, lo, hi, col int) []pq.Value
}

// writeTable writes n rows of cols to w as one Parquet file whose schema lists
// the columns in the order given (see orderedGroup), column by column in
// batches. Every file kind of this package goes through here, so they share one
// set of conventions: the column order is the table's own, absent values are
// nulls of optional columns (never NaN in a required one), timestamps are
// INT64 TIMESTAMP(ms, UTC) with DELTA_BINARY_PACKED.
func writeTable(w io.Writer, name string, n int, cols []tableColumn, opts ...pq.WriterOption) error {
	names := make([]string, len(cols))
	nodes := make([]pq.Node, len(cols))
	for i, c := range cols {
		names[i], nodes[i] = c.name, c.node
	}
	schema := pq.NewSchema(name, newOrderedGroup(names, nodes))
	pw := pq.NewWriter(w, append([]pq.WriterOption{schema}, opts...)...)
	writers := pw.ColumnWriters()
	if len(writers) != len(cols) {
		return fmt.Errorf("table %s: %d leaf columns for %d columns", name, len(writers), len(cols))
	}
	const batch = 4096
	buf := make([]pq.Value, 0, batch)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		for i, c := range cols {
			buf = c.fill(buf[:0], lo, hi, i)
			if _, err := writers[i].WriteRowValues(buf); err != nil {
				return fmt.Errorf("write column %s: %w", c.name, err)
			}
		}
	}
	return pw.Close()
}

// Column constructors. Each takes a getter over the row index, so a table can
// be written from columns (matrix) or from row structs (market partitions).

// timestampColumn is a required INT64 TIMESTAMP(ms) column, delta encoded: bar
// starts step by whole minutes, hours or days and pack into a few bits a row.
func timestampColumn(name string, get func(int) int64) tableColumn {
	return tableColumn{name, pq.Encoded(pq.Timestamp(pq.Millisecond), &pq.DeltaBinaryPacked),
		func(dst []pq.Value, lo, hi, col int) []pq.Value {
			for i := lo; i < hi; i++ {
				dst = append(dst, pq.Int64Value(get(i)).Level(0, 0, col))
			}
			return dst
		}}
}

// optionalTimestampColumn is timestampColumn where 0 means absent (null).
func optionalTimestampColumn(name string, get func(int) int64) tableColumn {
	return tableColumn{name, pq.Optional(pq.Encoded(pq.Timestamp(pq.Millisecond), &pq.DeltaBinaryPacked)),
		func(dst []pq.Value, lo, hi, col int) []pq.Value {
			for i := lo; i < hi; i++ {
				if v := get(i); v != 0 {
					dst = append(dst, pq.Int64Value(v).Level(0, 1, col))
				} else {
					dst = append(dst, pq.NullValue().Level(0, 0, col))
				}
			}
			return dst
		}}
}

// int32Column is a required INT32 column.
func int32Column(name string, get func(int) int32) tableColumn {
	return tableColumn{name, pq.Int(32), func(dst []pq.Value, lo, hi, col int) []pq.Value {
		for i := lo; i < hi; i++ {
			dst = append(dst, pq.Int32Value(get(i)).Level(0, 0, col))
		}
		return dst
	}}
}

// doubleColumn is a required DOUBLE column, for values that are always present.
func doubleColumn(name string, get func(int) float64) tableColumn {
	return tableColumn{name, pq.Leaf(pq.DoubleType), func(dst []pq.Value, lo, hi, col int) []pq.Value {
		for i := lo; i < hi; i++ {
			dst = append(dst, pq.DoubleValue(get(i)).Level(0, 0, col))
		}
		return dst
	}}
}

// nullableDoubleColumn is an optional DOUBLE column where NaN is written as
// null, so `avg(vwap)` in DuckDB or pandas skips absent values instead of
// turning NaN. enc nil is PLAIN.
func nullableDoubleColumn(name string, get func(int) float64, enc encoding.Encoding) tableColumn {
	leaf := pq.Leaf(pq.DoubleType)
	if enc != nil {
		leaf = pq.Encoded(leaf, enc)
	}
	return tableColumn{name, pq.Optional(leaf), func(dst []pq.Value, lo, hi, col int) []pq.Value {
		for i := lo; i < hi; i++ {
			if x := get(i); math.IsNaN(x) {
				dst = append(dst, pq.NullValue().Level(0, 0, col))
			} else {
				dst = append(dst, pq.DoubleValue(x).Level(0, 1, col))
			}
		}
		return dst
	}}
}

// nullableIntColumn is an optional INT64 column for a float column whose
// values are all whole numbers (counts, flags, hours); NaN is null. enc nil is
// PLAIN.
func nullableIntColumn(name string, get func(int) float64, enc encoding.Encoding) tableColumn {
	leaf := pq.Int(64)
	if enc != nil {
		leaf = pq.Encoded(leaf, enc)
	}
	return tableColumn{name, pq.Optional(leaf),
		func(dst []pq.Value, lo, hi, col int) []pq.Value {
			for i := lo; i < hi; i++ {
				if x := get(i); math.IsNaN(x) {
					dst = append(dst, pq.NullValue().Level(0, 0, col))
				} else {
					dst = append(dst, pq.Int64Value(int64(x)).Level(0, 1, col))
				}
			}
			return dst
		}}
}

// stringColumn is a dictionary-encoded STRING column (few distinct values:
// dates, expiries, symbols); optional columns write "" as null.
func stringColumn(name string, optional bool, get func(int) string) tableColumn {
	node := pq.Encoded(pq.String(), &pq.RLEDictionary)
	if optional {
		node = pq.Optional(node)
	}
	return tableColumn{name, node, func(dst []pq.Value, lo, hi, col int) []pq.Value {
		for i := lo; i < hi; i++ {
			s := get(i)
			switch {
			case optional && s == "":
				dst = append(dst, pq.NullValue().Level(0, 0, col))
			case optional:
				dst = append(dst, pq.ByteArrayValue(stringBytes(s)).Level(0, 1, col))
			default:
				dst = append(dst, pq.ByteArrayValue(stringBytes(s)).Level(0, 0, col))
			}
		}
		return dst
	}}
}

// stringBytes views s as bytes without copying; the writer copies values into
// its buffers and never modifies them.
func stringBytes(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// wholeNumbers reports whether every non-NaN value of col is an integer that
// float64 holds exactly (|x| < 2^53) and not negative zero, so storing the
// column as INT64 is lossless; an all-NaN column is not.
func wholeNumbers(col []float64) bool {
	seen := false
	for _, x := range col {
		if math.IsNaN(x) {
			continue
		}
		if x != math.Trunc(x) || math.Abs(x) >= 1<<53 || (x == 0 && math.Signbit(x)) {
			return false
		}
		seen = true
	}
	return seen
}
