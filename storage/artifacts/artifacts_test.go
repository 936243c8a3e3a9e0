package artifacts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/storage/bolt"
	"sigmalab/storage/files"
)

func open(t *testing.T) (*Registry, string) {
	t.Helper()
	dir := t.TempDir()
	layout, err := files.NewLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := layout.Init(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(layout.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(layout, db), dir
}

func TestRegistryRoundTrips(t *testing.T) {
	r, dir := open(t)
	ctx := context.Background()
	// Plain files by kind and name.
	uri, err := r.WriteArtifact(ctx, "oof", "k.gob.zst", []byte("abc"))
	if err != nil || uri != "artifacts/oof/k.gob.zst" {
		t.Fatalf("write: %q %v", uri, err)
	}
	if b, err := r.ReadArtifact(ctx, "oof", "k.gob.zst"); err != nil || string(b) != "abc" {
		t.Fatalf("read: %q %v", b, err)
	}
	if _, err := r.ReadArtifact(ctx, "oof", "missing"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	// Registered artifacts carry size and sha256 and are found by id.
	a, err := r.PutArtifact(ctx, engine.Artifact{ID: "m-1", Kind: "models", ModelID: "m", CreatedAt: time.Unix(1, 0)}, ".json.zst", []byte("model"))
	if err != nil || a.SizeBytes != 5 || len(a.SHA256) != 64 || a.URI != "artifacts/models/m-1.json.zst" {
		t.Fatalf("put: %+v %v", a, err)
	}
	got, b, err := r.GetArtifact(ctx, "m-1")
	if err != nil || string(b) != "model" || got.SHA256 != a.SHA256 {
		t.Fatalf("get: %+v %q %v", got, b, err)
	}
	if _, err := r.PutArtifact(ctx, engine.Artifact{ID: "../x", Kind: "models"}, ".json", nil); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("bad id: %v", err)
	}
	// A card: markdown beside the registered JSON.
	uri, err = r.PutCard(ctx, engine.ModelCard{ID: "m-train-1", ModelID: "m", Event: "train", RunID: 1}, "# card")
	if err != nil || uri != "artifacts/cards/m-train-1.json" {
		t.Fatalf("card: %q %v", uri, err)
	}
	if md, err := os.ReadFile(filepath.Join(dir, "artifacts", "cards", "m-train-1.md")); err != nil || string(md) != "# card" {
		t.Fatalf("card markdown: %q %v", md, err)
	}
	if a, _, err := r.GetArtifact(ctx, "m-train-1"); err != nil || a.TrainingRunID != 1 {
		t.Fatalf("card row: %+v %v", a, err)
	}
}
