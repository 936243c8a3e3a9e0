package httpapi_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/httpapi"
	"sigmalab/httpapi/apitest"
)

// uiOrigin is a trusted cross origin in these tests (a web UI on another port).
const uiOrigin = "http://ui.example:3000"

func safetyEnv(t *testing.T) (*apitest.Env, string) {
	t.Helper()
	env := apitest.NewWith(t, app.Config{HTTP: httpapi.Options{
		AllowedHosts: []string{"lab.internal"},
		CORSOrigins:  []string{uiOrigin},
	}})
	u, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	return env, u.Port()
}

// TestJSONContentTypeRequired: JSON routes refuse bodies of other types (415,
// JSON envelope): a form or text/plain post from another page cannot create
// anything. A charset parameter is fine; body-less posts need no type; the
// upload route keeps multipart.
func TestJSONContentTypeRequired(t *testing.T) {
	env, _ := safetyEnv(t)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("ticker", "SPY")
	_ = mw.Close()
	env.Run(t, []apitest.Scenario{
		{Name: "text/plain", Method: "POST", URL: "/models", Body: `{"ticker":"qqq"}`,
			Headers: map[string]string{"Content-Type": "text/plain"}, Status: 415,
			Contains: []string{`"ok":false`, `"code":"unsupported_media_type"`}},
		{Name: "form", Method: "POST", URL: "/models", Body: `ticker=qqq`,
			Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Status: 415},
		{Name: "multipart on a JSON route", Method: "PUT", URL: "/policy", Body: form.Bytes(),
			Headers: map[string]string{"Content-Type": mw.FormDataContentType()}, Status: 415},
		{Name: "form with empty body", Method: "POST", URL: "/jobs/1/cancel", Body: ``,
			Headers: map[string]string{"Content-Type": "text/plain"}, Status: 415},
		{Name: "nothing created", URL: "/models/qqq_opt_0dte_hourly", Status: 404},
		{Name: "charset is fine", Method: "POST", URL: "/models", Body: `{"ticker":"qqq"}`,
			Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}, Contains: []string{`"model_id":"qqq_opt_0dte_hourly"`}},
		{Name: "no body no type", Method: "POST", URL: "/jobs/99/cancel", Status: 404, Contains: []string{`"code":"not_found"`}},
		{Name: "upload keeps multipart", Method: "POST", URL: "/data/import", Body: form.Bytes(),
			Headers: map[string]string{"Content-Type": mw.FormDataContentType()}, Status: 422, NotContains: []string{"unsupported_media_type"}},
		{Name: "upload refuses text/plain", Method: "POST", URL: "/data/import", Body: `{"path":"exports"}`,
			Headers: map[string]string{"Content-Type": "text/plain"}, Status: 415},
	})
}

// TestHostHeaderChecked: only Host values naming the listen address (or the
// allowed hosts) are served, so a DNS-rebound name cannot drive the API.
func TestHostHeaderChecked(t *testing.T) {
	env, port := safetyEnv(t)
	host := func(h string) map[string]string { return map[string]string{"Host": h} }
	env.Run(t, []apitest.Scenario{
		{Name: "rebinding name", URL: "/health", Headers: host("attacker.example:" + port), Status: 403,
			Contains: []string{`"ok":false`, `"code":"bad_host"`}},
		{Name: "rebinding post", Method: "POST", URL: "/models", Body: `{"ticker":"qqq"}`, Headers: host("attacker.example"), Status: 403},
		{Name: "other port", URL: "/health", Headers: host("localhost:1"), Status: 403},
		{Name: "127.0.0.1", URL: "/health", Headers: host("127.0.0.1:" + port)},
		{Name: "localhost", URL: "/health", Headers: host("LocalHost:" + port)},
		{Name: "ipv6 loopback", URL: "/health", Headers: host("[::1]:" + port)},
		{Name: "allowed host any port", URL: "/health", Headers: host("lab.internal:8443")},
		{Name: "allowed host no port", URL: "/health", Headers: host("lab.internal")},
	})
}

// TestCrossOriginRefused: state-changing requests from another origin are
// refused unless the origin is configured; reads are served (without CORS
// headers for strangers).
func TestCrossOriginRefused(t *testing.T) {
	env, port := safetyEnv(t)
	own := "http://127.0.0.1:" + port
	hdr := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	env.Run(t, []apitest.Scenario{
		{Name: "evil origin", Method: "POST", URL: "/models", Body: `{"ticker":"qqq"}`, Headers: hdr("Origin", "http://evil.example"),
			Status: 403, Contains: []string{`"ok":false`, `"code":"cross_origin"`}},
		{Name: "other localhost port", Method: "PATCH", URL: "/models/spy_eq_long_daily", Body: `{"config":{}}`,
			Headers: hdr("Origin", "http://127.0.0.1:1"), Status: 403},
		{Name: "cross-site fetch without origin", Method: "DELETE", URL: "/models/x", Headers: hdr("Sec-Fetch-Site", "cross-site"), Status: 403},
		{Name: "nothing created", URL: "/models/qqq_opt_0dte_hourly", Status: 404},
		{Name: "own origin", Method: "POST", URL: "/models", Body: `{"ticker":"qqq"}`, Headers: hdr("Origin", own, "Sec-Fetch-Site", "same-origin"),
			Contains: []string{`"model_id":"qqq_opt_0dte_hourly"`}},
		{Name: "trusted origin", Method: "POST", URL: "/models", Body: `{"ticker":"iwm"}`, Headers: hdr("Origin", uiOrigin, "Sec-Fetch-Site", "cross-site"),
			Contains: []string{`"model_id":"iwm_opt_0dte_hourly"`}},
		{Name: "cross-origin read", URL: "/health", Headers: hdr("Origin", "http://evil.example")},
	})
	resp, _ := env.DoResponse("POST", "/models", `{"ticker":"dia"}`, hdr("Origin", uiOrigin))
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != uiOrigin {
		t.Errorf("trusted origin: Access-Control-Allow-Origin %q", got)
	}
	if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("trusted origin: Vary %q", resp.Header.Values("Vary"))
	}
	resp, _ = env.DoResponse("GET", "/health", nil, hdr("Origin", "http://evil.example"))
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("stranger got Access-Control-Allow-Origin %q", got)
	}
}

// TestPreflightOptionsHead: trusted origins get a proper preflight answer;
// OPTIONS without preflight headers and HEAD work on every route.
func TestPreflightOptionsHead(t *testing.T) {
	env, _ := safetyEnv(t)
	pre := map[string]string{"Origin": uiOrigin, "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type,x-request-id"}
	resp, body := env.DoResponse("OPTIONS", "/models", nil, pre)
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != uiOrigin ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") ||
		!strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") || h.Get("Access-Control-Max-Age") == "" {
		t.Errorf("preflight: %d %v %s", resp.StatusCode, h, body)
	}
	pre["Origin"] = "http://evil.example"
	resp, body = env.DoResponse("OPTIONS", "/models", nil, pre)
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || !json.Valid(body) {
		t.Errorf("stranger preflight: %d %v %s", resp.StatusCode, resp.Header, body)
	}

	resp, body = env.DoResponse("OPTIONS", "/models", nil, nil)
	allow := resp.Header.Get("Allow")
	if resp.StatusCode != 204 || len(body) != 0 {
		t.Errorf("OPTIONS: %d %s", resp.StatusCode, body)
	}
	for _, m := range []string{"GET", "HEAD", "POST", "OPTIONS"} {
		if !strings.Contains(allow, m) {
			t.Errorf("OPTIONS /models: Allow %q lacks %s", allow, m)
		}
	}
	if st, body := env.Do("OPTIONS", "/nope", nil); st != 404 || !json.Valid(body) {
		t.Errorf("OPTIONS /nope: %d %s", st, body)
	}

	for _, u := range []string{"/health", "/models", "/models/spy_eq_long_daily"} {
		getResp, getBody := env.DoResponse("GET", u, nil, nil)
		resp, body := env.DoResponse("HEAD", u, nil, nil)
		if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Type") != "application/json" ||
			resp.ContentLength != int64(len(getBody)) {
			t.Errorf("HEAD %s: %d len %d (GET %d) %v %q", u, resp.StatusCode, resp.ContentLength, getResp.ContentLength, resp.Header, body)
		}
	}
	if st, _ := env.Do("HEAD", "/models/nope_x", nil); st != 404 {
		t.Errorf("HEAD of a missing model: %d", st)
	}
	// POST-only routes still answer 405 to GET, with an Allow header that now tells the truth.
	resp, _ = env.DoResponse("GET", "/build_matrix", nil, nil)
	if resp.StatusCode != 405 || !strings.Contains(resp.Header.Get("Allow"), "OPTIONS") {
		t.Errorf("GET /build_matrix: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if st, _ := env.Do("OPTIONS", "/build_matrix", nil); st != 204 {
		t.Errorf("OPTIONS /build_matrix: %d", st)
	}
}

// TestBadURLsAnswerJSON: URLs that net/http hands to us but the router would
// redirect (trailing slash, doubled slash) or misread (encoded slash, bad
// query escapes) answer the JSON envelope, never a 301 or plain text.
func TestBadURLsAnswerJSON(t *testing.T) {
	env, _ := safetyEnv(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/models/", 404, "not_found"},
		{"//models", 404, "not_found"},
		{"/MODELS", 404, "not_found"},
		{"/models/spy%2Feq", 400, "bad_path"},
		{"/models%2F", 400, "bad_path"},
		{"/models?pack_id=%zz", 400, "bad_query"},
	} {
		resp, err := client.Get(env.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != c.status || err != nil || m["ok"] != false || m["code"] != c.code ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %v %v", c.path, resp.StatusCode, m, err)
		}
	}
}
