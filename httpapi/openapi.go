package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/julienschmidt/httprouter"
)

// OpenAPI is an OpenAPI 3.1 document (the parts this API uses).
type OpenAPI struct {
	OpenAPI    string                          `json:"openapi"`
	Info       OpenAPIInfo                     `json:"info"`
	Tags       []OpenAPITag                    `json:"tags"`
	Paths      map[string]map[string]Operation `json:"paths"`
	Components Components                      `json:"components"`
}

// OpenAPIInfo is the document's info block.
type OpenAPIInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

// OpenAPITag names a group of operations, in route-table order.
type OpenAPITag struct {
	Name string `json:"name"`
}

// Operation is one method on one path.
type Operation struct {
	OperationID string              `json:"operationId"`
	Summary     string              `json:"summary"`
	Tags        []string            `json:"tags"`
	Parameters  []Parameter         `json:"parameters,omitempty"`
	RequestBody *RequestBody        `json:"requestBody,omitempty"`
	Responses   map[string]Response `json:"responses"`
	// Order is the route's place in the route table, for listings.
	Order int `json:"x-order"`
}

// Parameter is a path or query parameter.
type Parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Required    bool    `json:"required,omitempty"`
	Description string  `json:"description,omitempty"`
	Schema      *Schema `json:"schema"`
}

// RequestBody is an operation's JSON body.
type RequestBody struct {
	Required bool                 `json:"required"`
	Content  map[string]MediaType `json:"content"`
}

// MediaType is one content type of a body.
type MediaType struct {
	Schema  *Schema         `json:"schema,omitempty"`
	Example json.RawMessage `json:"example,omitempty"`
}

// Response is one status's answer, or a reference to a shared one.
type Response struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Content     map[string]MediaType `json:"content,omitempty"`
}

// Components are the shared schemas and responses.
type Components struct {
	Schemas   map[string]*Schema  `json:"schemas"`
	Responses map[string]Response `json:"responses"`
}

const jsonType = "application/json"

// routeKey is how routeDocs names a route.
func routeKey(method, path string) string { return method + " " + path }

// openAPIPath turns an httprouter pattern into an OpenAPI path template
// ("/jobs/:id" → "/jobs/{id}") and lists its parameter names.
func openAPIPath(pattern string) (string, []string) {
	segs := strings.Split(pattern, "/")
	var names []string
	for i, s := range segs {
		if len(s) > 1 && (s[0] == ':' || s[0] == '*') {
			names = append(names, s[1:])
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/"), names
}

// tagOf is the route's tag: its RouteDoc's, else the first path segment.
func tagOf(path string, d RouteDoc) string {
	if d.Tag != "" {
		return d.Tag
	}
	seg := strings.Trim(path, "/")
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	if seg == "" {
		return "health"
	}
	return seg
}

// OpenAPIDocument builds the document from the route table and routeDocs.
func (s *Server) OpenAPIDocument() *OpenAPI {
	g := newSchemaGen()
	version := ""
	if s.Lab != nil {
		version = s.Lab.Version
	}
	doc := &OpenAPI{
		OpenAPI: "3.1.0",
		Info: OpenAPIInfo{Title: "Sigma Lab API", Version: version,
			Description: "Every answer is JSON {\"ok\":true,…} or {\"ok\":false,\"error\",\"code\"} with a real status " +
				"(422 adds detail:[{loc,msg,type}]); NaN and infinities are written as null. " +
				"Routes marked async accept \"async\": true and answer 202 with a job id to poll at GET /jobs/{id}."},
		Paths: map[string]map[string]Operation{},
	}
	errRef := g.schema(reflect.TypeFor[errorBody](), false)
	seenTag := map[string]bool{}
	for i, rt := range s.routes {
		d := routeDocs[routeKey(rt.Method, rt.Path)]
		path, names := openAPIPath(rt.Path)
		tag := tagOf(rt.Path, d)
		if !seenTag[tag] {
			seenTag[tag] = true
			doc.Tags = append(doc.Tags, OpenAPITag{Name: tag})
		}
		op := Operation{
			OperationID: operationID(rt.Method, rt.Path),
			Summary:     rt.Summary,
			Tags:        []string{tag},
			Order:       i,
			Responses:   map[string]Response{},
		}
		for _, n := range names {
			op.Parameters = append(op.Parameters, Parameter{Name: n, In: "path", Required: true, Schema: &Schema{Type: "string"}})
		}
		for _, q := range d.Query {
			ps := &Schema{Type: q.Type}
			for _, e := range q.Enum {
				ps.Enum = append(ps.Enum, e)
			}
			op.Parameters = append(op.Parameters, Parameter{Name: q.Name, In: "query", Description: q.Description, Schema: ps})
		}
		if d.Body != nil {
			op.RequestBody = &RequestBody{Required: true, Content: map[string]MediaType{
				jsonType: {Schema: g.schema(d.Body, true), Example: d.Example},
			}}
		}
		op.Responses["200"] = successResponse(g, d)
		if d.Async {
			op.Responses["202"] = Response{Description: "queued as a job (\"async\": true, or work too long to run synchronously)",
				Content: map[string]MediaType{jsonType: {Schema: &Schema{AllOf: []*Schema{okSchema(), g.schema(reflect.TypeFor[Accepted](), false)}}}}}
		}
		op.Responses["4XX"] = Response{Ref: "#/components/responses/Error"}
		op.Responses["5XX"] = Response{Ref: "#/components/responses/Error"}
		if doc.Paths[path] == nil {
			doc.Paths[path] = map[string]Operation{}
		}
		doc.Paths[path][strings.ToLower(rt.Method)] = op
	}
	doc.Components = Components{
		Schemas: g.components,
		Responses: map[string]Response{"Error": {
			Description: "bad input (400, 413, 422 with detail), unknown id (404), wrong method (405), conflict (409), busy (429, Retry-After) or internal error (500, with request_id)",
			Content:     map[string]MediaType{jsonType: {Schema: errRef}},
		}},
	}
	return doc
}

func okSchema() *Schema {
	return &Schema{Type: "object", Properties: map[string]*Schema{"ok": {Type: "boolean", Const: true}}, Required: []string{"ok"}}
}

// successResponse is the 200 answer: raw bytes, or the envelope merged with
// the response type (slices and scalars go under "data").
func successResponse(g *schemaGen, d RouteDoc) Response {
	if d.RawType != "" {
		return Response{Description: "the file or document itself (" + d.RawType + "), not the JSON envelope",
			Content: map[string]MediaType{d.RawType: {}}}
	}
	if d.Response == nil {
		return Response{Description: "success", Content: map[string]MediaType{jsonType: {Schema: okSchema()}}}
	}
	t := d.Response
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var body *Schema
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		body = &Schema{AllOf: []*Schema{okSchema(), g.schema(t, false)}}
	default:
		ok := okSchema()
		ok.Properties["data"] = g.schema(t, false)
		body = ok
	}
	return Response{Description: "success", Content: map[string]MediaType{jsonType: {Schema: body}}}
}

// operationID is a stable id from method and pattern: "get_jobs_id".
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, r := range path {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '/' || r == '_' || r == '.' || r == '-':
			b.WriteByte('_')
		}
	}
	return strings.TrimRight(b.String(), "_")
}

// getOpenAPI serves the document (built once; the route table is fixed after New).
func (s *Server) getOpenAPI(_ *http.Request, _ httprouter.Params) (any, error) {
	c := &s.openapi
	c.once.Do(func() {
		c.body, c.err = json.MarshalIndent(s.OpenAPIDocument(), "", "  ")
	})
	if c.err != nil {
		return nil, c.err
	}
	return Raw{ContentType: jsonType, Body: c.body}, nil
}

// openapiCache holds the encoded document.
type openapiCache struct {
	once sync.Once
	body []byte
	err  error
}
