package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
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
// The page refers to its files under /ui/v/{version}/, version being a hash
// of every UI file, so they are cached for good (a new binary with another UI
// has another version) and a reload costs one request for the page. The page
// carries the route index (what GET / lists) so the UI knows at once which
// features this server has.
//
// Static files are the one place a handler writes headers itself: validators,
// caching and the content security policy are properties of the file, and
// http.ServeContent answers If-None-Match, Range and HEAD for them.
func (s *Server) routesUI() {
	files, version := loadUI(assets.UI())
	prefix := "v/" + version + "/"
	var (
		indexOnce sync.Once
		index     uiFile
	)
	page := func() uiFile {
		// Built at the first request, when every route is registered.
		indexOnce.Do(func() { index = s.uiIndex(files["index.html"], "/ui/"+prefix) })
		return index
	}
	write := func(w http.ResponseWriter, r *http.Request, f uiFile, cache string) {
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", cache)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", uiCSP)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	}
	serveIndex := func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		write(w, r, page(), "no-cache")
	}
	serveFile := func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		name := strings.TrimPrefix(p.ByName("filepath"), "/")
		cache := "no-cache"
		if rest, ok := strings.CutPrefix(name, "v/"); ok {
			// A page of another version gets today's files, revalidated.
			if v, file, ok := strings.Cut(rest, "/"); ok {
				name = file
				if v == version {
					cache = "public, max-age=31536000, immutable"
				}
			}
		}
		if name == "" || name == "index.html" {
			serveIndex(w, r, p)
			return
		}
		f, ok := files[name]
		if !ok {
			s.notFound(w, r)
			return
		}
		write(w, r, f, cache)
	}
	s.raw(http.MethodGet, "/ui", "the web UI (HTML; routes by the URL fragment)", serveIndex)
	s.raw(http.MethodGet, "/ui/*filepath", "the web UI's files (HTML, CSS, ES modules), embedded in the binary; /ui/v/{version}/… cached for good", serveFile)
}

// uiIndex returns index.html with its file references under base and the
// route index embedded as JSON data (not a script: the CSP allows none inline).
func (s *Server) uiIndex(f uiFile, base string) uiFile {
	type route struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	}
	rs := make([]route, 0, len(s.routes))
	for _, rt := range s.routes {
		rs = append(rs, route{rt.Method, rt.Path})
	}
	data, err := json.Marshal(map[string]any{"version": s.Lab.Version, "routes": rs}) // escapes <, > and &
	if err != nil {
		panic("ui route index: " + err.Error()) // plain strings always encode
	}
	body := bytes.ReplaceAll(f.body, []byte(`"/ui/`), []byte(`"`+base))
	body = bytes.Replace(body, []byte("</head>"),
		append(append([]byte(`<script type="application/json" id="sl-routes">`), data...), []byte("</script>\n</head>")...), 1)
	sum := sha256.Sum256(body)
	return uiFile{body: body, ctype: f.ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
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

// loadUI reads every embedded UI file once and returns them with the UI's
// version (a hash of every name and body). A file that cannot be read is a
// build bug, so it panics at start rather than 500 later.
func loadUI(fsys fs.FS) (map[string]uiFile, string) {
	files := map[string]uiFile{}
	var names []string
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
		names = append(names, name)
		return nil
	})
	if err != nil {
		panic("embedded UI: " + err.Error())
	}
	sort.Strings(names)
	all := sha256.New()
	for _, n := range names {
		all.Write([]byte(n + "\x00" + files[n].etag + "\x00"))
	}
	return files, hex.EncodeToString(all.Sum(nil)[:6])
}
