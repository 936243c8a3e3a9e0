package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

// routesCalibrate registers the calibration routes; routesBacktest calls it so
// the route order stays as it was.
func (s *Server) routesCalibrate() {
	s.POST("/calibrate_thresholds", "score threshold whose pass count is nearest top_n, on the model's stored matrix", s.calibrateThresholds)
	s.POST("/calibrate_brackets", "ATR stop/target multipliers nearest the desired reward:risk, and a time stop", s.calibrateBrackets)
}

type calibrateThresholdsBody struct {
	ModelID string    `json:"model_id"`
	PackID  string    `json:"pack_id"`
	BuildID string    `json:"build_id"`
	CSV     string    `json:"csv"`
	Metric  string    `json:"metric"`
	Column  string    `json:"column"`
	Grid    FloatList `json:"grid"`
	TopN    *int      `json:"top_n"`
}

func (s *Server) calibrateThresholds(r *http.Request, _ httprouter.Params) (any, error) {
	var b calibrateThresholdsBody
	if err := DecodeJSON(r, &b); err != nil {
		return nil, err
	}
	req := engine.CalibrateThresholdsRequest{ModelID: b.ModelID, PackID: b.PackID, BuildID: b.BuildID, CSV: b.CSV,
		Metric: b.Metric, Column: b.Column, Grid: b.Grid}
	if b.TopN != nil {
		req.TopN = *b.TopN
	}
	return s.Lab.CalibrateThresholds(r.Context(), req)
}

type calibrateBracketsBody struct {
	ModelID            string    `json:"model_id"`
	PackID             string    `json:"pack_id"`
	DesiredRR          *float64  `json:"desired_rr"`
	KStopGrid          FloatList `json:"k_stop_grid"`
	KTargetGrid        FloatList `json:"k_target_grid"`
	TimeStopCandidates FloatList `json:"time_stop_candidates"`
}

func (s *Server) calibrateBrackets(r *http.Request, _ httprouter.Params) (any, error) {
	var b calibrateBracketsBody
	if err := DecodeJSON(r, &b); err != nil {
		return nil, err
	}
	req := engine.CalibrateBracketsRequest{ModelID: b.ModelID, PackID: b.PackID, KStopGrid: b.KStopGrid,
		KTargetGrid: b.KTargetGrid, TimeStopCandidates: b.TimeStopCandidates}
	if b.DesiredRR != nil {
		req.DesiredRR = *b.DesiredRR
	}
	return s.Lab.CalibrateBrackets(r.Context(), req)
}
