// Command sigmalab is the Sigma Lab appliance: one binary that serves the research
// API and runs the engine from the command line.
//
//	sigmalab serve [--data DIR] [--addr HOST:PORT] [--auth open|required] [--demo=true] [--demo-range START:END[:OPTIONS_FROM]]
//	               [--log-format text|json] [--allowed-hosts H,…] [--cors-origins O,…] [--max-conns N] [--max-queued N] [--heavy-wait D]
//	sigmalab user add|list|rotate|revoke|suspend|activate …
//	sigmalab backup FILE | restore FILE --data DIR | check [--reindex] [--repair]
//	sigmalab import [--data DIR] [flags] PATH... | --body req.json | --polygon … SYMBOL...
//	sigmalab build [--stock|--preview] [--body req.json] [flags]
//	sigmalab train|backtest|sweep [--body req.json] [flags]
//	sigmalab version
//
// build, train, backtest, sweep and import --body take their route's request
// (the engine's request type, --body in the route's JSON, flags override it),
// print the route's answer ({"ok":true,…}) and draw a progress bar on a
// terminal. The subcommands parse flags into a request and call the engine;
// they hold no logic of their own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // sessions are computed in America/New_York on any host

	"sigmalab/app"
	"sigmalab/engine/jobs"
	"sigmalab/engine/market"
	"sigmalab/httpapi"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: it parses its own flag.FlagSet from args.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is the subcommand table; each domain adds its entry (import, build,
// train, backtest, sweep, user, backup, restore, check).
func commands() map[string]command {
	return map[string]command{
		"serve":    {"run the HTTP API and web UI", cmdServe},
		"version":  {"print the version", cmdVersion},
		"import":   {"import bars, option bars or chains from CSV, Parquet or Polygon cache JSON files", cmdImport},
		"sweep":    {"sweep trading parameters over a model's cached predictions; prints JSON", cmdSweep},
		"backtest": {"purged cross-validated backtest of a model on its stored matrix; prints JSON", cmdBacktest},
		"build":    {"build and store a model's feature matrix with labels; prints JSON", cmdBuild},
		"train":    {"train a model's GBDT on its stored matrix (holdout metrics, artifact, card); prints JSON", cmdTrain},
		"backup":   {"write a consistent backup of the data dir (tar.zst), live or stopped", cmdBackup},
		"restore":  {"restore a backup into an empty data dir, verifying its manifest", cmdRestore},
		"check":    {"verify the data dir: schema, referenced files and hashes, orphans, index counts; prints JSON", cmdCheck},
		"user":     {"manage API users and tokens on the data dir: add, list, rotate, revoke, suspend", cmdUser},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sigmalab: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: sigmalab <command> [flags]")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintln(stdout, "sigmalab", version)
	return 0
}

// envOr returns the environment value of key, or def (flags > env > defaults:
// env values become flag defaults, so an explicit flag still wins).
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// envInt is envOr for an integer flag default (an unparsable value is left to
// the flag, which reports it).
func envInt(key string, def int) int {
	if v, err := strconv.Atoi(envOr(key, "")); err == nil {
		return v
	}
	return def
}

// envDuration is envOr for a duration flag default ("45s", "2m").
func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(envOr(key, "")); err == nil {
		return v
	}
	return def
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// serveFlags are the parsed flags of `sigmalab serve`.
type serveFlags struct {
	data      string
	addr      string
	demo      bool
	logLevel  string
	logFormat string // text | json
	// demoRange narrows the seeded demo market, "START:END[:OPTIONS_FROM]" (session
	// dates); empty seeds the default two years. Small ranges seed in a second or
	// two, which is what end-to-end tests and quick trials want.
	demoRange string
	// insecure allows a non-loopback listen address without --auth=required
	// (non-admin routes are then open to the network).
	insecure bool
	auth     string // open|required (cmd_user.go: authOptions)
	// allowedHosts are Host header values accepted besides the listen address;
	// corsOrigins are origins besides the server's own that may change state.
	allowedHosts, corsOrigins []string
	maxConns                  int           // open connections at once
	maxQueued                 int           // queued jobs (and waiting sync requests)
	heavyWait                 time.Duration // longest wait of a sync heavy request for a slot
}

func parseServe(args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.data, "data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	fs.StringVar(&f.addr, "addr", envOr("SIGMA_ADDR", "127.0.0.1:8001"), "listen address (env SIGMA_ADDR)")
	fs.BoolVar(&f.demo, "demo", true, "seed the demo market on an empty data dir")
	fs.StringVar(&f.logLevel, "log-level", envOr("SIGMA_LOG_LEVEL", "info"), "debug|info|warn|error")
	fs.BoolVar(&f.insecure, "insecure", false, "allow listening on a non-loopback address without --auth=required (every non-admin route is open)")
	fs.StringVar(&f.auth, "auth", envOr("SIGMA_AUTH", "open"), "open|required: required protects every route by role with API tokens (env SIGMA_AUTH)")
	fs.StringVar(&f.logFormat, "log-format", envOr("SIGMA_LOG_FORMAT", "text"), "text|json: log lines as key=value text or one JSON object each (env SIGMA_LOG_FORMAT)")
	fs.StringVar(&f.demoRange, "demo-range", envOr("SIGMA_DEMO_RANGE", ""),
		"seed only START:END[:OPTIONS_FROM] of the demo market (YYYY-MM-DD; default: "+
			market.DemoStart+":"+market.DemoEnd+":"+market.DemoOptionsFrom+")")
	hosts := fs.String("allowed-hosts", envOr("SIGMA_ALLOWED_HOSTS", ""),
		"comma-separated Host header values accepted besides the listen address: name (any port) or name:port (env SIGMA_ALLOWED_HOSTS)")
	origins := fs.String("cors-origins", envOr("SIGMA_CORS_ORIGINS", ""),
		"comma-separated origins (scheme://host[:port]) besides the server's own that may send state-changing requests and get CORS answers (env SIGMA_CORS_ORIGINS)")
	lim := httpapi.DefaultLimits()
	fs.IntVar(&f.maxConns, "max-conns", envInt("SIGMA_MAX_CONNS", lim.MaxConns), "open connections at once; more wait to be accepted (env SIGMA_MAX_CONNS)")
	fs.IntVar(&f.maxQueued, "max-queued", envInt("SIGMA_MAX_QUEUED", jobs.DefaultMaxQueued),
		"queued jobs per pool, and synchronous heavy requests waiting for a slot, beyond which requests get 429 (env SIGMA_MAX_QUEUED)")
	fs.DurationVar(&f.heavyWait, "heavy-wait", envDuration("SIGMA_HEAVY_WAIT", lim.HeavyWait),
		"longest wait of a synchronous heavy request (build, train, backtest, sweep, import…) for a slot before 503 (env SIGMA_HEAVY_WAIT)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("serve: unexpected arguments %v", fs.Args())
	}
	if f.auth != "open" && f.auth != "required" {
		return f, fmt.Errorf("serve: --auth %q: want open or required", f.auth)
	}
	f.allowedHosts, f.corsOrigins = splitList(*hosts), splitList(*origins)
	if err := httpapi.CheckAllowedHosts(f.allowedHosts); err != nil {
		return f, fmt.Errorf("serve: --allowed-hosts: %w", err)
	}
	if err := httpapi.CheckCORSOrigins(f.corsOrigins); err != nil {
		return f, fmt.Errorf("serve: --cors-origins: %w", err)
	}
	if f.maxConns < 1 || f.maxQueued < 1 || f.heavyWait <= 0 {
		return f, fmt.Errorf("serve: --max-conns and --max-queued must be at least 1, --heavy-wait positive")
	}
	if _, err := demoMarket(f.demoRange); err != nil {
		return f, err
	}
	return f, nil
}

// demoMarket turns a --demo-range value into the demo market to seed (nil: the
// default one). OPTIONS_FROM defaults to the later of the default options start
// and START, so a short range still has 0DTE option data.
func demoMarket(spec string) (*market.DemoConfig, error) {
	if spec == "" {
		return nil, nil
	}
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("serve: --demo-range %q: want START:END[:OPTIONS_FROM]", spec)
	}
	for _, p := range parts {
		if _, err := time.Parse(time.DateOnly, p); err != nil {
			return nil, fmt.Errorf("serve: --demo-range %q: %q is not a YYYY-MM-DD date", spec, p)
		}
	}
	start, end := parts[0], parts[1]
	if end < start {
		return nil, fmt.Errorf("serve: --demo-range %q: END before START", spec)
	}
	opts := max(market.DemoOptionsFrom, start)
	if opts > end {
		opts = start // a range before the default options start still gets options
	}
	if len(parts) == 3 {
		if opts = parts[2]; opts < start || opts > end {
			return nil, fmt.Errorf("serve: --demo-range %q: OPTIONS_FROM outside START..END", spec)
		}
	}
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Start, cfg.End, cfg.OptionsFrom = start, end, opts
	return &cfg, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}

func cmdServe(args []string, _, stderr io.Writer) int {
	f, err := parseServe(args, stderr)
	if err != nil {
		return flagError(stderr, err)
	}
	log, err := newServeLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return flagError(stderr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, f, log); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	return 0
}

// serve runs until ctx is cancelled, then drains requests and closes storage.
func serve(ctx context.Context, f serveFlags, log *slog.Logger) error {
	started := time.Now()
	if !f.insecure && f.auth != "required" && !loopbackAddr(f.addr) {
		return fmt.Errorf("refusing to listen on %s: not a loopback address and non-admin routes are open; pass --auth=required (or --insecure to allow it)", f.addr)
	}
	dm, err := demoMarket(f.demoRange)
	if err != nil {
		return err
	}
	a, err := app.Open(app.Config{DataDir: f.data, Demo: f.demo, DemoMarket: dm, Version: version, Log: log,
		MaxQueued: f.maxQueued,
		HTTP: httpapi.Options{Addr: f.addr, AllowedHosts: f.allowedHosts, CORSOrigins: f.corsOrigins,
			Limits: httpapi.Limits{MaxConns: f.maxConns, HeavyWait: f.heavyWait}, Auth: authOptions(f)}})
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			log.Error("close", "err", err)
		}
	}()

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	// Timeouts, the connection cap and JSON for net/http's own refusals come
	// with the API (httpapi.Limits).
	srv := a.API.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(a.API.Listener(ln)) }()
	log.Info("serving", "addr", ln.Addr().String(), "data", a.Layout.Root, "version", version,
		"demo", f.demo, "startup_ms", time.Since(started).Milliseconds())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopbackAddr reports whether a listen address only accepts local
// connections ("localhost" or a loopback IP; an empty host means every
// interface).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
