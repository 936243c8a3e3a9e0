package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"sigmalab/assets"
)

// uiFile is one embedded UI file, read once at start with its validator.
type uiFile struct {
	body  []byte
	ctype string
	etag  string
}

// uiCSP keeps the UI self-contained: scripts, styles, images and API calls
// come from this server only (nothing is fetched from elsewhere at run time).
const uiCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// routesUI serves the embedded web UI under /ui/ (/ui and /ui/ give the page;
// the page routes by the URL fragment, so no other path needs to know it).
//
// Static files are the one place a handler writes headers itself: validators,
// caching and the content security policy are properties of the file, and
// http.ServeContent answers If-None-Match, Range and HEAD for them.
func (s *Server) routesUI() {
	files := loadUI(assets.UI())
	serve := func(w http.ResponseWriter, r *http.Request, name string) {
		f, ok := files[name]
		if !ok {
			s.notFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", "no-cache") // revalidate: a new binary brings a new UI
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", uiCSP)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	}
	index := func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		serve(w, r, "index.html")
	}
	file := func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		name := strings.TrimPrefix(p.ByName("filepath"), "/")
		if name == "" {
			name = "index.html"
		}
		serve(w, r, name)
	}
	s.raw(http.MethodGet, "/ui", "the web UI (HTML; routes by the URL fragment)", index)
	s.raw(http.MethodGet, "/ui/*filepath", "the web UI's files (HTML, CSS, ES modules), embedded in the binary", file)
}

// raw registers a handler that writes its own answer (static files), listed
// by GET / like every route; a GET also answers HEAD.
func (s *Server) raw(method, p, summary string, h httprouter.Handle) {
	s.routes = append(s.routes, Route{Method: method, Path: p, Summary: summary})
	s.router.Handle(method, p, h)
	if method == http.MethodGet {
		s.router.Handle(http.MethodHead, p, h)
	}
}

// loadUI reads every embedded UI file once; a file that cannot be read is a
// build bug, so it panics at start rather than 500 later.
func loadUI(fsys fs.FS) map[string]uiFile {
	files := map[string]uiFile{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js", ".mjs":
			ctype = "text/javascript; charset=utf-8"
		case ".html":
			ctype = "text/html; charset=utf-8"
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		sum := sha256.Sum256(b)
		files[name] = uiFile{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic("embedded UI: " + err.Error())
	}
	return files
}
