package check_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sigmalab/app"
	"sigmalab/app/apptest"
	"sigmalab/engine"
	"sigmalab/engine/market"
	"sigmalab/storage/check"
)

// fixture is a closed data dir holding a built equity matrix (build run,
// matrix, build card), a registered model artifact and a cached prediction
// file no row references.
type fixture struct {
	dir, matrix, artifact string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	a, err := app.Open(app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := market.DefaultDemoConfig(market.DemoSeed)
	cfg.Tickers = cfg.Tickers[:1]
	cfg.Start, cfg.End, cfg.OptionsFrom = "2024-06-03", "2024-06-28", "2024-06-28"
	if _, err := market.SeedDemo(ctx, a.Lab.Market, cfg); err != nil {
		t.Fatal(err)
	}
	res, err := a.Lab.BuildStockMatrix(ctx, engine.BuildRequest{ModelID: "spy_eq_intraday_hourly", Ticker: "SPY",
		Start: "2024-06-03", End: "2024-06-28"})
	if err != nil {
		t.Fatal(err)
	}
	art, err := a.Lab.ArtifactRegistry.PutArtifact(ctx, engine.Artifact{ID: "m1", Kind: "models", CreatedAt: apptest.FixedNow},
		".json", []byte(`{"trees":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lab.Artifacts.WriteArtifact(ctx, "oof", "k1.gob.zst", []byte("cache")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return fixture{dir: dir, matrix: res.MatrixPath, artifact: art.URI}
}

func run(t *testing.T, dir string, reindex, repair bool) check.Report {
	t.Helper()
	rep, err := app.Check(dir, reindex, repair, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func kinds(rep check.Report) map[string]int {
	m := map[string]int{}
	for _, p := range rep.Problems {
		if !p.Repaired {
			m[p.Kind]++
		}
	}
	return m
}

// TestCheckDamage damages a copy of one data dir at a time and expects check
// to name the damage (exit-status verdict ok=false), and --repair to fix what
// is safe to fix.
func TestCheckDamage(t *testing.T) {
	fx := newFixture(t)
	clean := run(t, fx.dir, false, false)
	if !clean.OK || kinds(clean)[check.KindCache] != 1 || len(kinds(clean)) != 1 {
		t.Fatalf("clean dir: %s", clean.JSON())
	}
	if clean.FilesChecked < 4 || len(clean.Indexes) != 1 || clean.Indexes[0].Docs != 1 || clean.Indexes[0].Rows != 1 {
		t.Fatalf("clean dir counts: %s", clean.JSON())
	}

	cases := []struct {
		name       string
		damage     func(t *testing.T, dir string)
		want       string
		repairable bool
	}{
		{"deleted matrix", func(t *testing.T, dir string) { rm(t, dir, fx.matrix) }, check.KindMissing, false},
		{"corrupted artifact", func(t *testing.T, dir string) { flip(t, filepath.Join(dir, fx.artifact)) }, check.KindHash, false},
		{"truncated artifact", func(t *testing.T, dir string) { trunc(t, filepath.Join(dir, fx.artifact)) }, check.KindSize, false},
		{"matrix rewritten", func(t *testing.T, dir string) {
			// same bytes count, other content: a valid Parquet of another build would pass a size check
			flip(t, filepath.Join(dir, fx.matrix))
		}, check.KindMatrix, false},
		{"deleted index", func(t *testing.T, dir string) { rm(t, dir, "index/cards.bleve") }, check.KindIndexMissing, true},
		{"orphan file", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "matrices", "spy_eq_intraday_hourly", "b99.parquet"), "x")
		}, check.KindOrphan, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, fx.dir)
			c.damage(t, dir)
			rep := run(t, dir, false, false)
			if rep.OK || kinds(rep)[c.want] != 1 {
				t.Fatalf("want one %s: %s", c.want, rep.JSON())
			}
			fixed := run(t, dir, false, true)
			if fixed.OK != c.repairable {
				t.Fatalf("repair ok=%v, want %v: %s", fixed.OK, c.repairable, fixed.JSON())
			}
			if after := run(t, dir, false, false); after.OK != c.repairable {
				t.Fatalf("after repair ok=%v: %s", after.OK, after.JSON())
			}
		})
	}
}

// TestCheckReindex rebuilds a wrong index on request.
func TestCheckReindex(t *testing.T) {
	fx := newFixture(t)
	rep := run(t, fx.dir, true, false)
	if !rep.OK || !rep.Indexes[0].Rebuilt || rep.Indexes[0].Docs != 1 {
		t.Fatalf("reindex: %s", rep.JSON())
	}
}

// TestCheckLocked refuses to run beside an open app (a running server).
func TestCheckLocked(t *testing.T) {
	a := apptest.New(t)
	if _, err := app.Check(a.Layout.Root, false, false, nil); !app.IsLocked(err) {
		t.Fatalf("check beside an open app: %v", err)
	}
}

func rm(t *testing.T, dir, rel string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	write(t, p, string(b))
}

func trunc(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	write(t, p, string(b[:len(b)-1]))
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies a closed data dir (the fixture) for one damage case.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, fi.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
