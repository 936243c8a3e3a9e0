package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"sigmalab/engine/admin"
	"sigmalab/engine/errs"
)

// AuthOptions configure authentication, roles, quotas and rate limits.
type AuthOptions struct {
	// Store holds users, tokens, quotas, flags, … (nil: only AdminToken
	// authenticates, admin routes that need the store answer 503).
	Store admin.Store
	// Required protects every route by role (--auth=required). Otherwise
	// non-admin routes are open to anonymous callers (loopback use) and admin
	// routes still need an admin credential.
	Required bool
	// AdminToken is a built-in admin credential (env ADMIN_TOKEN); only its
	// hash is kept.
	AdminToken string
	// RateLimitPerMin, when > 0, limits requests per token (or per client
	// address without one) to this many a minute (RATELIMIT_PER_MIN).
	RateLimitPerMin int
	// Rand is the token randomness (nil: crypto/rand).
	Rand io.Reader
	// Storage reports the database size and free disk space for GET
	// /admin/health (nil: not reported).
	Storage func() StorageStats
}

// StorageStats are the storage figures of the admin health view.
type StorageStats struct {
	DBBytes       int64   `json:"db_bytes"`
	DiskFreeBytes *uint64 `json:"disk_free_bytes"` // null where unknown
}

// authState is the server's live auth configuration.
type authState struct {
	opts      AuthOptions
	adminHash string
	limiter   *rateLimiter

	mu       sync.Mutex
	inflight map[string]int // user|kind → synchronous quota-counted requests running
}

func (s *Server) initAuth() {
	a := &authState{opts: s.opts.Auth, inflight: map[string]int{}}
	if a.opts.AdminToken != "" {
		a.adminHash = admin.HashToken(a.opts.AdminToken)
		a.opts.AdminToken = "" // the clear value is not kept
	}
	if a.opts.Rand == nil {
		a.opts.Rand = rand.Reader
	}
	if a.opts.RateLimitPerMin > 0 {
		a.limiter = newRateLimiter(a.opts.RateLimitPerMin)
	}
	s.auth = a
}

// Caller is the authenticated identity of a request.
type Caller struct {
	User string
	Role admin.Role
}

type callerKey struct{}

// CallerFrom returns the request's caller; ok is false for anonymous requests.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// isAdmin reports whether the request's caller has the admin role.
func isAdmin(ctx context.Context) bool {
	c, ok := CallerFrom(ctx)
	return ok && c.Role == admin.AdminRole
}

// adminPaths are the bare paths of admin routes (the endpoint map lists them
// without the /admin prefix); /jobs, /packs, /health and /audit keep their
// non-admin meaning.
var adminPaths = []string{"/quotas", "/risk-profiles", "/indicator_sets", "/templates", "/flags", "/users"}

// needRole is the role a request needs; "" means open to everyone (liveness).
func needRole(r *http.Request) admin.Role {
	p := r.URL.Path
	if p == "/admin" || strings.HasPrefix(p, "/admin/") {
		return admin.AdminRole
	}
	for _, ap := range adminPaths {
		if p == ap || strings.HasPrefix(p, ap+"/") {
			return admin.AdminRole
		}
	}
	if p == "/healthz" {
		return ""
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return admin.Viewer
	}
	return admin.Researcher
}

// credentials are the tokens a request presents: X-Admin-Token and/or
// Authorization: Bearer. bad is set for an Authorization header of another scheme.
type credentials struct {
	tokens []string
	bad    bool
}

func (c credentials) none() bool { return len(c.tokens) == 0 && !c.bad }

func readCredentials(r *http.Request) credentials {
	var c credentials
	if t := strings.TrimSpace(r.Header.Get("X-Admin-Token")); t != "" {
		c.tokens = append(c.tokens, t)
	}
	if h := strings.TrimSpace(r.Header.Get("Authorization")); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") && strings.TrimSpace(h[7:]) != "" {
			c.tokens = append(c.tokens, strings.TrimSpace(h[7:]))
		} else {
			c.bad = true
		}
	}
	return c
}

// authError is a 401 or 403 with a stable code.
func authError(status int, msg string) error {
	code := "forbidden"
	kind := errs.ErrForbidden
	if status == http.StatusUnauthorized {
		code, kind = "unauthorized", errs.ErrUnauthorized
	}
	return &Error{Status: status, Code: code, Message: msg, Err: kind}
}

// authenticate resolves credentials to a caller. A wrong X-Admin-Token next to
// a right Bearer token passes (the predecessor's rule): any valid one is enough.
func (s *Server) authenticate(ctx context.Context, c credentials) (Caller, error) {
	failure := authError(http.StatusForbidden, "invalid token")
	for _, tok := range c.tokens {
		if len(tok) > 512 {
			continue
		}
		h := admin.HashToken(tok)
		if s.auth.adminHash != "" && admin.SameHash(h, s.auth.adminHash) {
			return Caller{User: admin.BuiltinAdmin, Role: admin.AdminRole}, nil
		}
		st := s.auth.opts.Store
		if st == nil {
			continue
		}
		rec, err := st.LookupToken(ctx, h)
		if err != nil {
			if !errors.Is(err, errs.ErrNotFound) {
				return Caller{}, err
			}
			continue
		}
		if rec.Revoked {
			failure = authError(http.StatusForbidden, "token revoked")
			continue
		}
		u, err := st.GetUser(ctx, rec.UserID)
		if err != nil {
			continue
		}
		if u.Status != admin.Active {
			failure = authError(http.StatusForbidden, "user "+u.ID+" is "+string(u.Status))
			continue
		}
		s.touchToken(ctx, h, rec)
		return Caller{User: u.ID, Role: u.Role}, nil
	}
	return Caller{}, failure
}

// touchToken records a token's use at most once a minute, so reads do not
// turn into a database write each.
func (s *Server) touchToken(ctx context.Context, hash string, rec admin.Token) {
	now := s.opts.Now()
	if rec.LastUsed != nil && now.Sub(*rec.LastUsed) < time.Minute && now.After(*rec.LastUsed) {
		return
	}
	if err := s.auth.opts.Store.TouchToken(ctx, hash, now); err != nil {
		s.log.Warn("token last_used", "token_id", rec.ID, "err", err)
	}
}

// withAuth rate-limits, authenticates and authorises every request, then
// applies the quotas and the flags that gate whole routes. Refusals: 401 when
// a route needs credentials and none came, 403 for wrong or insufficient ones,
// 429 (+Retry-After) for rate limits and quotas.
func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		creds := readCredentials(r)
		if s.auth.limiter != nil {
			if wait, ok := s.auth.limiter.allow(rateKey(r, creds), s.opts.Now()); !ok {
				setRetryAfter(w, wait)
				s.writeError(w, r, &Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
					Message: "rate limited: more than " + strconv.Itoa(s.auth.opts.RateLimitPerMin) + " requests a minute; retry later",
					Err:     errs.ErrRateLimited})
				return
			}
		}
		need := needRole(r)
		ctx := r.Context()
		var caller Caller
		authed := false
		if !creds.none() {
			c, err := s.authenticate(ctx, creds)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			caller, authed = c, true
			admin.AuditFrom(ctx).Set(func(e *admin.AuditEntry) { e.User = caller.User })
		}
		switch {
		case need == "":
		case !authed && (s.auth.opts.Required || need == admin.AdminRole):
			msg := "missing credentials: send Authorization: Bearer <token>"
			if need == admin.AdminRole {
				msg = "missing admin token: send Authorization: Bearer <token> or X-Admin-Token"
			}
			s.writeError(w, r, authError(http.StatusUnauthorized, msg))
			return
		case authed && !caller.Role.Allows(need):
			s.writeError(w, r, authError(http.StatusForbidden, "role "+string(caller.Role)+" may not "+r.Method+" "+
				clip(r.URL.Path)+" (needs "+string(need)+")"))
			return
		}
		if authed {
			ctx = context.WithValue(WithUser(ctx, caller.User), callerKey{}, caller)
			r = r.WithContext(ctx)
		}
		if err := s.routeFlags(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		release, err := s.takeQuota(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if release == nil {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() { release(sw.status) }()
		next.ServeHTTP(sw, r)
	})
}
