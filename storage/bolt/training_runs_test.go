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

func TestTrainingRunsAndArtifactRows(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "sigmalab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
