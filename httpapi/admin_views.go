package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine/admin"
)

// packUsage is one pack in the admin view.
type packUsage struct {
	ID            string         `json:"id"`
	Meta          map[string]any `json:"meta"`
	Models        int            `json:"models"`         // stored models of the pack
	Templates     int            `json:"templates"`      // built-in model templates
	IndicatorSets int            `json:"indicator_sets"` // built-in indicator sets
	Managed       int            `json:"managed_templates"`
}

// maxScanModels bounds the models read to count usage.
const maxScanModels = 100000

func (s *Server) adminPacks(r *http.Request, _ httprouter.Params) (any, error) {
	ctx := r.Context()
	packs, err := s.Lab.ListPacks(ctx)
	if err != nil {
		return nil, err
	}
	var managed []admin.Template
	if s.auth.opts.Store != nil {
		if managed, err = s.auth.opts.Store.ListTemplates(ctx, admin.TemplateFilter{}); err != nil {
			return nil, err
		}
	}
	out := make([]packUsage, 0, len(packs))
	for _, p := range packs {
		u := packUsage{ID: p.ID, Meta: p.Meta}
		if pk, err := s.Lab.Pack(p.ID); err == nil {
			u.Templates, u.IndicatorSets = len(pk.Templates), len(pk.IndicatorSets)
		}
		if _, total, err := s.Lab.ListModels(ctx, p.ID, 0, 1); err == nil {
			u.Models = total
		}
		for _, t := range managed {
			if t.PackID == p.ID {
				u.Managed++
			}
		}
		out = append(out, u)
	}
	return map[string]any{"packs": out, "count": len(out)}, nil
}

// setUsage is one indicator set in the admin view.
type setUsage struct {
	PackID     string `json:"pack_id"`
	Name       string `json:"name"`
	Indicators int    `json:"indicators"`
	UsedBy     int    `json:"used_by"` // stored models naming it
}

func (s *Server) adminIndicatorSets(r *http.Request, _ httprouter.Params) (any, error) {
	ctx := r.Context()
	q := NewQuery(r)
	pack := q.ID("pack", "", false)
	if err := q.Err(); err != nil {
		return nil, err
	}
	packs, err := s.Lab.ListPacks(ctx)
	if err != nil {
		return nil, err
	}
	out := []setUsage{}
	for _, p := range packs {
		if pack != "" && p.ID != pack {
			continue
		}
		pk, err := s.Lab.Pack(p.ID)
		if err != nil {
			return nil, err
		}
		used := map[string]int{}
		models, _, err := s.Lab.ListModels(ctx, p.ID, 0, maxScanModels)
		if err != nil {
			return nil, err
		}
		for _, m := range models {
			used[modelIndicatorSet(m.Config)]++
		}
		for name, doc := range pk.IndicatorSets {
			n := 0
			if inds, ok := doc["indicators"].([]any); ok {
				n = len(inds)
			}
			out = append(out, setUsage{PackID: p.ID, Name: name, Indicators: n, UsedBy: used[name]})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PackID != out[j].PackID {
			return out[i].PackID < out[j].PackID
		}
		return out[i].Name < out[j].Name
	})
	return map[string]any{"indicator_sets": out, "count": len(out)}, nil
}

// modelIndicatorSet is the set a stored model config names (indicator_set_name,
// else indicator_set, else features.indicator_set).
func modelIndicatorSet(cfg map[string]any) string {
	for _, k := range []string{"indicator_set_name", "indicator_set"} {
		if v, ok := cfg[k].(string); ok && v != "" {
			return v
		}
	}
	if f, ok := cfg["features"].(map[string]any); ok {
		if v, ok := f["indicator_set"].(string); ok {
			return v
		}
	}
	return ""
}

func (s *Server) adminHealth(r *http.Request, _ httprouter.Params) (any, error) {
	out := map[string]any{"version": s.Lab.Version}
	rep := s.Lab.Health(r.Context())
	out["checks"], out["errors"], out["healthy"] = rep.Checks, rep.Errors, rep.OK
	if s.auth.opts.Storage != nil {
		out["storage"] = s.auth.opts.Storage()
	}
	if s.Lab.Jobs != nil {
		st := s.Lab.Jobs.Stats()
		depth := 0
		for _, n := range st.Queued {
			depth += n
		}
		out["jobs"] = map[string]any{"queue_depth": depth, "queued": st.Queued, "running": st.Running, "waiting": st.Waiting}
	}
	// index_dir is the Bleve index directory check; cards the model-card index.
	out["index"] = map[string]any{"dir_ok": rep.Checks["index_dir"], "cards": s.Lab.CardIndex != nil}
	return out, nil
}

func (s *Server) adminAudit(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	f, page := auditFilter(q, 50)
	// ?user= (present, even empty: anonymous rows) narrows to one user.
	if vs, ok := q.Vals["user"]; ok && len(vs) > 0 {
		f.User = strings.TrimSpace(vs[0])
	} else {
		f.AnyUser = true
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	return s.listAudit(r, f, page)
}
