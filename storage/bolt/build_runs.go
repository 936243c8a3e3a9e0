package bolt

import (
	"context"
	"time"

	"sigmalab/engine"
)

// Build runs live in bucket build_runs as be(id) → engine.BuildRun JSON, so a
// reverse cursor walk lists them newest first.

// BuildRuns returns the engine.BuildRunStore over db.
func (db *DB) BuildRuns() *BuildRuns {
	return &BuildRuns{rows: seqRows[engine.BuildRun]{db: db, bucket: BucketBuildRuns, noun: "build run"}}
}

// BuildRuns implements engine.BuildRunStore.
type BuildRuns struct{ rows seqRows[engine.BuildRun] }

var _ engine.BuildRunStore = (*BuildRuns)(nil)

// CreateBuildRun stores r under the next id.
func (s *BuildRuns) CreateBuildRun(_ context.Context, r engine.BuildRun) (engine.BuildRun, error) {
	err := s.rows.create(&r, func(r *engine.BuildRun, id int64) { r.ID = id })
	return r, err
}

// UpdateBuildRun overwrites an existing row.
func (s *BuildRuns) UpdateBuildRun(_ context.Context, r engine.BuildRun) error {
	return s.rows.update(r.ID, r)
}

// InterruptBuildRuns marks every build run still running interrupted, finished
// at at: run at start, when no build of this process can be running yet, so a
// kill leaves no row running forever.
func (s *BuildRuns) InterruptBuildRuns(_ context.Context, at time.Time) (int, error) {
	return s.rows.interrupt(func(r *engine.BuildRun) {
		r.Status, r.FinishedAt = engine.BuildInterrupted, &at
		r.Error = "interrupted: the server stopped before the build finished; run it again"
	})
}

// GetBuildRun loads one row.
func (s *BuildRuns) GetBuildRun(_ context.Context, id int64) (engine.BuildRun, error) {
	return s.rows.get(id)
}

// ListBuildRuns pages rows newest first.
func (s *BuildRuns) ListBuildRuns(_ context.Context, f engine.BuildRunFilter, offset, limit int) ([]engine.BuildRun, int, error) {
	return s.rows.list(keepRun(f), offset, limit)
}
