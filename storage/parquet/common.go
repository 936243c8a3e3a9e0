package parquet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Shared Parquet conventions of this package, reusable by every file kind (bars,
// matrices, …):
//   - ZstdCompression is the one codec configuration we write with: zstd at the default
//     level gives ~3–4× smaller files than the same CSV at a decode cost far below the
//     cost of parsing, and pyarrow/DuckDB/Spark all read it.
//   - Files are published with an atomic rename through storage/files, so readers
//     see the old file or the complete new one, never a torn write.
//   - Timestamps are INT64 TIMESTAMP(millisecond, UTC); sigmalab.* key/value metadata
//     carries what a reader needs without scanning rows (source, ranges, row counts).

// ZstdCompression is the writer option every Parquet file of sigmalab uses.
func ZstdCompression() pq.WriterOption {
	return pq.Compression(&zstd.Codec{Level: zstd.SpeedDefault})
}

// EncodeRows writes rows of T as zstd Parquet to w; metadata keys are written sorted so
// the output is byte-identical for the same input.
func EncodeRows[T any](w io.Writer, rows []T, meta map[string]string, opts ...pq.WriterOption) error {
	all := []pq.WriterOption{ZstdCompression(), pq.MaxRowsPerRowGroup(1 << 20)}
	for _, k := range sortedKeys(meta) {
		all = append(all, pq.KeyValueMetadata(k, meta[k]))
	}
	all = append(all, opts...)
	pw := pq.NewGenericWriter[T](w, all...)
	if _, err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}

// encodeTable writes a market table (columns in their declared order, see
// writeTable) as zstd Parquet with meta as key/value metadata, keys sorted so
// the output is byte-identical for the same input.
func encodeTable(w io.Writer, n int, cols []tableColumn, meta map[string]string) error {
	opts := []pq.WriterOption{ZstdCompression()}
	for _, k := range sortedKeys(meta) {
		opts = append(opts, pq.KeyValueMetadata(k, meta[k]))
	}
	return writeTable(w, "market", n, cols, opts...)
}

// ReadParquetMeta reads only the footer of a Parquet file: key/value metadata and row count.
func ReadParquetMeta(path string) (map[string]string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	pf, err := pq.OpenFile(f, st.Size(), pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", path, err)
	}
	return fileMeta(pf), pf.NumRows(), nil
}

func fileMeta(pf *pq.File) map[string]string {
	md := pf.Metadata()
	out := make(map[string]string, len(md.KeyValueMetadata))
	for _, kv := range md.KeyValueMetadata {
		out[kv.Key] = kv.Value
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// ColumnSet names the required columns to read, by physical kind.
type ColumnSet struct {
	Int64  []string // INT64 (timestamps included)
	Float  []string // DOUBLE
	String []string // BYTE_ARRAY (plain or dictionary encoded)
}

// Columns is what ReadColumnSet returns, in the order the ColumnSet named them.
type Columns struct {
	Rows   int
	Int64  [][]int64
	Float  [][]float64
	String [][]string
	Meta   map[string]string
}

// readColumnSetFile is ReadColumnSet over a file already open; errors name the
// file by its base name only.
func readColumnSetFile(f *os.File, want ColumnSet) (*Columns, error) {
	path := filepath.Base(f.Name())
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := pq.OpenFile(f, st.Size(), pq.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := int(pf.NumRows())
	index := map[string]int{}
	for i, c := range pf.Schema().Columns() {
		index[c[len(c)-1]] = i
	}
	col := func(name string) (int, error) {
		ci, ok := index[name]
		if !ok {
			return 0, fmt.Errorf("%s: no column %q", path, name)
		}
		return ci, nil
	}
	out := &Columns{Rows: n, Meta: fileMeta(pf), Int64: make([][]int64, len(want.Int64)),
		Float: make([][]float64, len(want.Float)), String: make([][]string, len(want.String))}
	for k, name := range want.Int64 {
		ci, err := col(name)
		if err != nil {
			return nil, err
		}
		out.Int64[k], err = readNumeric(pf, ci, n, name, "INT64", func(v pq.ValueReader) (func([]int64) (int, error), bool) {
			r, ok := v.(pq.Int64Reader)
			if !ok {
				return nil, false
			}
			return r.ReadInt64s, true
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	for k, name := range want.Float {
		ci, err := col(name)
		if err != nil {
			return nil, err
		}
		if leaf, _ := pf.Schema().Lookup(name); leaf.Node != nil && (leaf.Node.Optional() || leaf.Node.Type().Kind() != pq.Double) {
			out.Float[k], err = readFloatValues(pf, ci, n, name, leaf.Node.Type().Kind())
		} else {
			out.Float[k], err = readNumeric(pf, ci, n, name, "DOUBLE", func(v pq.ValueReader) (func([]float64) (int, error), bool) {
				r, ok := v.(pq.DoubleReader)
				if !ok {
					return nil, false
				}
				return r.ReadDoubles, true
			})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	buf := make([]pq.Value, 1024)
	for k, name := range want.String {
		ci, err := col(name)
		if err != nil {
			return nil, err
		}
		dst := make([]string, 0, n)
		intern := map[string]string{}
		err = eachPage(pf, ci, func(p pq.Page) error {
			vr := p.Values()
			for {
				got, err := vr.ReadValues(buf)
				for _, v := range buf[:got] {
					if v.IsNull() {
						return fmt.Errorf("column %q has nulls", name)
					}
					b := v.ByteArray()
					s, ok := intern[string(b)]
					if !ok {
						s = string(b)
						intern[s] = s
					}
					dst = append(dst, s)
				}
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				if got == 0 {
					return nil
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out.String[k] = dst
	}
	for k, c := range out.Int64 {
		if len(c) != n {
			return nil, fmt.Errorf("%s: column %q has %d of %d values (nulls?)", path, want.Int64[k], len(c), n)
		}
	}
	for k, c := range out.Float {
		if len(c) != n {
			return nil, fmt.Errorf("%s: column %q has %d of %d values (nulls?)", path, want.Float[k], len(c), n)
		}
	}
	for k, c := range out.String {
		if len(c) != n {
			return nil, fmt.Errorf("%s: column %q has %d of %d values", path, want.String[k], len(c), n)
		}
	}
	return out, nil
}

// readFloatValues reads the n values of a numeric column that is optional or
// not DOUBLE: nulls (absent values) become NaN, what the engine uses for them,
// and integers and FLOATs convert to float64.
func readFloatValues(pf *pq.File, ci, n int, name string, kind pq.Kind) ([]float64, error) {
	switch kind {
	case pq.Double, pq.Float, pq.Int32, pq.Int64:
	default:
		return nil, fmt.Errorf("column %q is not numeric", name)
	}
	dst := make([]float64, 0, n)
	buf := make([]pq.Value, 1024)
	err := eachPage(pf, ci, func(p pq.Page) error {
		vr := p.Values()
		for {
			got, err := vr.ReadValues(buf)
			if len(dst)+got > n {
				return fmt.Errorf("column %q holds more values than rows", name)
			}
			for _, v := range buf[:got] {
				dst = append(dst, valueFloat(v, kind))
			}
			if err == io.EOF || (err == nil && got == 0) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	return dst, err
}

// readNumeric reads the n values of required numeric column ci page by page, copying
// each page in bulk. typed returns the page's reader of physical type kind (INT64,
// DOUBLE), or false when the page holds another type.
func readNumeric[V int64 | float64](pf *pq.File, ci, n int, name, kind string,
	typed func(pq.ValueReader) (func([]V) (int, error), bool)) ([]V, error) {
	dst := make([]V, 0, n)
	err := eachPage(pf, ci, func(p pq.Page) error {
		read, ok := typed(p.Values())
		if !ok {
			return fmt.Errorf("column %q is not %s", name, kind)
		}
		m := int(p.NumValues())
		if len(dst)+m > n {
			return fmt.Errorf("column %q holds more values than rows", name)
		}
		got, err := read(dst[len(dst) : len(dst)+m])
		if err != nil && err != io.EOF {
			return err
		}
		dst = dst[:len(dst)+got]
		return nil
	})
	return dst, err
}

// eachPage calls fn for every page of column ci across row groups.
func eachPage(pf *pq.File, ci int, fn func(pq.Page) error) error {
	for _, rg := range pf.RowGroups() {
		pages := rg.ColumnChunks()[ci].Pages()
		for {
			p, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				pages.Close()
				return err
			}
			err = fn(p)
			pq.Release(p)
			if err != nil {
				pages.Close()
				return err
			}
		}
		if err := pages.Close(); err != nil {
			return err
		}
	}
	return nil
}
