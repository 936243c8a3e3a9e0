package files

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigmalab/engine/errs"
)

func TestConfine(t *testing.T) {
	l, err := NewLayout(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Init(); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(l.Exports(), "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(l.Exports(), "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(l.Exports(), "sub"), filepath.Join(l.Exports(), "inner")); err != nil {
		t.Fatal(err)
	}
	good := []string{"a.csv", "exports/b.csv", "sub/c.csv", "inner/d.csv", "new/dir/e.csv", "./f.csv"}
	for _, g := range good {
		p, err := l.ResolveExport(g)
		if err != nil {
			t.Errorf("%q rejected: %v", g, err)
			continue
		}
		if !strings.HasPrefix(p, l.Exports()+string(filepath.Separator)) {
			t.Errorf("%q resolved outside exports: %s", g, p)
		}
	}
	bad := []string{"", "../x.csv", "a/../../x.csv", "/etc/passwd", "escape/x.csv", "escape", "sub/../../x", "a\x00b", "..", "exports/../../x"}
	for _, b := range bad {
		if p, err := l.ResolveExport(b); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%q accepted as %q (err %v)", b, p, err)
		}
	}
	// A symlink loop cannot be resolved: rejected, and the message names only
	// the client's path, never the server's data dir.
	if err := os.Symlink("loop", filepath.Join(l.Exports(), "loop")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ResolveExport("loop/x.csv"); !errors.Is(err, errs.ErrInvalid) || strings.Contains(err.Error(), l.Exports()) {
		t.Errorf("symlink loop: %v", err)
	}
	if _, err := l.MatrixPath("spy_opt_0dte_hourly", "12"); err != nil {
		t.Error(err)
	}
	if _, err := l.MatrixPath("..", "x"); err == nil {
		t.Error("matrix path escaped")
	}
	if err := l.CheckDirs(DirMarket, DirIndex, DirExports); err != nil {
		t.Error(err)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b.json")
	if err := WriteFile(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	// A failing writer leaves the old content and no temp file behind.
	boom := errors.New("boom")
	err := WriteAtomic(p, func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content after failure %q", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Fatalf("leftover files: %v", ents)
	}
}
