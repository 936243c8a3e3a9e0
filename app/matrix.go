package app

import (
	"context"
	"fmt"

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
	a.Lab.Exports = files.Exports{Layout: a.Layout}
	return nil
}
