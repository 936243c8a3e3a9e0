package bolt

import (
	"context"
	"time"

	"sigmalab/engine"
)

// Training runs live in bucket training_runs as be(id) → engine.TrainingRun
// JSON, so a reverse cursor walk lists them newest first.

// TrainingRuns returns the engine.TrainingRunStore over db.
func (db *DB) TrainingRuns() *TrainingRuns {
	return &TrainingRuns{rows: seqRows[engine.TrainingRun]{db: db, bucket: BucketTrainingRuns, noun: "training run"}}
}

// TrainingRuns implements engine.TrainingRunStore.
type TrainingRuns struct{ rows seqRows[engine.TrainingRun] }

var _ engine.TrainingRunStore = (*TrainingRuns)(nil)

// CreateTrainingRun stores r under the next id.
func (s *TrainingRuns) CreateTrainingRun(_ context.Context, r engine.TrainingRun) (engine.TrainingRun, error) {
	err := s.rows.create(&r, func(r *engine.TrainingRun, id int64) { r.ID = id })
	return r, err
}

// UpdateTrainingRun overwrites an existing row.
func (s *TrainingRuns) UpdateTrainingRun(_ context.Context, r engine.TrainingRun) error {
	return s.rows.update(r.ID, r)
}

// InterruptTrainingRuns marks every training run still running interrupted,
// finished at at: run at start, when no training of this process can be running
// yet, so a kill leaves no row running forever.
func (s *TrainingRuns) InterruptTrainingRuns(_ context.Context, at time.Time) (int, error) {
	return s.rows.interrupt(func(r *engine.TrainingRun) {
		r.Status, r.FinishedAt = engine.TrainInterrupted, &at
		r.Error = "interrupted: the server stopped before the training finished; run it again"
	})
}

// GetTrainingRun loads one row.
func (s *TrainingRuns) GetTrainingRun(_ context.Context, id int64) (engine.TrainingRun, error) {
	return s.rows.get(id)
}

// ListTrainingRuns pages rows newest first.
func (s *TrainingRuns) ListTrainingRuns(_ context.Context, f engine.TrainingRunFilter, offset, limit int) ([]engine.TrainingRun, int, error) {
	return s.rows.list(keepRun(f), offset, limit)
}
