package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/engine/sweep"
)

// sweepFlags are the parsed flags of `sigmalab sweep`.
type sweepFlags struct {
	data     string
	body     string
	progress string
	req      engine.SweepRequest
}

// floatsFlag parses "0.1,0.2" into a float list.
type floatsFlag struct{ dst *[]float64 }

func (f floatsFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return sweep.FormatFloats(*f.dst)
}

func (f floatsFlag) Set(s string) error {
	xs, err := sweep.ParseFloats(s)
	if err != nil {
		return err
	}
	*f.dst = append(*f.dst, xs...)
	return nil
}

// variantsFlag parses "0.5,0.52;0.55,0.6" (variants separated by ';'; the flag
// may also repeat, one variant each).
type variantsFlag struct{ dst *[]string }

func (f variantsFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return strings.Join(*f.dst, ";")
}

func (f variantsFlag) Set(s string) error {
	for _, v := range strings.Split(s, ";") {
		*f.dst = append(*f.dst, strings.TrimSpace(v))
	}
	return nil
}

func parseSweep(args []string, stderr io.Writer) (sweepFlags, error) {
	var f sweepFlags
	r := &f.req
	var save bool
	var minSharpe string
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.data, "data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	fs.StringVar(&f.body, "body", "", "read the request as POST /backtest_sweep JSON from this file ('-' = stdin); flags override it")
	fs.StringVar(&r.ModelID, "model-id", "", "model id (required)")
	fs.StringVar(&r.PackID, "pack-id", "", "pack id (default zerosigma)")
	fs.Var(variantsFlag{&r.ThresholdsVariants}, "thresholds", `threshold variants, e.g. "0.50,0.52,0.54;0.55,0.60,0.65"`)
	fs.Var(variantsFlag{&r.AllowedHoursVariants}, "hours", `allowed-hours variants, e.g. "13,14,15;13,14" (empty variant = every hour)`)
	fs.Var(floatsFlag{&r.TopPctVariants}, "top-pct", `top-pct variants, e.g. "0.1,0.15"`)
	fs.Var(floatsFlag{&r.SlippageBpsVariants}, "slippage-bps", `slippage variants in bp, e.g. "0,1,2"`)
	fs.IntVar(&r.Splits, "splits", 0, "CV folds (default 5)")
	fs.Float64Var(&r.Embargo, "embargo", 0, "embargo fraction of a fold")
	fs.StringVar(&r.Calibration, "calibration", "", "none|sigmoid|isotonic (default sigmoid)")
	fs.StringVar(&r.Tag, "tag", "", "tag of the sweep and its runs (default sweep)")
	fs.IntVar(&r.MinTrades, "min-trades", 0, "guardrail: drop cells with fewer trades")
	fs.StringVar(&minSharpe, "min-sharpe", "", "guardrail: drop cells with a lower best_sharpe_hourly")
	fs.BoolVar(&save, "save", true, "store every cell as a tagged backtest run")
	fs.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when a terminal)|always|never")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("sweep: unexpected arguments %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.body != "" {
		var fromFile engine.SweepRequest
		if err := readJSONFile(f.body, &fromFile); err != nil {
			return f, err
		}
		mergeSweepFlags(&fromFile, r, set)
		*r = fromFile
	}
	if set["save"] || r.Save == nil {
		r.Save = &save
	}
	if minSharpe != "" {
		var x float64
		if _, err := fmt.Sscan(minSharpe, &x); err != nil {
			return f, fmt.Errorf("sweep: --min-sharpe %q is not a number", minSharpe)
		}
		r.MinSharpe = &x
	}
	return f, nil
}

// mergeSweepFlags copies explicitly set flags over a request read from a file.
func mergeSweepFlags(dst, src *engine.SweepRequest, set map[string]bool) {
	for name, apply := range map[string]func(){
		"model-id":     func() { dst.ModelID = src.ModelID },
		"pack-id":      func() { dst.PackID = src.PackID },
		"thresholds":   func() { dst.ThresholdsVariants = src.ThresholdsVariants },
		"hours":        func() { dst.AllowedHoursVariants = src.AllowedHoursVariants },
		"top-pct":      func() { dst.TopPctVariants = src.TopPctVariants },
		"slippage-bps": func() { dst.SlippageBpsVariants = src.SlippageBpsVariants },
		"splits":       func() { dst.Splits = src.Splits },
		"embargo":      func() { dst.Embargo = src.Embargo },
		"calibration":  func() { dst.Calibration = src.Calibration },
		"tag":          func() { dst.Tag = src.Tag },
		"min-trades":   func() { dst.MinTrades = src.MinTrades },
	} {
		if set[name] {
			apply()
		}
	}
}

func readJSONFile(path string, dst any) error {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if err := json.Unmarshal(data, dst); err != nil {
		return fmt.Errorf("request %s is not valid JSON: %w", path, err)
	}
	return nil
}

// cmdSweep runs a sweep without the server and prints the response as JSON.
// Ctrl-C cancels it: finished cells are kept and reported (exit status 130).
func cmdSweep(args []string, stdout, stderr io.Writer) int {
	f, err := parseSweep(args, stderr)
	if err != nil {
		return flagError(stderr, err)
	}
	if _, _, _, err := f.req.Normalize(); err != nil {
		fmt.Fprintln(stderr, "sweep:", err)
		return 2
	}
	return withLab("sweep", f.data, stderr, func(ctx context.Context, a *app.App) int {
		bar := newProgressBar(stderr, f.progress)
		resp, err := a.Lab.Sweep(ctx, f.req, engine.SweepOptions{Progress: bar.update})
		bar.done()
		if resp.SweepID != 0 {
			_ = writeJSON(stdout, resp)
		}
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errs.ErrCancelled):
			fmt.Fprintln(stderr, "sweep:", err)
			return 130
		default:
			fmt.Fprintln(stderr, "sweep:", err)
			return 1
		}
	})
}

// progressBar draws "[#####.....]  50% cell 500/1000" on a terminal, at most
// ten times a second.
type progressBar struct {
	w      io.Writer
	on     bool
	mu     sync.Mutex
	last   time.Time
	frac   float64
	msg    string
	drawn  bool
	width  int
	starts time.Time
}

func newProgressBar(w io.Writer, mode string) *progressBar {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	return &progressBar{w: w, on: on, width: 30, starts: time.Now()}
}

func (b *progressBar) update(frac float64, msg string) {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.frac, b.msg = frac, msg
	if time.Since(b.last) < 100*time.Millisecond && frac < 1 {
		return
	}
	b.last = time.Now()
	b.draw()
}

func (b *progressBar) draw() {
	n := int(b.frac * float64(b.width))
	n = min(max(n, 0), b.width)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %s  %.1fs ", strings.Repeat("#", n), strings.Repeat(".", b.width-n),
		100*b.frac, b.msg, time.Since(b.starts).Seconds())
	b.drawn = true
}

func (b *progressBar) done() {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		b.draw()
		fmt.Fprintln(b.w)
	}
}
