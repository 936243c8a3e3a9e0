package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"

	"sigmalab/engine/jobs"
	"sigmalab/storage/bolt"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testStore is the real bbolt store in a temp dir, with a write counter in front
// of it (to check progress throttling).
type testStore struct {
	Store jobs.Store
	db    *bolt.DB
	path  string
	puts  atomic.Int64
}

type countingStore struct {
	*bolt.DB
	n *atomic.Int64
}

func (c countingStore) PutJob(ctx context.Context, j *jobs.Job) error {
	c.n.Add(1)
	return c.DB.PutJob(ctx, j)
}

func openTestStore(t *testing.T, path string) *testStore {
	t.Helper()
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s := &testStore{db: db, path: path}
	s.Store = countingStore{DB: db, n: &s.puts}
	return s
}

func newTestStore(t *testing.T) *testStore {
	return openTestStore(t, filepath.Join(t.TempDir(), "sigmalab.db"))
}

func (s *testStore) Puts() int64 { return s.puts.Load() }

// Crash closes the database under the running process, as kill -9 would: nothing
// the old runner does afterwards reaches the file.
func (s *testStore) Crash() { _ = s.db.Close() }

// Reopen opens the same database file again, as a restarted process would.
func (s *testStore) Reopen(t *testing.T) *testStore { return openTestStore(t, s.path) }
