package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"
)

func (s *Server) routesHealth() {
	s.GET("/", "API index: name, version and every route", s.index)
	s.GET("/health", "liveness: always ok", s.health)
	s.GET("/healthz", "readiness: database, data dirs and other registered checks", s.healthz)
}

// legacyEndpoints is the predecessor's GET / list, kept for its clients; the
// index lists those of them that are registered, so it never names a 404.
var legacyEndpoints = []string{"/health", "/models", "/model_detail", "/build_matrix", "/train", "/backtest",
	"/build_stock_matrix", "/preview_matrix", "/indicator_sets", "/validate_policy", "/leaderboard",
	"/calibrate_thresholds", "/scan", "/signals"}

type routeInfo struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Summary string `json:"summary,omitempty"`
}

func (s *Server) index(_ *http.Request, _ httprouter.Params) (any, error) {
	routes := make([]routeInfo, 0, len(s.routes))
	registered := make(map[string]bool, len(s.routes))
	for _, rt := range s.routes {
		routes = append(routes, routeInfo(rt))
		registered[rt.Path] = true
	}
	endpoints := make([]string, 0, len(legacyEndpoints))
	for _, e := range legacyEndpoints {
		if registered[e] {
			endpoints = append(endpoints, e)
		}
	}
	return map[string]any{
		"name":      "Sigmatiq Sigma API",
		"version":   s.Lab.Version,
		"endpoints": endpoints,
		"routes":    routes,
	}, nil
}

func (s *Server) health(_ *http.Request, _ httprouter.Params) (any, error) {
	return map[string]any{"version": s.Lab.Version}, nil
}

// healthz answers 200 with ok = the verdict (SPEC §6 diagnostic endpoints).
func (s *Server) healthz(r *http.Request, _ httprouter.Params) (any, error) {
	return s.Lab.Health(r.Context()), nil
}
