package httpapi

import (
	"io/fs"
	"net/http"
	"path"

	"github.com/julienschmidt/httprouter"

	"sigmalab/assets"
	"sigmalab/engine/errs"
)

// docTypes are the files of the docs page, by extension; nothing else is served.
var docTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

func (s *Server) routesDocs() {
	s.GET("/openapi.json", "OpenAPI 3.1 description of every route, generated from the route table and the request and response types", s.getOpenAPI)
	s.GET("/docs", "API documentation in the browser (renders /openapi.json; no external assets)", s.getDocs)
	s.GET("/docs/:file", "a script or style sheet of the documentation page", s.getDocsFile)
}

func (s *Server) getDocs(_ *http.Request, _ httprouter.Params) (any, error) {
	b, err := fs.ReadFile(assets.Docs(), "index.html")
	if err != nil {
		return nil, err
	}
	return Raw{ContentType: "text/html; charset=utf-8", Body: b}, nil
}

func (s *Server) getDocsFile(_ *http.Request, p httprouter.Params) (any, error) {
	name := p.ByName("file")
	ct, ok := docTypes[path.Ext(name)]
	if !ok || !fs.ValidPath(name) {
		return nil, errs.Msgf(errs.ErrNotFound, "no docs file %q", name)
	}
	b, err := fs.ReadFile(assets.Docs(), name)
	if err != nil {
		return nil, errs.Msgf(errs.ErrNotFound, "no docs file %q", name)
	}
	return Raw{ContentType: ct, Body: b}, nil
}
