package parquet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"sigmalab/engine/market"
)

// OpenTable opens a Parquet file for import as a market.TableReader: every leaf column
// becomes a string field (timestamps as RFC 3339 UTC, nulls as ""), so Parquet imports
// follow exactly the CSV rules (flexible headers, per-row rejects).
func OpenTable(path string) (market.TableReader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	pf, err := pq.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("not a Parquet file: %v", err)
	}
	schema := pf.Schema()
	var header []string
	var units []time.Duration // per column: timestamp unit, 0 = not a timestamp
	for _, path := range schema.Columns() {
		leaf, _ := schema.Lookup(path...)
		header = append(header, path[len(path)-1])
		units = append(units, timestampUnit(leaf.Node))
	}
	t := &table{f: f, r: pq.MultiRowGroup(pf.RowGroups()...).Rows(), header: header, units: units, rows: make([]pq.Row, 1)}
	return t, t, nil
}

func timestampUnit(n pq.Node) time.Duration {
	lt := n.Type().LogicalType()
	if lt == nil {
		return 0
	}
	ts, ok := lt.Value.(*format.TimestampType)
	if !ok {
		return 0
	}
	if d, ok := ts.Unit.Value.(interface{ Duration() time.Duration }); ok {
		return d.Duration()
	}
	return time.Millisecond
}

type table struct {
	f      *os.File
	r      pq.Rows
	header []string
	units  []time.Duration
	rows   []pq.Row
	line   int
}

func (t *table) Header() []string { return t.header }

func (t *table) Close() error { return errors.Join(t.r.Close(), t.f.Close()) }

func (t *table) Next() ([]string, int, error) {
	n, err := t.r.ReadRows(t.rows)
	if n == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, t.line, err
	}
	t.line++
	rec := make([]string, len(t.header))
	for _, v := range t.rows[0] {
		c := v.Column()
		if c < 0 || c >= len(rec) || v.IsNull() {
			continue
		}
		rec[c] = valueString(v, t.units[c])
	}
	return rec, t.line, nil
}

func valueString(v pq.Value, unit time.Duration) string {
	switch v.Kind() {
	case pq.Boolean:
		return strconv.FormatBool(v.Boolean())
	case pq.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case pq.Int64:
		if unit > 0 {
			return time.Unix(0, v.Int64()*int64(unit)).UTC().Format(time.RFC3339Nano)
		}
		return strconv.FormatInt(v.Int64(), 10)
	case pq.Float:
		return strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)
	case pq.Double:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case pq.ByteArray, pq.FixedLenByteArray:
		return string(v.ByteArray())
	}
	return v.String()
}
