package httpapi

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/matrix"
)

func (s *Server) routesMatrix() {
	s.POST("/build_matrix", "build a model's feature matrix (opt 0DTE flow or equity bars) with labels; stores Parquet + build_runs row (async:true → job); out_csv and matrix_path are the matrix file's data-dir path (out_csv the CSV export when requested), matrix_url downloads it", s.buildMatrix)
	s.POST("/build_stock_matrix", "build an equity matrix for a ticker (optionally with a model's indicator set) (async:true → job)", s.buildStockMatrix)
	s.POST("/preview_matrix", "build up to max_rows rows without storing and run the QA checks; ok = QA verdict", s.previewMatrix)
	s.GET("/build_runs", "list matrix builds (pack_id, model_id, tag, status, start, end, limit, offset), newest first",
		listRuns(s, (*engine.Lab).ListBuildRuns, engine.BuildRunning, engine.BuildCompleted, engine.BuildFailed, engine.BuildInterrupted))
	s.GET("/build_runs/:id", "one matrix build (params, metrics, lineage, status)", getRun(s, (*engine.Lab).GetBuildRun, "build run"))
	s.GET("/matrices/:model_id", "list a model's stored matrices, newest first (limit, offset)", s.listMatrices)
	s.GET("/matrices/:model_id/:build_id", "download a stored matrix (format=parquet|csv|json)", s.getMatrix)
}

func (s *Server) decodeBuild(r *http.Request) (engine.BuildRequest, error) {
	var req engine.BuildRequest
	if err := DecodeJSON(r, &req); err != nil {
		return req, err
	}
	return req, nil
}

func (s *Server) buildMatrix(r *http.Request, _ httprouter.Params) (any, error) {
	req, err := s.decodeBuild(r)
	if err != nil {
		return nil, err
	}
	if req.Async {
		// validate up front so a bad request is a 4xx now, not a failed job later
		if strings.TrimSpace(req.ModelID) == "" {
			return nil, errs.Field("body", "model_id", "model_id is required")
		}
		return s.SubmitJob(r, engine.BuildMatrixJobKind, req)
	}
	return s.Lab.BuildMatrix(r.Context(), req)
}

func (s *Server) buildStockMatrix(r *http.Request, _ httprouter.Params) (any, error) {
	req, err := s.decodeBuild(r)
	if err != nil {
		return nil, err
	}
	if req.Async {
		if strings.TrimSpace(req.Ticker) == "" && strings.TrimSpace(req.ModelID) == "" {
			return nil, errs.Field("body", "ticker", "ticker is required")
		}
		return s.SubmitJob(r, engine.BuildStockMatrixJobKind, req)
	}
	return s.Lab.BuildStockMatrix(r.Context(), req)
}

func (s *Server) previewMatrix(r *http.Request, _ httprouter.Params) (any, error) {
	req, err := s.decodeBuild(r)
	if err != nil {
		return nil, err
	}
	return s.Lab.PreviewMatrix(r.Context(), req)
}

type matrixList struct {
	ModelID  string              `json:"model_id"`
	Matrices []engine.MatrixFile `json:"matrices"`
	PageInfo
}

func (s *Server) listMatrices(r *http.Request, p httprouter.Params) (any, error) {
	q := NewQuery(r)
	page := q.Page(50)
	if err := q.Err(); err != nil {
		return nil, err
	}
	modelID := p.ByName("model_id")
	rows, total, err := s.Lab.ListMatrices(r.Context(), modelID, page.Offset, page.Limit)
	if err != nil {
		return nil, err
	}
	return matrixList{ModelID: modelID, Matrices: rows, PageInfo: page.Info(len(rows), total)}, nil
}

type matrixJSON struct {
	ModelID string            `json:"model_id"`
	BuildID string            `json:"build_id"`
	Rows    int               `json:"rows"`
	Columns []string          `json:"columns"`
	Meta    map[string]string `json:"meta"`
	Data    map[string]any    `json:"data"`
}

func (s *Server) getMatrix(r *http.Request, p httprouter.Params) (any, error) {
	q := NewQuery(r)
	format := q.Enum("format", "parquet", "parquet", "csv", "json")
	if err := q.Err(); err != nil {
		return nil, err
	}
	modelID, buildID := p.ByName("model_id"), p.ByName("build_id")
	switch format {
	case "parquet":
		b, err := s.Lab.MatrixBytes(r.Context(), modelID, buildID)
		if err != nil {
			return nil, err
		}
		return Download{Name: matrixFileName(modelID, buildID, "parquet"), ContentType: "application/vnd.apache.parquet",
			Body: b}, nil
	case "csv":
		m, _, err := s.Lab.LoadMatrix(r.Context(), modelID, buildID)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := matrix.WriteCSV(&b, m); err != nil {
			return nil, err
		}
		return Download{Name: matrixFileName(modelID, buildID, "csv"), ContentType: "text/csv; charset=utf-8",
			Body: b.Bytes()}, nil
	}
	m, id, err := s.Lab.LoadMatrix(r.Context(), modelID, buildID)
	if err != nil {
		return nil, err
	}
	data := map[string]any{matrix.TSCol: m.TS, matrix.DateCol: m.Date, matrix.HourETCol: m.HourET}
	if m.T1 != nil {
		data[matrix.T1Col] = m.T1
	}
	for j, n := range m.Names {
		data[n] = m.Cols[j]
	}
	for j, n := range m.TextNames {
		data[n] = m.Text[j]
	}
	cols := []string{"ts", "date", "hour_et"}
	if m.T1 != nil {
		cols = append(cols, "t1")
	}
	cols = append(append(cols, m.Names...), m.TextNames...)
	return matrixJSON{ModelID: modelID, BuildID: id, Rows: m.Len(), Columns: cols, Meta: m.Meta, Data: data}, nil
}
