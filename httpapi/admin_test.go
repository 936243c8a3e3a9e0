package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"sigmalab/app"
	"sigmalab/engine/admin"
	"sigmalab/httpapi"
	"sigmalab/httpapi/apitest"
)

// testAdminToken is the ADMIN_TOKEN of auth tests.
const testAdminToken = "test-admin-token-0123456789"

// authEnv is a server with an admin token and a viewer and a researcher, each
// with the token the API handed out once.
type authEnv struct {
	*apitest.Env
	tokens map[string]string // caller name → token ("admin", "viewer", "researcher")
}

func newAuthEnv(t testing.TB, o httpapi.AuthOptions) *authEnv {
	t.Helper()
	o.AdminToken = testAdminToken
	env := &authEnv{Env: apitest.NewWith(t, app.Config{HTTP: httpapi.Options{Auth: o}}),
		tokens: map[string]string{"admin": testAdminToken}}
	for _, u := range []struct{ id, role string }{{"vic", "viewer"}, {"rita", "researcher"}} {
		env.tokens[u.role] = env.createUser(t, u.id, u.role)
	}
	return env
}

// createUser creates a user through the API and returns its token.
func (e *authEnv) createUser(t testing.TB, id, role string) string {
	t.Helper()
	status, body := e.DoHeaders("POST", "/admin/users", map[string]string{"id": id, "role": role}, e.bearer("admin"))
	if status != http.StatusCreated {
		t.Fatalf("create user %s: %d %s", id, status, body)
	}
	var out struct {
		TokenOnce string `json:"token_once"`
	}
	if err := json.Unmarshal(body, &out); err != nil || !strings.HasPrefix(out.TokenOnce, admin.TokenPrefix) {
		t.Fatalf("create user %s: no token in %s", id, body)
	}
	return out.TokenOnce
}

func (e *authEnv) bearer(who string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + e.tokens[who]}
}

// auditCount is the number of audit rows stored.
func (e *authEnv) auditCount(t *testing.T) int {
	t.Helper()
	_, total, err := e.App.DB.Admin().ListAudit(context.Background(), admin.AuditFilter{AnyUser: true})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// adminCall is one admin route with the body and status an admin gets.
type adminCall struct {
	method, url string
	body        any
	status      int // for the admin (0: 200)
	contains    string
}

// adminCalls covers every admin route of the endpoint map, under /admin and
// at the bare paths, in an order where later calls build on earlier ones.
var adminCalls = []adminCall{
	{method: "GET", url: "/admin/jobs", contains: `"rows":[`},
	{method: "GET", url: "/admin/jobs?status=bogus", status: 422, contains: `"status"`},
	{method: "POST", url: "/admin/jobs/999/retry", status: 404},
	{method: "POST", url: "/admin/jobs/999/cancel", status: 404},
	{method: "POST", url: "/admin/jobs/abc/cancel", status: 422, contains: `"loc":["path","id"]`},
	{method: "GET", url: "/admin/quotas", contains: `"defaults":{"sweeps_per_day":10,"sweeps_concurrent":2,"train_per_day":20,"train_concurrent":2}`},
	{method: "GET", url: "/quotas?user=rita", contains: `"usage":{"sweeps_today":0`},
	{method: "GET", url: "/admin/quotas?user=nobody", status: 404},
	{method: "PATCH", url: "/admin/quotas", body: map[string]any{"user_id": "rita", "sweeps_per_day": 5}, contains: `"sweeps_per_day":5`},
	{method: "PATCH", url: "/quotas", body: map[string]any{"user_id": "rita", "train_per_day": -1}, status: 422, contains: `"loc":["body","train_per_day"]`},
	{method: "GET", url: "/admin/risk-profiles", contains: `"name":"conservative"`},
	{method: "PATCH", url: "/admin/risk-profiles", body: map[string]any{"name": "balanced", "min_confidence": 0.65}, contains: `"min_confidence":0.65`},
	{method: "PATCH", url: "/risk-profiles", body: map[string]any{"name": "reckless"}, status: 422, contains: `"loc":["body","name"]`},
	{method: "GET", url: "/admin/packs", contains: `"id":"zerosigma"`},
	{method: "GET", url: "/admin/indicator_sets", contains: `"used_by":`},
	{method: "GET", url: "/indicator_sets?pack=zerosigma", contains: `"pack_id":"zerosigma"`},
	{method: "GET", url: "/admin/templates", contains: `"templates":[]`},
	{method: "POST", url: "/admin/templates", body: map[string]any{"template_id": "t_one", "pack_id": "zerosigma", "name": "One", "config": map[string]any{"ticker": "SPY"}}, status: 201, contains: `"version":1`},
	{method: "POST", url: "/templates", body: map[string]any{"template_id": "t_one", "pack_id": "zerosigma", "name": "Again"}, status: 409},
	{method: "PATCH", url: "/admin/templates/t_one", body: map[string]any{"name": "One, v2"}, contains: `"version":2`},
	{method: "POST", url: "/admin/templates/t_one/publish", contains: `"published":true`},
	{method: "POST", url: "/templates/missing/publish", status: 404},
	{method: "GET", url: "/admin/templates/t_one", contains: `"versions":[`},
	{method: "GET", url: "/admin/flags", contains: `"key":"async_only_heavy"`},
	{method: "PATCH", url: "/admin/flags", body: map[string]any{"flags": map[string]bool{"signals_generate": false}}, contains: `"key":"signals_generate","enabled":false`},
	{method: "PATCH", url: "/flags", body: map[string]any{"flags": map[string]bool{"no_such": true}}, status: 422, contains: `unknown flag`},
	{method: "GET", url: "/admin/health", contains: `"queue_depth":0`},
	{method: "GET", url: "/admin/audit?limit=5", contains: `"rows":[`},
	{method: "GET", url: "/admin/users", contains: `"id":"rita"`},
	{method: "POST", url: "/admin/users", body: map[string]any{"id": "tmp", "role": "viewer"}, status: 201, contains: `"token_once":"sl_`},
	{method: "POST", url: "/users", body: map[string]any{"id": "Bad Id", "role": "boss"}, status: 422, contains: `"loc":["body","role"]`},
	{method: "PATCH", url: "/admin/users/tmp", body: map[string]any{"email": "tmp@example.com"}, contains: `"email":"tmp@example.com"`},
	{method: "PATCH", url: "/users/nobody", body: map[string]any{"role": "viewer"}, status: 404},
	{method: "POST", url: "/admin/users/tmp/rotate_token", contains: `"token_once":"sl_`},
	{method: "POST", url: "/users/tmp/rotate_token"},
	{method: "GET", url: "/users/tmp", contains: `"revoked":true`},
}

// TestAdminRoutesByCaller sends every admin call as no one, with a wrong
// token, as viewer, researcher and admin: 401, 403, 403, 403, then the
// admin's answer. Every mutating request leaves exactly one audit row
// (refusals included), reads none.
func TestAdminRoutesByCaller(t *testing.T) {
	env := newAuthEnv(t, httpapi.AuthOptions{})
	callers := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"none", nil, 401, `"code":"unauthorized"`},
		{"wrong", map[string]string{"Authorization": "Bearer sl_wrong"}, 403, `"code":"forbidden"`},
		{"basic", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, 403, `"code":"forbidden"`},
		{"viewer", env.bearer("viewer"), 403, `needs admin`},
		{"researcher", env.bearer("researcher"), 403, `needs admin`},
		{"wrong x-admin, right bearer", map[string]string{"X-Admin-Token": "nope", "Authorization": "Bearer " + testAdminToken}, 0, ""},
	}
	for _, c := range adminCalls {
		for _, who := range callers {
			want, frag := who.status, who.code
			if want == 0 {
				continue // the admin call below; this header combination is checked once at the end
			}
			t.Run(c.method+" "+c.url+" as "+who.name, func(t *testing.T) {
				before := env.auditCount(t)
				status, body := env.DoHeaders(c.method, c.url, c.body, who.headers)
				if status != want || !strings.Contains(string(body), frag) {
					t.Errorf("status %d, want %d with %s\n%s", status, want, frag, body)
				}
				checkAudit(t, env, c.method, before)
			})
		}
		t.Run(c.method+" "+c.url+" as admin", func(t *testing.T) {
			want := c.status
			if want == 0 {
				want = 200
			}
			before := env.auditCount(t)
			hdr := map[string]string{"X-Admin-Token": testAdminToken}
			status, body := env.DoHeaders(c.method, c.url, c.body, hdr)
			if status != want || !strings.Contains(string(body), c.contains) {
				t.Errorf("status %d, want %d with %s\n%s", status, want, c.contains, body)
			}
			if status >= 500 || strings.Contains(string(body), "NaN") {
				t.Errorf("5xx or NaN: %s", body)
			}
			checkAudit(t, env, c.method, before)
		})
	}
	t.Run("a wrong X-Admin-Token next to a right Bearer passes", func(t *testing.T) {
		status, body := env.DoHeaders("GET", "/admin/flags", nil, callers[5].headers)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("published template is listed by /model_templates", func(t *testing.T) {
		status, body := env.Do("GET", "/admin/templates?published=true", nil)
		if status != 401 {
			t.Fatalf("anonymous admin read: %d %s", status, body)
		}
		_, body = env.DoHeaders("GET", "/admin/templates?published=true", nil, env.bearer("admin"))
		if !strings.Contains(string(body), `"template_id":"t_one"`) || !strings.Contains(string(body), `"name":"One, v2"`) {
			t.Fatalf("published list: %s", body)
		}
		_, body = env.Do("GET", "/model_templates?pack=zerosigma&limit=500", nil)
		if !strings.Contains(string(body), `{"template_id":"t_one","name":"One, v2","pack":"zerosigma","template_version":2}`) {
			t.Fatalf("/model_templates lacks the published template: %s", body)
		}
	})
	t.Run("audit rows say who, what, target, status and body digest", func(t *testing.T) {
		_, body := env.DoHeaders("GET", "/admin/audit?action=PATCH%20/admin/users/:user_id&limit=1", nil, env.bearer("admin"))
		for _, f := range []string{`"user":"admin-token"`, `"route":"/admin/users/:user_id"`, `"target_id":"tmp"`,
			`"status":200`, `"body_sha256":"`, `"in_tx":true`, `"client":"127.0.0.1"`} {
			if !strings.Contains(string(body), f) {
				t.Errorf("audit row lacks %s\n%s", f, body)
			}
		}
		_, body = env.DoHeaders("GET", "/admin/audit?user=&action=cancel&limit=500", nil, env.bearer("admin"))
		if !strings.Contains(string(body), `"status":401`) || strings.Contains(string(body), `"user":"admin-token"`) {
			t.Errorf("anonymous refusals are audited under the empty user: %s", body)
		}
		_, body = env.DoHeaders("GET", "/audit", nil, env.bearer("viewer"))
		if !strings.Contains(string(body), `"user":"vic"`) || strings.Contains(string(body), `"user":"admin-token"`) {
			t.Errorf("GET /audit shows the caller's own rows only: %s", body)
		}
	})
}

// checkAudit asserts one new audit row for a mutating request, none for a read.
func checkAudit(t *testing.T, env *authEnv, method string, before int) {
	t.Helper()
	want := before
	if method != "GET" {
		want++
	}
	if got := env.auditCount(t); got != want {
		t.Errorf("%s: audit rows %d → %d, want %d", method, before, got, want)
	}
}

func TestRotatedTokenStopsAtOnce(t *testing.T) {
	env := newAuthEnv(t, httpapi.AuthOptions{Required: true})
	old := env.tokens["researcher"]
	env.Run(t, []apitest.Scenario{
		{Name: "old token works", URL: "/models", Headers: env.bearer("researcher")},
	})
	status, body := env.DoHeaders("POST", "/admin/users/rita/rotate_token", nil, env.bearer("admin"))
	if status != 200 {
		t.Fatalf("rotate: %d %s", status, body)
	}
	var out struct {
		TokenOnce string `json:"token_once"`
	}
	_ = json.Unmarshal(body, &out)
	env.Run(t, []apitest.Scenario{
		{Name: "old token refused", URL: "/models", Headers: map[string]string{"Authorization": "Bearer " + old},
			Status: 403, Contains: []string{`token revoked`}},
		{Name: "new token works", URL: "/models", Headers: map[string]string{"Authorization": "Bearer " + out.TokenOnce}},
		{Name: "new token shows in the user's token records by prefix only", URL: "/admin/users/rita", Headers: env.bearer("admin"),
			Contains: []string{`"prefix":"` + out.TokenOnce[:7] + `"`}, NotContains: []string{out.TokenOnce, old}},
	})
}

func TestSuspendedUserRefused(t *testing.T) {
	env := newAuthEnv(t, httpapi.AuthOptions{})
	env.Run(t, []apitest.Scenario{
		{Name: "suspend", Method: "PATCH", URL: "/admin/users/rita", Body: map[string]string{"status": "suspended"},
			Headers: env.bearer("admin"), Contains: []string{`"status":"suspended"`}},
		{Name: "suspended user refused", URL: "/jobs", Headers: env.bearer("researcher"), Status: 403,
			Contains: []string{`user rita is suspended`}},
		{Name: "reactivate", Method: "PATCH", URL: "/users/rita", Body: map[string]string{"status": "active"},
			Headers: env.bearer("admin")},
		{Name: "active again", URL: "/jobs", Headers: env.bearer("researcher")},
	})
}

// TestAuthModes: --auth=required protects every route by role; without it
// non-admin routes are open and admin routes still need a token.
func TestAuthModes(t *testing.T) {
	t.Run("required", func(t *testing.T) {
		env := newAuthEnv(t, httpapi.AuthOptions{Required: true})
		policy := map[string]any{"model_id": "spy_opt_0dte_hourly", "pack_id": "zerosigma", "policy": map[string]any{}}
		env.Run(t, []apitest.Scenario{
			{Name: "no token", URL: "/models", Status: 401, Contains: []string{`"code":"unauthorized"`}},
			{Name: "wrong token", URL: "/models", Headers: map[string]string{"Authorization": "Bearer nope"}, Status: 403},
			{Name: "liveness stays open", URL: "/healthz"},
			{Name: "viewer reads", URL: "/models", Headers: env.bearer("viewer")},
			{Name: "viewer may not write", Method: "PUT", URL: "/policy", Body: policy, Headers: env.bearer("viewer"),
				Status: 403, Contains: []string{"role viewer may not PUT /policy"}},
			{Name: "researcher writes", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "spy_opt_0dte_hourly"},
				Headers: env.bearer("researcher"), Status: 404, Contains: []string{`no matrix built`}}, // past auth, into the route
			{Name: "researcher may not administer", URL: "/admin/flags", Headers: env.bearer("researcher"), Status: 403},
			{Name: "admin token reads anything", URL: "/models", Headers: map[string]string{"X-Admin-Token": testAdminToken}},
		})
	})
	t.Run("open loopback", func(t *testing.T) {
		env := newAuthEnv(t, httpapi.AuthOptions{})
		env.Run(t, []apitest.Scenario{
			{Name: "anonymous reads", URL: "/models"},
			{Name: "anonymous writes", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "spy_opt_0dte_hourly"},
				Status: 404, Contains: []string{`no matrix built`}}, // past auth, into the route
			{Name: "admin needs a token", URL: "/admin/health", Status: 401},
			{Name: "a presented wrong token is refused", URL: "/models", Headers: map[string]string{"Authorization": "Bearer nope"}, Status: 403},
			{Name: "viewer role still applies to a token", Method: "POST", URL: "/calibrate_brackets", Body: map[string]any{"model_id": "spy_opt_0dte_hourly"},
				Headers: env.bearer("viewer"), Status: 403},
		})
	})
}
