package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// Training runs live in bucket training_runs as be(id) → engine.TrainingRun
// JSON, so a reverse cursor walk lists them newest first.

// TrainingRuns returns the engine.TrainingRunStore over db.
func (db *DB) TrainingRuns() *TrainingRuns { return &TrainingRuns{db: db} }

// TrainingRuns implements engine.TrainingRunStore.
type TrainingRuns struct{ db *DB }

var _ engine.TrainingRunStore = (*TrainingRuns)(nil)

// CreateTrainingRun stores r under the next id.
func (s *TrainingRuns) CreateTrainingRun(_ context.Context, r engine.TrainingRun) (engine.TrainingRun, error) {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketTrainingRuns))
		id, key, err := NextID(b)
		if err != nil {
			return fmt.Errorf("training run id: %w", err)
		}
		r.ID = int64(id)
		return PutJSON(b, key, r)
	})
	return r, err
}

// UpdateTrainingRun overwrites an existing row.
func (s *TrainingRuns) UpdateTrainingRun(_ context.Context, r engine.TrainingRun) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketTrainingRuns))
		key := U64(uint64(r.ID))
		if r.ID <= 0 || b.Get(key) == nil {
			return errs.NotFoundf("training run %d", r.ID)
		}
		return PutJSON(b, key, r)
	})
}

// GetTrainingRun loads one row.
func (s *TrainingRuns) GetTrainingRun(_ context.Context, id int64) (engine.TrainingRun, error) {
	var r engine.TrainingRun
	if id <= 0 {
		return r, errs.NotFoundf("training run %d", id)
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		found, err := GetJSON(tx.Bucket([]byte(BucketTrainingRuns)), U64(uint64(id)), &r)
		if err == nil && !found {
			err = errs.NotFoundf("training run %d", id)
		}
		return err
	})
	return r, err
}

// trainingRunKeys is the part of a row that filters read.
type trainingRunKeys struct {
	PackID    string         `json:"pack_id"`
	ModelID   string         `json:"model_id"`
	Tag       string         `json:"tag"`
	Status    string         `json:"status"`
	Params    map[string]any `json:"params"`
	CreatedAt time.Time      `json:"created_at"`
}

// ListTrainingRuns pages rows newest first. The tag filter matches the tag
// column or params.tag (where the predecessor looked).
func (s *TrainingRuns) ListTrainingRuns(_ context.Context, f engine.TrainingRunFilter, offset, limit int) ([]engine.TrainingRun, int, error) {
	out := []engine.TrainingRun{}
	var total int
	err := s.db.View(func(tx *bbolt.Tx) error {
		o := ListOpts{Reverse: true, Offset: offset, Limit: limit}
		if f != (engine.TrainingRunFilter{}) {
			o.Filter = func(_, v []byte) bool {
				var k trainingRunKeys
				if json.Unmarshal(v, &k) != nil {
					return false
				}
				tag := k.Tag
				if tag == "" {
					tag, _ = k.Params["tag"].(string)
				}
				return (f.PackID == "" || k.PackID == f.PackID) && (f.ModelID == "" || k.ModelID == f.ModelID) &&
					(f.Tag == "" || tag == f.Tag) && (f.Status == "" || k.Status == f.Status) &&
					(f.Start.IsZero() || !k.CreatedAt.Before(f.Start)) && (f.End.IsZero() || !k.CreatedAt.After(f.End))
			}
		}
		var err error
		total, err = List(tx.Bucket([]byte(BucketTrainingRuns)), o, func(_, v []byte) error {
			var r engine.TrainingRun
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
		return err
	})
	return out, total, err
}
