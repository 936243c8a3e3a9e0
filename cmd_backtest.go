package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// parseBacktest reads `sigmalab backtest` flags (over an optional JSON body
// file in the POST /backtest format; explicit flags win).
func parseBacktest(args []string, stderr io.Writer) (string, engine.BacktestRequest, error) {
	var data, body, thresholds, hours, trainHours, calibration string
	var topPct, slippage float64
	var save bool
	var r engine.BacktestRequest
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&data, "data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	fs.StringVar(&body, "body", "", "read the request as POST /backtest JSON from this file ('-' = stdin); flags override it")
	fs.StringVar(&r.ModelID, "model-id", "", "model id (required)")
	fs.StringVar(&r.PackID, "pack-id", "", "pack id (default zerosigma)")
	fs.StringVar(&r.BuildID, "build-id", "", "matrix build (default: latest)")
	fs.StringVar(&r.Target, "target", "", "label column (default y, else y_syn)")
	fs.StringVar(&thresholds, "thresholds", "", `thresholds, e.g. "0.55,0.60,0.65,0.70"`)
	fs.Float64Var(&topPct, "top-pct", 0, "top-pct mode when > 0")
	fs.StringVar(&hours, "hours", "", `allowed (trading) hours, e.g. "13,14,15"`)
	fs.StringVar(&trainHours, "train-hours", "", `hours the model trains on (default all)`)
	fs.IntVar(&r.Splits, "splits", 0, "CV folds (default 5)")
	fs.Float64Var(&r.Embargo, "embargo", 0, "embargo fraction of a fold")
	fs.StringVar(&r.CV, "cv", "", "walk_forward (default) | kfold")
	fs.StringVar(&calibration, "calibration", "", "none|sigmoid|isotonic (default sigmoid)")
	fs.Float64Var(&slippage, "slippage-bps", 0, "slippage in bp (default: the policy's, else 1)")
	fs.StringVar(&r.Tag, "tag", "", "tag of the stored run")
	fs.BoolVar(&save, "save", true, "store the run, folds, plot, card and leaderboard entry")
	if err := fs.Parse(args); err != nil {
		return data, r, err
	}
	if fs.NArg() > 0 {
		return data, r, fmt.Errorf("backtest: unexpected arguments %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if body != "" {
		var fromFile engine.BacktestRequest
		if err := readJSONFile(body, &fromFile); err != nil {
			return data, r, err
		}
		for name, apply := range map[string]func(){
			"model-id": func() { fromFile.ModelID = r.ModelID }, "pack-id": func() { fromFile.PackID = r.PackID },
			"build-id": func() { fromFile.BuildID = r.BuildID }, "target": func() { fromFile.Target = r.Target },
			"splits": func() { fromFile.Splits = r.Splits }, "embargo": func() { fromFile.Embargo = r.Embargo },
			"cv": func() { fromFile.CV = r.CV }, "tag": func() { fromFile.Tag = r.Tag },
		} {
			if set[name] {
				apply()
			}
		}
		r = fromFile
	}
	ints := func(s string) ([]int, error) {
		var out []int
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			h, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("backtest: %q is not an hour", p)
			}
			out = append(out, h)
		}
		return out, nil
	}
	var err error
	if set["thresholds"] {
		r.Thresholds = nil
		for _, p := range strings.Split(thresholds, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			x, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return data, r, fmt.Errorf("backtest: threshold %q is not a number", p)
			}
			r.Thresholds = append(r.Thresholds, x)
		}
	}
	if set["hours"] {
		if r.AllowedHours, err = ints(hours); err != nil {
			return data, r, err
		}
	}
	if set["train-hours"] {
		if r.TrainHours, err = ints(trainHours); err != nil {
			return data, r, err
		}
	}
	if set["top-pct"] {
		r.TopPct = &topPct
	}
	if set["slippage-bps"] {
		r.SlippageBps = &slippage
	}
	if set["calibration"] {
		r.Calibration = &calibration
	}
	if set["save"] || r.Save == nil {
		r.Save = &save
	}
	return data, r, nil
}

// cmdBacktest runs one backtest without the server and prints the response
// as JSON (the body of POST /backtest without the envelope).
func cmdBacktest(args []string, stdout, stderr io.Writer) int {
	data, req, err := parseBacktest(args, stderr)
	if err != nil {
		return flagError(stderr, err)
	}
	if req, err = req.Normalize(); err != nil {
		fmt.Fprintln(stderr, "backtest:", err)
		return 2
	}
	return withLab("backtest", data, stderr, func(ctx context.Context, a *app.App) int {
		resp, err := a.Lab.Backtest(ctx, req)
		if err != nil {
			fmt.Fprintln(stderr, "backtest:", err)
			if errors.Is(err, errs.ErrCancelled) || ctx.Err() != nil {
				return 130
			}
			return 1
		}
		if err := writeJSON(stdout, resp); err != nil {
			fmt.Fprintln(stderr, "backtest:", err)
			return 1
		}
		return 0
	})
}
