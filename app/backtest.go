package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"sigmalab/engine/backtest"
	"sigmalab/engine/errs"
	"sigmalab/storage/files"
)

// oofCacheEntries bounds the in-memory OOF cache (each entry is a few MB for
// 100k rows); older setups are reloaded from their persisted artifact.
const oofCacheEntries = 16

// wireBacktest attaches the backtest run store (bbolt), the artifact files
// (plots, model cards, persisted OOF predictions) and the OOF cache.
func (a *App) wireBacktest() error {
	a.Lab.Backtests = a.DB.Backtests()
	a.Lab.Artifacts = artifactFiles{a.Layout}
	a.Lab.OOFs = backtest.NewCache(oofCacheEntries)
	return nil
}

// artifactFiles stores artifacts/<kind>/<name> atomically under the data dir.
type artifactFiles struct{ layout files.Layout }

// WriteArtifact implements engine.ArtifactStore.
func (f artifactFiles) WriteArtifact(_ context.Context, kind, name string, data []byte) (string, error) {
	path, err := f.layout.ArtifactPath(kind, name, "")
	if err != nil {
		return "", err
	}
	if err := files.WriteFile(path, data); err != nil {
		return "", err
	}
	rel, err := filepathRel(f.layout.Root, path)
	if err != nil {
		return path, nil
	}
	return rel, nil
}

// ReadArtifact implements engine.ArtifactStore.
func (f artifactFiles) ReadArtifact(_ context.Context, kind, name string) ([]byte, error) {
	path, err := f.layout.ArtifactPath(kind, name, "")
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("artifact %s/%s: %w", kind, name, errs.ErrNotFound)
	}
	return b, err
}
