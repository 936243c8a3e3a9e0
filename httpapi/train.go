package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesTrain() {
	s.POST("/train", "train the model's GBDT on its latest (or build_id) matrix; metrics on a time-ordered holdout; stores run, model artifact and card (async:true → job)", s.train)
	s.GET("/training_runs", "list trainings (pack_id, model_id, tag, status, start, end, limit, offset), newest first",
		listRuns(s, (*engine.Lab).ListTrainingRuns, engine.TrainRunning, engine.TrainCompleted, engine.TrainFailed, engine.TrainInterrupted))
	s.GET("/training_runs/:id", "one training run with its metrics", getRun(s, (*engine.Lab).GetTrainingRun, "training run"))
	s.GET("/artifacts/:id", "download a stored artifact (model .json.zst, card .json) by id", s.getArtifact)
}

func (s *Server) train(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.TrainRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	req.Owner = UserFrom(r.Context())
	req, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	if req.Async {
		return s.SubmitJob(r, engine.TrainJobKind, req)
	}
	return s.Lab.Train(r.Context(), req)
}

func (s *Server) getArtifact(r *http.Request, p httprouter.Params) (any, error) {
	a, b, err := s.Lab.GetArtifact(r.Context(), p.ByName("id"))
	if err != nil {
		return nil, err
	}
	return artifactDownload(a, b), nil
}
