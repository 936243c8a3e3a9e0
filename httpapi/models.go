package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesModels() {
	s.POST("/models", "create a model from its pack's template (409 if it exists); paths {config, policy} are the API URLs of the stored documents", s.createModel)
	s.GET("/models", "list models (?pack_id=, limit/offset); each row's path is the API URL of its config", s.listModels)
	s.GET("/models/:model_id", "one model: config, version, latest policy, paths {config, policy}", s.getModel)
	s.PATCH("/models/:model_id", "merge config into the model config as a JSON merge patch (RFC 7396: objects merge at every depth and keep the siblings of the keys sent, null deletes a key, lists and scalars replace) and store a new version; answers path (API URL of the config) and config", s.patchModel)
}

func (s *Server) createModel(r *http.Request, _ httprouter.Params) (any, error) {
	var req engine.CreateModelRequest
	if err := DecodeJSON(r, &req); err != nil {
		return nil, err
	}
	return s.Lab.CreateModel(r.Context(), req)
}

// modelsPage is GET /models.
type modelsPage struct {
	Models []engine.ModelSummary `json:"models"`
	Count  int                   `json:"count"`
	PageInfo
}

func (s *Server) listModels(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	pack := q.ID("pack_id", "", false)
	page := q.Page(100)
	if err := q.Err(); err != nil {
		return nil, err
	}
	recs, total, err := s.Lab.ListModels(r.Context(), pack, page.Offset, page.Limit)
	if err != nil {
		return nil, err
	}
	rows := engine.Summarize(recs)
	return modelsPage{Models: rows, Count: len(rows), PageInfo: page.Info(len(rows), total)}, nil
}

func (s *Server) getModel(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "model_id")
	if err != nil {
		return nil, err
	}
	rec, err := s.Lab.GetModel(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"model": rec, "model_id": rec.ModelID, "pack_id": rec.PackID, "config": rec.Config,
		"version": rec.Version, "policy": nil, "policy_version": nil, "paths": engine.PathsOf(rec.ModelID, rec.PackID)}
	if pol, err := s.Lab.GetPolicy(r.Context(), id, rec.PackID); err == nil {
		out["policy"], out["policy_version"] = pol.Policy, pol.Version
	}
	return out, nil
}

func (s *Server) patchModel(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "model_id")
	if err != nil {
		return nil, err
	}
	var body PatchModelBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	c := NewCheck("body")
	pack := c.ID("pack_id", body.PackID, false)
	if body.Config == nil {
		c.Fail("config", "Field required", "missing")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	rec, err := s.Lab.PatchModel(r.Context(), id, pack, body.Config)
	if err != nil {
		return nil, err
	}
	return map[string]any{"model_id": rec.ModelID, "pack_id": rec.PackID, "version": rec.Version, "config": rec.Config,
		"path": engine.ModelConfigURL(rec.ModelID, rec.PackID)}, nil
}
