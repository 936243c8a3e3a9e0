package parquet

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"sigmalab/engine/errs"
	"sigmalab/engine/matrix"
)

func sampleMatrix() *matrix.Matrix {
	m := &matrix.Matrix{
		TS:     []int64{1719838800000, 1719842400000, 1719846000000},
		Date:   []string{"2024-07-01", "2024-07-01", "2024-07-01"},
		HourET: []int32{9, 10, 11},
		T1:     []int64{1719846000000, 1719849600000, 1719853200000},
		Meta:   map[string]string{"ticker": "SPY", "source": "real"},
	}
	// Names deliberately out of alphabetical order, including a '-' name.
	m.AddCol("zeta", []float64{1, math.NaN(), 3})
	m.AddCol("calls_sold_d-7", []float64{10, 20, 30})
	m.AddCol("calls_sold_d7", []float64{0, 0.5, -1})
	m.AddCol("alpha", []float64{math.NaN(), math.NaN(), math.NaN()})
	m.AddCol("ret_fwd", []float64{0.001, -0.002, math.NaN()})
	m.AddText("y", []string{"UP", "DOWN", ""})
	m.AddText("y_syn", []string{"UP", "DOWN", "FLAT"})
	return m
}

func TestMatrixRoundTrip(t *testing.T) {
	m := sampleMatrix()
	b, err := EncodeMatrix(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMatrix(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != m.Hash() {
		t.Fatalf("hash differs after round trip")
	}
	if strings.Join(got.Names, ",") != strings.Join(m.Names, ",") {
		t.Fatalf("column order not restored: %v", got.Names)
	}
	if got.Meta["ticker"] != "SPY" || got.Meta["source"] != "real" {
		t.Fatalf("meta lost: %v", got.Meta)
	}
	// Unlabelled matrices keep T1 nil.
	m.T1 = nil
	b, _ = EncodeMatrix(m)
	got, err = DecodeMatrix(b)
	if err != nil || got.T1 != nil {
		t.Fatalf("t1 should stay nil: %v %v", got.T1, err)
	}
}

func TestMatrixEmptyAndGarbage(t *testing.T) {
	m := &matrix.Matrix{}
	m.AddCol("x", []float64{})
	b, err := EncodeMatrix(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMatrix(b)
	if err != nil || got.Len() != 0 || len(got.Names) != 1 {
		t.Fatalf("empty round trip: %v %v", got, err)
	}
	if _, err := DecodeMatrix([]byte("not a parquet file")); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("garbage: want ErrInvalid, got %v", err)
	}
}

func TestMatrixStore(t *testing.T) {
	s := NewMatrixStore(filepath.Join(t.TempDir(), "matrices"))
	m := sampleMatrix()
	path, size, err := s.Put("spy_opt_0dte_hourly", "b0001", m)
	if err != nil || size == 0 {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put("spy_opt_0dte_hourly", "b0002", m); err != nil {
		t.Fatal(err)
	}
	list, err := s.List("spy_opt_0dte_hourly")
	if err != nil || len(list) != 2 || list[0].BuildID != "b0002" {
		t.Fatalf("list: %+v %v", list, err)
	}
	got, err := s.Get("spy_opt_0dte_hourly", "b0001")
	if err != nil || got.Hash() != m.Hash() {
		t.Fatalf("get: %v", err)
	}
	if _, err := s.Get("spy_opt_0dte_hourly", "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	for _, bad := range []string{"..", "../x", "a/b", ".hidden", ""} {
		if _, err := s.Path("m", bad); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("bad id %q accepted", bad)
		}
	}
	// no temp files left behind
	ents, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temp file left: %s", e.Name())
		}
	}
}

// TestMatrixReadableByPyArrow checks the file with pyarrow/pandas when they are
// installed (skipped otherwise): exact column names, types, nulls.
func TestMatrixReadableByPyArrow(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if exec.Command(py, "-c", "import pyarrow, pandas").Run() != nil {
		t.Skip("pyarrow/pandas not installed")
	}
	path := filepath.Join(t.TempDir(), "m.parquet")
	b, err := EncodeMatrix(sampleMatrix())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, pyarrow.parquet as pq, pandas as pd
t = pq.read_table(sys.argv[1])
s = t.schema
assert str(s.field("ts").type) == "timestamp[ms, tz=UTC]", s.field("ts").type
assert str(s.field("date").type) == "string", s.field("date").type
assert str(s.field("hour_et").type) == "int32"
assert str(s.field("calls_sold_d-7").type) == "double"
assert str(s.field("y").type) == "string"
df = pd.read_parquet(sys.argv[1])
assert df["zeta"].isna().tolist() == [False, True, False]
assert df["y"].tolist()[:2] == ["UP", "DOWN"] and df["y"].isna().tolist()[2]
assert df["calls_sold_d-7"].tolist() == [10.0, 20.0, 30.0]
assert str(df["ts"].iloc[0]) == "2024-07-01 13:00:00+00:00", df["ts"].iloc[0]
md = pq.read_metadata(sys.argv[1])
print(md.row_group(0).column(0).compression)
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pyarrow: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ZSTD") {
		t.Fatalf("not zstd compressed: %s", out)
	}
}

// TestMatrixRoundTripLarge spans many pages (and dictionary-encoded labels).
func TestMatrixRoundTripLarge(t *testing.T) {
	n := 60000
	m := &matrix.Matrix{Meta: map[string]string{}}
	x := make([]float64, n)
	z := make([]float64, n)
	y := make([]string, n)
	for i := 0; i < n; i++ {
		m.TS = append(m.TS, int64(1700000000000+i*60000))
		m.Date = append(m.Date, "2024-01-0"+string(rune('1'+i%9)))
		m.HourET = append(m.HourET, int32(i%24))
		x[i] = float64(i) * 0.37
		z[i] = math.NaN()
		if i%3 == 0 {
			z[i] = -float64(i)
		}
		y[i] = []string{"UP", "DOWN", "FLAT", ""}[i%4]
	}
	m.T1 = append([]int64(nil), m.TS...)
	m.AddCol("x", x)
	m.AddCol("z", z)
	m.AddText("y", y)
	b, err := EncodeMatrix(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMatrix(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != m.Hash() {
		t.Fatal("large matrix differs after round trip")
	}
}

// TestMatrixFloatEncodingByContent checks the per-column encoding trial:
// decimal-rounded prices (noisy low mantissa bytes, repeated values) go PLAIN,
// integer counts become INT64 columns; either way the file reads back bit for
// bit, special values included.
func TestMatrixFloatEncodingByContent(t *testing.T) {
	n := 2000
	price := make([]float64, n)
	count := make([]float64, n)
	odd := make([]float64, n)
	specials := []float64{math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64,
		math.MaxFloat64, -1e-300, 1e16, math.NaN()}
	cents, seed := 50000, uint32(7)
	for i := 0; i < n; i++ {
		seed = seed*1664525 + 1013904223
		// An hourly close in cents: a random walk of up to ±1 dollar a step.
		cents += int(seed>>16)%201 - 100
		price[i] = float64(cents) / 100
		count[i] = float64(seed>>20%9973 + 1)
		odd[i] = specials[i%len(specials)]
	}
	m := &matrix.Matrix{Meta: map[string]string{}}
	for i := 0; i < n; i++ {
		m.TS = append(m.TS, int64(1719838800000+i*3600_000))
		m.Date = append(m.Date, "2024-07-01")
		m.HourET = append(m.HourET, int32(9+i%7))
	}
	m.AddCol("close", price)
	m.AddCol("calls_sold_d0", count)
	m.AddCol("odd", odd)
	b, err := EncodeMatrix(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pq.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	enc, typ := map[string]string{}, map[string]string{}
	for _, c := range f.Metadata().RowGroups[0].Columns {
		typ[c.MetaData.PathInSchema[0]] = c.MetaData.Type.String()
		for _, e := range c.MetaData.Encoding {
			if e.String() != "RLE" {
				enc[c.MetaData.PathInSchema[0]] = e.String()
			}
		}
	}
	if enc["close"] != "PLAIN" || enc["ts"] != "DELTA_BINARY_PACKED" {
		t.Fatalf("encodings: %v", enc)
	}
	if typ["calls_sold_d0"] != "INT64" || typ["close"] != "DOUBLE" || typ["odd"] != "DOUBLE" {
		t.Fatalf("physical types: %v", typ)
	}
	got, err := DecodeMatrix(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != m.Hash() {
		t.Fatal("matrix differs after round trip")
	}
	for i, v := range got.Col("odd") {
		if w := odd[i]; math.Float64bits(v) != math.Float64bits(w) && !(math.IsNaN(v) && math.IsNaN(w)) {
			t.Fatalf("odd[%d] = %v, want %v", i, v, w)
		}
	}
}
