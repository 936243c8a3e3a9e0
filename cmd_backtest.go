package main

import (
	"context"
	"flag"
	"io"

	"sigmalab/app"
	"sigmalab/engine"
)

// backtestFlags defines the flags of `sigmalab backtest` (the fields of
// POST /backtest).
func backtestFlags(fs *flag.FlagSet, r *engine.BacktestRequest) {
	fs.StringVar(&r.ModelID, "model-id", r.ModelID, "model id (required)")
	fs.StringVar(&r.PackID, "pack-id", r.PackID, "pack id (default: the model's)")
	fs.StringVar(&r.BuildID, "build-id", r.BuildID, "matrix build (default: latest)")
	fs.StringVar(&r.Target, "target", r.Target, "label column (default y, else y_syn)")
	fs.Func("thresholds", `thresholds, e.g. "0.55,0.60,0.65,0.70"`, setFloats(&r.Thresholds))
	fs.Func("top-pct", "top-pct mode when > 0", setOptFloat(&r.TopPct))
	fs.Func("hours", `allowed (trading) hours, e.g. "13,14,15"`, setHours(&r.AllowedHours))
	fs.Func("train-hours", "hours the model trains on (default all)", setHours(&r.TrainHours))
	fs.IntVar(&r.Splits, "splits", r.Splits, "CV folds (default 5)")
	fs.Float64Var(&r.Embargo, "embargo", r.Embargo, "embargo fraction of a fold")
	fs.StringVar(&r.CV, "cv", r.CV, "walk_forward (default) | kfold")
	fs.Func("calibration", "none|sigmoid|isotonic (default sigmoid)", setOptString(&r.Calibration))
	fs.Func("slippage-bps", "slippage in bp (default: the policy's, else 1)", setOptFloat(&r.SlippageBps))
	fs.StringVar(&r.Holding, "holding", r.Holding, "overlap (default) | flat")
	fs.Func("features", `feature columns, e.g. "calls_sold_d0,pc_ratio" (default: the model config's)`, setStrings(&r.Features))
	fs.StringVar(&r.RiskProfile, "risk-profile", r.RiskProfile, "gate bounds of this risk profile (default: the policy's)")
	fs.StringVar(&r.Tag, "tag", r.Tag, "tag of the stored run")
	fs.BoolFunc("save", "store the run, folds, plot, card and leaderboard entry (default true)", setOptBool(&r.Save))
}

// cmdBacktest runs one backtest without the server and prints the answer of
// POST /backtest as JSON, with a progress bar on a terminal.
func cmdBacktest(args []string, stdout, stderr io.Writer) int {
	return runLabCommand("backtest", args, stdout, stderr, backtestFlags,
		func(r *engine.BacktestRequest) error {
			r.Async = false
			var err error
			*r, err = r.Normalize()
			return err
		},
		func(ctx context.Context, a *app.App, r engine.BacktestRequest, progress func(float64, string)) (any, error) {
			// The folds train inside the engine without reporting steps: the
			// bar shows that the backtest runs, and for how long.
			progress(0.05, "backtesting "+r.ModelID)
			return answer(a.Lab.Backtest(ctx, r))
		})
}
