package engine

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
	"sigmalab/engine/matrix"
)

// MatrixImportRequest is POST /matrices/import: a matrix made elsewhere,
// stored like a built one so train, backtest, sweep and calibrate read it.
type MatrixImportRequest struct {
	ModelID string `json:"model_id"`
	Target  string `json:"target"`            // the label column (class labels, or 1/0/−1)
	Horizon string `json:"horizon,omitempty"` // label length when there is no t1 column: a duration (1h, 390m) or Nd sessions-days
	Ticker  string `json:"ticker,omitempty"`  // the underlying, for the lineage
	Tag     string `json:"tag,omitempty"`
	// ParamLoc is where target and horizon came from in errors: query (a CSV
	// body) or body (the JSON form).
	ParamLoc string `json:"-"`
}

// ImportFeaturesMeta is the matrix meta key listing an imported matrix's
// feature columns: requests that name no features use them.
const ImportFeaturesMeta = "import_features"

// MaxImportColumns bounds an imported matrix's columns.
const MaxImportColumns = 2000

// MatrixImportResult is the answer of an import.
type MatrixImportResult struct {
	OK        bool     `json:"ok"`
	ModelID   string   `json:"model_id"`
	PackID    string   `json:"pack_id"`
	BuildID   string   `json:"build_id"`
	Rows      int      `json:"rows"`
	Features  []string `json:"features"`
	Target    string   `json:"target"`
	T1From    string   `json:"t1_from"` // column | horizon | next_row
	MatrixURL string   `json:"matrix_url"`
	Lineage   Lineage  `json:"lineage"`
	Warnings  []string `json:"warnings,omitempty"`
}

// importField is a 422 on one column of the body (loc body.columns.<name>).
func importField(v *errs.Validation, col, msg string) {
	v.Fields = append(v.Fields, errs.FieldError{Loc: []string{"body", "columns", col}, Msg: msg, Type: "value_error"})
}

// parseImportTime reads RFC3339, "YYYY-MM-DD HH:MM[:SS]" (New York time) or
// unix milliseconds.
func parseImportTime(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UnixMilli(), true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, market.ET()); err == nil {
			return t.UnixMilli(), true
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 1e11 {
		return ms, true
	}
	return 0, false
}

// parseHorizon reads "1h", "390m", "5d" (days of 24 h).
func parseHorizon(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			return 0, fmt.Errorf("bad day count")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("not a positive duration")
	}
	return d, nil
}

// ImportMatrixCSV validates a CSV matrix and stores it as a completed build
// of req.ModelID (lineage source: import). Columns: ts (or date [+ hour_et]),
// the target label, optional t1, ret_fwd (the label's realised return, what
// PnL is booked on), optional close (marks), and numeric features. Every
// problem is a 422 naming the column; nothing is stored unless all pass.
func (l *Lab) ImportMatrixCSV(ctx context.Context, req MatrixImportRequest, body io.Reader) (MatrixImportResult, error) {
	var out MatrixImportResult
	v := &errs.Validation{}
	ploc := req.ParamLoc
	if ploc == "" {
		ploc = "query"
	}
	req.ModelID = strings.TrimSpace(req.ModelID)
	checkModelID(v, req.ModelID)
	if strings.TrimSpace(req.Target) == "" {
		v.Add(ploc, "target", "target (the label column) is required", "missing")
	}
	var horizon time.Duration
	if req.Horizon != "" {
		var err error
		if horizon, err = parseHorizon(req.Horizon); err != nil {
			v.Add(ploc, "horizon", "horizon must be a duration such as 1h, 390m or 5d", "value_error")
		}
	}
	if err := v.Err(); err != nil {
		return out, err
	}
	if l.Matrices == nil || l.BuildRuns == nil {
		return out, fmt.Errorf("no matrix store: %w", errs.ErrNoData)
	}
	model, err := l.GetModelConfig(ctx, req.ModelID, "")
	if err != nil {
		return out, err
	}
	r := csv.NewReader(body)
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return out, errs.Field("body", "csv", "the body must be a CSV matrix with a header row")
	}
	idx := map[string]int{}
	for j, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		header[j] = h
		if h == "" {
			importField(v, fmt.Sprintf("#%d", j+1), "empty column name")
			continue
		}
		if _, dup := idx[h]; dup {
			importField(v, h, "duplicate column")
		}
		idx[h] = j
	}
	if len(header) > MaxImportColumns {
		v.Add("body", "columns", fmt.Sprintf("at most %d columns", MaxImportColumns), "value_error")
	}
	_, hasTS := idx[matrix.TSCol]
	_, hasDate := idx[matrix.DateCol]
	if !hasTS && !hasDate {
		v.Add("body", "columns", "a ts column (or date [+ hour_et]) is required", "missing")
	}
	if _, ok := idx[req.Target]; !ok {
		v.Add(ploc, "target", fmt.Sprintf("target column %q is not in the CSV header", req.Target), "value_error")
	}
	if _, ok := idx[matrix.RetFwdCol]; !ok {
		importField(v, matrix.RetFwdCol, "ret_fwd (each row's realised forward return over its label) is required: backtests book PnL on it")
	}
	if err := v.Err(); err != nil {
		return out, err
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return out, errs.Field("body", "csv", fmt.Sprintf("line %d: %v", pe.Line, pe.Err))
			}
			return out, errs.Field("body", "csv", err.Error())
		}
		rows = append(rows, rec)
		if len(rows) > 5_000_000 {
			return out, errs.Field("body", "csv", "at most 5,000,000 rows")
		}
	}
	n := len(rows)
	if n < 20 {
		return out, errs.Field("body", "csv", fmt.Sprintf("%d data rows: at least 20 are needed", n))
	}
	m := &matrix.Matrix{TS: make([]int64, n), Date: make([]string, n), HourET: make([]int32, n), Meta: map[string]string{}}
	cell := func(i int, col string) string { return strings.TrimSpace(rows[i][idx[col]]) }
	bad := func(col string, i int, msg string) { importField(v, col, fmt.Sprintf("row %d: %s", i+2, msg)) }
	for i := 0; i < n && len(v.Fields) < 20; i++ {
		var ts int64
		var ok bool
		if hasTS {
			if ts, ok = parseImportTime(cell(i, matrix.TSCol)); !ok {
				bad(matrix.TSCol, i, fmt.Sprintf("%q is not a time (RFC3339, YYYY-MM-DD HH:MM in New York, or unix ms)", cell(i, matrix.TSCol)))
				continue
			}
		} else {
			d, h := cell(i, matrix.DateCol), 16
			if _, hasHour := idx[matrix.HourETCol]; hasHour {
				x, err := strconv.Atoi(cell(i, matrix.HourETCol))
				if err != nil || x < 0 || x > 23 {
					bad(matrix.HourETCol, i, "hour_et must be a whole hour 0..23")
					continue
				}
				h = x
			}
			var err error
			if ts, err = market.ETMillis(d, h, 0); err != nil {
				bad(matrix.DateCol, i, fmt.Sprintf("%q is not a date YYYY-MM-DD", d))
				continue
			}
		}
		if i > 0 && ts <= m.TS[i-1] {
			bad(map[bool]string{true: matrix.TSCol, false: matrix.DateCol}[hasTS], i, "rows must be in strictly increasing time order")
			continue
		}
		m.TS[i], m.Date[i], m.HourET[i] = ts, market.SessionDate(ts), int32(market.HourET(ts))
	}
	if err := v.Err(); err != nil {
		return out, err
	}
	t1From := "next_row"
	if _, ok := idx[matrix.T1Col]; ok {
		t1From = "column"
		m.T1 = make([]int64, n)
		for i := 0; i < n; i++ {
			t, ok := parseImportTime(cell(i, matrix.T1Col))
			if !ok || t <= m.TS[i] {
				bad(matrix.T1Col, i, "t1 must be a time after the row's ts")
				if len(v.Fields) >= 20 {
					break
				}
				continue
			}
			m.T1[i] = t
		}
	} else {
		m.T1 = make([]int64, n)
		for i := range m.T1 {
			switch {
			case horizon > 0:
				m.T1[i] = m.TS[i] + horizon.Milliseconds()
			case i+1 < n:
				m.T1[i] = m.TS[i+1]
			default:
				m.T1[i] = m.TS[i] + (m.TS[i] - m.TS[i-1])
			}
		}
		if horizon > 0 {
			t1From = "horizon"
		}
	}
	labels := make([]string, n)
	for i := range labels {
		labels[i] = cell(i, req.Target)
	}
	var feats []string
	for j, name := range header {
		if name == req.Target || matrix.IsKeyCol(name) {
			continue
		}
		col := make([]float64, n)
		for i := 0; i < n; i++ {
			s := rows[i][j]
			s = strings.TrimSpace(s)
			if s == "" || strings.EqualFold(s, "nan") || strings.EqualFold(s, "null") {
				col[i] = math.NaN()
				continue
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(x, 0) {
				bad(name, i, fmt.Sprintf("%q is not a finite number (empty or nan for missing)", s))
				break
			}
			col[i] = x
		}
		m.AddCol(name, col)
		if !trainNonFeature(m, name, req.Target) && name != "close" && name != "open" && name != "high" && name != "low" {
			feats = append(feats, name)
		}
	}
	m.AddText(req.Target, labels)
	if req.Target != "y" && m.TextCol("y") == nil && m.Col("y") == nil {
		m.AddText("y", labels) // the default target of train and backtest
	}
	if err := v.Err(); err != nil {
		return out, err
	}
	if len(feats) == 0 {
		return out, errs.Field("body", "columns", "no feature columns: every other column is a key, the label or an outcome")
	}
	if _, _, err := TargetLabels(m, req.Target); err != nil {
		var ve *errs.Validation
		if errors.As(err, &ve) {
			return out, errs.Field(ploc, "target", ve.Error())
		}
		return out, errs.Field(ploc, "target", fmt.Sprintf("target %q has no labelled row", req.Target))
	}
	started := l.now()
	m.Meta["source"], m.Meta["data_source"] = "import", "import"
	m.Meta["label_columns"] = strings.Join([]string{req.Target, "y", matrix.RetFwdCol}, ",")
	m.Meta["model_id"], m.Meta["pack_id"] = req.ModelID, model.PackID
	m.Meta[ImportFeaturesMeta] = strings.Join(feats, ",")
	if req.Ticker != "" {
		m.Meta["ticker"] = strings.ToUpper(req.Ticker)
	}
	m.Meta["cadence"] = "hourly"
	if m.HourET[0] == 16 && m.Len() > 1 && m.Date[0] != m.Date[1] {
		m.Meta["cadence"] = "daily"
	}
	run, err := l.BuildRuns.CreateBuildRun(ctx, BuildRun{PackID: model.PackID, ModelID: req.ModelID, Kind: "import",
		Status: BuildRunning, Params: BuildParams{Start: m.Date[0], End: m.Date[n-1], Ticker: m.Meta["ticker"],
			Cadence: m.Meta["cadence"], Tag: req.Tag}, Tag: req.Tag, StartedAt: &started, CreatedAt: started})
	if err != nil {
		return out, fmt.Errorf("record import run: %w", err)
	}
	run.BuildID = fmt.Sprintf("b%08d", run.ID)
	m.Meta["build_id"] = run.BuildID
	lin := Lineage{MatrixSHA: m.Hash(), DataSHA: m.Hash(), DataSource: "import"}
	m.Meta["data_sha"] = lin.DataSHA
	fail := func(err error) (MatrixImportResult, error) {
		fin := l.now()
		run.Status, run.Error, run.FinishedAt = BuildFailed, err.Error(), &fin
		_ = l.BuildRuns.UpdateBuildRun(context.WithoutCancel(ctx), run)
		return out, err
	}
	_, size, err := l.Matrices.Put(req.ModelID, run.BuildID, m)
	if err != nil {
		return fail(fmt.Errorf("write matrix: %w", err))
	}
	fin := l.now()
	run.Status, run.FinishedAt = BuildCompleted, &fin
	run.MatrixURI, run.MatrixURL = "matrices/"+req.ModelID+"/"+run.BuildID+".parquet", MatrixURL(req.ModelID, run.BuildID)
	run.Rows, run.Columns = n, len(m.Names)+len(m.TextNames)+4
	run.Metrics = BuildMetrics{ColumnsCount: run.Columns, Rows: n, SizeBytes: size, Labels: labelCounts(m),
		BuildMS: fin.Sub(started).Milliseconds()}
	run.Lineage = &lin
	if err := l.BuildRuns.UpdateBuildRun(context.WithoutCancel(ctx), run); err != nil {
		_ = l.Matrices.Delete(req.ModelID, run.BuildID)
		return out, fmt.Errorf("record import run: %w", err)
	}
	out = MatrixImportResult{OK: true, ModelID: req.ModelID, PackID: model.PackID, BuildID: run.BuildID, Rows: n,
		Features: feats, Target: req.Target, T1From: t1From, MatrixURL: run.MatrixURL, Lineage: lin}
	if t1From == "next_row" {
		out.Warnings = append(out.Warnings, "no t1 column and no horizon: each label is taken to end at the next row (one-row horizon)")
	}
	if m.Col("close") == nil {
		out.Warnings = append(out.Warnings, "no close column: positions are booked on ret_fwd, not marked to market")
	}
	return out, nil
}
