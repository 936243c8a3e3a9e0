package parquet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"

	"sigmalab/engine/errs"
	"sigmalab/engine/matrix"
	"sigmalab/storage/files"
)

// Key/value metadata keys written into every matrix file. metaColumns lists
// the columns in matrix order with their kind (version 1 files were written
// with a name-sorted schema, so the order lives only there); metaMeta carries
// Matrix.Meta.
const (
	metaColumns = "sigmalab.columns"
	metaMeta    = "sigmalab.meta"
	metaVersion = "sigmalab.matrix_version"
)

// Key column names; they are reserved in a Matrix (Matrix.Validate rejects them
// as feature names).
const (
	colTS     = matrix.TSCol
	colDate   = matrix.DateCol
	colHourET = matrix.HourETCol
	colT1     = matrix.T1Col
)

// columnSpec records one column of the file in matrix order.
type columnSpec struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // ts, date, hour_et, t1, float, text
}

// WriteMatrix writes m as one zstd-compressed Parquet file to w.
//
// Layout, in the matrix's own column order (the file schema lists them so, and
// sigmalab.columns repeats it with each column's kind): ts INT64 TIMESTAMP(ms,
// UTC), date STRING, hour_et INT32, optional t1 TIMESTAMP(ms, UTC) when the
// matrix is labelled (null where a row has no label horizon), then every
// numeric column as optional DOUBLE — or optional INT64 when all its values
// are whole numbers (counts, flags), which reads back to the same float64s —
// with NaN written as null, and every text column as optional STRING ("" is
// null).
func WriteMatrix(w io.Writer, m *matrix.Matrix) error {
	if err := m.Validate(); err != nil {
		return err
	}
	specs := matrixColumns(m)
	// Matrices are written once and read many times: spend more on compression.
	codec := &zstd.Codec{Level: zstd.SpeedBestCompression}
	cols := make([]tableColumn, 0, len(specs))
	for _, s := range specs {
		switch s.Kind {
		case colTS:
			cols = append(cols, timestampColumn(s.Name, func(i int) int64 { return m.TS[i] }))
		case colDate:
			cols = append(cols, stringColumn(s.Name, false, func(i int) string { return m.Date[i] }))
		case colHourET:
			cols = append(cols, int32Column(s.Name, func(i int) int32 { return m.HourET[i] }))
		case colT1:
			cols = append(cols, optionalTimestampColumn(s.Name, func(i int) int64 { return m.T1[i] }))
		case "float":
			cols = append(cols, floatColumn(s.Name, m.Col(s.Name), codec))
		case "text":
			col := m.TextCol(s.Name)
			cols = append(cols, stringColumn(s.Name, true, func(i int) string { return col[i] }))
		}
	}

	order, err := json.Marshal(specs)
	if err != nil {
		return err
	}
	meta := m.Meta
	if meta == nil {
		meta = map[string]string{}
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return writeTable(w, "matrix", m.Len(), cols,
		pq.Compression(codec),
		pq.DataPageStatistics(false),
		pq.KeyValueMetadata(metaColumns, string(order)),
		pq.KeyValueMetadata(metaMeta, string(metaJSON)),
		pq.KeyValueMetadata(metaVersion, "2"),
	)
}

// floatColumn is the column of one numeric matrix column: INT64 when every
// value is a whole number, else DOUBLE with the encoding floatEncoding picks.
func floatColumn(name string, col []float64, codec compress.Codec) tableColumn {
	get := func(i int) float64 { return col[i] }
	if wholeNumbers(col) {
		return nullableIntColumn(name, get, intEncoding(col, codec))
	}
	return nullableDoubleColumn(name, get, floatEncoding(col, codec))
}

func matrixColumns(m *matrix.Matrix) []columnSpec {
	specs := []columnSpec{{colTS, colTS}, {colDate, colDate}, {colHourET, colHourET}}
	if m.T1 != nil {
		specs = append(specs, columnSpec{colT1, colT1})
	}
	for _, n := range m.Names {
		specs = append(specs, columnSpec{n, "float"})
	}
	for _, n := range m.TextNames {
		specs = append(specs, columnSpec{n, "text"})
	}
	return specs
}

// floatTrialValues caps the values a numeric column's encoding trial looks at
// (one default page buffer of doubles), so the trial stays cheap on long
// matrices.
const floatTrialValues = 1 << 15

// floatEncoding returns the encoding of one DOUBLE column that compresses its
// values best, decided by trial: the column's
// non-null values (up to floatTrialValues) are encoded BYTE_STREAM_SPLIT and
// PLAIN and compressed with the file's codec, and the smaller wins.
//
// Why both: BYTE_STREAM_SPLIT groups the bytes of each double by significance,
// so exponent bytes and the zero low mantissa bytes of counts and
// quarter-dollar premiums form long runs (8-13% smaller than PLAIN on the demo
// flow columns). Decimal-rounded values (prices in cents, IVs to 4 places)
// have long non-zero binary expansions, but two values of similar size with
// the same cents share their low mantissa bytes: PLAIN keeps each double's 8
// bytes together so zstd can match those runs (43% smaller than
// BYTE_STREAM_SPLIT on close and atm_iv, 43% on spy_prev_close). Dictionary
// encoding lost to both on every column of the demo flow matrices, so it is
// not tried. Both encodings are standard (pyarrow, DuckDB and Spark read them)
// and lossless.
func floatEncoding(col []float64, codec compress.Codec) encoding.Encoding {
	vals := make([]float64, 0, min(len(col), floatTrialValues))
	for _, x := range col {
		if len(vals) == floatTrialValues {
			break
		}
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	if len(vals) == 0 {
		return &pq.ByteStreamSplit
	}
	size := func(e encoding.Encoding) int {
		raw, err := e.EncodeDouble(nil, vals)
		if err != nil {
			return math.MaxInt
		}
		z, err := codec.Encode(nil, raw)
		if err != nil {
			return math.MaxInt
		}
		return len(z)
	}
	if size(&pq.Plain) < size(&pq.ByteStreamSplit) {
		return &pq.Plain
	}
	return &pq.ByteStreamSplit
}

// intEncoding picks DELTA_BINARY_PACKED or PLAIN for a whole-number column by
// the same kind of trial as floatEncoding: delta packs slowly moving or small
// counts into a few bits each, while PLAIN lets zstd find repeats of a few
// distinct values (flags, buckets) that delta's bit packing hides.
func intEncoding(col []float64, codec compress.Codec) encoding.Encoding {
	vals := make([]int64, 0, min(len(col), floatTrialValues))
	for _, x := range col {
		if len(vals) == floatTrialValues {
			break
		}
		if !math.IsNaN(x) {
			vals = append(vals, int64(x))
		}
	}
	size := func(e encoding.Encoding) int {
		raw, err := e.EncodeInt64(nil, vals)
		if err != nil {
			return math.MaxInt
		}
		z, err := codec.Encode(nil, raw)
		if err != nil {
			return math.MaxInt
		}
		return len(z)
	}
	if size(&pq.Plain) < size(&pq.DeltaBinaryPacked) {
		return &pq.Plain
	}
	return &pq.DeltaBinaryPacked
}

// ReadMatrix reads a matrix file written by WriteMatrix (column order and Meta
// restored from the key/value metadata). Files from other writers are accepted
// too: ts/date/hour_et/t1 are taken by name, DOUBLE/FLOAT/INT columns become
// numeric columns and string columns text columns, in file order.
func ReadMatrix(r io.ReaderAt, size int64) (*matrix.Matrix, error) {
	f, err := pq.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("open matrix parquet: %v: %w", err, errs.ErrInvalid)
	}
	schema := f.Schema()
	paths := schema.Columns()
	leafIdx := make(map[string]int, len(paths))
	for i, p := range paths {
		leafIdx[strings.Join(p, ".")] = i
	}

	var specs []columnSpec
	if s, ok := f.Lookup(metaColumns); ok {
		if err := json.Unmarshal([]byte(s), &specs); err != nil {
			return nil, fmt.Errorf("matrix column order metadata: %v: %w", err, errs.ErrInvalid)
		}
	} else {
		specs = inferSpecs(schema)
	}
	nrows := int(f.NumRows())
	m := &matrix.Matrix{
		TS:     make([]int64, nrows),
		Date:   make([]string, nrows),
		HourET: make([]int32, nrows),
		Meta:   map[string]string{},
	}
	if s, ok := f.Lookup(metaMeta); ok && s != "" {
		if err := json.Unmarshal([]byte(s), &m.Meta); err != nil {
			return nil, fmt.Errorf("matrix meta metadata: %v: %w", err, errs.ErrInvalid)
		}
	}
	for _, s := range specs {
		idx, ok := leafIdx[s.Name]
		if !ok {
			return nil, fmt.Errorf("matrix parquet: column %q listed in metadata is missing: %w", s.Name, errs.ErrInvalid)
		}
		vals, err := readColumn(f, idx, nrows)
		if err != nil {
			return nil, fmt.Errorf("read column %s: %w", s.Name, err)
		}
		switch s.Kind {
		case colTS:
			for i, v := range vals {
				m.TS[i] = v.Int64()
			}
		case colDate:
			for i, v := range vals {
				m.Date[i] = string(v.ByteArray())
			}
		case colHourET:
			for i, v := range vals {
				m.HourET[i] = int32(v.Int64())
			}
		case colT1:
			m.T1 = make([]int64, nrows)
			for i, v := range vals {
				if !v.IsNull() {
					m.T1[i] = v.Int64()
				}
			}
		case "float":
			col := make([]float64, nrows)
			kind := schemaKind(schema, s.Name)
			for i, v := range vals {
				col[i] = valueFloat(v, kind)
			}
			m.Names = append(m.Names, s.Name)
			m.Cols = append(m.Cols, col)
		case "text":
			col := make([]string, nrows)
			for i, v := range vals {
				if !v.IsNull() {
					col[i] = string(v.ByteArray())
				}
			}
			m.TextNames = append(m.TextNames, s.Name)
			m.Text = append(m.Text, col)
		default:
			return nil, fmt.Errorf("matrix parquet: unknown column kind %q: %w", s.Kind, errs.ErrInvalid)
		}
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%v: %w", err, errs.ErrInvalid)
	}
	return m, nil
}

func schemaKind(schema *pq.Schema, name string) pq.Kind {
	if lc, ok := schema.Lookup(name); ok {
		return lc.Node.Type().Kind()
	}
	return pq.Double
}

func valueFloat(v pq.Value, kind pq.Kind) float64 {
	if v.IsNull() {
		return math.NaN()
	}
	switch kind {
	case pq.Float:
		return float64(v.Float())
	case pq.Int32, pq.Int64:
		return float64(v.Int64())
	case pq.Boolean:
		if v.Boolean() {
			return 1
		}
		return 0
	default:
		return v.Double()
	}
}

// inferSpecs maps a foreign file's top-level leaf columns to matrix columns.
func inferSpecs(schema *pq.Schema) []columnSpec {
	var specs []columnSpec
	for _, f := range schema.Fields() {
		if !f.Leaf() {
			continue
		}
		name := f.Name()
		switch name {
		case colTS, colDate, colHourET, colT1:
			specs = append(specs, columnSpec{name, name})
			continue
		}
		switch f.Type().Kind() {
		case pq.ByteArray, pq.FixedLenByteArray:
			specs = append(specs, columnSpec{name, "text"})
		default:
			specs = append(specs, columnSpec{name, "float"})
		}
	}
	return specs
}

// readColumn returns the nrows values of leaf column idx across all row groups.
func readColumn(f *pq.File, idx, nrows int) ([]pq.Value, error) {
	out := make([]pq.Value, 0, nrows)
	buf := make([]pq.Value, 512)
	err := eachPage(f, idx, func(p pq.Page) error {
		vr := p.Values()
		for {
			k, err := vr.ReadValues(buf)
			for _, v := range buf[:k] {
				out = append(out, v.Clone())
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if len(out) != nrows {
		return nil, fmt.Errorf("got %d values, want %d: %w", len(out), nrows, errs.ErrInvalid)
	}
	return out, nil
}

// EncodeMatrix returns the Parquet bytes of m (used for downloads and hashing).
func EncodeMatrix(m *matrix.Matrix) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteMatrix(&b, m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeMatrix parses Parquet bytes produced by EncodeMatrix/WriteMatrix.
func DecodeMatrix(b []byte) (*matrix.Matrix, error) {
	return ReadMatrix(bytes.NewReader(b), int64(len(b)))
}

// MatrixStore keeps built matrices as matrices/<model_id>/<build_id>.parquet
// under a data directory. Every path goes through the data dir's confinement
// (files.Dir): a model folder or a build file that is a symlink out of the data
// dir is ErrInvalid for reads, writes and deletes, and is never listed.
type MatrixStore struct {
	Root string // the data directory's matrices/ folder (display only)
	dir  files.Dir
}

// NewMatrixStore returns a store rooted at dir (created on first write), confined
// to dir's parent (the data dir).
func NewMatrixStore(dir string) *MatrixStore {
	d := files.OpenDir(dir)
	return &MatrixStore{Root: d.Abs(), dir: d}
}

// NewMatrixStoreIn returns the store of the data dir's matrices/ folder.
func NewMatrixStoreIn(d files.Dir) *MatrixStore { return &MatrixStore{Root: d.Abs(), dir: d} }

// MatrixInfo describes one stored matrix file.
type MatrixInfo struct {
	ModelID   string `json:"model_id"`
	BuildID   string `json:"build_id"`
	Path      string `json:"path"`
	SizeBytes int64  `json:"size_bytes"`
	ModTime   int64  `json:"modified_ms"`
}

func checkID(kind, id string) error {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, `/\`) || id == "." || id == ".." || strings.HasPrefix(id, ".") {
		return errs.Invalidf("bad %s %q", kind, id)
	}
	return nil
}

// Path is the file path of (modelID, buildID); ids are checked so a caller
// cannot escape the store with "..", separators or hidden names.
func (s *MatrixStore) Path(modelID, buildID string) (string, error) {
	if err := checkID("model_id", modelID); err != nil {
		return "", err
	}
	if err := checkID("build_id", buildID); err != nil {
		return "", err
	}
	return s.dir.Path(modelID, buildID+".parquet")
}

// Put writes m atomically (temp file, fsync, rename via storage/files) and returns its path and
// size. A failed write leaves no partial file visible.
func (s *MatrixStore) Put(modelID, buildID string, m *matrix.Matrix) (string, int64, error) {
	path, err := s.Path(modelID, buildID)
	if err != nil {
		return "", 0, err
	}
	b, err := EncodeMatrix(m)
	if err != nil {
		return "", 0, err
	}
	if err := files.WriteFile(path, b); err != nil {
		return "", 0, err
	}
	return path, int64(len(b)), nil
}

// Get reads a stored matrix; a missing file is ErrNotFound.
func (s *MatrixStore) Get(modelID, buildID string) (*matrix.Matrix, error) {
	b, err := s.Bytes(modelID, buildID)
	if err != nil {
		return nil, err
	}
	return DecodeMatrix(b)
}

// Bytes returns the raw Parquet file of a stored matrix.
func (s *MatrixStore) Bytes(modelID, buildID string) ([]byte, error) {
	path, err := s.Path(modelID, buildID)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, errs.NotFoundf("matrix %s/%s", modelID, buildID)
	}
	return b, err
}

// List returns the stored builds of modelID, newest first (by build id, which
// sorts by time, then by modification time).
func (s *MatrixStore) List(modelID string) ([]MatrixInfo, error) {
	if err := checkID("model_id", modelID); err != nil {
		return nil, err
	}
	dir, err := s.dir.Path(modelID)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return []MatrixInfo{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []MatrixInfo{}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".parquet") || strings.HasPrefix(name, ".") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, MatrixInfo{ModelID: modelID, BuildID: strings.TrimSuffix(name, ".parquet"),
			Path: filepath.Join(dir, name), SizeBytes: fi.Size(), ModTime: fi.ModTime().UnixMilli()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].BuildID != out[j].BuildID {
			return out[i].BuildID > out[j].BuildID
		}
		return out[i].ModTime > out[j].ModTime
	})
	return out, nil
}

// Delete removes a stored matrix (missing is not an error).
func (s *MatrixStore) Delete(modelID, buildID string) error {
	path, err := s.Path(modelID, buildID)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
