// Package e2e drives the built binary over HTTP: start it on a temp data dir,
// run the research pipeline, kill it, restart it. It runs under plain
// `go test ./...`; `go test -short` skips it (building the binary and seeding
// the demo market take seconds).
package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the binary TestMain built for this package run ("" under -short).
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "sigmalab-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "sigmalab")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version=e2e-test", "-o", bin, ".")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	binPath = bin
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary returns the binary built by TestMain, skipping the test under -short.
func binary(t *testing.T) string {
	t.Helper()
	if binPath == "" {
		t.Skip("end-to-end tests build and start the binary; skipped with -short")
	}
	return binPath
}
