package assets

import (
	"embed"
	"io/fs"
)

//go:embed ui
var ui embed.FS

// UI returns the web UI (plain HTML, CSS and ES modules), rooted so that
// "index.html" is a path. Nothing in it is fetched from elsewhere at run time.
func UI() fs.FS {
	sub, err := fs.Sub(ui, "ui")
	if err != nil {
		panic(err) // "ui" is embedded at build time; absence is a build bug
	}
	return sub
}
