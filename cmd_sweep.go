package main

import (
	"context"
	"flag"
	"io"
	"strings"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/sweep"
)

// floatsFlag parses "0.1,0.2" into a float list; a repeated flag adds to the
// list, the first one in a command line replaces a --body list.
type floatsFlag struct {
	dst  *engine.FloatList
	seen bool
}

func (f *floatsFlag) String() string {
	if f == nil || f.dst == nil {
		return ""
	}
	return sweep.FormatFloats(*f.dst)
}

func (f *floatsFlag) Set(s string) error {
	xs, err := sweep.ParseFloats(s)
	if err != nil {
		return err
	}
	if !f.seen {
		*f.dst, f.seen = nil, true
	}
	*f.dst = append(*f.dst, xs...)
	return nil
}

// variantsFlag parses "0.5,0.52;0.55,0.6" (variants separated by ';', an
// empty one kept: every hour, on the hours axis); a repeated flag adds
// variants, the first one in a command line replaces a --body list.
type variantsFlag struct {
	dst  *engine.VariantList
	seen bool
}

func (f *variantsFlag) String() string {
	if f == nil || f.dst == nil {
		return ""
	}
	return strings.Join(*f.dst, ";")
}

func (f *variantsFlag) Set(s string) error {
	if !f.seen {
		*f.dst, f.seen = nil, true
	}
	for _, v := range strings.Split(s, ";") {
		*f.dst = append(*f.dst, strings.TrimSpace(v))
	}
	return nil
}

// sweepFlags defines the flags of `sigmalab sweep` (the fields of
// POST /backtest_sweep).
func sweepFlags(fs *flag.FlagSet, r *engine.SweepRequest) {
	fs.StringVar(&r.ModelID, "model-id", r.ModelID, "model id (required)")
	fs.StringVar(&r.PackID, "pack-id", r.PackID, "pack id (default: the model's)")
	fs.StringVar(&r.BuildID, "build-id", r.BuildID, "matrix build (default: latest)")
	fs.StringVar(&r.Target, "target", r.Target, "label column (default y, else y_syn)")
	fs.Var(&variantsFlag{dst: &r.ThresholdsVariants}, "thresholds", `threshold variants, e.g. "0.50,0.52,0.54;0.55,0.60,0.65"`)
	fs.Var(&variantsFlag{dst: &r.AllowedHoursVariants}, "hours", `allowed-hours variants, e.g. "13,14,15;13,14" (empty variant = every hour)`)
	fs.Var(&floatsFlag{dst: &r.TopPctVariants}, "top-pct", `top-pct variants, e.g. "0.1,0.15"`)
	fs.Var(&floatsFlag{dst: &r.SlippageBpsVariants}, "slippage-bps", `slippage variants in bp, e.g. "0,1,2"`)
	fs.IntVar(&r.Splits, "splits", r.Splits, "CV folds (default 5)")
	fs.Float64Var(&r.Embargo, "embargo", r.Embargo, "embargo fraction of a fold")
	fs.StringVar(&r.CV, "cv", r.CV, "walk_forward (default) | kfold")
	fs.Func("train-hours", "hours the model trains on (default all)", setHours(&r.TrainHours))
	fs.StringVar(&r.Calibration, "calibration", r.Calibration, "none|sigmoid|isotonic (default sigmoid)")
	fs.StringVar(&r.Holding, "holding", r.Holding, "overlap (default) | flat, for every cell")
	fs.StringVar(&r.RiskProfile, "risk-profile", r.RiskProfile, "gate bounds of this risk profile (default: the policy's)")
	fs.StringVar(&r.Tag, "tag", r.Tag, "tag of the sweep and its runs (default sweep)")
	fs.IntVar(&r.MinTrades, "min-trades", r.MinTrades, "guardrail: drop cells with fewer trades")
	fs.Func("min-sharpe", "guardrail: drop cells with a lower best_sharpe_hourly", setOptFloat(&r.MinSharpe))
	fs.BoolFunc("save", "store every cell as a tagged backtest run (default true)", setOptBool(&r.Save))
}

// cmdSweep runs a sweep without the server and prints the answer of
// POST /backtest_sweep as JSON, with a progress bar on a terminal. Ctrl-C
// cancels it: the finished cells are kept and printed (exit status 130).
func cmdSweep(args []string, stdout, stderr io.Writer) int {
	return runLabCommand("sweep", args, stdout, stderr, sweepFlags,
		func(r *engine.SweepRequest) error {
			r.Async = false
			var err error
			*r, _, _, err = r.Normalize()
			return err
		},
		func(ctx context.Context, a *app.App, r engine.SweepRequest, progress func(float64, string)) (any, error) {
			resp, err := a.Lab.Sweep(ctx, r, engine.SweepOptions{Progress: progress})
			if err != nil && resp.SweepID == 0 {
				return nil, err // no sweep row: nothing ran
			}
			return resp, err
		})
}
