package jobs_test

import (
	"io"
	"log/slog"
	"testing"

	"sigmalab/engine/jobs"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testStore wraps the store under test and counts writes (to check throttling).
type testStore struct {
	Store jobs.Store
	mem   *memStore
	dead  bool
}

func newTestStore(t *testing.T) *testStore {
	m := newMemStore()
	return &testStore{Store: m, mem: m}
}

func (s *testStore) Puts() int64 { return s.mem.puts.Load() }

// Crash stops the store from accepting writes from the old process.
func (s *testStore) Crash() { s.dead = true }

// Reopen returns a store over the same persisted data.
func (s *testStore) Reopen(t *testing.T) *testStore {
	m := newMemStore()
	m.seq = s.mem.seq
	for k, v := range s.mem.rows {
		m.rows[k] = v
	}
	return &testStore{Store: m, mem: m}
}
