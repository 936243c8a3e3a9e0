package parquet

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"sigmalab/engine/market"
	"sigmalab/engine/matrix"
)

// fileShape is what another tool sees of a Parquet file: its top-level
// columns in schema order, the physical type and repetition of each, and each
// column's null count.
type fileShape struct {
	names    []string
	types    map[string]string // "DOUBLE", "optional INT64", …
	nulls    map[string]int
	numRows  int64
	metadata map[string]string
}

func readShape(t *testing.T, path string) fileShape {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return readShapeBytes(t, b)
}

func readShapeBytes(t *testing.T, b []byte) fileShape {
	t.Helper()
	f, err := pq.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	sh := fileShape{types: map[string]string{}, nulls: map[string]int{}, numRows: f.NumRows(), metadata: fileMeta(f)}
	for i, fl := range f.Schema().Fields() {
		name := fl.Name()
		sh.names = append(sh.names, name)
		typ := fl.Type().Kind().String()
		if fl.Optional() {
			typ = "optional " + typ
		}
		sh.types[name] = typ
		vals, err := readColumn(f, i, int(f.NumRows()))
		if err != nil {
			t.Fatalf("column %s: %v", name, err)
		}
		for _, v := range vals {
			if v.IsNull() {
				sh.nulls[name]++
			}
		}
	}
	return sh
}

// TestFileSchemaOrderAndNulls writes each file kind and reads back the file's
// own schema: columns in the table's order (not alphabetical), absent values
// stored as nulls of optional columns and read back as NaN.
func TestFileSchemaOrderAndNulls(t *testing.T) {
	ctx := context.Background()
	st := NewMarketStore(filepath.Join(t.TempDir(), "market"))
	const t0 = 1720445400000 // 2024-07-08 09:30 ET
	nan := math.NaN()

	b := market.NewBars("SPY", market.TF1h, "file", 3)
	b.Append(t0, 500, 501, 499, 500.5, 1000, 500.2)
	b.Append(t0+3_600_000, 500.5, 502, 500, 501, 1200, nan)
	b.Append(t0+7_200_000, 501, 503, 500.5, 502, 900, nan)
	if _, err := st.WriteBars(ctx, b); err != nil {
		t.Fatal(err)
	}
	ob := &market.OptionBars{Underlying: "SPY", Source: "file"}
	c, _ := market.ParseOCC("O:SPY240708C00500000")
	ob.Append(c, t0, 1, 1.2, 0.9, 1.1, 10, nan)
	ob.Append(c, t0+60_000, 1.1, 1.3, 1, 1.2, 12, 1.15)
	if _, err := st.WriteOptionBars(ctx, ob); err != nil {
		t.Fatal(err)
	}
	ch := &market.Chain{Underlying: "SPY", Source: "file"}
	ch.Append(market.ChainRow{SnapTS: t0, UnderlyingPrice: 500, Expiry: "2024-07-08", Type: 'C', Strike: 500,
		Bid: 1, Ask: 1.1, IV: 0.12, Delta: 0.5, Gamma: 0.1, Theta: -0.3, Vega: 0.05, OpenInterest: 100})
	ch.Append(market.ChainRow{SnapTS: t0, UnderlyingPrice: 500, Expiry: "2024-07-08", Type: 'P', Strike: 500,
		Bid: 1, Ask: 1.1, IV: nan, Delta: nan, Gamma: nan, Theta: nan, Vega: nan, OpenInterest: nan})
	if _, err := st.WriteChain(ctx, ch); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		rel   string
		names []string
		types map[string]string
		nulls map[string]int
	}{
		{"bars/ticker=SPY/timeframe=1h/2024-07.parquet",
			[]string{"ts", "open", "high", "low", "close", "volume", "vwap"},
			map[string]string{"ts": "INT64", "open": "DOUBLE", "vwap": "optional DOUBLE"},
			map[string]int{"vwap": 2}},
		{"options/underlying=SPY/2024-07-08.parquet",
			[]string{"symbol", "ts", "open", "high", "low", "close", "volume", "vwap"},
			map[string]string{"symbol": "BYTE_ARRAY", "close": "DOUBLE", "vwap": "optional DOUBLE"},
			map[string]int{"vwap": 1}},
		{"chains/underlying=SPY/2024-07.parquet",
			[]string{"snapshot_ts", "underlying_price", "expiry", "type", "strike", "bid", "ask", "iv", "delta",
				"gamma", "theta", "vega", "open_interest"},
			map[string]string{"strike": "DOUBLE", "iv": "optional DOUBLE", "open_interest": "optional DOUBLE"},
			map[string]int{"iv": 1, "delta": 1, "gamma": 1, "theta": 1, "vega": 1, "open_interest": 1, "bid": 0}},
	}
	for _, tc := range cases {
		sh := readShape(t, filepath.Join(st.Root(), filepath.FromSlash(tc.rel)))
		if !reflect.DeepEqual(sh.names, tc.names) {
			t.Errorf("%s: columns %v, want %v", tc.rel, sh.names, tc.names)
		}
		for col, typ := range tc.types {
			if sh.types[col] != typ {
				t.Errorf("%s: %s is %q, want %q", tc.rel, col, sh.types[col], typ)
			}
		}
		for col, n := range tc.nulls {
			if sh.nulls[col] != n {
				t.Errorf("%s: %s has %d nulls, want %d", tc.rel, col, sh.nulls[col], n)
			}
		}
		for col, n := range sh.nulls {
			if tc.nulls[col] != n {
				t.Errorf("%s: %s has %d nulls, want %d", tc.rel, col, n, tc.nulls[col])
			}
		}
	}

	// Nulls read back as NaN.
	gb, err := st.ReadBars(ctx, "SPY", market.TF1h, 0, 0)
	if err != nil || gb.Len() != 3 || gb.VWAP[0] != 500.2 || !math.IsNaN(gb.VWAP[1]) || !math.IsNaN(gb.VWAP[2]) {
		t.Fatalf("bars read back: %+v %v", gb, err)
	}
	gob, err := st.ReadOptionBars(ctx, "SPY", "2024-07-08")
	if err != nil || gob.Len() != 2 || !math.IsNaN(gob.VWAP[0]) || gob.VWAP[1] != 1.15 {
		t.Fatalf("option bars read back: %+v %v", gob, err)
	}
	gch, err := st.ReadChains(ctx, "SPY", 0, 0)
	if err != nil || gch.Len() != 2 || gch.IV[0] != 0.12 || !math.IsNaN(gch.IV[1]) || !math.IsNaN(gch.OpenInterest[1]) {
		t.Fatalf("chain read back: %+v %v", gch, err)
	}

	// Matrix: the matrix's own order, whole-number columns as INT64, NaN as null.
	m := &matrix.Matrix{Meta: map[string]string{}}
	for i := 0; i < 4; i++ {
		m.TS = append(m.TS, t0+int64(i)*3_600_000)
		m.Date = append(m.Date, "2024-07-08")
		m.HourET = append(m.HourET, int32(9+i))
	}
	m.T1 = []int64{t0 + 3_600_000, t0 + 7_200_000, t0 + 10_800_000, 0}
	m.AddCol("zeta", []float64{1.5, nan, 2.25, 3})
	m.AddCol("calls_sold", []float64{3, 0, nan, 12})
	m.AddCol("atm_calls", []float64{0.1, 0.2, 0.3, 0.4})
	m.AddText("y", []string{"UP", "DOWN", "", ""})
	raw, err := EncodeMatrix(m)
	if err != nil {
		t.Fatal(err)
	}
	sh := readShapeBytes(t, raw)
	want := []string{"ts", "date", "hour_et", "t1", "zeta", "calls_sold", "atm_calls", "y"}
	if !reflect.DeepEqual(sh.names, want) {
		t.Fatalf("matrix columns %v, want %v", sh.names, want)
	}
	for col, typ := range map[string]string{"ts": "INT64", "hour_et": "INT32", "t1": "optional INT64",
		"zeta": "optional DOUBLE", "calls_sold": "optional INT64", "y": "optional BYTE_ARRAY"} {
		if sh.types[col] != typ {
			t.Errorf("matrix %s is %q, want %q", col, sh.types[col], typ)
		}
	}
	if want := map[string]int{"t1": 1, "zeta": 1, "calls_sold": 1, "y": 2}; !reflect.DeepEqual(sh.nulls, want) {
		t.Errorf("matrix nulls %v, want %v", sh.nulls, want)
	}
	got, err := DecodeMatrix(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != m.Hash() || !reflect.DeepEqual(got.Names, m.Names) {
		t.Fatalf("matrix round trip: %v", got.Names)
	}
}

// TestMatrixReadsVersion1Files: a matrix written the old way (name-sorted
// parquet.Group schema, required DOUBLE columns, order only in metadata) still
// reads in the matrix's own order.
func TestMatrixReadsVersion1Files(t *testing.T) {
	group := pq.Group{
		"ts":      pq.Timestamp(pq.Millisecond),
		"date":    pq.String(),
		"hour_et": pq.Int(32),
		"zeta":    pq.Optional(pq.Leaf(pq.DoubleType)),
		"alpha":   pq.Optional(pq.Leaf(pq.DoubleType)),
	}
	schema := pq.NewSchema("matrix", group)
	var buf bytes.Buffer
	pw := pq.NewWriter(&buf, schema,
		pq.KeyValueMetadata(metaColumns, `[{"name":"ts","kind":"ts"},{"name":"date","kind":"date"},`+
			`{"name":"hour_et","kind":"hour_et"},{"name":"zeta","kind":"float"},{"name":"alpha","kind":"float"}]`),
		pq.KeyValueMetadata(metaMeta, `{"k":"v"}`), pq.KeyValueMetadata(metaVersion, "1"))
	idx := map[string]int{}
	for i, p := range schema.Columns() {
		idx[p[0]] = i
	}
	row := make(pq.Row, 5)
	row[idx["ts"]] = pq.Int64Value(1720447200000).Level(0, 0, idx["ts"])
	row[idx["date"]] = pq.ByteArrayValue([]byte("2024-07-08")).Level(0, 0, idx["date"])
	row[idx["hour_et"]] = pq.Int32Value(10).Level(0, 0, idx["hour_et"])
	row[idx["zeta"]] = pq.DoubleValue(2).Level(0, 1, idx["zeta"])
	row[idx["alpha"]] = pq.NullValue().Level(0, 0, idx["alpha"])
	if _, err := pw.WriteRows([]pq.Row{row}); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if names := readShapeBytes(t, buf.Bytes()).names; names[0] != "alpha" {
		t.Fatalf("fixture is not name-sorted: %v", names)
	}
	m, err := DecodeMatrix(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Names, []string{"zeta", "alpha"}) || m.Col("zeta")[0] != 2 || !math.IsNaN(m.Col("alpha")[0]) ||
		m.HourET[0] != 10 || m.Meta["k"] != "v" {
		t.Fatalf("version 1 matrix read as %v %v %v", m.Names, m.Cols, m.Meta)
	}
}
