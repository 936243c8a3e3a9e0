// Package httpapi serves the Sigma Lab HTTP API on httprouter.
//
// Handlers have the shape HandlerFunc: they read the request, call the engine and
// return a value or an error; one adapter (respond) writes every response:
//
//   - a value is sent as {"ok":true, …fields of the value…}: maps and structs are
//     merged into the envelope (a value that carries its own "ok" key, e.g. a
//     verdict such as /policy/explain, keeps it); nil gives {"ok":true}; any other
//     value (slice, scalar) is sent as {"ok":true,"data":value};
//   - Accepted{JobID} gives 202 {"ok":true,"job_id":…} (async:true requests);
//   - Status{Code, Body} sends Body with another success status;
//   - Raw{ContentType, Body} sends bytes as they are (metrics, OpenAPI, UI);
//   - an error is mapped to a status and a stable code (see errorStatus) and sent
//     as {"ok":false,"error":msg,"code":code}; *errs.Validation adds "detail".
//
// Floats that are NaN or ±Inf are written as null everywhere.
//
// Each domain owns one file with a method (s *Server) routesX() that registers its
// routes with s.GET/s.POST/…; router.go calls them all from one table.
package httpapi

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

// DefaultMaxBody caps request bodies (SPEC §6); imports stream through their own
// routes with their own limits.
const DefaultMaxBody = 10 << 20

// Options configure a Server.
type Options struct {
	MaxBody int64        // request body cap in bytes (0: DefaultMaxBody)
	Log     *slog.Logger // access and error log (nil: discard)
	Now     func() time.Time
}

// Server is the HTTP API over one Lab.
type Server struct {
	Lab    *engine.Lab
	log    *slog.Logger
	opts   Options
	router *httprouter.Router
	routes []Route
	okType sync.Map  // reflect.Type → bool: does the type carry its own "ok" key
	bufs   sync.Pool // *[]byte response buffers reused by hot read routes (leaderboard)
}

// Route describes one registered route (used by GET / and the OpenAPI document).
type Route struct {
	Method  string
	Path    string
	Summary string
}

// New builds a Server and registers every route.
func New(lab *engine.Lab, opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{Lab: lab, log: opts.Log, opts: opts, router: httprouter.New()}
	s.router.HandleMethodNotAllowed = true
	s.router.HandleOPTIONS = false
	s.router.NotFound = http.HandlerFunc(s.notFound)
	s.router.MethodNotAllowed = http.HandlerFunc(s.methodNotAllowed)
	s.registerAll()
	return s
}

// Handler returns the full middleware chain around the router.
func (s *Server) Handler() http.Handler {
	return s.withRequestID(s.withAccessLog(s.withRecover(s.withBodyLimit(s.router))))
}

// Routes lists the registered routes in registration order.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Handle registers h for method and path. summary is a one-line description
// used by the API index and the OpenAPI document.
func (s *Server) Handle(method, path, summary string, h HandlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Summary: summary})
	s.router.Handle(method, path, s.adapt(h))
}

// HandleHTTP registers a plain http.Handler (UI assets, streaming imports) that
// writes its own response; middleware still applies.
func (s *Server) HandleHTTP(method, path, summary string, h http.Handler) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Summary: summary})
	s.router.Handler(method, path, h)
}

// GET registers a GET route.
func (s *Server) GET(path, summary string, h HandlerFunc) { s.Handle(http.MethodGet, path, summary, h) }

// POST registers a POST route.
func (s *Server) POST(path, summary string, h HandlerFunc) {
	s.Handle(http.MethodPost, path, summary, h)
}

// PUT registers a PUT route.
func (s *Server) PUT(path, summary string, h HandlerFunc) { s.Handle(http.MethodPut, path, summary, h) }

// PATCH registers a PATCH route.
func (s *Server) PATCH(path, summary string, h HandlerFunc) {
	s.Handle(http.MethodPatch, path, summary, h)
}

// DELETE registers a DELETE route.
func (s *Server) DELETE(path, summary string, h HandlerFunc) {
	s.Handle(http.MethodDelete, path, summary, h)
}
