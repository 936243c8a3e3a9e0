package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"sigmalab/app"
	"sigmalab/app/apptest"
	"sigmalab/engine"
	"sigmalab/engine/market"
	"sigmalab/storage/backup"
)

// openFixture opens an app on a data dir holding a built equity matrix (build
// run, matrix, card), a registered artifact, an export, and files no row
// references (a stray plot, cached predictions).
func openFixture(t *testing.T) (*app.App, engine.BuildResult) {
	t.Helper()
	a := apptest.New(t)
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
	if _, err := a.Lab.ArtifactRegistry.PutArtifact(ctx, engine.Artifact{ID: "m1", Kind: "models", CreatedAt: apptest.FixedNow},
		".json", []byte(`{"trees":[]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lab.Artifacts.WriteArtifact(ctx, "oof", "k1.gob.zst", []byte("cache")); err != nil {
		t.Fatal(err)
	}
	for rel, s := range map[string]string{"artifacts/plots/stray.svg": "<svg/>", "exports/out.csv": "a,b\n1,2\n"} {
		p := filepath.Join(a.Layout.Root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return a, res
}

// TestBackupRestoreRoundTrip backs up an open app (hot), restores into a new
// dir and expects the referenced files byte for byte, nothing unreferenced,
// and a restored dir that checks clean.
func TestBackupRestoreRoundTrip(t *testing.T) {
	a, build := openFixture(t)
	var buf bytes.Buffer
	if err := a.Lab.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	archive := buf.Bytes()
	m, err := backup.Verify(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = true
	}
	for _, want := range []string{backup.DBName, build.MatrixPath, "artifacts/models/m1.json", "exports/out.csv",
		"artifacts/cards/" + strings.TrimSuffix(filepath.Base(build.CardURI), ".json") + ".md"} {
		if !listed[want] {
			t.Errorf("archive lacks %s: %v", want, listed)
		}
	}
	for _, not := range []string{"artifacts/plots/stray.svg", "artifacts/oof/k1.gob.zst"} {
		if listed[not] {
			t.Errorf("archive holds unreferenced %s", not)
		}
	}
	if m.SchemaVersion == 0 || m.Format != backup.Format {
		t.Fatalf("manifest: %+v", m)
	}

	dst := filepath.Join(t.TempDir(), "restored")
	if _, err := app.Restore(bytes.NewReader(archive), dst); err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if f.Path == backup.DBName {
			continue // the snapshot, not the live file
		}
		want, err := os.ReadFile(filepath.Join(a.Layout.Root, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(f.Path)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s differs after restore (%v)", f.Path, err)
		}
	}
	rep, err := app.Check(dst, false, false, nil)
	if err != nil || !rep.OK || len(rep.Problems) != 0 || rep.Indexes[0].Docs != 1 {
		t.Fatalf("check of the restored dir: %v %s", err, rep.JSON())
	}

	// The restored dir opens and serves the same rows.
	r, err := app.Open(app.Config{DataDir: dst})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	run, err := r.Lab.GetBuildRun(context.Background(), build.BuildRunID)
	if err != nil || run.BuildID != build.BuildID {
		t.Fatalf("restored build run: %+v %v", run, err)
	}
}

// TestRestoreRefuses: a non-empty target, and archives that are truncated,
// tampered with, or hold paths or entries an archive may not; a refused
// restore leaves the target empty.
func TestRestoreRefuses(t *testing.T) {
	a, _ := openFixture(t)
	var buf bytes.Buffer
	if err := a.Lab.Backup(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	entries := readEntries(t, good)

	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(bytes.NewReader(good), full); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("non-empty target: %v", err)
	}

	tamperedManifest := func() []byte {
		var out []entry
		for _, e := range entries {
			if e.name == backup.ManifestName {
				var m backup.Manifest
				_ = json.Unmarshal(e.data, &m)
				m.Files[len(m.Files)-1].SHA256 = strings.Repeat("0", 64)
				e.data, _ = json.Marshal(m)
			}
			out = append(out, e)
		}
		return pack(t, out)
	}
	withEntry := func(e entry) []byte {
		n := len(entries)
		out := append(append(append([]entry{}, entries[:n-1]...), e), entries[n-1])
		return pack(t, out)
	}
	withoutDB := func() []byte {
		var out []entry
		for _, e := range entries {
			if e.name != backup.DBName {
				out = append(out, e)
			}
		}
		return pack(t, out)
	}
	cases := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"truncated", good[:len(good)/2], ""},
		{"not an archive", []byte("hello"), ""},
		{"tampered manifest", tamperedManifest(), "manifest says"},
		{"extra file", withEntry(entry{name: "artifacts/x.bin", data: []byte("x")}), "manifest lists"},
		{"parent path", withEntry(entry{name: "artifacts/../../escape", data: []byte("x")}), "not a clean relative path"},
		{"parent only", withEntry(entry{name: "../escape", data: []byte("x")}), "outside the archived folders"},
		{"absolute path", withEntry(entry{name: "/etc/x", data: []byte("x")}), "not a clean relative path"},
		{"index folder", withEntry(entry{name: "index/cards.bleve/x", data: []byte("x")}), "outside the archived folders"},
		{"hidden file", withEntry(entry{name: "market/.staging/x", data: []byte("x")}), "hidden"},
		{"symlink", withEntry(entry{name: "artifacts/link", link: "/etc/passwd"}), "not a regular file"},
		{"no database", withoutDB(), "manifest lists"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "r")
			_, err := backup.Restore(bytes.NewReader(c.archive), dst)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
			if ents, _ := os.ReadDir(dst); len(ents) != 0 {
				t.Fatalf("refused restore left %d entries", len(ents))
			}
			if _, err := backup.Verify(bytes.NewReader(c.archive)); err == nil {
				t.Fatal("Verify accepts it")
			}
		})
	}
}

type entry struct {
	name, link string
	data       []byte
}

func readEntries(t *testing.T, archive []byte) []entry {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var out []entry
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(tr)
		out = append(out, entry{name: h.Name, data: b.Bytes()})
	}
	return out
}

func pack(t *testing.T, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h = &tar.Header{Name: e.name, Mode: 0o777, Typeflag: tar.TypeSymlink, Linkname: e.link}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}
