package app

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

// wireTrain attaches the training_runs store, the artifact registry (files
// under artifacts/ plus rows in the artifacts bucket) and the model-card
// writer to the Lab.
func (a *App) wireTrain() error {
	reg := artifactRegistry{layout: a.Layout, rows: a.DB.ArtifactRows()}
	runs := a.DB.TrainingRuns()
	// Trainings a previous process left running are interrupted (see wireMatrix).
	if _, err := runs.InterruptTrainingRuns(context.Background(), a.Cfg.Now().UTC()); err != nil {
		return fmt.Errorf("mark interrupted training runs: %w", err)
	}
	a.Lab.TrainingRuns = runs
	a.Lab.ArtifactRegistry = reg
	if a.Lab.Cards == nil {
		a.Lab.Cards = cardFiles{reg: reg}
	}
	return nil
}

// artifactRegistry implements engine.ArtifactRegistry: the file is written
// atomically first and the row last, so an artifact is only ever visible
// (downloadable by id) once complete.
type artifactRegistry struct {
	layout files.Layout
	rows   *bolt.ArtifactRows
}

func (r artifactRegistry) PutArtifact(ctx context.Context, a engine.Artifact, ext string, data []byte) (engine.Artifact, error) {
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
	rel, err := filepathRel(r.layout.Root, path)
	if err != nil {
		return a, err
	}
	sum := sha256.Sum256(data)
	a.URI, a.SHA256, a.SizeBytes = rel, hex.EncodeToString(sum[:]), int64(len(data))
	return a, r.rows.PutArtifactRow(ctx, a)
}

func (r artifactRegistry) GetArtifact(ctx context.Context, id string) (engine.Artifact, []byte, error) {
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

// cardFiles writes model cards as artifacts/cards/<id>.json (registered, so
// GET /artifacts/{id} serves it) with the markdown rendering beside it.
type cardFiles struct{ reg artifactRegistry }

func (c cardFiles) PutCard(ctx context.Context, card engine.ModelCard, markdown string) (string, error) {
	js, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode card: %w", err)
	}
	md, err := c.reg.layout.ArtifactPath("cards", card.ID, ".md")
	if err != nil {
		return "", err
	}
	if err := files.WriteFile(md, []byte(markdown)); err != nil {
		return "", err
	}
	a, err := c.reg.PutArtifact(ctx, engine.Artifact{ID: card.ID, Kind: "cards", PackID: card.PackID, ModelID: card.ModelID,
		ContentType: "application/json", TrainingRunID: trainingRunOf(card), CreatedAt: card.CreatedAt}, ".json", js)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(a.URI), nil
}

func trainingRunOf(c engine.ModelCard) int64 {
	if c.Event == "train" {
		return c.RunID
	}
	return 0
}
