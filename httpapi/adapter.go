package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

// HandlerFunc is the shape of every API handler: return a value for the envelope
// or an error for the adapter to map (see the package doc).
type HandlerFunc func(r *http.Request, p httprouter.Params) (any, error)

// Accepted is returned by handlers that queued work (async:true): 202
// {"ok":true,"job_id":…,"status":…}.
type Accepted struct {
	JobID   string `json:"job_id"`
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"` // why a synchronous request became a job
}

// Status sends Body (enveloped as usual) with a success status other than 200,
// e.g. 201.
type Status struct {
	Code int
	Body any
}

// Raw is written as is, without envelope: Prometheus text, OpenAPI, files.
type Raw struct {
	Status      int // 0: 200
	ContentType string
	Body        []byte
	// pooled, when set, holds Body's buffer, handed back to the server's pool
	// once the body is written.
	pooled *[]byte
}

// Error is an HTTP error with an explicit status and stable code, for the few
// cases the engine sentinels do not cover (bad_json, method_not_allowed, …).
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error // optional cause, for errors.Is
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes the cause.
func (e *Error) Unwrap() error { return e.Err }

// adapt turns a HandlerFunc into an httprouter.Handle.
func (s *Server) adapt(h HandlerFunc) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		v, err := h(r, p)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeValue(w, r, http.StatusOK, v)
	}
}

func (s *Server) writeValue(w http.ResponseWriter, r *http.Request, status int, v any) {
	switch x := v.(type) {
	case Raw:
		if x.ContentType != "" {
			w.Header().Set("Content-Type", x.ContentType)
		}
		if x.Status == 0 {
			x.Status = http.StatusOK
		}
		// A known length lets net/http send the body in one piece instead of
		// chunked writes.
		w.Header().Set("Content-Length", strconv.Itoa(len(x.Body)))
		w.WriteHeader(x.Status)
		_, _ = w.Write(x.Body)
		if x.pooled != nil {
			s.putBuf(x.pooled, x.Body)
		}
		return
	case *Raw:
		s.writeValue(w, r, status, *x)
		return
	case Download:
		x.serve(w, r)
		return
	case Status:
		s.writeValue(w, r, x.Code, x.Body)
		return
	case Accepted, *Accepted:
		status = http.StatusAccepted
	}
	body, err := s.envelope(v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSONBytes(w, status, body)
}

// envelope encodes v merged into {"ok":true,…}.
func (s *Server) envelope(v any) ([]byte, error) {
	if v == nil {
		return []byte(`{"ok":true}`), nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return []byte(`{"ok":true}`), nil
		}
		rv = rv.Elem()
	}
	isObject := rv.Kind() == reflect.Struct || (rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String)
	if !isObject {
		return MarshalJSON(map[string]any{"ok": true, "data": v})
	}
	b, err := MarshalJSON(v)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' || s.hasOK(rv) {
		// A type with a custom MarshalJSON that is not an object, or a verdict
		// carrying its own ok: send as encoded.
		if len(b) > 0 && b[0] != '{' {
			return MarshalJSON(map[string]any{"ok": true, "data": json.RawMessage(b)})
		}
		return b, nil
	}
	out := make([]byte, 0, len(b)+10)
	out = append(out, `{"ok":true`...)
	if rest := bytes.TrimSpace(b[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// hasOK reports whether the value carries its own top-level "ok" key.
func (s *Server) hasOK(rv reflect.Value) bool {
	if rv.Kind() == reflect.Map {
		return rv.MapIndex(reflect.ValueOf("ok").Convert(rv.Type().Key())).IsValid()
	}
	t := rv.Type()
	if c, ok := s.okType.Load(t); ok {
		return c.(bool)
	}
	has := structHasOK(t, 0)
	s.okType.Store(t, has)
	return has
}

func structHasOK(t reflect.Type, depth int) bool {
	if depth > 5 {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" {
			continue
		}
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && structHasOK(ft, depth+1) {
				return true
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if name == "ok" {
			return true
		}
	}
	return false
}

// errorStatus maps an error to HTTP status and stable code.
func errorStatus(err error) (int, string) {
	var he *Error
	var ve *errs.Validation
	var mbe *http.MaxBytesError
	var be *jobs.BusyError
	switch {
	case errors.As(err, &be):
		if be.QueueFull {
			return http.StatusTooManyRequests, "queue_full"
		}
		return http.StatusServiceUnavailable, "busy"
	case errors.As(err, &he):
		return he.Status, he.Code
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, "validation_error"
	case errors.As(err, &mbe), errors.Is(err, errs.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, errs.ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, errs.ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, errs.ErrUnauthorized):
		return http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, errs.ErrForbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, errs.ErrRateLimited):
		return http.StatusTooManyRequests, "rate_limited"
	case errors.Is(err, errs.ErrNoData):
		return http.StatusUnprocessableEntity, "no_data"
	case errors.Is(err, errs.ErrInvalid):
		return http.StatusBadRequest, "bad_request"
	case errors.Is(err, errs.ErrCancelled), errors.Is(err, context.Canceled):
		return http.StatusConflict, "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "timeout"
	}
	return http.StatusInternalServerError, "internal"
}

// errorBody is the failure envelope.
type errorBody struct {
	OK        bool              `json:"ok"`
	Error     string            `json:"error"`
	Code      string            `json:"code"`
	Detail    []errs.FieldError `json:"detail,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	body := errorBody{Error: err.Error(), Code: code}
	var ve *errs.Validation
	if errors.As(err, &ve) {
		body.Detail = ve.Fields
	}
	var be *jobs.BusyError
	if errors.As(err, &be) && be.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(be.RetryAfter.Seconds()))))
	}
	if status >= 500 {
		// Internal details stay in the log; the client gets the request id to quote.
		id := RequestID(r.Context())
		s.log.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		body.Error = "internal error"
		body.RequestID = id
	}
	b, mErr := MarshalJSON(body)
	if mErr != nil {
		b = []byte(`{"ok":false,"error":"internal error","code":"internal"}`)
	}
	writeJSONBytes(w, status, b)
}

func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	if len(b) < cap(b) {
		// b is always freshly encoded, so its spare capacity is ours: one write.
		_, _ = w.Write(append(b, '\n'))
		return
	}
	_, _ = w.Write(b)
	_, _ = w.Write([]byte{'\n'})
}

// maxPooledBuf bounds the response buffers kept for reuse, so one huge page
// does not pin its memory.
const maxPooledBuf = 1 << 20

// getBuf returns an empty response buffer from the pool.
func (s *Server) getBuf() *[]byte {
	if p, ok := s.bufs.Get().(*[]byte); ok {
		*p = (*p)[:0]
		return p
	}
	b := make([]byte, 0, 64<<10)
	return &b
}

// putBuf hands a buffer back once its bytes (last grown to b) were written.
func (s *Server) putBuf(p *[]byte, b []byte) {
	if cap(b) > maxPooledBuf {
		return
	}
	*p = b[:0]
	s.bufs.Put(p)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	msg := "no route for " + r.Method + " " + r.URL.Path
	// The router does not redirect (a 301 has no JSON body); name the route
	// a trailing or doubled slash missed instead.
	if p := strings.TrimSuffix(httprouter.CleanPath(r.URL.Path), "/"); p != r.URL.Path && p != "" && len(s.allowedMethods(p)) > 0 {
		msg += " (did you mean " + p + "?)"
	}
	s.writeError(w, r, &Error{Status: http.StatusNotFound, Code: "not_found", Message: msg})
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
		Message: "method " + r.Method + " not allowed on " + r.URL.Path + " (allowed: " + w.Header().Get("Allow") + ")"})
}
