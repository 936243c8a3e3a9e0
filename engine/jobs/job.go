// Package jobs runs long work (matrix builds, training, backtests, sweeps, imports)
// in the background with persisted state, progress, cancellation and retry.
//
// The package is storage-agnostic: it declares the Store port it needs and
// storage/bolt implements it. Records survive restarts; on start-up every job a
// previous process left queued or running is marked interrupted, and Retry
// re-queues it with its original params.
//
// Registering a kind is one line, usually next to the route that submits it:
//
//	jobs.Register(runner, "train", jobs.Heavy, func(ctx context.Context, t *jobs.Task, req TrainRequest) (any, error) {
//		return lab.Train(ctx, req, t.Progress)
//	})
//
// and the route answers `async: true` with runner.Submit(ctx, "train", user, req).
package jobs

import (
	"context"
	"encoding/json"
	"time"
)

// Status is a job's lifecycle state.
type Status string

// Job states. queued → running → completed|failed|cancelled; queued|running →
// interrupted when the process stops (gracefully or not) before the job ends.
const (
	Queued      Status = "queued"
	Running     Status = "running"
	Completed   Status = "completed"
	Failed      Status = "failed"
	Cancelled   Status = "cancelled"
	Interrupted Status = "interrupted"
)

// Valid reports whether s is one of the known states.
func (s Status) Valid() bool {
	switch s {
	case Queued, Running, Completed, Failed, Cancelled, Interrupted:
		return true
	}
	return false
}

// Terminal reports whether a job in state s will not change without a retry.
func (s Status) Terminal() bool {
	switch s {
	case Completed, Failed, Cancelled, Interrupted:
		return true
	}
	return false
}

// Retryable reports whether Retry accepts a job in state s. Completed jobs are
// not retried: their result stands; submit a new job instead.
func (s Status) Retryable() bool {
	return s == Failed || s == Cancelled || s == Interrupted
}

// Job is the persisted record of one unit of background work.
type Job struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	Status     Status          `json:"status"`
	Progress   float64         `json:"progress"` // 0..1
	Message    string          `json:"message"`
	Params     json.RawMessage `json:"params,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      string          `json:"error,omitempty"`
	User       string          `json:"user"`
	Attempts   int             `json:"attempts"` // runs started so far; retries add one
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
}

// Filter selects jobs for listing. Zero fields do not filter.
type Filter struct {
	User   string
	Kind   string
	Status Status
	Limit  int // <= 0 means no limit
	Offset int
}

// Match reports whether j passes the filter's field conditions (not paging).
func (f Filter) Match(j *Job) bool {
	return (f.User == "" || j.User == f.User) &&
		(f.Kind == "" || j.Kind == f.Kind) &&
		(f.Status == "" || j.Status == f.Status)
}

// Store persists job records. Implementations must be safe for concurrent use.
type Store interface {
	// CreateJob inserts j, assigning j.ID (monotonically increasing).
	CreateJob(ctx context.Context, j *Job) error
	// PutJob overwrites the record with j.ID.
	PutJob(ctx context.Context, j *Job) error
	// GetJob returns the record or an error wrapping errs.ErrNotFound.
	GetJob(ctx context.Context, id int64) (Job, error)
	// ListJobs returns matching jobs newest first, paged by f.Limit/f.Offset,
	// and the total number of matches.
	ListJobs(ctx context.Context, f Filter) ([]Job, int, error)
	// InterruptJobs marks every queued or running job interrupted (finished_at =
	// at, message = msg) in one transaction and returns how many it changed.
	InterruptJobs(ctx context.Context, at time.Time, msg string) (int, error)
}
