package app

import (
	"io"
	"path/filepath"

	"sigmalab/storage/files"
	"sigmalab/storage/parquet"
)

// wireMatrix attaches the matrix store (Parquet under matrices/), the
// build_runs store and the exports writer to the Lab.
func (a *App) wireMatrix() error {
	a.Lab.Matrices = parquet.NewMatrixStore(filepath.Join(a.Layout.Root, files.DirMatrices))
	a.Lab.BuildRuns = a.DB.BuildRuns()
	a.Lab.Exports = exportFiles{a.Layout}
	return nil
}

// exportFiles writes user-named outputs under exports/ (path confinement by
// storage/files: .., absolute paths and symlinks out are ErrInvalid).
type exportFiles struct{ layout files.Layout }

// ResolveExport implements engine.ExportWriter.
func (e exportFiles) ResolveExport(name string) (string, error) { return e.layout.ResolveExport(name) }

// WriteExport implements engine.ExportWriter; it returns the data-dir relative path.
func (e exportFiles) WriteExport(name string, write func(w io.Writer) error) (string, error) {
	path, err := e.layout.ResolveExport(name)
	if err != nil {
		return "", err
	}
	if err := files.WriteAtomic(path, write); err != nil {
		return "", err
	}
	rel, err := filepathRel(e.layout.Root, path)
	if err != nil {
		return path, nil
	}
	return rel, nil
}

func filepathRel(root, p string) (string, error) {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(r), nil
}
