package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

func (s *Server) routesPacks() {
	s.GET("/packs", "built-in packs with their meta (limit, offset)", s.listPacks)
	s.GET("/packs/:pack_id", "one pack: meta, indicator sets, templates, models", s.getPack)
	s.GET("/packs/:pack_id/templates", "a pack's model templates (limit, offset)", s.packTemplates)
	s.GET("/packs/:pack_id/indicator_sets", "a pack's indicator set names (limit, offset)", s.packIndicatorSets)
	s.GET("/model_templates", "model templates of one pack (?pack=) or all (limit, offset)", s.modelTemplates)
}

// packList is GET /packs.
type packList struct {
	Packs []engine.PackSummary `json:"packs"`
	Count int                  `json:"count"`
	PageInfo
}

// templateList is GET /model_templates and GET /packs/{id}/templates.
type templateList struct {
	Templates []engine.TemplateInfo `json:"templates"`
	Count     int                   `json:"count"`
	PageInfo
}

// setList is GET /packs/{id}/indicator_sets.
type setList struct {
	IndicatorSets []engine.NamedItem `json:"indicator_sets"`
	Count         int                `json:"count"`
	PageInfo
}

// PathID validates an id path parameter (422 naming it when malformed).
func PathID(p httprouter.Params, name string) (string, error) {
	c := NewCheck("path")
	id := c.ID(name, p.ByName(name), true)
	return id, c.Err()
}

// PathInt parses a numeric id path parameter (an integer ≥ 1); the 422 names
// the parameter and quotes what the client sent.
func PathInt(p httprouter.Params, name string) (int64, error) { return pathInt(p, name, "id") }

// pathInt is PathInt naming the id what ("build run id") in the message.
func pathInt(p httprouter.Params, name, what string) (int64, error) {
	raw := p.ByName(name)
	id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || id < 1 {
		return 0, &errs.Validation{Fields: []errs.FieldError{{Loc: []string{"path", name},
			Msg: fmt.Sprintf("invalid %s %q: must be an integer >= 1", what, clip(raw)), Type: "int_parsing"}}}
	}
	return id, nil
}

func (s *Server) listPacks(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	page := q.Page(100)
	if err := q.Err(); err != nil {
		return nil, err
	}
	packs, err := s.Lab.ListPacks(r.Context())
	if err != nil {
		return nil, err
	}
	rows, info := PageOf(packs, page)
	return packList{Packs: rows, Count: len(rows), PageInfo: info}, nil
}

func (s *Server) getPack(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "pack_id")
	if err != nil {
		return nil, err
	}
	pack, err := s.Lab.GetPack(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"pack": pack}, nil
}

func (s *Server) packTemplates(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "pack_id")
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	page := q.Page(100)
	if err := q.Err(); err != nil {
		return nil, err
	}
	t, err := s.Lab.PackTemplates(r.Context(), id)
	if err != nil {
		return nil, err
	}
	rows, info := PageOf(t, page)
	return templateList{Templates: rows, Count: len(rows), PageInfo: info}, nil
}

func (s *Server) packIndicatorSets(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "pack_id")
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	page := q.Page(100)
	if err := q.Err(); err != nil {
		return nil, err
	}
	sets, err := s.Lab.PackIndicatorSets(r.Context(), id)
	if err != nil {
		return nil, err
	}
	rows, info := PageOf(sets, page)
	return setList{IndicatorSets: rows, Count: len(rows), PageInfo: info}, nil
}

func (s *Server) modelTemplates(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	pack := q.ID("pack", "", false)
	if pack == "" {
		pack = q.ID("pack_id", "", false)
	}
	page := q.Page(100)
	if err := q.Err(); err != nil {
		return nil, err
	}
	t, err := s.Lab.ModelTemplates(r.Context(), pack)
	if err != nil {
		return nil, err
	}
	if t, err = s.withPublishedTemplates(r, pack, t); err != nil {
		return nil, err
	}
	rows, info := PageOf(t, page)
	return templateList{Templates: rows, Count: len(rows), PageInfo: info}, nil
}
