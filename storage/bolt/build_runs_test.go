package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

func TestBuildRuns(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "sigmalab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.BuildRuns()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ids []int64
	for i, model := range []string{"a", "b", "a"} {
		r, err := s.CreateBuildRun(ctx, engine.BuildRun{ModelID: model, PackID: "p", Status: engine.BuildRunning,
			CreatedAt: t0.Add(time.Duration(i) * time.Hour), Params: map[string]any{"tag": "x"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	r, err := s.GetBuildRun(ctx, ids[2])
	if err != nil || r.ModelID != "a" {
		t.Fatalf("get: %+v %v", r, err)
	}
	r.Status = engine.BuildCompleted
	if err := s.UpdateBuildRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	rows, total, err := s.ListBuildRuns(ctx, engine.BuildRunFilter{ModelID: "a"}, 0, 10)
	if err != nil || total != 2 || rows[0].ID != ids[2] || rows[0].Status != engine.BuildCompleted {
		t.Fatalf("list: %+v %d %v", rows, total, err)
	}
	rows, total, _ = s.ListBuildRuns(ctx, engine.BuildRunFilter{}, 1, 1)
	if total != 3 || len(rows) != 1 || rows[0].ID != ids[1] {
		t.Fatalf("page: %+v %d", rows, total)
	}
	if _, total, _ = s.ListBuildRuns(ctx, engine.BuildRunFilter{Tag: "x", Start: t0.Add(time.Hour)}, 0, 10); total != 2 {
		t.Fatalf("tag/start filter total %d", total)
	}
	if _, err := s.GetBuildRun(ctx, 99); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.UpdateBuildRun(ctx, engine.BuildRun{ID: 99}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}
