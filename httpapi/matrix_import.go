package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesMatrixImport() {
	s.POST("/matrices/import", "store a matrix made elsewhere (CSV body; ?model_id=&target=[&horizon=1h|5d&ticker=&tag=]) as a completed build of the model (lineage source: import), validated per column", s.matrixImport)
}

func (s *Server) matrixImport(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	req := engine.MatrixImportRequest{ModelID: q.ID("model_id", "", true), Target: q.String("target", ""),
		Horizon: q.String("horizon", ""), Ticker: q.String("ticker", ""), Tag: q.String("tag", "")}
	if err := q.Err(); err != nil {
		return nil, err
	}
	return s.Lab.ImportMatrixCSV(r.Context(), req, r.Body)
}
