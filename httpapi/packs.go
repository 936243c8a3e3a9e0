package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"
)

func (s *Server) routesPacks() {
	s.GET("/packs", "built-in packs with their meta", s.listPacks)
	s.GET("/packs/:pack_id", "one pack: meta, indicator sets, templates, models", s.getPack)
	s.GET("/packs/:pack_id/templates", "a pack's model templates", s.packTemplates)
	s.GET("/packs/:pack_id/indicator_sets", "a pack's indicator set names", s.packIndicatorSets)
	s.GET("/model_templates", "model templates of one pack (?pack=) or all", s.modelTemplates)
}

// PathID validates an id path parameter (422 naming it when malformed).
func PathID(p httprouter.Params, name string) (string, error) {
	c := NewCheck("path")
	id := c.ID(name, p.ByName(name), true)
	return id, c.Err()
}

func (s *Server) listPacks(r *http.Request, _ httprouter.Params) (any, error) {
	packs, err := s.Lab.ListPacks(r.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"packs": packs, "count": len(packs)}, nil
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
	t, err := s.Lab.PackTemplates(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"templates": t}, nil
}

func (s *Server) packIndicatorSets(r *http.Request, p httprouter.Params) (any, error) {
	id, err := PathID(p, "pack_id")
	if err != nil {
		return nil, err
	}
	sets, err := s.Lab.PackIndicatorSets(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"indicator_sets": sets}, nil
}

func (s *Server) modelTemplates(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	pack := q.ID("pack", "", false)
	if pack == "" {
		pack = q.ID("pack_id", "", false)
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	t, err := s.Lab.ModelTemplates(r.Context(), pack)
	if err != nil {
		return nil, err
	}
	return map[string]any{"templates": t}, nil
}
