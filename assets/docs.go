package assets

import (
	"embed"
	"io/fs"
)

//go:embed docs
var docs embed.FS

// Docs returns the API documentation page (index.html, docs.js, docs.css),
// which renders GET /openapi.json in the browser without any CDN.
func Docs() fs.FS {
	sub, err := fs.Sub(docs, "docs")
	if err != nil {
		panic(err) // embedded at build time; absence is a build bug
	}
	return sub
}
