package bolt

import (
	"context"
	"errors"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// The run tables share seqRows; each test drives one through its engine port.
func TestBuildRuns(t *testing.T) {
	db, _ := openTemp(t)
	s := db.BuildRuns()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ids []int64
	for i, model := range []string{"a", "b", "a"} {
		r, err := s.CreateBuildRun(ctx, engine.BuildRun{ModelID: model, PackID: "p", Status: engine.BuildRunning,
			CreatedAt: t0.Add(time.Duration(i) * time.Hour), Params: engine.BuildParams{Tag: "x"}})
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

func TestTrainingRuns(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	s := db.TrainingRuns()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, model := range []string{"a", "b", "a"} {
		r, err := s.CreateTrainingRun(ctx, engine.TrainingRun{ModelID: model, PackID: "p", Status: engine.TrainRunning,
			CreatedAt: t0.Add(time.Duration(i) * time.Hour), Tag: "x"})
		if err != nil || r.ID != int64(i+1) {
			t.Fatalf("create: %v id %d", err, r.ID)
		}
	}
	r, err := s.GetTrainingRun(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	r.Status, r.Metrics = engine.TrainCompleted, &engine.TrainMetrics{Rows: 42}
	if err := s.UpdateTrainingRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateTrainingRun(ctx, engine.TrainingRun{ID: 99}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	rows, total, err := s.ListTrainingRuns(ctx, engine.TrainingRunFilter{ModelID: "a"}, 0, 10)
	if err != nil || total != 2 || rows[0].ID != 3 || rows[0].Metrics.Rows != 42 || rows[1].ID != 1 {
		t.Fatalf("list a: %v %d %+v", err, total, rows)
	}
	if _, total, _ := s.ListTrainingRuns(ctx, engine.TrainingRunFilter{Status: engine.TrainCompleted}, 0, 10); total != 1 {
		t.Fatalf("status filter total %d", total)
	}
	if _, total, _ := s.ListTrainingRuns(ctx, engine.TrainingRunFilter{Start: t0.Add(90 * time.Minute)}, 0, 10); total != 1 {
		t.Fatalf("start filter total %d", total)
	}
	if _, err := s.GetTrainingRun(ctx, 7); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
}

// Model artifacts of training runs are registered in the artifacts bucket.
func TestArtifactRows(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	a := db.ArtifactRows()
	if err := a.PutArtifactRow(ctx, engine.Artifact{ID: "m-t1", Kind: "models", URI: "artifacts/models/m-t1.json.zst"}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutArtifactRow(ctx, engine.Artifact{ID: "m-t1", Kind: "models", URI: "artifacts/models/m-t1.json.zst", SizeBytes: 9}); err != nil {
		t.Fatalf("replace same kind: %v", err)
	}
	if err := a.PutArtifactRow(ctx, engine.Artifact{ID: "m-t1", Kind: "cards"}); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("same id, other kind: %v", err)
	}
	got, err := a.GetArtifactRow(ctx, "m-t1")
	if err != nil || got.SizeBytes != 9 || got.Kind != "models" {
		t.Fatalf("get: %v %+v", err, got)
	}
	if _, err := a.GetArtifactRow(ctx, "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
}
