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

// buildCLI is the request of `sigmalab build` and whether it is an equity
// (POST /build_stock_matrix) build.
type buildCLI struct {
	engine.BuildRequest
	Stock bool `json:"stock"`
}

// buildFlags defines the flags of `sigmalab build` (the fields of
// POST /build_matrix).
func buildFlags(fs *flag.FlagSet, r *buildCLI) {
	fs.StringVar(&r.ModelID, "model-id", r.ModelID, "model id (required unless --stock with --ticker)")
	fs.StringVar(&r.PackID, "pack-id", r.PackID, "pack id (default: the model's)")
	fs.StringVar(&r.Start, "start", r.Start, "first session, YYYY-MM-DD")
	fs.StringVar(&r.End, "end", r.End, "last session, YYYY-MM-DD")
	fs.StringVar(&r.Ticker, "ticker", r.Ticker, "underlying (default: the model's)")
	fs.BoolVar(&r.Stock, "stock", r.Stock, "equity matrix from bars (POST /build_stock_matrix)")
	fs.StringVar(&r.LabelKind, "label-kind", r.LabelKind, "label (default: the model config's)")
	fs.StringVar(&r.Cadence, "cadence", r.Cadence, "hourly|daily (default: the model config's)")
	fs.StringVar(&r.Session, "session", r.Session, "rth|extended (default: the model config's)")
	fs.Func("k-sigma", "label threshold in sigmas", setOptFloat(&r.KSigma))
	fs.Func("fixed-bp", "label threshold in basis points", setOptFloat(&r.FixedBP))
	fs.Func("distance-max", "strikes each side of the money in the flow features", setOptInt(&r.DistanceMax))
	fs.StringVar(&r.OutCSV, "out-csv", r.OutCSV, "also export the matrix as CSV under exports/")
	fs.StringVar(&r.Tag, "tag", r.Tag, "tag of the stored build run")
}

// cmdBuild builds and stores a matrix without the server and prints the
// answer of POST /build_matrix (or /build_stock_matrix) as JSON.
func cmdBuild(args []string, stdout, stderr io.Writer) int {
	return runLabCommand("build", args, stdout, stderr, buildFlags,
		func(r *buildCLI) error {
			r.Async = false
			switch {
			case r.Stock && strings.TrimSpace(r.Ticker) == "" && strings.TrimSpace(r.ModelID) == "":
				return errors.New("--ticker or --model-id is required")
			case !r.Stock && strings.TrimSpace(r.ModelID) == "":
				return errors.New("--model-id is required")
			}
			return nil
		},
		func(ctx context.Context, a *app.App, _ labFlags, r buildCLI) (any, error) {
			if r.Stock {
				return a.Lab.BuildStockMatrix(ctx, r.BuildRequest)
			}
			return a.Lab.BuildMatrix(ctx, r.BuildRequest)
		})
}
