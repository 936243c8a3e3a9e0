package app

import (
	"context"
	"fmt"

	"sigmalab/storage/artifacts"
)

// wireTrain attaches the training_runs store, the artifact registry (files
// under artifacts/ plus rows in the artifacts bucket) and the model-card
// writer to the Lab.
func (a *App) wireTrain() error {
	runs := a.DB.TrainingRuns()
	// Trainings a previous process left running are interrupted (see wireMatrix).
	if _, err := runs.InterruptTrainingRuns(context.Background(), a.Cfg.Now().UTC()); err != nil {
		return fmt.Errorf("mark interrupted training runs: %w", err)
	}
	a.Lab.TrainingRuns = runs
	a.Lab.ArtifactRegistry = a.artifacts()
	if a.Lab.Cards == nil {
		a.Lab.Cards = a.artifacts()
	}
	return nil
}

// artifacts is the data dir's one artifact registry.
func (a *App) artifacts() *artifacts.Registry {
	if a.registry == nil {
		a.registry = artifacts.New(a.Layout, a.DB)
	}
	return a.registry
}
