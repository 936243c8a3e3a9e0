package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"sigmalab/app"
	"sigmalab/engine/market"
)

// importFlags are the parsed flags of `sigmalab import`.
type importFlags struct {
	data     string
	opts     market.ImportOptions
	progress string
	paths    []string
}

func parseImport(args []string, stderr io.Writer) (importFlags, error) {
	var f importFlags
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sigmalab import [flags] PATH...")
		fmt.Fprintln(stderr, "Imports .csv, .parquet and Polygon cache .json files (directories are walked).")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.data, "data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	fs.StringVar(&f.opts.Ticker, "ticker", "", "ticker of files without a ticker column or ticker-named file")
	fs.StringVar(&f.opts.Timeframe, "timeframe", "", "1m|5m|1h|1d (default: inferred from the timestamps)")
	fs.StringVar(&f.opts.Timezone, "timezone", "UTC", "zone of timestamps without an offset: UTC, ET or an IANA name")
	fs.BoolVar(&f.opts.Partial, "partial", false, "import the valid rows of files that have invalid ones")
	fs.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when a terminal)|always|never")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	f.paths = fs.Args()
	if len(f.paths) == 0 {
		fs.Usage()
		return f, errors.New("import: no PATH given")
	}
	return f, nil
}

// cmdImport imports files into the data dir's market store and prints the result as
// JSON. Exit status 1 when any file or row was rejected (the rest is imported).
func cmdImport(args []string, stdout, stderr io.Writer) int {
	f, err := parseImport(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	files, err := market.ExpandPaths(f.paths)
	if err != nil {
		fmt.Fprintln(stderr, "import:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(app.Config{DataDir: f.data, Version: version, Log: newLogger(stderr, "warn")})
	if err != nil {
		fmt.Fprintln(stderr, "import:", err)
		return 1
	}
	defer a.Close()

	bar := newProgressBar(stderr, f.progress)
	res, err := a.Lab.ImportMarket(ctx, files, files, f.opts, func(p market.Progress) {
		frac := 1.0
		if p.BytesTotal > 0 {
			frac = float64(p.BytesDone) / float64(p.BytesTotal)
		}
		bar.update(frac, fmt.Sprintf("file %d/%d", p.FilesDone, p.FilesTotal))
	})
	bar.done()
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(res)
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "import:", err)
		return 1
	case len(res.Rejected) > 0:
		fmt.Fprintf(stderr, "import: %d row(s) or file(s) rejected\n", len(res.Rejected))
		return 1
	}
	return 0
}
