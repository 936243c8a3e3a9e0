package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"sigmalab/app"
	"sigmalab/engine"
	"sigmalab/engine/errs"
	"sigmalab/httpapi"
)

// labFlags are the flags every engine subcommand run through runLabCommand
// takes (build, train, backtest, sweep, import --body).
type labFlags struct {
	data     string
	body     string
	progress string
}

// parseOverBody parses a subcommand's flags over a request read from --body
// (a file in the route's JSON format, '-' = stdin): args are parsed once to
// learn --body, then again into the request decoded from it, so an explicit
// flag overrides the file's field and an absent one leaves it alone. The body
// decodes as the API decodes it (lenient lists, the same 422 messages).
func parseOverBody[T any](name string, args []string, stderr io.Writer, define func(fs *flag.FlagSet, req *T)) (labFlags, T, error) {
	newSet := func(f *labFlags, req *T, out io.Writer) *flag.FlagSet {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.SetOutput(out)
		fs.StringVar(&f.data, "data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
		fs.StringVar(&f.body, "body", "", "read the request as the route's JSON body from this file ('-' = stdin); flags override it")
		fs.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (when a terminal)|always|never")
		define(fs, req)
		return fs
	}
	var f labFlags
	var req T
	fs := newSet(&f, new(T), stderr)
	if err := fs.Parse(args); err != nil {
		return f, req, err
	}
	if fs.NArg() > 0 {
		return f, req, fmt.Errorf("%s: unexpected arguments %v", name, fs.Args())
	}
	if f.body != "" {
		if err := readJSONFile(f.body, &req); err != nil {
			return f, req, err
		}
	}
	// The first pass already reported any flag error.
	if err := newSet(&f, &req, io.Discard).Parse(args); err != nil {
		return f, req, err
	}
	return f, req, nil
}

// readJSONFile decodes a request body from a file ('-' = stdin) the way the
// API decodes it.
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
	if err := httpapi.DecodeJSONBytes(data, dst); err != nil {
		return fmt.Errorf("request %s: %w", path, err)
	}
	return nil
}

// labRun runs a subcommand's request on the opened data dir, reporting
// progress (fraction, message). It returns the route's answer; an answer
// returned with an error (a cancelled sweep's finished cells) is printed too.
type labRun[T any] func(ctx context.Context, a *app.App, req T, progress func(float64, string)) (any, error)

// answer is what a labRun returns for a use case's (result, error): no
// answer to print when it failed.
func answer[R any](res R, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return res, nil
}

// runLabCommand is an engine subcommand: it parses the flags (define) over
// --body, checks the request before opening the data dir, runs do with a
// progress bar on a terminal and prints its answer as the API sends it
// (enveloped with "ok", indented).
// Exit status: 0 done, 1 failed, 2 bad input, 130 cancelled (Ctrl-C).
func runLabCommand[T any](name string, args []string, stdout, stderr io.Writer, define func(*flag.FlagSet, *T),
	check func(*T) error, do labRun[T]) int {
	f, req, err := parseOverBody(name, args, stderr, define)
	if err != nil {
		return flagError(stderr, err)
	}
	if err := check(&req); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	return withLab(name, f.data, stderr, func(ctx context.Context, a *app.App) int {
		bar := newProgressBar(stderr, f.progress)
		resp, err := do(ctx, a, req, bar.update)
		bar.done()
		if resp != nil {
			if werr := writeAnswer(stdout, resp); werr != nil {
				fmt.Fprintf(stderr, "%s: %v\n", name, werr)
				return 1
			}
		}
		if err == nil {
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		var ve *errs.Validation
		switch {
		case errors.Is(err, errs.ErrCancelled) || ctx.Err() != nil:
			return 130
		case errors.As(err, &ve), errors.Is(err, errs.ErrInvalid):
			return 2
		}
		return 1
	})
}

// flagError is the exit status of a subcommand whose flags did not parse:
// 0 after -h (the flag package printed the usage), else 2 after the error.
func flagError(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, err)
	return 2
}

// withLab opens the data dir for a one-shot subcommand and runs fn under a
// context that Ctrl-C or SIGTERM cancels; it returns fn's exit status, or 1
// (after printing why) when the data dir does not open.
func withLab(name, data string, stderr io.Writer, fn func(context.Context, *app.App) int) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(app.Config{DataDir: data, Version: version, Log: newLogger(stderr, "warn")})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	defer a.Close()
	return fn(ctx, a)
}

// writeAnswer prints a subcommand's answer as its route answers it
// (httpapi.Envelope: {"ok":true,…}, NaN as null), indented for reading.
func writeAnswer(w io.Writer, v any) error {
	b, err := httpapi.Envelope(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// writeJSON prints a value that is no route's answer as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// splitFlagList splits "a, b,c" (blanks dropped).
func splitFlagList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Setters for flag.FlagSet.Func: each replaces the field, so a flag overrides
// a --body value; pointers stay nil (the route's default) unless given.

func setHours(dst *engine.IntList) func(string) error {
	return func(s string) error {
		items := splitFlagList(s)
		out := make([]int, 0, len(items))
		for _, p := range items {
			h, err := strconv.Atoi(p)
			if err != nil {
				return fmt.Errorf("%q is not an hour", p)
			}
			out = append(out, h)
		}
		*dst = out
		return nil
	}
}

func setOptFloat(dst **float64) func(string) error {
	return func(s string) error {
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		*dst = &x
		return nil
	}
}

func setOptInt(dst **int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		*dst = &n
		return nil
	}
}

func setOptBool(dst **bool) func(string) error {
	return func(s string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a boolean", s)
		}
		*dst = &b
		return nil
	}
}

func setOptString(dst **string) func(string) error {
	return func(s string) error { *dst = &s; return nil }
}

func setFloats(dst *engine.FloatList) func(string) error {
	return func(s string) error {
		items, err := engine.ParseList(s)
		if err != nil {
			return err
		}
		xs, err := engine.ParseFloats(items)
		if err != nil {
			return err
		}
		*dst = xs
		return nil
	}
}

func setStrings(dst *engine.StringList) func(string) error {
	return func(s string) error { *dst = splitFlagList(s); return nil }
}
