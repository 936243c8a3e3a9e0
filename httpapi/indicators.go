package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine/indicators"
)

func (s *Server) routesIndicators() {
	s.GET("/indicators", "indicator registry: name, category, subcategory, params [{name,type,default}], doc, needs (limit default 500, offset); ?group=true groups names by category/subcategory", s.indicatorsList)
	s.GET("/indicators/status", "indicator registry status: count and load errors", s.indicatorsStatus)
}

// indicatorList is GET /indicators (count: the rows of this page, total: the registry's size).
type indicatorList struct {
	Indicators []indicators.Meta `json:"indicators"`
	Count      int               `json:"count"`
	PageInfo
}

// indicatorsList answers GET /indicators. The registry is compiled in and
// immutable, so there is nothing to cache; bypass_cache is accepted (and
// validated) for the predecessor's clients. limit (default 500, the whole
// registry) and offset page the list form and are validated like every list
// route's; ?group=true answers every group.
func (s *Server) indicatorsList(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	group := q.Bool("group", false)
	_ = q.Bool("bypass_cache", false)
	page := q.Page(MaxLimit)
	if err := q.Err(); err != nil {
		return nil, err
	}
	if group {
		return map[string]any{"groups": indicators.Groups(), "count": indicators.Count()}, nil
	}
	rows, info := PageOf(indicators.List(), page)
	return indicatorList{Indicators: rows, Count: len(rows), PageInfo: info}, nil
}

// loadError mirrors the predecessor's load_errors items; the Go registry is
// built at compile time, so the list is always empty.
type loadError struct {
	File  string `json:"file"`
	Error string `json:"error"`
	Where string `json:"where"`
}

// indicatorsStatus answers the endpoint map's {ok, status} and keeps the
// predecessor's top-level count and load_errors.
func (s *Server) indicatorsStatus(_ *http.Request, _ httprouter.Params) (any, error) {
	n := indicators.Count()
	status := map[string]any{"ready": n > 0, "count": n, "load_errors": []loadError{}, "source": "built-in registry"}
	return map[string]any{"status": status, "count": n, "load_errors": []loadError{}}, nil
}
