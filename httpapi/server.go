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

	// Addr is the configured listen address (host:port). Host headers must name
	// the address a request came in on (its IP, localhost or a loopback IP with
	// its port), this address, or one of AllowedHosts (see safety.go).
	Addr string
	// AllowedHosts are further accepted Host header values: "name" (any port)
	// or "name:port", e.g. the name a proxy or another machine uses.
	AllowedHosts []string
	// CORSOrigins are origins ("scheme://host[:port]") besides the server's own
	// that may send state-changing requests; they get CORS answers.
	CORSOrigins []string
	// Limits are the timeouts, connection cap and heavy-work wait; zero fields
	// take DefaultLimits.
	Limits Limits
	// DBPath is the database file, whose size GET /metrics reports ("": not reported).
	DBPath string
	// Auth configures users, roles, quotas, flags and rate limits (auth.go).
	Auth AuthOptions
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

	crossOrigin *http.CrossOriginProtection
	corsOrigins map[string]bool
	hosts       hostRules

	metrics  *metrics           // GET /metrics registry and request counters (metrics.go)
	patterns *httprouter.Router // route patterns by method+path, for metric labels
	openapi  openapiCache       // GET /openapi.json, encoded once (openapi.go)
	auth     *authState
}

// Route describes one registered route (used by GET / and the OpenAPI document).
type Route struct {
	Method  string
	Path    string
	Summary string
}

// New builds a Server and registers every route.
func New(lab *engine.Lab, opts Options) *Server {
	s := newServer(lab, opts)
	s.registerAll()
	return s
}

// newServer builds a Server without routes.
func newServer(lab *engine.Lab, opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Limits = opts.Limits.withDefaults()
	s := &Server{Lab: lab, log: opts.Log, opts: opts, router: httprouter.New()}
	s.router.HandleMethodNotAllowed = true
	// OPTIONS answers 204 with the Allow header the router computes (CORS
	// preflights are answered before routing, in withCORS).
	s.router.HandleOPTIONS = true
	s.router.GlobalOPTIONS = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	// No redirects: /models/ or //models answer a JSON 404 naming the route,
	// not a 301 with an HTML body.
	s.router.RedirectTrailingSlash = false
	s.router.RedirectFixedPath = false
	s.router.NotFound = http.HandlerFunc(s.notFound)
	s.router.MethodNotAllowed = http.HandlerFunc(s.methodNotAllowed)
	s.initSafety()
	s.initAuth()
	return s
}

// Handler returns the full middleware chain around the router. Order matters:
// every answer (refusals included) gets a request id, an access-log line, a
// write deadline once it starts, and the JSON envelope; the loopback-safety
// checks run before anything reads the body; heavy work waits for a slot last.
func (s *Server) Handler() http.Handler {
	h := s.withHeavySlot(s.router)
	h = s.withBodyLimit(h)
	h = s.withContentType(h)
	h = s.withAuth(h)
	h = s.withAudit(h)
	h = s.withCORS(h)
	h = s.withCrossOrigin(h)
	h = s.withHost(h)
	h = s.withURLCheck(h)
	h = s.withGzip(h)
	h = s.withMetrics(h)
	return s.withWriteDeadline(s.withRequestID(s.withAccessLog(s.withRecover(h))))
}

// Handle registers h for method and path. summary is a one-line description
// used by the API index and the OpenAPI document. A GET route also answers
// HEAD (the same status and headers, no body).
func (s *Server) Handle(method, path, summary string, h HandlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Summary: summary})
	s.capturePattern(method, path)
	handle := s.adapt(h)
	s.router.Handle(method, path, handle)
	if method == http.MethodGet {
		s.capturePattern(http.MethodHead, path)
		s.router.Handle(http.MethodHead, path, func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
			handle(headWriter{w}, r, p)
		})
	}
}

// headWriter answers HEAD with a GET handler: headers and status go out, body
// bytes are dropped (net/http would drop them too; this keeps recorders and
// Content-Length honest).
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) { return len(b), nil }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
