package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

// routesCalibrate registers the calibration routes; routesBacktest calls it so
// the route order stays as it was.
func (s *Server) routesCalibrate() {
	s.POST("/calibrate_thresholds", "calibrate the model's out-of-fold probabilities (method isotonic|sigmoid, walk-forward over the folds): "+
		"params, reliability and Brier/log loss before and after, the confidence threshold for target_precision or top_n, plot_uri", s.calibrateThresholds)
	s.POST("/calibrate_brackets", "choose ATR stop/target/time-stop multiples by simulating the model's signals with bracket parity on the "+
		"earlier folds; params and parity on the held-out last fold", s.calibrateBrackets)
}

func (s *Server) calibrateThresholds(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.CalibrateThresholdsRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	return s.Lab.CalibrateThresholds(r.Context(), req)
}

func (s *Server) calibrateBrackets(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.CalibrateBracketsRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	return s.Lab.CalibrateBrackets(r.Context(), req)
}
