package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/admin"
	"sigmalab/engine/errs"
)

type managedTemplates struct {
	Templates []admin.Template `json:"templates"`
	Count     int              `json:"count"`
}

func (s *Server) listTemplates(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	pack := q.ID("pack_id", "", false)
	published := q.Bool("published", false)
	if err := q.Err(); err != nil {
		return nil, err
	}
	ts, err := st.ListTemplates(r.Context(), admin.TemplateFilter{PackID: pack, PublishedOnly: published})
	if err != nil {
		return nil, err
	}
	if ts == nil {
		ts = []admin.Template{}
	}
	return managedTemplates{Templates: ts, Count: len(ts)}, nil
}

// findTemplate locates a managed template by id (ids are unique across packs).
func (s *Server) findTemplate(r *http.Request, st admin.Store, id string) (admin.Template, error) {
	ts, err := st.ListTemplates(r.Context(), admin.TemplateFilter{})
	if err != nil {
		return admin.Template{}, err
	}
	for _, t := range ts {
		if t.TemplateID == id {
			return t, nil
		}
	}
	return admin.Template{}, errs.Msgf(errs.ErrNotFound, "template %q not found", id)
}

func (s *Server) createTemplate(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	var body admin.TemplateBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	t := admin.Template{CreatedAt: s.opts.Now().UTC(), CreatedBy: caller(r)}
	if err := body.Apply(&t, true); err != nil {
		return nil, err
	}
	if _, err := s.Lab.Pack(t.PackID); err != nil {
		return nil, errs.Field("body", "pack_id", "unknown pack "+`"`+t.PackID+`"`)
	}
	if _, err := s.findTemplate(r, st, t.TemplateID); err == nil {
		return nil, errs.Msgf(errs.ErrConflict, "template %q already exists", t.TemplateID)
	}
	if err := st.PutTemplate(r.Context(), &t, true); err != nil {
		return nil, err
	}
	return Status{Code: http.StatusCreated, Body: map[string]any{"template": t}}, nil
}

func (s *Server) templateVersions(r *http.Request, p httprouter.Params) (any, error) {
	st, id, err := s.adminTarget(p, "template_id")
	if err != nil {
		return nil, err
	}
	t, err := s.findTemplate(r, st, id)
	if err != nil {
		return nil, err
	}
	vs, err := st.TemplateVersions(r.Context(), t.PackID, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"template": t, "versions": vs}, nil
}

func (s *Server) patchTemplate(r *http.Request, p httprouter.Params) (any, error) {
	st, id, err := s.adminTarget(p, "template_id")
	if err != nil {
		return nil, err
	}
	var body admin.TemplateBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	var probe admin.Template
	if err := body.Apply(&probe, false); err != nil {
		return nil, err
	}
	t, err := s.findTemplate(r, st, id)
	if err != nil {
		return nil, err
	}
	_ = body.Apply(&t, false)
	t.CreatedAt, t.CreatedBy = s.opts.Now().UTC(), caller(r)
	if err := st.PutTemplate(r.Context(), &t, false); err != nil {
		return nil, err
	}
	return map[string]any{"template": t}, nil
}

func (s *Server) publishTemplate(r *http.Request, p httprouter.Params) (any, error) {
	st, id, err := s.adminTarget(p, "template_id")
	if err != nil {
		return nil, err
	}
	t, err := s.findTemplate(r, st, id)
	if err != nil {
		return nil, err
	}
	t, err = st.PublishTemplate(r.Context(), t.PackID, id, s.opts.Now(), caller(r))
	if err != nil {
		return nil, err
	}
	return map[string]any{"template": t}, nil
}

// withPublishedTemplates appends the published admin-managed templates (of
// pack, or all) to the built-in ones of GET /model_templates.
func (s *Server) withPublishedTemplates(r *http.Request, pack string, t []engine.TemplateInfo) ([]engine.TemplateInfo, error) {
	if s.auth == nil || s.auth.opts.Store == nil {
		return t, nil
	}
	pub, err := s.auth.opts.Store.ListTemplates(r.Context(), admin.TemplateFilter{PackID: pack, PublishedOnly: true})
	if err != nil {
		return nil, err
	}
	for _, m := range pub {
		v := m.Version
		t = append(t, engine.TemplateInfo{TemplateID: m.TemplateID, Name: m.Name, Pack: m.PackID, Horizon: m.Horizon,
			Cadence: m.Cadence, TemplateVersion: &v})
	}
	return t, nil
}
