// Package artifacts is the one artifact registry of a data dir: files under
// artifacts/<kind>/ (written atomically, paths confined to the data dir) and,
// for downloadable artifacts, a row in bbolt's artifacts bucket written after
// the file, so an artifact is only ever visible once complete. It implements
// the engine's ArtifactStore (plain files by kind and name: persisted OOF
// predictions, plots where no row is wanted), ArtifactRegistry (file + row,
// served by GET /artifacts/{id}) and CardStore (model cards as registered
// JSON with their markdown beside them).
package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/storage/bolt"
	"sigmalab/storage/files"
)

// CardsKind is the artifact kind of model cards: artifacts/cards/<id>.json
// (registered) and <id>.md.
const CardsKind = "cards"

// Registry stores the artifacts of one data dir.
type Registry struct {
	layout files.Layout
	rows   *bolt.ArtifactRows
}

// New returns the registry over layout's artifacts/ and db's artifacts rows.
func New(layout files.Layout, db *bolt.DB) *Registry {
	return &Registry{layout: layout, rows: db.ArtifactRows()}
}

var (
	_ engine.ArtifactStore    = (*Registry)(nil)
	_ engine.ArtifactRegistry = (*Registry)(nil)
	_ engine.CardStore        = (*Registry)(nil)
)

// WriteArtifact implements engine.ArtifactStore: the file only, no row.
func (r *Registry) WriteArtifact(_ context.Context, kind, name string, data []byte) (string, error) {
	path, err := r.layout.ArtifactPath(kind, name, "")
	if err != nil {
		return "", err
	}
	if err := files.WriteFile(path, data); err != nil {
		return "", err
	}
	return r.rel(path)
}

// ReadArtifact implements engine.ArtifactStore.
func (r *Registry) ReadArtifact(_ context.Context, kind, name string) ([]byte, error) {
	path, err := r.layout.ArtifactPath(kind, name, "")
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("artifact %s/%s: %w", kind, name, errs.ErrNotFound)
	}
	return b, err
}

// PutArtifact implements engine.ArtifactRegistry: the file first, then its
// row (with size and sha256).
func (r *Registry) PutArtifact(ctx context.Context, a engine.Artifact, ext string, data []byte) (engine.Artifact, error) {
	if !engine.ValidID(a.ID) || !engine.ValidID(a.Kind) {
		return a, errs.Invalidf("artifact kind %q / id %q", a.Kind, a.ID)
	}
	path, err := r.layout.ArtifactPath(a.Kind, a.ID, ext)
	if err != nil {
		return a, err
	}
	if err := files.WriteFile(path, data); err != nil {
		return a, err
	}
	rel, err := r.rel(path)
	if err != nil {
		return a, err
	}
	sum := sha256.Sum256(data)
	a.URI, a.SHA256, a.SizeBytes = rel, hex.EncodeToString(sum[:]), int64(len(data))
	return a, r.rows.PutArtifactRow(ctx, a)
}

// GetArtifact implements engine.ArtifactRegistry.
func (r *Registry) GetArtifact(ctx context.Context, id string) (engine.Artifact, []byte, error) {
	a, err := r.rows.GetArtifactRow(ctx, id)
	if err != nil {
		return a, nil, err
	}
	path, err := r.layout.Resolve(a.URI)
	if err != nil {
		return a, nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return a, nil, errs.NotFoundf("artifact %s: file %s is missing", id, a.URI)
	}
	return a, b, err
}

// PutCard implements engine.CardStore: the markdown file, then the card JSON
// as a registered artifact (so GET /artifacts/{id} serves it).
func (r *Registry) PutCard(ctx context.Context, card engine.ModelCard, markdown string) (string, error) {
	js, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode card: %w", err)
	}
	md, err := r.layout.ArtifactPath(CardsKind, card.ID, ".md")
	if err != nil {
		return "", err
	}
	if err := files.WriteFile(md, []byte(markdown)); err != nil {
		return "", err
	}
	run := int64(0)
	if card.Event == "train" {
		run = card.RunID
	}
	a, err := r.PutArtifact(ctx, engine.Artifact{ID: card.ID, Kind: CardsKind, PackID: card.PackID, ModelID: card.ModelID,
		ContentType: "application/json", TrainingRunID: run, CreatedAt: card.CreatedAt}, ".json", js)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(a.URI), nil
}

// rel is path relative to the data dir, with forward slashes.
func (r *Registry) rel(path string) (string, error) {
	rel, err := filepath.Rel(r.layout.Root, path)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}
