package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/http"
	"path"
	"time"

	"sigmalab/engine"
)

// Download is a file sent as an attachment: Content-Disposition names it,
// a content-hash ETag (and Last-Modified when ModTime is set) lets clients
// revalidate with If-None-Match / If-Modified-Since, and Range requests get
// 206 partial content (http.ServeContent does the conditional and range
// logic).
type Download struct {
	Name        string // file name offered to the client
	ContentType string
	ModTime     time.Time // zero: no Last-Modified
	Body        []byte
}

// serve writes d for r.
func (d Download) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if d.ContentType != "" {
		h.Set("Content-Type", d.ContentType)
	}
	if d.Name != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	}
	sum := sha256.Sum256(d.Body)
	h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	http.ServeContent(w, r, d.Name, d.ModTime.UTC().Truncate(time.Second), bytes.NewReader(d.Body))
}

// artifactDownload sends a stored artifact under its file name (id plus the
// extension of its stored path).
func artifactDownload(a engine.Artifact, b []byte) Download {
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	name := path.Base(a.URI)
	if a.URI == "" {
		name = a.ID
	}
	return Download{Name: name, ContentType: ct, ModTime: a.CreatedAt, Body: b}
}

// matrixFileName names a matrix download: <model>-<build>.<ext>.
func matrixFileName(modelID, buildID, ext string) string {
	return modelID + "-" + buildID + "." + ext
}
