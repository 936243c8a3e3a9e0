// Package apitest runs API scenarios against the real wiring (bbolt and every
// other adapter) on a temporary data dir: no mocks of our own storage.
//
//	env := apitest.New(t)
//	env.Run(t, []apitest.Scenario{
//		{Name: "health", Method: "GET", URL: "/health", Status: 200, Contains: []string{`"ok":true`}},
//	})
//
// Responses are compact JSON, so fragments are written without spaces.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sigmalab/app"
)

// FixedNow is the clock of test servers unless a Config says otherwise.
var FixedNow = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// Env is a running test server over a temp data dir.
type Env struct {
	Dir    string
	Cfg    app.Config
	App    *app.App
	Server *httptest.Server
	URL    string // base URL, no trailing slash
	t      testing.TB
}

// New starts a server on a fresh t.TempDir() with a fixed clock and no demo data.
func New(t testing.TB) *Env {
	return NewWith(t, app.Config{})
}

// NewWith starts a server with cfg; an empty DataDir becomes t.TempDir(), a nil
// clock becomes FixedNow.
func NewWith(t testing.TB, cfg app.Config) *Env {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return FixedNow }
	}
	if cfg.Version == "" {
		cfg.Version = "test"
	}
	e := &Env{Dir: cfg.DataDir, Cfg: cfg, t: t}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *Env) start() {
	e.t.Helper()
	a, err := app.Open(e.Cfg)
	if err != nil {
		e.t.Fatalf("apitest: open app: %v", err)
	}
	e.App = a
	e.Server = httptest.NewServer(a.Handler())
	e.URL = e.Server.URL
}

func (e *Env) stop() {
	if e.Server != nil {
		e.Server.Close()
		e.Server = nil
	}
	if e.App != nil {
		if err := e.App.Close(); err != nil {
			e.t.Errorf("apitest: close app: %v", err)
		}
		e.App = nil
	}
}

// Restart closes the server and storage and opens them again on the same data
// dir, as a process restart would.
func (e *Env) Restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// Do sends one request. body: nil (none), string or []byte (sent as is), or any
// other value (JSON-encoded). It returns status and body.
func (e *Env) Do(method, url string, body any) (int, []byte) {
	e.t.Helper()
	return e.DoHeaders(method, url, body, nil)
}

// DoHeaders is Do with extra request headers. A "Host" entry sets the request's
// Host; a "Content-Type" entry replaces the default application/json of bodies.
func (e *Env) DoHeaders(method, url string, body any, headers map[string]string) (int, []byte) {
	e.t.Helper()
	resp, data := e.DoResponse(method, url, body, headers)
	return resp.StatusCode, data
}

// DoResponse is DoHeaders returning the response (its headers) and the body read.
func (e *Env) DoResponse(method, url string, body any, headers map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("apitest: encode body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.URL+url, rd)
	if err != nil {
		e.t.Fatalf("apitest: request: %v", err)
	}
	// JSON routes refuse bodies of another type (415), so bodies are sent as JSON
	// unless a test says otherwise.
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		e.t.Fatalf("apitest: %s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("apitest: read body: %v", err)
	}
	return resp, data
}

// Request builds a request for calling a handler in process (ServeHTTP with a
// recorder) the way a local client sends it: Host names the loopback server
// (the safe-loopback check refuses httptest's default example.com) and a
// non-empty body goes as application/json.
func Request(method, target, body string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Host = "127.0.0.1:8001"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// JSON sends a request and decodes the JSON response into a map.
func (e *Env) JSON(method, url string, body any) (int, map[string]any) {
	e.t.Helper()
	status, data := e.Do(method, url, body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		e.t.Fatalf("apitest: %s %s: response is not a JSON object: %v\n%s", method, url, err, data)
	}
	return status, m
}

// JSONHeaders is JSON with request headers (e.g. Authorization).
func (e *Env) JSONHeaders(method, url string, body any, headers map[string]string) (int, map[string]any) {
	e.t.Helper()
	status, data := e.DoHeaders(method, url, body, headers)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		e.t.Fatalf("apitest: %s %s: response is not a JSON object: %v\n%s", method, url, err, data)
	}
	return status, m
}

// Scenario is one table-driven API check.
type Scenario struct {
	Name        string
	Method      string // default GET
	URL         string
	Body        any // see Do
	Headers     map[string]string
	Status      int      // expected status (0: 200)
	Contains    []string // fragments that must appear in the body
	NotContains []string // fragments that must not appear
	// Check, when set, inspects the decoded JSON body.
	Check func(t *testing.T, body map[string]any)
}

// Run executes scenarios in order as subtests (order matters: scenarios may
// build on earlier writes).
func (e *Env) Run(t *testing.T, scenarios []Scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			method := sc.Method
			if method == "" {
				method = http.MethodGet
			}
			want := sc.Status
			if want == 0 {
				want = http.StatusOK
			}
			status, body := e.DoHeaders(method, sc.URL, sc.Body, sc.Headers)
			if status != want {
				t.Errorf("%s %s: status %d, want %d\n%s", method, sc.URL, status, want, body)
			}
			for _, f := range sc.Contains {
				if !bytes.Contains(body, []byte(f)) {
					t.Errorf("%s %s: body lacks %s\n%s", method, sc.URL, f, body)
				}
			}
			for _, f := range sc.NotContains {
				if bytes.Contains(body, []byte(f)) {
					t.Errorf("%s %s: body must not contain %s\n%s", method, sc.URL, f, body)
				}
			}
			if sc.Check != nil {
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatalf("%s %s: not a JSON object: %v\n%s", method, sc.URL, err, body)
				}
				sc.Check(t, m)
			}
		})
	}
}
