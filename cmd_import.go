package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/market"
)

// importFlags are the parsed flags of `sigmalab import`.
type importFlags struct {
	data     string
	opts     market.ImportOptions
	progress string
	paths    []string
	// Polygon mode: the arguments are symbols to fetch instead of paths.
	polygon  bool
	from, to string
	expiry   string
	cacheDir string
	// Body mode: a POST /data/import JSON body (a path inside the data dir)
	// instead of PATH arguments.
	body string
	set  map[string]bool // flags given explicitly
}

func parseImport(args []string, stderr io.Writer) (importFlags, error) {
	var f importFlags
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sigmalab import [flags] PATH...")
		fmt.Fprintln(stderr, "       sigmalab import --body req.json [flags]   # a POST /data/import JSON body")
		fmt.Fprintln(stderr, "       sigmalab import --polygon --from DATE --to DATE [--timeframe 1h] [--expiry DATE] SYMBOL...")
		fmt.Fprintln(stderr, "Imports .csv, .parquet and Polygon cache .json files (directories are walked), or, with")
		fmt.Fprintln(stderr, "--polygon and POLYGON_API_KEY set, fetches bars (TICKER), option minute bars (O:…) and,")
		fmt.Fprintln(stderr, "with --expiry, chain snapshots from the Polygon REST API.")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.data, "data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	fs.StringVar(&f.opts.Ticker, "ticker", "", "ticker of files without a ticker column or ticker-named file")
	fs.StringVar(&f.opts.Timeframe, "timeframe", "", "1m|5m|1h|1d (default: inferred from the timestamps)")
	fs.StringVar(&f.opts.Timezone, "timezone", "UTC", "zone of timestamps without an offset: UTC, ET or an IANA name")
	fs.BoolVar(&f.opts.Partial, "partial", false, "import the valid rows of files that have invalid ones")
	fs.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when a terminal)|always|never")
	fs.BoolVar(&f.polygon, "polygon", false, "fetch SYMBOL... from the Polygon REST API (needs POLYGON_API_KEY)")
	fs.StringVar(&f.from, "from", "", "polygon: first session date YYYY-MM-DD")
	fs.StringVar(&f.to, "to", "", "polygon: last session date YYYY-MM-DD")
	fs.StringVar(&f.expiry, "expiry", "", "polygon: also fetch each ticker's chain snapshot for this expiry")
	fs.StringVar(&f.cacheDir, "cache", "", "polygon: keep fetched aggregates in this directory (Polygon cache-file format)")
	fs.StringVar(&f.body, "body", "", "read a POST /data/import JSON body ({\"path\": …} inside the data dir) from this file ('-' = stdin); flags override it")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return f, err
	}
	f.paths = paths
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if f.body != "" {
		if len(f.paths) > 0 || f.polygon {
			return f, errors.New("import: --body takes no PATH and no --polygon")
		}
		return f, nil
	}
	if len(f.paths) == 0 {
		fs.Usage()
		return f, errors.New("import: no PATH given")
	}
	return f, nil
}

// parseInterleaved parses flags anywhere among the positional arguments
// (`import a.csv --ticker QQQ b.csv`), which flag.Parse alone stops at the
// first positional for. A "--" ends the flags: everything after it is
// positional, even when it starts with "-".
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	pos := []string{}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// cmdImport imports files into the data dir's market store and prints the result as
// JSON. Exit status 1 when any file or row was rejected (the rest is imported).
func cmdImport(args []string, stdout, stderr io.Writer) int {
	f, err := parseImport(args, stderr)
	if err != nil {
		return flagError(stderr, err)
	}
	if f.polygon {
		return cmdImportPolygon(f, stdout, stderr)
	}
	if f.body != "" {
		return cmdImportBody(f, stdout, stderr)
	}
	files, skipped, err := market.ExpandPaths(f.paths)
	if err != nil {
		fmt.Fprintln(stderr, "import:", err)
		return 2
	}
	return withLab("import", f.data, stderr, func(ctx context.Context, a *app.App) int {
		bar := newProgressBar(stderr, f.progress)
		res, err := a.Lab.ImportMarket(ctx, files, files, f.opts, importProgress(bar.update))
		bar.done()
		if len(skipped) > 0 { // symlinks a directory walk did not follow
			res.Rejected = append(skipped, res.Rejected...)
		}
		_ = writeAnswer(stdout, res)
		switch {
		case err != nil:
			fmt.Fprintln(stderr, "import:", err)
			return 1
		case len(res.Rejected) > 0:
			fmt.Fprintf(stderr, "import: %d row(s) or file(s) rejected\n", len(res.Rejected))
			return 1
		}
		return 0
	})
}

// cmdImportBody imports a file or directory of the data dir named by a
// POST /data/import body, on the same runner as build and train, and prints
// the route's answer. Explicit flags override the body's fields.
func cmdImportBody(f importFlags, stdout, stderr io.Writer) int {
	args := []string{"--data", f.data, "--body", f.body, "--progress", f.progress}
	return runLabCommand("import", args, stdout, stderr,
		func(_ *flag.FlagSet, r *engine.ImportRequest) {
			for name, apply := range map[string]func(){
				"ticker": func() { r.Ticker = f.opts.Ticker }, "timeframe": func() { r.Timeframe = f.opts.Timeframe },
				"timezone": func() { r.Timezone = f.opts.Timezone }, "partial": func() { r.Partial = f.opts.Partial },
			} {
				if f.set[name] {
					apply()
				}
			}
		},
		func(r *engine.ImportRequest) error {
			r.Async = false
			var err error
			*r, err = r.Normalize()
			return err
		},
		func(ctx context.Context, a *app.App, r engine.ImportRequest, progress func(float64, string)) (any, error) {
			res, err := a.Lab.ImportDataPath(ctx, r.Path, r.Options(), importProgress(progress))
			if err != nil {
				return nil, err
			}
			if res.Added+res.Replaced == 0 && len(res.Rejected) > 0 {
				// The route answers 422 with the rejections: print them, exit 2.
				_ = writeJSON(stderr, res.Rejected)
				return nil, fmt.Errorf("nothing imported: %d file(s) or row(s) rejected: %w", len(res.Rejected), errs.ErrInvalid)
			}
			return res, nil
		})
}

// importProgress reports an import's bytes read as a fraction.
func importProgress(progress func(float64, string)) func(market.Progress) {
	return func(p market.Progress) {
		frac := 1.0
		if p.BytesTotal > 0 {
			frac = float64(p.BytesDone) / float64(p.BytesTotal)
		}
		progress(frac, fmt.Sprintf("file %d/%d", p.FilesDone, p.FilesTotal))
	}
}

// polygonFetch is the outcome of one symbol in polygon mode.
type polygonFetch struct {
	Symbol   string `json:"symbol"`
	Kind     string `json:"kind"`
	Added    int    `json:"added"`
	Replaced int    `json:"replaced"`
	Error    string `json:"error,omitempty"`
}

// cmdImportPolygon fetches symbols from the Polygon REST API into the market store.
func cmdImportPolygon(f importFlags, stdout, stderr io.Writer) int {
	client := market.NewPolygonClient(os.Getenv("POLYGON_API_KEY"))
	if client == nil {
		fmt.Fprintln(stderr, "import: --polygon needs POLYGON_API_KEY")
		return 2
	}
	client.CacheDir = f.cacheDir
	if u := os.Getenv("POLYGON_BASE_URL"); u != "" { // a proxy or mirror (tests use a local fake)
		client.BaseURL = u
	}
	if _, err := market.ParseDate(f.from); err != nil {
		fmt.Fprintln(stderr, "import: --from:", err)
		return 2
	}
	if _, err := market.ParseDate(f.to); err != nil || f.to < f.from {
		fmt.Fprintln(stderr, "import: --to must be a date on or after --from")
		return 2
	}
	tf := f.opts.Timeframe
	if tf == "" {
		tf = market.TF1h
	}
	return withLab("import", f.data, stderr, func(ctx context.Context, a *app.App) int {
		bar := newProgressBar(stderr, f.progress)
		var out []polygonFetch
		failed := false
		for i, sym := range f.paths {
			var res []polygonFetch
			if strings.HasPrefix(sym, "O:") {
				ws, err := client.FetchOptionBars(ctx, a.Lab.Market, sym, f.from, f.to)
				res = append(res, fetchOutcome(sym, market.KindOptions, ws, err))
			} else {
				t := strings.ToUpper(sym)
				ws, err := client.FetchBars(ctx, a.Lab.Market, t, tf, f.from, f.to)
				res = append(res, fetchOutcome(t, market.KindBars, ws, err))
				if f.expiry != "" {
					ws, err := client.FetchChain(ctx, a.Lab.Market, t, f.expiry)
					res = append(res, fetchOutcome(t, market.KindChains, ws, err))
				}
			}
			for _, r := range res {
				failed = failed || r.Error != ""
			}
			out = append(out, res...)
			bar.update(float64(i+1)/float64(len(f.paths)), sym)
		}
		bar.done()
		_ = writeJSON(stdout, map[string]any{"fetched": out})
		if failed {
			return 1
		}
		return 0
	})
}

func fetchOutcome(sym, kind string, ws market.WriteStats, err error) polygonFetch {
	r := polygonFetch{Symbol: sym, Kind: kind, Added: ws.Added, Replaced: ws.Replaced}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}
