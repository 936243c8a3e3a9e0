// Package assets embeds the files the binary carries: the built-in packs (YAML)
// and, later, the web UI and OpenAPI golden.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed packs
var packs embed.FS

// Packs returns the built-in packs, rooted so that "zerosigma/pack.yaml" is a path.
func Packs() fs.FS {
	sub, err := fs.Sub(packs, "packs")
	if err != nil {
		panic(err) // "packs" is embedded at build time; absence is a build bug
	}
	return sub
}
