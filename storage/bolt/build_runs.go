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

// Build runs live in bucket build_runs as be(id) → engine.BuildRun JSON, so a
// reverse cursor walk lists them newest first.

// BuildRuns returns the engine.BuildRunStore over db.
func (db *DB) BuildRuns() *BuildRuns { return &BuildRuns{db: db} }

// BuildRuns implements engine.BuildRunStore.
type BuildRuns struct{ db *DB }

var _ engine.BuildRunStore = (*BuildRuns)(nil)

func buildRunKey(id int64) []byte { return U64(uint64(id)) }

// CreateBuildRun stores r under the next id.
func (s *BuildRuns) CreateBuildRun(_ context.Context, r engine.BuildRun) (engine.BuildRun, error) {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketBuildRuns))
		id, key, err := NextID(b)
		if err != nil {
			return fmt.Errorf("build run id: %w", err)
		}
		r.ID = int64(id)
		return PutJSON(b, key, r)
	})
	return r, err
}

// UpdateBuildRun overwrites an existing row.
func (s *BuildRuns) UpdateBuildRun(_ context.Context, r engine.BuildRun) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(BucketBuildRuns))
		key := buildRunKey(r.ID)
		if r.ID <= 0 || b.Get(key) == nil {
			return errs.NotFoundf("build run %d", r.ID)
		}
		return PutJSON(b, key, r)
	})
}

// GetBuildRun loads one row.
func (s *BuildRuns) GetBuildRun(_ context.Context, id int64) (engine.BuildRun, error) {
	var r engine.BuildRun
	if id <= 0 {
		return r, errs.NotFoundf("build run %d", id)
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		found, err := GetJSON(tx.Bucket([]byte(BucketBuildRuns)), buildRunKey(id), &r)
		if err == nil && !found {
			err = errs.NotFoundf("build run %d", id)
		}
		return err
	})
	return r, err
}

// buildRunKeys is the part of a row that filters read.
type buildRunKeys struct {
	PackID    string         `json:"pack_id"`
	ModelID   string         `json:"model_id"`
	Tag       string         `json:"tag"`
	Status    string         `json:"status"`
	Params    map[string]any `json:"params"`
	CreatedAt time.Time      `json:"created_at"`
}

// ListBuildRuns pages rows newest first. The tag filter matches the tag column
// or params.tag (where the predecessor looked).
func (s *BuildRuns) ListBuildRuns(_ context.Context, f engine.BuildRunFilter, offset, limit int) ([]engine.BuildRun, int, error) {
	out := []engine.BuildRun{}
	var total int
	err := s.db.View(func(tx *bbolt.Tx) error {
		o := ListOpts{Reverse: true, Offset: offset, Limit: limit}
		if f != (engine.BuildRunFilter{}) {
			o.Filter = func(_, v []byte) bool {
				var k buildRunKeys
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
		total, err = List(tx.Bucket([]byte(BucketBuildRuns)), o, func(_, v []byte) error {
			var r engine.BuildRun
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
