package httpapi

import (
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

func (s *Server) routesMatrixImport() {
	s.POST("/matrices/import", "store a matrix made elsewhere as a completed build of the model (lineage source: import), validated per column: a CSV body with ?model_id=&target=[&horizon=1h|5d&ticker=&tag=], or JSON {model_id, path, target, horizon, ticker, tag} naming a CSV file under exports/", s.matrixImport)
}

func (s *Server) matrixImport(r *http.Request, _ httprouter.Params) (any, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		return s.matrixImportPath(r)
	}
	q := NewQuery(r)
	req := engine.MatrixImportRequest{ModelID: q.ID("model_id", "", true), Target: q.String("target", ""),
		Horizon: q.String("horizon", ""), Ticker: q.String("ticker", ""), Tag: q.String("tag", "")}
	if err := q.Err(); err != nil {
		return nil, err
	}
	return s.Lab.ImportMatrixCSV(r.Context(), req, r.Body)
}

// matrixImportPath imports a CSV file of the data dir's exports/ (the path
// is confined there; anything else is a 422 on body.path).
func (s *Server) matrixImportPath(r *http.Request) (any, error) {
	var body struct {
		engine.MatrixImportRequest
		Path string `json:"path"`
	}
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	c := NewCheck("body")
	c.ID("model_id", body.ModelID, true)
	if c.Required("path", body.Path) && !strings.HasSuffix(strings.ToLower(body.Path), ".csv") {
		c.Fail("path", "path must name a .csv file under exports/", "value_error")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	if s.Lab.Exports == nil {
		return nil, errs.NotFoundf("no exports directory")
	}
	p, err := s.Lab.Exports.ResolveExport(strings.TrimPrefix(body.Path, "exports/"))
	if err != nil {
		return nil, errs.Field("body", "path", "path must stay under exports/ of the data dir")
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.Field("body", "path", "no such file under exports/: "+body.Path)
	}
	if err != nil {
		return nil, errs.Field("body", "path", "cannot read "+body.Path)
	}
	defer f.Close()
	body.ParamLoc = "body"
	return s.Lab.ImportMatrixCSV(r.Context(), body.MatrixImportRequest, f)
}
