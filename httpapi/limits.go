package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"sigmalab/engine/jobs"
)

// Limits bound what one client can hold: connections, time on a connection,
// and the heavy work it can start. Zero fields take DefaultLimits.
type Limits struct {
	// HeavyWait is the longest a synchronous heavy request (see heavyRoutes)
	// waits for a slot of the job pool before it is answered 503 with
	// Retry-After. When the wait line itself is full (jobs.Options.MaxQueued
	// callers) the answer is at once 429.
	HeavyWait time.Duration
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included: a slow body
	// is cut after it.
	ReadTimeout time.Duration
	// UploadReadTimeout replaces ReadTimeout for file uploads (the non-JSON
	// types of uploadTypes), which stream to disk up to their own cap.
	UploadReadTimeout time.Duration
	// WriteTimeout bounds writing one response, counted from its first byte: a
	// client that does not read loses the connection. The clock starts with
	// the answer, so long synchronous work is not cut by it.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle for longer.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps request headers (net/http answers 431 beyond it).
	MaxHeaderBytes int
	// MaxConns caps open connections; further ones wait to be accepted.
	MaxConns int
}

// DefaultLimits are the limits of `sigmalab serve` unless flags change them.
func DefaultLimits() Limits {
	return Limits{
		HeavyWait:         30 * time.Second,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		UploadReadTimeout: 10 * time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		MaxConns:          256,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v, def time.Duration) time.Duration {
		if v <= 0 {
			return def
		}
		return v
	}
	l.HeavyWait = pick(l.HeavyWait, d.HeavyWait)
	l.ReadHeaderTimeout = pick(l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	l.ReadTimeout = pick(l.ReadTimeout, d.ReadTimeout)
	l.UploadReadTimeout = pick(l.UploadReadTimeout, d.UploadReadTimeout)
	l.WriteTimeout = pick(l.WriteTimeout, d.WriteTimeout)
	l.IdleTimeout = pick(l.IdleTimeout, d.IdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	return l
}

// HTTPServer returns the server to run the API with: the handler and the
// timeouts of Limits. Serve it on Listener(ln) for the connection cap and JSON
// answers to the requests net/http refuses itself.
//
// WriteTimeout stays 0 on purpose: net/http would count it from the end of the
// request headers, cutting long synchronous work; withWriteDeadline counts
// Limits.WriteTimeout from the first byte of the answer instead.
func (s *Server) HTTPServer() *http.Server {
	l := s.opts.Limits
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// withWriteDeadline clears the write deadline a previous answer left on the
// connection and sets a fresh one (now + WriteTimeout) when this answer starts.
// Writers that cannot take deadlines (recorders) are served as they are.
func (s *Server) withWriteDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{})
		next.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, d: s.opts.Limits.WriteTimeout}, r)
	})
}

type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	d       time.Duration
	started bool
}

func (w *deadlineWriter) start() {
	if !w.started {
		w.started = true
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.d))
	}
}

func (w *deadlineWriter) WriteHeader(code int) {
	w.start()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// heavyRoutes are the routes whose synchronous form computes inline, with the
// job class whose pool they share: the class their async job kind is
// registered with (imports are light jobs; preview and calibration have no
// async form but cost like a build or a backtest).
var heavyRoutes = map[string]jobs.Class{
	"/build_matrix":         jobs.Heavy,
	"/build_stock_matrix":   jobs.Heavy,
	"/preview_matrix":       jobs.Heavy,
	"/train":                jobs.Heavy,
	"/backtest":             jobs.Heavy,
	"/backtest_sweep":       jobs.Heavy,
	"/calibrate_thresholds": jobs.Heavy,
	"/calibrate_brackets":   jobs.Heavy,
	"/signals/generate":     jobs.Heavy,
	"/matrices/import":      jobs.Heavy,
	"/data/import":          jobs.Light,
}

// withHeavySlot runs synchronous heavy requests in a slot of the job runner's
// pool for their class, so requests and jobs together never run more heavy
// work than the pool allows. A request that asks for a job ("async":true)
// only queues one and passes straight through.
func (s *Server) withHeavySlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		class, heavy := heavyRoutes[r.URL.Path]
		if !heavy || r.Method != http.MethodPost || s.Lab == nil || s.Lab.Jobs == nil || asyncRequest(r, s.opts.MaxBody) {
			next.ServeHTTP(w, r)
			return
		}
		release, err := s.Lab.Jobs.Acquire(r.Context(), class, s.opts.Limits.HeavyWait)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}

// asyncRequest reports whether r's JSON body asks for a job ({"async":true}),
// leaving the body to be read again, read errors included. Only JSON bodies of
// at most max bytes are looked at; anything else counts as synchronous.
func asyncRequest(r *http.Request, max int64) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" || r.Body == nil {
		return false
	}
	body := r.Body
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	var rest io.Reader = body
	if err != nil {
		rest = errReader{err}
	}
	r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(data), rest), Closer: body}
	var b struct {
		Async bool `json:"async"`
	}
	return err == nil && int64(len(data)) <= max && json.Unmarshal(data, &b) == nil && b.Async
}

// replayBody is a request body whose first bytes were read ahead.
type replayBody struct {
	io.Reader
	io.Closer
}

// errReader fails every read with err (a read error met while reading ahead).
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
