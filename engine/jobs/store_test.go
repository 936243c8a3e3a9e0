package jobs_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

// memStore is a stand-in used until the bbolt store is wired into these tests.
type memStore struct {
	mu   sync.Mutex
	seq  int64
	rows map[int64]jobs.Job
	puts atomic.Int64
}

func newMemStore() *memStore { return &memStore{rows: map[int64]jobs.Job{}} }

func (m *memStore) CreateJob(_ context.Context, j *jobs.Job) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	j.ID = m.seq
	m.rows[j.ID] = *j
	return nil
}

func (m *memStore) PutJob(_ context.Context, j *jobs.Job) error {
	m.puts.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[j.ID] = *j
	return nil
}

func (m *memStore) GetJob(_ context.Context, id int64) (jobs.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.rows[id]
	if !ok {
		return jobs.Job{}, fmt.Errorf("job %d: %w", id, errs.ErrNotFound)
	}
	return j, nil
}

func (m *memStore) ListJobs(_ context.Context, f jobs.Filter) ([]jobs.Job, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []jobs.Job
	for _, j := range m.rows {
		if f.Match(&j) {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID > out[b].ID })
	total := len(out)
	if f.Offset > len(out) {
		f.Offset = len(out)
	}
	out = out[f.Offset:]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total, nil
}

func (m *memStore) InterruptJobs(_ context.Context, at time.Time, msg string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, j := range m.rows {
		if j.Status == jobs.Queued || j.Status == jobs.Running {
			j.Status, j.Message, j.FinishedAt = jobs.Interrupted, msg, &at
			m.rows[id] = j
			n++
		}
	}
	return n, nil
}
