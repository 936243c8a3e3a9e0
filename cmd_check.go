package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"sigmalab/app"
)

// cmdCheck verifies a data dir (the server stopped) and prints a JSON report:
// exit 0 when nothing is wrong (warnings aside), 1 when something is, 2 when
// the check cannot run (no database, or a server holds it).
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	reindex := fs.Bool("reindex", false, "rebuild the Bleve indexes from the files")
	repair := fs.Bool("repair", false, "remove orphan and temp files, rebuild a missing or wrong index")
	if err := fs.Parse(args); err != nil {
		return flagError(stderr, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "check: unexpected arguments %v\n", fs.Args())
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := app.Check(*data, *reindex, *repair, log)
	if err != nil {
		fmt.Fprintln(stderr, "check:", err)
		return 2
	}
	_, _ = stdout.Write(rep.JSON())
	if !rep.OK {
		return 1
	}
	return 0
}
