package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigmalab/engine"
)

var update = flag.Bool("update", false, "rewrite golden files")

// openAPIGolden is the committed document; `go test ./httpapi -run OpenAPI
// -update` rewrites it after routes or types change (read the diff).
const openAPIGolden = "../assets/openapi/openapi.json"

func openAPIServer() *Server {
	return New(&engine.Lab{Version: "golden"}, Options{Log: newDiscard()})
}

func fetchOpenAPI(t *testing.T, s *Server) ([]byte, *OpenAPI) {
	t.Helper()
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, newRequest("GET", "/openapi.json", ""))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", w.Code, w.Body.String())
	}
	var doc OpenAPI
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return w.Body.Bytes(), &doc
}

// TestOpenAPIGolden compares GET /openapi.json with the committed document.
func TestOpenAPIGolden(t *testing.T) {
	got, doc := fetchOpenAPI(t, openAPIServer())
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	if *update {
		if err := os.WriteFile(openAPIGolden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(openAPIGolden)
	if err != nil {
		t.Fatalf("%v (regenerate with: go test ./httpapi -run OpenAPI -update)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
		t.Errorf("GET /openapi.json differs from %s; regenerate with: go test ./httpapi -run OpenAPI -update, and read the diff", openAPIGolden)
	}
}

// TestOpenAPIRoutes checks that every route of the router is in the document
// and every documented operation is a route, and that routeDocs names only
// registered routes (a renamed route must not leave a stale entry).
func TestOpenAPIRoutes(t *testing.T) {
	s := openAPIServer()
	_, doc := fetchOpenAPI(t, s)
	inDoc := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			inDoc[strings.ToUpper(method)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, rt := range s.routes {
		p, _ := openAPIPath(rt.Path)
		k := rt.Method + " " + p
		registered[k] = true
		if !inDoc[k] {
			t.Errorf("route %s %s is not in the document", rt.Method, rt.Path)
		}
		// The router itself serves it (not only the route table says so).
		if h, _, _ := s.router.Lookup(rt.Method, strings.NewReplacer(":", "x", "*", "x").Replace(rt.Path)); h == nil {
			t.Errorf("router does not serve %s %s", rt.Method, rt.Path)
		}
	}
	for k := range inDoc {
		if !registered[k] {
			t.Errorf("document has %s, which is not a route", k)
		}
	}
	routeKeys := map[string]bool{}
	for _, rt := range s.routes {
		routeKeys[routeKey(rt.Method, rt.Path)] = true
	}
	for k := range routeDocs {
		if !routeKeys[k] {
			t.Errorf("routeDocs documents %q, which is not a route", k)
		}
	}
	ids := map[string]string{}
	for path, ops := range doc.Paths {
		for m, op := range ops {
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s of %s %s also used by %s", op.OperationID, m, path, prev)
			}
			ids[op.OperationID] = m + " " + path
		}
	}
	// Every $ref resolves.
	b, _ := json.Marshal(doc)
	for _, part := range strings.Split(string(b), `"$ref":"#/components/schemas/`)[1:] {
		name := part[:strings.IndexByte(part, '"')]
		if doc.Components.Schemas[name] == nil {
			t.Errorf("dangling $ref %s", name)
		}
	}
}

// TestOpenAPIExamples decodes each documented request body example into its
// type with the handlers' decoder, and checks it uses only documented fields.
func TestOpenAPIExamples(t *testing.T) {
	g := newSchemaGen()
	keys := make([]string, 0, len(routeDocs))
	for k := range routeDocs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	for _, k := range keys {
		d := routeDocs[k]
		if d.Body == nil {
			continue
		}
		if len(d.Example) == 0 {
			t.Errorf("%s: body %s without example", k, d.Body)
			continue
		}
		n++
		v := reflect.New(d.Body)
		if err := DecodeJSONBytes(d.Example, v.Interface()); err != nil {
			t.Errorf("%s: example does not decode into %s: %v", k, d.Body, err)
		}
		ref := g.schema(d.Body, true)
		props := g.components[strings.TrimPrefix(ref.Ref, "#/components/schemas/")].Properties
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(d.Example, &fields); err != nil {
			t.Errorf("%s: example is not an object: %v", k, err)
		}
		for f := range fields {
			if props[f] == nil {
				t.Errorf("%s: example field %q is not a field of %s", k, f, d.Body)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d documented bodies", n)
	}
}

// TestOpenAPISchema checks the reflection rules on the shared wire types.
func TestOpenAPISchema(t *testing.T) {
	g := newSchemaGen()
	g.schema(reflect.TypeFor[engine.SweepRequest](), true)
	sweep := g.components["SweepRequest"]
	if sweep == nil {
		t.Fatalf("no SweepRequest component: %v", g.components)
	}
	tv := sweep.Properties["thresholds_variants"]
	if tv == nil || len(tv.OneOf) != 2 {
		t.Errorf("thresholds_variants (VariantList) is not array|string: %+v", tv)
	}
	if len(sweep.Required) != 0 {
		t.Errorf("request schemas list no required fields: %v", sweep.Required)
	}
	g.schema(reflect.TypeFor[engine.BuildResult](), false)
	res := g.components["BuildResult"]
	if res == nil || !contains(res.Required, "build_id") || contains(res.Required, "raw_out") {
		t.Errorf("BuildResult required (omitempty rule): %+v", res)
	}
	if s := g.schema(reflect.TypeFor[*float64](), true); !reflect.DeepEqual(s.Type, []string{"number", "null"}) {
		t.Errorf("*float64: %+v", s)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestDocsPage checks /docs serves HTML whose scripts and styles are local and
// served by the API itself.
func TestDocsPage(t *testing.T) {
	s := openAPIServer()
	h := s.Handler()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest("GET", "/docs", ""))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "//cdn") {
		t.Errorf("docs page references an external URL:\n%s", page)
	}
	refs := 0
	for _, attr := range []string{`src="`, `href="`} {
		for _, part := range strings.Split(page, attr)[1:] {
			ref := part[:strings.IndexByte(part, '"')]
			if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
				t.Errorf("non-local reference %q", ref)
				continue
			}
			refs++
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newRequest("GET", ref, ""))
			if w.Code != http.StatusOK {
				t.Errorf("GET %s: %d", ref, w.Code)
			}
			if strings.Contains(w.Body.String(), "https://") {
				t.Errorf("%s references an external URL", ref)
			}
		}
	}
	if refs < 3 {
		t.Errorf("expected the page to load its script, style and the document, found %d references", refs)
	}
	for _, bad := range []string{"/docs/missing.js", "/docs/index.html", "/docs/..%2fassets.go"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newRequest("GET", bad, ""))
		if w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 404 (or 400 for a refused path)", bad, w.Code)
		}
	}
}
