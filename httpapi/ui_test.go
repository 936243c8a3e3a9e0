package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"sigmalab/httpapi/apitest"
)

// The UI is served from the binary: the page with its route index and a
// self-only content security policy, its files under a version prefix cached
// for good, revalidation by ETag, HEAD, and JSON 404s for unknown files.
func TestUIServesEmbeddedFiles(t *testing.T) {
	env := apitest.New(t)
	resp, page := env.DoResponse("GET", "/ui/", nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /ui/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("page Cache-Control %q, want no-cache", resp.Header.Get("Cache-Control"))
	}
	for _, frag := range []string{`id="sl-routes"`, `"path":"/leaderboard"`, `"path":"/ui/*filepath"`} {
		if !strings.Contains(string(page), frag) {
			t.Errorf("page lacks %s", frag)
		}
	}
	// No reference leaves the server: every src/href is a path on it.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(page), -1) {
		if !strings.HasPrefix(m[1], "/") && !strings.HasPrefix(m[1], "#") {
			t.Errorf("page refers to %q", m[1])
		}
	}
	app := regexp.MustCompile(`src="(/ui/v/[0-9a-f]+/js/app\.js)"`).FindStringSubmatch(string(page))
	if app == nil {
		t.Fatalf("page has no versioned app.js\n%s", page)
	}
	resp, js := env.DoResponse("GET", app[1], nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || len(js) == 0 {
		t.Fatalf("GET %s: %d %s", app[1], resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned file Cache-Control %q", cc)
	}
	etag := resp.Header.Get("ETag")
	resp, _ = env.DoResponse("GET", "/ui/js/app.js", nil, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	resp, _ = env.DoResponse("GET", "/ui/v/000000000000/js/app.js", nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("another version's file: %d %q, want 200 no-cache", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	env.Run(t, []apitest.Scenario{
		{Name: "ui without slash", URL: "/ui", Contains: []string{"<!doctype html>"}},
		{Name: "css", URL: "/ui/style.css", Contains: []string{"--accent"}},
		{Name: "head", Method: "HEAD", URL: "/ui/js/api.js"},
		{Name: "unknown file", URL: "/ui/nope.js", Status: 404, Contains: []string{`"code":"not_found"`}},
		{Name: "no escape", URL: "/ui/../go.mod", Status: 404},
		{Name: "listed by the index", URL: "/", Contains: []string{`"path":"/ui"`}},
	})
}
