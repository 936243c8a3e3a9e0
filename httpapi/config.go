package httpapi

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

func (s *Server) routesConfig() {
	s.GET("/model_config", "a model's config (?model_id=&pack_id=)", s.getModelConfig)
	s.PUT("/model_config", "replace a model's config (new version)", s.putModelConfig)
	s.GET("/indicator_set", "latest indicator set by model_id or name (?pack_id=)", s.getIndicatorSet)
	s.PUT("/indicator_set", "store a validated indicator set (new version)", s.putIndicatorSet)
}

func (s *Server) getModelConfig(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	model := q.ID("model_id", "", true)
	pack := q.ID("pack_id", "", false)
	if err := q.Err(); err != nil {
		return nil, err
	}
	rec, err := s.Lab.GetModelConfig(r.Context(), model, pack)
	if err != nil {
		return nil, err
	}
	return map[string]any{"config": rec.Config, "model_id": rec.ModelID, "pack_id": rec.PackID,
		"version": rec.Version, "updated_at": rec.UpdatedAt}, nil
}

func (s *Server) putModelConfig(r *http.Request, _ httprouter.Params) (any, error) {
	var body PutModelConfigBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	c := NewCheck("body")
	pack := c.ID("pack_id", body.PackID, true)
	model := c.ID("model_id", body.ModelID, true)
	if body.Config == nil {
		c.Fail("config", "Field required", "missing")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	rec, err := s.Lab.PutModelConfig(r.Context(), pack, model, body.Config)
	if err != nil {
		return nil, err
	}
	return map[string]any{"model_id": rec.ModelID, "pack_id": rec.PackID, "version": rec.Version}, nil
}

func (s *Server) getIndicatorSet(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	pack := q.ID("pack_id", "", true)
	model := q.ID("model_id", "", false)
	name := q.ID("name", "", false)
	if model == "" && name == "" && q.Err() == nil {
		q.C.Fail("model_id", "provide model_id or name", "missing")
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	rec, err := s.Lab.GetIndicatorSet(r.Context(), pack, model, name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"data": rec.Data, "version": rec.Version, "scope": rec.Scope, "pack_id": rec.PackID}, nil
}

func (s *Server) putIndicatorSet(r *http.Request, _ httprouter.Params) (any, error) {
	var body PutIndicatorSetBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	c := NewCheck("body")
	pack := c.ID("pack_id", body.PackID, true)
	scope := c.Enum("scope", strings.ToLower(strings.TrimSpace(body.Scope)), "", engine.ScopePack, engine.ScopeModel)
	if scope == "" {
		c.Fail("scope", "Field required", "missing")
	}
	key := ""
	switch scope {
	case engine.ScopeModel:
		key = c.ID("model_id", body.ModelID, true)
	case engine.ScopePack:
		key = c.ID("name", body.Name, true)
	}
	if body.Data == nil {
		c.Fail("data", "Field required", "missing")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	rec, err := s.Lab.PutIndicatorSet(r.Context(), engine.IndicatorSetRecord{PackID: pack, Scope: scope, Key: key, Data: body.Data})
	if err != nil {
		return nil, err
	}
	return map[string]any{"version": rec.Version, "scope": rec.Scope, "pack_id": rec.PackID}, nil
}
