package files

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"sigmalab/engine/errs"
)

// TestDirConfinesEveryFolder: every folder of the layout resolves its paths
// against the data dir, so a symlink out (the folder itself, a subfolder or a
// file) is refused, while a link that stays inside is followed.
func TestDirConfinesEveryFolder(t *testing.T) {
	l, err := NewLayout(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Init(); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x.parquet"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DirMarket, DirMatrices, DirArtifacts, DirIndex, DirExports, DirImports} {
		d := l.Dir(name)
		if err := os.Symlink(outside, filepath.Join(d.Abs(), "out")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(outside, "x.parquet"), filepath.Join(d.Abs(), "f.parquet")); err != nil {
			t.Fatal(err)
		}
		for _, parts := range [][]string{{"out"}, {"out", "x.parquet"}, {"out", "new", "y"}, {"f.parquet"}, {"..", "x"}, {"a", ""}} {
			if p, err := d.Path(parts...); !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("%s %v: accepted as %s (err %v)", name, parts, p, err)
			}
		}
		if _, err := d.Path("ok", "new.parquet"); err != nil {
			t.Errorf("%s: plain path refused: %v", name, err)
		}
	}
	// A folder that is itself a link out refuses everything under it.
	evil := filepath.Join(l.Root, "evil")
	if err := os.Symlink(outside, evil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Dir("evil").Path("x.parquet"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("linked folder accepted: %v", err)
	}
	if _, err := OpenDir(evil).Path("x.parquet"); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("OpenDir of a linked folder accepted: %v", err)
	}
	// A link whose target stays inside the data dir is followed.
	if err := os.Symlink(filepath.Join(l.Root, DirExports), filepath.Join(l.Root, DirImports, "in")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Dir(DirImports).Path("in", "a.csv"); err != nil {
		t.Errorf("inside link refused: %v", err)
	}
}
