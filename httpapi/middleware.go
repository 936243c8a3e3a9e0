package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = iota

// requestIDRe bounds client-supplied request ids so they are safe to log.
var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._\-]{1,64}$`)

// RequestID returns the id assigned to the request ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// withRequestID reuses a sane X-Request-ID from the client or makes a new one,
// stores it in the context and echoes it in the response.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDRe.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// statusWriter records the status and size written, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog logs one line per request. Query strings are logged, bodies and
// headers are not (they may hold tokens).
func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.opts.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		ctx := r.Context()
		if !s.log.Enabled(ctx, slog.LevelInfo) {
			return
		}
		// Typed attributes through LogAttrs: no boxing of each value into an
		// interface, which the key/value form costs on every request.
		s.log.LogAttrs(ctx, slog.LevelInfo, "http",
			slog.String("request_id", RequestID(ctx)),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Float64("dur_ms", float64(s.opts.Now().Sub(start).Microseconds())/1000),
		)
	})
}

// withRecover turns a panic into a logged 500 JSON answer instead of a dropped
// connection. http.ErrAbortHandler is re-raised: it is the deliberate way to abort.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, _ := w.(*statusWriter)
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.log.Error("panic", "request_id", RequestID(r.Context()), "method", r.Method,
				"path", r.URL.Path, "panic", fmt.Sprint(rec))
			if sw != nil && sw.status != 0 {
				return // headers already sent; nothing sane left to write
			}
			s.writeError(w, r, fmt.Errorf("panic: %v", rec))
		}()
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which the adapter maps to 413. File uploads (the
// non-JSON types of uploadTypes) get Limits.UploadReadTimeout to arrive
// instead of ReadTimeout.
func (s *Server) withBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.bodyLimitFor(r) // streaming imports have their own cap (data.go)
		if r.ContentLength > limit {
			s.writeError(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
				Message: fmt.Sprintf("request body exceeds %d bytes", limit)})
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); uploadTypes[r.URL.Path][mt] {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.opts.Limits.UploadReadTimeout))
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}
