package httpapi_test

import (
	"context"
	"errors"
	"testing"

	"sigmalab/engine"
	"sigmalab/httpapi/apitest"
)

type failingCards struct{}

func (failingCards) PutCard(context.Context, engine.ModelCard, string) (string, error) {
	return "", errors.New("read-only file system")
}

type failingRegistry struct{ engine.ArtifactRegistry }

func (failingRegistry) PutArtifact(_ context.Context, a engine.Artifact, _ string, _ []byte) (engine.Artifact, error) {
	return a, errors.New("no space left on device")
}

// TestFailedSaveStoresNoRun: a backtest with save:true that cannot write its
// plots or its card answers an error and leaves no run that looks complete.
func TestFailedSaveStoresNoRun(t *testing.T) {
	env := demoEnvWithMatrix(t)
	model := demoModel
	body := map[string]any{"model_id": model, "splits": 3, "save": true, "hyperparams": map[string]any{"n_estimators": 20, "max_depth": 3}}
	lab := env.App.Lab
	cards, reg := lab.Cards, lab.ArtifactRegistry
	lab.Cards = failingCards{}
	if code, out := env.JSON("POST", "/backtest", body); code < 500 || out["ok"] != false {
		t.Fatalf("card write failed but the backtest answered %d %v", code, out["error"])
	}
	lab.Cards, lab.ArtifactRegistry = cards, failingRegistry{reg}
	if code, out := env.JSON("POST", "/backtest", body); code < 500 || out["ok"] != false {
		t.Fatalf("plot write failed but the backtest answered %d %v", code, out["error"])
	}
	lab.ArtifactRegistry = reg
	env.Run(t, []apitest.Scenario{{Name: "no run stored", URL: "/leaderboard?model_id=" + model, Contains: []string{`"total":0`}}})
	if code, out := env.JSON("POST", "/backtest", body); code != 200 || out["run_id"] == nil || out["card_uri"] == "" {
		t.Fatalf("with working storage: %d %v", code, out["error"])
	}
}
