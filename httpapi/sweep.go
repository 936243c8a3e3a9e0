package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesSweep() {
	s.POST("/backtest_sweep", "sweep trading parameters over cached OOF predictions; guardrails, ranking, report (async:true → job). "+
		"Repeated variants are collapsed (duplicates_dropped); at most the Lab's cell cap (default 10,000) cells, else 422 naming the variant fields; "+
		"splits 2..50 (absent: 5); start/end are not supported (422: every out-of-fold row of the build is evaluated, choose rows with build_id); "+
		"a sweep whose every cell failed is failed and answers the cells' error; a 4xx leaves no sweep row", s.backtestSweep)
	s.GET("/sweeps", "list sweeps (pack_id, model_id, tag, status, limit, offset), newest first", s.listSweeps)
	s.GET("/sweeps/:sweep_id", "one sweep and every cell result", s.getSweep)
}

func (s *Server) backtestSweep(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.SweepRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	req, _, _, err := s.Lab.NormalizeSweep(req)
	if err != nil {
		return nil, err
	}
	req.Owner = UserFrom(r.Context())
	if req.Async {
		return s.SubmitJob(r, engine.SweepJobKind, req)
	}
	work := s.Lab.TrainingWork(r.Context(), req.ModelID, req.PackID, req.BuildID, req.Splits, req.Hyperparams)
	if why, long := s.Lab.SyncTooLong(work); long {
		return s.submitLong(r, engine.SweepJobKind, req, why)
	}
	return s.Lab.Sweep(r.Context(), req, engine.SweepOptions{})
}

type sweepList struct {
	Rows []engine.SweepRecord `json:"rows"`
	PageInfo
}

func (s *Server) listSweeps(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	page := q.Page(20)
	f := engine.SweepFilter{
		PackID:  q.ID("pack_id", "", false),
		ModelID: q.ID("model_id", "", false),
		Tag:     q.String("tag", ""),
		Status: q.Enum("status", "", engine.SweepRunning, engine.SweepCompleted, engine.SweepFailed,
			engine.SweepCancelled, engine.SweepInterrupted),
		Limit: page.Limit, Offset: page.Offset,
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	rows, total, err := s.Lab.ListSweeps(r.Context(), f)
	if err != nil {
		return nil, err
	}
	return sweepList{Rows: rows, PageInfo: page.Info(len(rows), total)}, nil
}

type sweepDetail struct {
	Sweep   engine.SweepRecord   `json:"sweep"`
	Results []engine.SweepResult `json:"results"`
}

func (s *Server) getSweep(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathInt(p, "sweep_id")
	if err != nil {
		return nil, err
	}
	rec, rows, err := s.Lab.GetSweep(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return sweepDetail{Sweep: rec, Results: rows}, nil
}
