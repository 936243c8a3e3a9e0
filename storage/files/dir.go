package files

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigmalab/engine/errs"
)

// Dir is one folder of the data dir (market/, matrices/, …) whose every path,
// for reads and writes alike, is resolved through Confine against the data dir
// itself: a symlink anywhere on the way (the folder included) that leads out of
// the data dir makes the path ErrInvalid. Stores hold a Dir instead of joining
// paths, so there is one confinement rule for the whole data dir.
type Dir struct {
	root string // absolute, symlink-free (the data dir)
	rel  string // slash-separated folder under root
}

// Dir returns the folder name (e.g. DirMatrices) of the data dir.
func (l Layout) Dir(name string) Dir { return Dir{root: l.Root, rel: filepath.ToSlash(name)} }

// OpenDir returns the Dir of path, confined to path's parent directory (the data
// dir, for the folders of a Layout). The parent is created and its symlinks are
// resolved, so stores built from a bare path (tests, tools) confine the same way.
func OpenDir(path string) Dir {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	_ = os.MkdirAll(parent, 0o755)
	if real, err := filepath.EvalSymlinks(parent); err == nil {
		parent = real
	}
	return Dir{root: parent, rel: base}
}

// Root is the directory Dir is confined to (the data dir).
func (d Dir) Root() string { return d.root }

// Rel is the folder's slash-separated path under Root.
func (d Dir) Rel() string { return d.rel }

// Abs is the folder's absolute path, unchecked: for display and logs only.
func (d Dir) Abs() string { return filepath.Join(d.root, filepath.FromSlash(d.rel)) }

// Path resolves parts (joined with "/", not cleaned) under the folder through
// Confine. No part may be empty or contain ".."; the folder itself is Path().
func (d Dir) Path(parts ...string) (string, error) {
	rel := d.rel
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, "\\\x00") {
			return "", fmt.Errorf("path part %q: %w", p, errs.ErrInvalid)
		}
		rel += "/" + p
	}
	return Confine(d.root, rel)
}

// Sub is the Dir of a folder inside d.
func (d Dir) Sub(parts ...string) Dir {
	return Dir{root: d.root, rel: strings.Join(append([]string{d.rel}, parts...), "/")}
}
