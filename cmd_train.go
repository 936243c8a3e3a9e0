package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"sigmalab/app"
	"sigmalab/engine"
)

// trainFlags defines the flags of `sigmalab train` (the fields of POST /train).
func trainFlags(fs *flag.FlagSet, r *engine.TrainRequest) {
	fs.StringVar(&r.ModelID, "model-id", r.ModelID, "model id (required)")
	fs.StringVar(&r.PackID, "pack-id", r.PackID, "pack id (default: the model's)")
	fs.StringVar(&r.BuildID, "build-id", r.BuildID, "matrix build (default: latest)")
	fs.StringVar(&r.Target, "target", r.Target, "label column (default y, else y_syn)")
	fs.Func("features", `feature columns, e.g. "calls_sold_d0,pc_ratio" (default: the model config's)`, setStrings(&r.Features))
	fs.Func("hours", `hours (ET) to train on, e.g. "13,14" (default all)`, setHours(&r.AllowedHours))
	fs.Func("calibration", "none|sigmoid|isotonic (default sigmoid)", setOptString(&r.Calibration))
	fs.Func("holdout-frac", "time-ordered tail held out for the metrics (default 0.2)", setOptFloat(&r.HoldoutFrac))
	fs.Func("hyperparams", `GBDT overrides as a JSON object, e.g. '{"n_estimators":100}'`, func(s string) error {
		r.Hyperparams = nil
		if err := json.Unmarshal([]byte(s), &r.Hyperparams); err != nil {
			return fmt.Errorf("not a JSON object: %v", err)
		}
		return nil
	})
	fs.StringVar(&r.Tag, "tag", r.Tag, "tag of the stored run")
}

// cmdTrain trains a model without the server and prints the answer of
// POST /train as JSON, with a progress bar on a terminal.
func cmdTrain(args []string, stdout, stderr io.Writer) int {
	return runLabCommand("train", args, stdout, stderr, trainFlags,
		func(r *engine.TrainRequest) error {
			r.Async = false
			var err error
			*r, err = r.Normalize()
			return err
		},
		func(ctx context.Context, a *app.App, r engine.TrainRequest, progress func(float64, string)) (any, error) {
			return answer(a.Lab.TrainWithProgress(ctx, r, progress))
		})
}
