package httpapi_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"sigmalab/httpapi"
	"sigmalab/httpapi/apitest"
)

// adminFuzzRoutes are the admin route shapes; "{}" is the fuzzed path parameter.
var adminFuzzRoutes = []struct{ method, path string }{
	{"GET", "/admin/jobs?status={}&limit={}"},
	{"POST", "/admin/jobs/{}/retry"},
	{"POST", "/admin/jobs/{}/cancel"},
	{"GET", "/admin/quotas?user={}"},
	{"PATCH", "/admin/quotas"},
	{"GET", "/admin/risk-profiles"},
	{"PATCH", "/risk-profiles"},
	{"GET", "/admin/packs"},
	{"GET", "/admin/indicator_sets?pack={}"},
	{"GET", "/admin/templates?pack_id={}"},
	{"POST", "/admin/templates"},
	{"PATCH", "/admin/templates/{}"},
	{"POST", "/templates/{}/publish"},
	{"GET", "/admin/flags"},
	{"PATCH", "/flags"},
	{"GET", "/admin/health"},
	{"GET", "/admin/audit?user={}&action={}&start={}"},
	{"GET", "/users?role={}"},
	{"POST", "/admin/users"},
	{"PATCH", "/admin/users/{}"},
	{"POST", "/users/{}/rotate_token"},
	{"GET", "/audit?end={}"},
}

// FuzzAdminRoutes sends arbitrary credentials, path parameters and bodies to
// the admin routes: every answer is JSON with a status below 500, never a panic.
func FuzzAdminRoutes(f *testing.F) {
	env := newAuthEnv(f, httpapi.AuthOptions{})
	f.Add(uint8(0), "rita", "Bearer "+testAdminToken, "", []byte(`{"user_id":"rita","sweeps_per_day":3}`))
	f.Add(uint8(4), "x", "", testAdminToken, []byte(`{"user_id":"rita","train_concurrent":1e99}`))
	f.Add(uint8(6), "", "bearer  ", "", []byte(`{"name":"balanced","min_confidence":"NaN"}`))
	f.Add(uint8(10), "../../etc", "Basic Zm9vOmJhcg==", "", []byte(`{"template_id":"t","pack_id":"zerosigma","name":"x","config":[]}`))
	f.Add(uint8(11), "t", "Bearer sl_"+strings.Repeat("A", 43), testAdminToken, []byte(`{"name":null}`))
	f.Add(uint8(14), "%00", "Bearer "+testAdminToken, "", []byte(`{"flags":{"data_import":"yes"}}`))
	f.Add(uint8(18), "u", "Bearer "+testAdminToken, "", []byte(`{"id":"fz","role":"admin","email":"a@b"}`))
	f.Add(uint8(19), "rita", "Bearer "+testAdminToken, "", []byte(`{"status":"deleted"}`))
	f.Add(uint8(20), "nobody", "Bearer "+testAdminToken, "", []byte(``))
	f.Add(uint8(16), "2026-13-01", "Bearer "+testAdminToken, "", []byte(nil))
	f.Fuzz(func(t *testing.T, route uint8, param, authz, xadmin string, body []byte) {
		rt := adminFuzzRoutes[int(route)%len(adminFuzzRoutes)]
		target := strings.ReplaceAll(rt.path, "{}", url.PathEscape(param))
		if strings.Contains(target, "?") {
			p, q, _ := strings.Cut(target, "?")
			target = p + "?" + strings.ReplaceAll(q, url.PathEscape(param), url.QueryEscape(param))
		}
		req := apitest.Request(rt.method, "/", string(body))
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		req.URL, req.RequestURI = u, target
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if xadmin != "" {
			req.Header.Set("X-Admin-Token", xadmin)
		}
		rec := httptest.NewRecorder()
		env.App.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", rt.method, target, rec.Code, rec.Body.String())
		}
		var v map[string]any
		if rt.method != "HEAD" && json.Unmarshal(rec.Body.Bytes(), &v) != nil {
			t.Fatalf("%s %s: %d not JSON: %q", rt.method, target, rec.Code, rec.Body.String())
		}
	})
}
