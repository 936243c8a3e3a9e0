package market

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recStore records the tickers written to it.
type recStore struct {
	nopStore
	tickers map[string]int
}

func (s *recStore) WriteBars(_ context.Context, b *Bars) (WriteStats, error) {
	s.tickers[b.Ticker] += b.Len()
	return WriteStats{Added: b.Len()}, nil
}

// TestImportWalkSkipsSymlinks: a directory import reads the regular files of
// the tree only; a symlinked file or folder (here leading out of it) is not
// followed but reported as rejected, with a reason that quotes nothing.
func TestImportWalkSkipsSymlinks(t *testing.T) {
	outside, dir := t.TempDir(), t.TempDir()
	row := "timestamp,open,high,low,close,volume\n2024-07-01T14:00:00Z,1,1,1,1,1\n2024-07-01T15:00:00Z,1,1,1,1,1\n"
	for _, f := range [][2]string{{filepath.Join(outside, "OUT_1h.csv"), row}, {filepath.Join(outside, "sub", "OUTB_1h.csv"), row},
		{filepath.Join(dir, "IN_1h.csv"), row}} {
		if err := os.MkdirAll(filepath.Dir(f[0]), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f[0], []byte(f[1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "OUT_1h.csv"), filepath.Join(dir, "OUT_1h.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "sub"), filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	files, skipped, err := ExpandPaths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || filepath.Base(files[0]) != "IN_1h.csv" {
		t.Errorf("walk returned %v", files)
	}
	if len(skipped) != 2 {
		t.Fatalf("skipped %+v", skipped)
	}
	st := &recStore{tickers: map[string]int{}}
	res, err := (&Importer{Store: st}).ImportPaths(context.Background(), []string{dir}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.tickers["OUT"] > 0 || st.tickers["OUTB"] > 0 || st.tickers["IN"] != 2 {
		t.Errorf("written %v", st.tickers)
	}
	n := 0
	for _, r := range res.Rejected {
		if strings.Contains(r.Reason, "symbolic link") {
			n++
		}
		if strings.Contains(r.Reason, outside) {
			t.Errorf("reason names the link target: %s", r.Reason)
		}
	}
	if n != 2 {
		t.Errorf("rejected %+v", res.Rejected)
	}
}
