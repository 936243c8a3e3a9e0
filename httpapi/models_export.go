package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

// routesModelsOut registers what lets a trained model leave the lab: its
// export to another library's format and scoring rows over HTTP.
func (s *Server) routesModelsOut() {
	s.GET("/models/:model_id/export", "download the model's trained GBDT in another library's format: format=xgboost "+
		"(XGBoost JSON model, xgboost.Booster(model_file=…); raw GBDT probabilities, no calibrator); "+
		"training_run_id picks a training (default: the latest completed)", s.exportModel)
	s.POST("/models/:model_id/predict", "score rows given as {feature: value} objects (rows, ≤ "+
		"10,000; null = missing) or a stored build (build_id or latest) with the model's trained GBDT and "+
		"calibrator; answers proba: {class: [p per row]}", s.predictModel)
}

func (s *Server) exportModel(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "model_id")
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	format := q.Enum("format", "xgboost", engine.ExportFormats...)
	run := q.Int("training_run_id", 0, 1, 1<<62)
	if err := q.Err(); err != nil {
		return nil, err
	}
	ex, err := s.Lab.ExportModel(r.Context(), id, format, int64(run))
	if err != nil {
		return nil, err
	}
	return Download{Name: ex.Name, ContentType: ex.ContentType, ModTime: ex.ModTime, Body: ex.Body}, nil
}

func (s *Server) predictModel(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "model_id")
	if err != nil {
		return nil, err
	}
	var req engine.PredictRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	req.ModelID = id
	return s.Lab.Predict(r.Context(), req)
}
