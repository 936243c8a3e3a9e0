package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"

	"sigmalab/app"
	"sigmalab/engine"
)

// buildCLI is the request of `sigmalab build` and the route it goes to: the
// body of POST /build_matrix, or with --stock /build_stock_matrix, or with
// --preview /preview_matrix (the route is chosen by flag, not by a body field).
type buildCLI struct {
	engine.BuildRequest
	stock, preview bool
}

// buildFlags defines the flags of `sigmalab build` (the fields of
// POST /build_matrix).
func buildFlags(fs *flag.FlagSet, r *buildCLI) {
	fs.StringVar(&r.ModelID, "model-id", r.ModelID, "model id (required unless --stock with --ticker)")
	fs.StringVar(&r.PackID, "pack-id", r.PackID, "pack id (default: the model's)")
	fs.StringVar(&r.Start, "start", r.Start, "first session, YYYY-MM-DD")
	fs.StringVar(&r.End, "end", r.End, "last session, YYYY-MM-DD")
	fs.StringVar(&r.Ticker, "ticker", r.Ticker, "underlying (default: the model's)")
	fs.BoolVar(&r.stock, "stock", r.stock, "equity matrix from bars (POST /build_stock_matrix)")
	fs.BoolVar(&r.preview, "preview", r.preview, "build up to --max-rows rows without storing and run the QA checks (POST /preview_matrix)")
	fs.IntVar(&r.MaxRows, "max-rows", r.MaxRows, "--preview: rows to build")
	fs.StringVar(&r.LabelKind, "label-kind", r.LabelKind, "label (default: the model config's)")
	fs.StringVar(&r.Cadence, "cadence", r.Cadence, "hourly|daily (default: the model config's)")
	fs.StringVar(&r.Session, "session", r.Session, "rth|extended (default: the model config's)")
	fs.Func("k-sigma", "label threshold in sigmas", setOptFloat(&r.KSigma))
	fs.Func("fixed-bp", "label threshold in basis points", setOptFloat(&r.FixedBP))
	fs.Func("distance-max", "strikes each side of the money in the flow features", setOptInt(&r.DistanceMax))
	fs.StringVar(&r.OutCSV, "out-csv", r.OutCSV, "also export the matrix as CSV under exports/")
	fs.StringVar(&r.Tag, "tag", r.Tag, "tag of the stored build run")
}

// cmdBuild builds and stores a matrix (or previews one) without the server
// and prints the answer of POST /build_matrix (/build_stock_matrix,
// /preview_matrix) as JSON.
func cmdBuild(args []string, stdout, stderr io.Writer) int {
	return runLabCommand("build", args, stdout, stderr, buildFlags,
		func(r *buildCLI) error {
			r.Async = false // the command waits for its answer
			switch {
			case r.stock && r.preview:
				return errors.New("--stock and --preview exclude each other")
			case r.stock && strings.TrimSpace(r.Ticker) == "" && strings.TrimSpace(r.ModelID) == "":
				return errors.New("--ticker or --model-id is required")
			case !r.stock && strings.TrimSpace(r.ModelID) == "":
				return errors.New("--model-id is required")
			}
			return nil
		},
		func(ctx context.Context, a *app.App, r buildCLI, progress func(float64, string)) (any, error) {
			// A build reports no steps: the bar shows that it runs, and for how long.
			switch {
			case r.preview:
				progress(0.05, "previewing matrix "+r.ModelID)
				return answer(a.Lab.PreviewMatrix(ctx, r.BuildRequest))
			case r.stock:
				progress(0.05, "building stock matrix "+r.Ticker)
				return answer(a.Lab.BuildStockMatrix(ctx, r.BuildRequest))
			}
			progress(0.05, "building matrix "+r.ModelID)
			return answer(a.Lab.BuildMatrix(ctx, r.BuildRequest))
		})
}
