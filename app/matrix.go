package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"sigmalab/storage/files"
	"sigmalab/storage/parquet"
)

// wireMatrix attaches the matrix store (Parquet under matrices/), the
// build_runs store and the exports writer to the Lab. Builds a previous process
// left running are marked interrupted first (as jobs and sweeps are), so a
// kill -9 leaves no row running forever.
func (a *App) wireMatrix() error {
	a.Lab.Matrices = parquet.NewMatrixStoreIn(a.Layout.Dir(files.DirMatrices))
	runs := a.DB.BuildRuns()
	if _, err := runs.InterruptBuildRuns(context.Background(), a.Cfg.Now().UTC()); err != nil {
		return fmt.Errorf("mark interrupted build runs: %w", err)
	}
	a.Lab.BuildRuns = runs
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
