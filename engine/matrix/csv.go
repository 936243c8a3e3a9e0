package matrix

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"time"
)

// WriteCSV writes m as CSV in the column order of the API's JSON and of the
// Parquet file: ts (RFC 3339 UTC), date, hour_et, t1 (when labelled), the
// numeric columns, then the text columns, each in matrix order.
// Missing values (NaN, "") are empty cells, as pandas writes them. Floats are
// written as appendCSVFloat does.
func WriteCSV(w io.Writer, m *Matrix) error {
	if err := m.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	header := []string{TSCol, DateCol, HourETCol}
	if m.T1 != nil {
		header = append(header, T1Col)
	}
	header = append(header, m.Names...)
	header = append(header, m.TextNames...)
	writeCSVRow(bw, header)
	buf := make([]byte, 0, 64)
	for i := 0; i < m.Len(); i++ {
		bw.WriteString(time.UnixMilli(m.TS[i]).UTC().Format(time.RFC3339))
		bw.WriteByte(',')
		bw.WriteString(csvField(m.Date[i]))
		bw.WriteByte(',')
		bw.Write(strconv.AppendInt(buf[:0], int64(m.HourET[i]), 10))
		if m.T1 != nil {
			bw.WriteByte(',')
			bw.WriteString(time.UnixMilli(m.T1[i]).UTC().Format(time.RFC3339))
		}
		for _, c := range m.Cols {
			bw.WriteByte(',')
			if v := c[i]; !math.IsNaN(v) {
				bw.Write(appendCSVFloat(buf[:0], v))
			}
		}
		for _, c := range m.Text {
			bw.WriteByte(',')
			bw.WriteString(csvField(c[i]))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// appendCSVFloat writes the shortest digits that round-trip, in the notation
// pandas (numpy's repr) uses: positional for 1e-4 <= |v| < 1e16, exponent form
// outside that range, inf/-inf for infinities. Unlike pandas it leaves off the
// ".0" of integral values (contract counts read back the same either way).
// Go's 'g' format would switch to exponent form from 1e6 up, writing a premium
// of 1195688 as 1.195688e+06: longer, and not what users see elsewhere.
func appendCSVFloat(dst []byte, v float64) []byte {
	switch a := math.Abs(v); {
	case math.IsInf(v, 1):
		return append(dst, "inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-inf"...)
	case a != 0 && (a < 1e-4 || a >= 1e16):
		return strconv.AppendFloat(dst, v, 'e', -1, 64)
	}
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

func writeCSVRow(bw *bufio.Writer, fields []string) {
	for j, f := range fields {
		if j > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(csvField(f))
	}
	bw.WriteByte('\n')
}

// csvField quotes a field only when it needs it (RFC 4180).
func csvField(s string) string {
	need := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			need = true
		}
	}
	if !need {
		return s
	}
	out := make([]byte, 0, len(s)+2)
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}
