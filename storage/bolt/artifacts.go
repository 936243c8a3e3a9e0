package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// Artifact rows live in bucket artifacts as kind|artifact_id → engine.Artifact
// JSON. Ids are unique across kinds (GET /artifacts/{id} has no kind), which
// PutArtifactRow enforces.

// ArtifactRows returns the artifact-row store over db.
func (db *DB) ArtifactRows() *ArtifactRows { return &ArtifactRows{db: db} }

// ArtifactRows stores and finds artifact rows.
type ArtifactRows struct{ db *DB }

// findArtifact returns the key of id under any kind, or nil.
func findArtifact(b *bbolt.Bucket, id string) []byte {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		parts := SplitKey(k)
		if len(parts) == 2 && parts[1] == id {
			return k
		}
	}
	return nil
}

// PutArtifactRow stores (or replaces) a's row. ErrConflict when the id is
// already used by another kind.
func (s *ArtifactRows) PutArtifactRow(_ context.Context, a engine.Artifact) error {
	if a.ID == "" || a.Kind == "" {
		return errs.Invalidf("artifact row needs an id and a kind")
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketArtifacts))
		key := Key(a.Kind, a.ID)
		if k := findArtifact(b, a.ID); k != nil && string(k) != string(key) {
			return fmt.Errorf("artifact id %s already used by another kind: %w", a.ID, errs.ErrConflict)
		}
		return PutJSON(b, key, a)
	})
}

// GetArtifactRow finds an artifact row by id (ErrNotFound when absent).
func (s *ArtifactRows) GetArtifactRow(_ context.Context, id string) (engine.Artifact, error) {
	var a engine.Artifact
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketArtifacts))
		k := findArtifact(b, id)
		if k == nil {
			return errs.NotFoundf("artifact %s", id)
		}
		return json.Unmarshal(b.Get(k), &a)
	})
	return a, err
}
