package httpapi

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Safe loopback mode. Without authentication the API trusts whoever can reach
// it, so reaching it must mean "a program on this machine", not "any web page
// open in a browser here". Four checks run before routing:
//
//   - Host: the Host header must name the address the server listens on
//     (127.0.0.1:PORT, localhost:PORT, [::1]:PORT, the interface address a
//     request came in on, the configured address) or an allowed host. A
//     DNS-rebinding page reaches 127.0.0.1 under its own name and is refused.
//   - Origin: state-changing methods (anything but GET, HEAD, OPTIONS) are
//     refused when the browser says they come from another origin (Origin not
//     our own, or Sec-Fetch-Site cross-site/same-site) unless that origin is a
//     configured CORS origin. This is net/http's CrossOriginProtection: it
//     implements exactly this rule with the browser headers that make it
//     reliable, and takes the trusted origins as they are configured.
//   - Content-Type: request bodies on JSON routes must be application/json, so a
//     plain HTML form (text/plain, urlencoded, multipart) cannot post to them;
//     upload routes list the types they stream.
//   - CORS: configured origins get Access-Control-Allow-* answers, preflights
//     included; nobody else gets CORS headers, so their pages cannot read ours.

// uploadTypes lists, per route, the body types it takes besides JSON: what
// its handler reads (data.go: multipart form uploads). A route that comes to
// stream raw files (text/csv, Parquet) adds their types here.
var uploadTypes = map[string]map[string]bool{
	"/data/import":     {"multipart/form-data": true},
	"/signals/import":  {"text/csv": true},
	"/matrices/import": {"text/csv": true},
}

// corsAllowHeaders are the request headers a trusted origin may send.
const corsAllowHeaders = "Content-Type, X-Request-ID, Authorization"

// corsExposeHeaders are the response headers a trusted origin's page may read.
const corsExposeHeaders = "X-Request-ID, Retry-After"

// corsMaxAge is how long (seconds) a browser may cache a preflight answer.
const corsMaxAge = "600"

// hostRules are the Host header values accepted besides the listen address.
type hostRules struct {
	names     map[string]bool // host names accepted with any port
	exact     map[string]bool // "host:port" accepted as is
	addrHost  string          // configured listen address: host ("" for all interfaces)
	addrPort  string          // and port ("" when no address is configured)
	addrGiven bool
}

func newHostRules(addr string, allowed []string) hostRules {
	hr := hostRules{names: map[string]bool{}, exact: map[string]bool{}}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" {
			continue
		}
		if h, p, err := net.SplitHostPort(a); err == nil {
			hr.exact[net.JoinHostPort(h, p)] = true
		} else {
			hr.names[strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")] = true
		}
	}
	if h, p, err := net.SplitHostPort(strings.ToLower(addr)); err == nil {
		hr.addrHost, hr.addrPort, hr.addrGiven = h, p, true
	}
	return hr
}

// CheckAllowedHosts validates --allowed-hosts entries: "name" or "name:port",
// without scheme or path.
func CheckAllowedHosts(hosts []string) error {
	for _, h := range hosts {
		if h = strings.TrimSpace(h); h == "" || strings.ContainsAny(h, "/ \t@?#") {
			return fmt.Errorf("allowed host %q: want name or name:port", h)
		}
	}
	return nil
}

// CheckCORSOrigins validates --cors-origins entries: "scheme://host[:port]".
func CheckCORSOrigins(origins []string) error {
	c := http.NewCrossOriginProtection()
	for _, o := range origins {
		if err := c.AddTrustedOrigin(strings.TrimSpace(o)); err != nil {
			return fmt.Errorf("CORS origin %q: want scheme://host[:port]: %w", o, err)
		}
	}
	return nil
}

func (s *Server) initSafety() {
	s.hosts = newHostRules(s.opts.Addr, s.opts.AllowedHosts)
	s.corsOrigins = map[string]bool{}
	s.crossOrigin = http.NewCrossOriginProtection()
	for _, o := range s.opts.CORSOrigins {
		o = strings.TrimSpace(o)
		if err := s.crossOrigin.AddTrustedOrigin(o); err != nil {
			s.log.Warn("ignoring malformed CORS origin", "origin", o, "err", err)
			continue
		}
		s.corsOrigins[o] = true
	}
	s.crossOrigin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from := r.Header.Get("Origin")
		if from == "" {
			from = "a " + r.Header.Get("Sec-Fetch-Site") + " page"
		}
		s.writeError(w, r, &Error{Status: http.StatusForbidden, Code: "cross_origin",
			Message: fmt.Sprintf("cross-origin %s refused: %s may not change state on this server (trusted origins: --cors-origins)", r.Method, from)})
	}))
}

// hostAllowed reports whether r's Host header names this server.
func (s *Server) hostAllowed(r *http.Request) bool {
	host, port := strings.ToLower(r.Host), ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if host == "" {
		return false
	}
	if s.hosts.names[host] || (port != "" && s.hosts.exact[net.JoinHostPort(host, port)]) {
		return true
	}
	if port == "" {
		port = "80"
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local != nil {
		if lh, lp, err := net.SplitHostPort(local.String()); err == nil && port == lp &&
			(loopback || (ip != nil && ip.Equal(net.ParseIP(lh)))) {
			return true
		}
	}
	if s.hosts.addrGiven && port == s.hosts.addrPort && (loopback || host == s.hosts.addrHost) {
		return true
	}
	// A request handed to the handler in process (no connection, no address
	// configured) can only name a loopback host.
	return local == nil && !s.hosts.addrGiven && loopback
}

// withURLCheck refuses, as JSON, URLs the router would misread: an encoded
// slash (%2F) that the decoded path turns into a separator, and query strings
// with bad escapes that url.Query would silently drop.
func (s *Server) withURLCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(strings.ToLower(r.URL.RawPath), "%2f") {
			s.writeError(w, r, &Error{Status: http.StatusBadRequest, Code: "bad_path",
				Message: "encoded slash (%2F) in the path: path segments cannot contain '/'"})
			return
		}
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			s.writeError(w, r, &Error{Status: http.StatusBadRequest, Code: "bad_query",
				Message: "malformed query string: " + err.Error()})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withHost refuses requests whose Host header does not name this server.
func (s *Server) withHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r) {
			s.writeError(w, r, &Error{Status: http.StatusForbidden, Code: "bad_host",
				Message: fmt.Sprintf("host %q does not name this server; add it with --allowed-hosts if it should", r.Host)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withCrossOrigin refuses state-changing requests from other origins (see the
// comment at the top of this file).
func (s *Server) withCrossOrigin(next http.Handler) http.Handler {
	return s.crossOrigin.Handler(next)
}

// sameOrigin reports whether origin names the host the request was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// withCORS adds CORS headers for trusted origins and answers their preflights.
func (s *Server) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if len(s.corsOrigins) > 0 {
			h.Add("Vary", "Origin") // answers differ by origin, with or without one
		}
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		trusted := s.corsOrigins[origin]
		if trusted {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		// A preflight.
		if !trusted && !sameOrigin(origin, r) {
			s.writeError(w, r, &Error{Status: http.StatusForbidden, Code: "cross_origin",
				Message: fmt.Sprintf("origin %s is not allowed (trusted origins: --cors-origins)", origin)})
			return
		}
		methods := s.allowedMethods(r.URL.Path)
		if len(methods) == 0 {
			next.ServeHTTP(w, r) // the router's JSON 404
			return
		}
		h.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
	})
}

// allowedMethods lists the methods path answers, OPTIONS included (none when
// no route matches).
func (s *Server) allowedMethods(path string) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if h, _, _ := s.router.Lookup(m, path); h != nil {
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		out = append(out, http.MethodOptions)
	}
	return out
}

// withContentType refuses request bodies that are not JSON on JSON routes
// (upload routes also take their listed types). Body-less requests need no
// type; a type that is present must fit even without a body, since a plain
// HTML form always sends one.
func (s *Server) withContentType(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			next.ServeHTTP(w, r)
			return
		}
		ct := r.Header.Get("Content-Type")
		if ct == "" && r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil && (mt == "application/json" || uploadTypes[r.URL.Path][mt]) {
			next.ServeHTTP(w, r)
			return
		}
		got := ct
		if got == "" {
			got = "none"
		}
		s.writeError(w, r, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: fmt.Sprintf("request body must be sent with Content-Type: application/json (got %s)", got)})
	})
}
