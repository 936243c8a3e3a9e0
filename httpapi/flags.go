package httpapi

import (
	"context"
	"net/http"

	"sigmalab/engine/admin"
	"sigmalab/engine/errs"
)

// FlagEnabled reads a feature flag (its default when not set or when there is
// no store). Code that a flag gates calls it where the behaviour lives.
func (s *Server) FlagEnabled(ctx context.Context, key string) bool {
	def, _ := admin.FlagDefault(key)
	if s.auth == nil || s.auth.opts.Store == nil {
		return def
	}
	flags, err := s.auth.opts.Store.ListFlags(ctx)
	if err != nil {
		s.log.Warn("read flags", "err", err)
		return def
	}
	for _, f := range flags {
		if f.Key == key {
			return f.Enabled
		}
	}
	return def
}

// CheckFlag answers 403 (code "disabled") when the flag key is off. Routes
// whose whole behaviour a flag gates call it first, e.g.
//
//	if err := s.CheckFlag(r.Context(), admin.FlagSignalsGenerate); err != nil {
//		return nil, err
//	}
func (s *Server) CheckFlag(ctx context.Context, key string) error {
	if s.FlagEnabled(ctx, key) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Code: "disabled", Err: errs.ErrForbidden,
		Message: "disabled by the admin flag " + key + " (PATCH /admin/flags to enable it)"}
}

// routeFlags applies the flags that gate whole requests before they reach their route.
func (s *Server) routeFlags(r *http.Request) error {
	if r.Method != http.MethodPost {
		return nil
	}
	gates := map[string]string{"/data/import": admin.FlagDataImport, "/signals/generate": admin.FlagSignalsGenerate}
	if key, ok := gates[r.URL.Path]; ok {
		if err := s.CheckFlag(r.Context(), key); err != nil {
			return err
		}
	}
	if _, heavy := heavyRoutes[r.URL.Path]; heavy && s.FlagEnabled(r.Context(), admin.FlagAsyncOnlyHeavy) &&
		!asyncRequest(r, s.opts.MaxBody) {
		return &Error{Status: http.StatusConflict, Code: "async_required", Err: errs.ErrConflict,
			Message: `synchronous heavy work is disabled by the admin flag ` + admin.FlagAsyncOnlyHeavy +
				`: send "async": true and follow the job`}
	}
	return nil
}
