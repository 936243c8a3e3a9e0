// Package matrix holds the columnar feature matrix every engine stage shares:
// builders produce it, storage persists it as Parquet, the trainer and the
// backtest read its columns.
package matrix

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
)

// Matrix is a table stored by column. Row i is one observation (one session hour
// for hourly models, one session for daily ones), in time order.
//
// Key columns are typed; every numeric column (features, auxiliary values such as
// close, realised forward returns) lives in Names/Cols; string columns (labels such
// as "y") live in TextNames/Text. Missing numeric values are NaN.
type Matrix struct {
	TS     []int64  // row time: bar start, unix milliseconds UTC
	Date   []string // ET session date, YYYY-MM-DD
	HourET []int32  // ET hour of the bar start (0..23); 0 for daily rows
	T1     []int64  // label end time, unix ms UTC (purging); nil when the matrix has no labels

	Names []string    // numeric column names, in output order
	Cols  [][]float64 // Cols[j][i] is column Names[j] at row i

	TextNames []string   // string column names (labels)
	Text      [][]string // Text[j][i]

	Meta map[string]string // lineage and build facts (ticker, source, hashes …)
}

// Len is the number of rows.
func (m *Matrix) Len() int { return len(m.TS) }

// ColIndex returns the index of numeric column name, or -1.
func (m *Matrix) ColIndex(name string) int {
	for j, n := range m.Names {
		if n == name {
			return j
		}
	}
	return -1
}

// Col returns numeric column name, or nil when absent.
func (m *Matrix) Col(name string) []float64 {
	if j := m.ColIndex(name); j >= 0 {
		return m.Cols[j]
	}
	return nil
}

// TextCol returns string column name, or nil when absent.
func (m *Matrix) TextCol(name string) []string {
	for j, n := range m.TextNames {
		if n == name {
			return m.Text[j]
		}
	}
	return nil
}

// AddCol appends (or replaces) a numeric column. It panics on a length mismatch,
// which is a programming error in a builder.
func (m *Matrix) AddCol(name string, v []float64) {
	if len(v) != m.Len() {
		panic(fmt.Sprintf("matrix: column %s has %d rows, want %d", name, len(v), m.Len()))
	}
	if j := m.ColIndex(name); j >= 0 {
		m.Cols[j] = v
		return
	}
	m.Names = append(m.Names, name)
	m.Cols = append(m.Cols, v)
}

// AddText appends (or replaces) a string column.
func (m *Matrix) AddText(name string, v []string) {
	if len(v) != m.Len() {
		panic(fmt.Sprintf("matrix: text column %s has %d rows, want %d", name, len(v), m.Len()))
	}
	for j, n := range m.TextNames {
		if n == name {
			m.Text[j] = v
			return
		}
	}
	m.TextNames = append(m.TextNames, name)
	m.Text = append(m.Text, v)
}

// Validate checks that every column has Len rows and names are unique.
func (m *Matrix) Validate() error {
	n := m.Len()
	if len(m.Date) != n || len(m.HourET) != n {
		return fmt.Errorf("matrix: key columns have %d/%d rows, want %d", len(m.Date), len(m.HourET), n)
	}
	if m.T1 != nil && len(m.T1) != n {
		return fmt.Errorf("matrix: t1 has %d rows, want %d", len(m.T1), n)
	}
	if len(m.Names) != len(m.Cols) || len(m.TextNames) != len(m.Text) {
		return fmt.Errorf("matrix: names and columns differ in count")
	}
	seen := map[string]bool{TSCol: true, DateCol: true, HourETCol: true, T1Col: true}
	for j, name := range m.Names {
		if seen[name] {
			return fmt.Errorf("matrix: duplicate column %q", name)
		}
		seen[name] = true
		if len(m.Cols[j]) != n {
			return fmt.Errorf("matrix: column %s has %d rows, want %d", name, len(m.Cols[j]), n)
		}
	}
	for j, name := range m.TextNames {
		if seen[name] {
			return fmt.Errorf("matrix: duplicate column %q", name)
		}
		seen[name] = true
		if len(m.Text[j]) != n {
			return fmt.Errorf("matrix: column %s has %d rows, want %d", name, len(m.Text[j]), n)
		}
	}
	return nil
}

// Hash is a stable sha256 of the matrix content (keys, names, values; not Meta).
// NaN hashes as one canonical bit pattern so equal matrices hash equal.
func (m *Matrix) Hash() string {
	h := sha256.New()
	var buf [8]byte
	putI := func(v int64) { binary.LittleEndian.PutUint64(buf[:], uint64(v)); h.Write(buf[:]) }
	putS := func(s string) { putI(int64(len(s))); h.Write([]byte(s)) }
	putI(int64(m.Len()))
	for i := range m.TS {
		putI(m.TS[i])
		putS(m.Date[i])
		putI(int64(m.HourET[i]))
	}
	putI(int64(len(m.T1)))
	for _, v := range m.T1 {
		putI(v)
	}
	for j, name := range m.Names {
		putS(name)
		for _, v := range m.Cols[j] {
			if math.IsNaN(v) {
				v = math.NaN()
			}
			putI(int64(math.Float64bits(v)))
		}
	}
	for j, name := range m.TextNames {
		putS(name)
		for _, v := range m.Text[j] {
			putS(v)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Head returns a copy of the first n rows of m (all of m when n >= Len).
func Head(m *Matrix, n int) *Matrix {
	n = max(0, min(n, m.Len()))
	out := &Matrix{
		TS:        append([]int64(nil), m.TS[:n]...),
		Date:      append([]string(nil), m.Date[:n]...),
		HourET:    append([]int32(nil), m.HourET[:n]...),
		Names:     append([]string(nil), m.Names...),
		TextNames: append([]string(nil), m.TextNames...),
		Meta:      map[string]string{},
	}
	if m.T1 != nil {
		out.T1 = append([]int64(nil), m.T1[:n]...)
	}
	for _, c := range m.Cols {
		out.Cols = append(out.Cols, append([]float64(nil), c[:n]...))
	}
	for _, c := range m.Text {
		out.Text = append(out.Text, append([]string(nil), c[:n]...))
	}
	for k, v := range m.Meta {
		out.Meta[k] = v
	}
	return out
}
