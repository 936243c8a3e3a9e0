package files

import (
	"io"
	"path/filepath"
)

// Exports writes user-named outputs under the data dir's exports/ (the
// engine's ExportWriter): names resolve through the confinement, so "..",
// absolute paths and symlinks leading out are refused.
type Exports struct{ Layout Layout }

// ResolveExport returns the absolute path of name inside exports/.
func (e Exports) ResolveExport(name string) (string, error) { return e.Layout.ResolveExport(name) }

// WriteExport writes name atomically and returns its data-dir relative path.
func (e Exports) WriteExport(name string, write func(w io.Writer) error) (string, error) {
	path, err := e.Layout.ResolveExport(name)
	if err != nil {
		return "", err
	}
	if err := WriteAtomic(path, write); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(e.Layout.Root, path)
	if err != nil {
		return path, nil
	}
	return filepath.ToSlash(rel), nil
}
