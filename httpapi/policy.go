package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"
)

func (s *Server) routesPolicy() {
	s.GET("/policy", "latest policy of a model (?model_id=&pack_id=)", s.getPolicy)
	s.PUT("/policy", "validate and store a policy (new version unless bump_version=false); 422 under body.policy", s.putPolicy)
	s.GET("/policy/explain", "policy verdict: schema, effective execution, guard checks, the policy explained (null when none) and notes, its settings in sentences", s.explainPolicy)
	s.GET("/validate_policy", "alias of /policy/explain", s.explainPolicy)
}

func (s *Server) getPolicy(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	model := q.ID("model_id", "", true)
	pack := q.ID("pack_id", "", false)
	if err := q.Err(); err != nil {
		return nil, err
	}
	rec, err := s.Lab.GetPolicy(r.Context(), model, pack)
	if err != nil {
		return nil, err
	}
	return map[string]any{"policy": rec.Policy, "version": rec.Version, "model_id": rec.ModelID,
		"pack_id": rec.PackID, "created_at": rec.CreatedAt}, nil
}

func (s *Server) putPolicy(r *http.Request, _ httprouter.Params) (any, error) {
	var body PutPolicyBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	c := NewCheck("body")
	model := c.ID("model_id", body.ModelID, true)
	pack := c.ID("pack_id", body.PackID, false)
	if body.Policy == nil {
		c.Fail("policy", "Field required", "missing")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	// Omitted (or null) means bump, the documented default; an explicit false
	// updates the latest version in place. (The predecessor treated null as
	// false by accident.)
	bump := body.BumpVersion == nil || *body.BumpVersion
	// An invalid policy is a 422 located under body.policy and is not stored,
	// so a stored version always validates: schema_ok stays in the answer for
	// clients of the draft-saving behaviour and is always true.
	rec, err := s.Lab.PutPolicy(r.Context(), model, pack, body.Policy, bump)
	if err != nil {
		return nil, err
	}
	return map[string]any{"version": rec.Version, "model_id": rec.ModelID, "pack_id": rec.PackID,
		"schema_ok": true, "schema_errors": []string{}}, nil
}

func (s *Server) explainPolicy(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	model := q.ID("model_id", "", true)
	pack := q.ID("pack_id", "", false)
	if err := q.Err(); err != nil {
		return nil, err
	}
	return s.Lab.ExplainPolicy(r.Context(), model, pack)
}
