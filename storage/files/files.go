// Package files owns the data directory: its layout, atomic writes and the
// confinement of client-supplied paths.
//
// Layout (relative to the data dir):
//
//	sigmalab.db                               bbolt database
//	market/                                   Parquet bars by ticker/timeframe/month
//	matrices/<model_id>/<build_id>.parquet    built matrices
//	artifacts/<kind>/<id>.*                   models, plots, reports
//	index/cards.bleve, index/signals.bleve    Bleve indexes
//	exports/                                  the only place user-named outputs go
//	imports/                                  inbox of files to import (POST /data/import {path}), upload temps
//	.tmp/                                     write probes; emptied at open
package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sigmalab/engine/errs"
)

// Layout names the parts of a data directory.
type Layout struct {
	Root string // absolute, symlinks resolved
}

// Subdirectories created by Init.
const (
	DirMarket    = "market"
	DirMatrices  = "matrices"
	DirArtifacts = "artifacts"
	DirIndex     = "index"
	DirExports   = "exports"
	DirImports   = "imports"
	DirTmp       = ".tmp"
	DBFile       = "sigmalab.db"
)

// NewLayout resolves dir to an absolute, symlink-free path (creating it if needed)
// so that confinement checks compare real paths.
func NewLayout(dir string) (Layout, error) {
	if dir == "" {
		return Layout{}, errors.New("data dir: empty path")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Layout{}, fmt.Errorf("data dir: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Layout{}, fmt.Errorf("data dir: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return Layout{}, fmt.Errorf("data dir: %w", err)
	}
	return Layout{Root: real}, nil
}

// Init creates the standard subdirectories.
func (l Layout) Init() error {
	for _, d := range []string{DirMarket, DirMatrices, DirArtifacts, DirIndex, DirExports, DirImports, DirTmp} {
		if err := os.MkdirAll(filepath.Join(l.Root, d), 0o755); err != nil {
			return fmt.Errorf("data dir %s: %w", d, err)
		}
	}
	return nil
}

// DBPath is the bbolt file.
func (l Layout) DBPath() string { return filepath.Join(l.Root, DBFile) }

// Market is the market-data directory.
func (l Layout) Market() string { return filepath.Join(l.Root, DirMarket) }

// Index is the directory of the Bleve indexes.
func (l Layout) Index() string { return filepath.Join(l.Root, DirIndex) }

// Exports is the directory for user-named outputs.
func (l Layout) Exports() string { return filepath.Join(l.Root, DirExports) }

// MatrixPath is matrices/<model_id>/<build_id>.parquet. Ids must already be
// validated; they are re-checked so a bad id can never escape the directory.
func (l Layout) MatrixPath(modelID, buildID string) (string, error) {
	return l.Resolve(DirMatrices + "/" + modelID + "/" + buildID + ".parquet")
}

// ArtifactPath is artifacts/<kind>/<id><ext>.
func (l Layout) ArtifactPath(kind, id, ext string) (string, error) {
	return l.Resolve(DirArtifacts + "/" + kind + "/" + id + ext)
}

// CheckDirs verifies that the standard subdirectories exist (for /healthz).
func (l Layout) CheckDirs(names ...string) error {
	for _, d := range names {
		st, err := os.Stat(filepath.Join(l.Root, d))
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		if !st.IsDir() {
			return fmt.Errorf("%s: not a directory", d)
		}
	}
	return nil
}

// Resolve confines rel (slash-separated, not pre-cleaned) to the data dir; see Confine.
func (l Layout) Resolve(rel string) (string, error) { return Confine(l.Root, rel) }

// ResolveExport maps a user-named output (e.g. out_csv) to a path under exports/.
// A bare or relative name is taken relative to exports/; a leading "exports/" is
// accepted and stripped so both spellings work. Anything escaping exports/
// (.., absolute paths, symlinks out, exports/ itself a link out) is rejected
// with an ErrInvalid error.
func (l Layout) ResolveExport(name string) (string, error) {
	clean := filepath.ToSlash(strings.TrimSpace(name))
	clean = strings.TrimPrefix(clean, DirExports+"/")
	if clean == "" || strings.HasPrefix(clean, "/") {
		return "", fmt.Errorf("export name %q must be a relative file name: %w", name, errs.ErrInvalid)
	}
	p, err := Confine(l.Root, DirExports+"/"+clean)
	if err != nil {
		return "", err
	}
	if p == l.Exports() {
		return "", fmt.Errorf("export name %q names the exports folder itself: %w", name, errs.ErrInvalid)
	}
	return p, nil
}

// ResolveImport resolves a client-named import source (POST /data/import {path}):
// a file or folder under exports/ or the imports/ inbox, nowhere else. The path is
// confined (.., absolute paths, links out are refused) and its real path must
// still lie under one of the two folders, so neither ".", market/… nor a symlink
// that stays in the data dir can feed the store its own files. It returns the
// real path. Refusals wrap errs.ErrInvalid and name the field path; a missing
// source is errs.ErrNotFound.
func (l Layout) ResolveImport(rel string) (string, error) {
	rel = strings.TrimSpace(rel)
	first, _, _ := strings.Cut(path.Clean(filepath.ToSlash(rel)), "/")
	if first != DirExports && first != DirImports {
		return "", fmt.Errorf("path %q: imports read only from %s/ or the %s/ inbox of the data dir (or an uploaded file): %w",
			rel, DirExports, DirImports, errs.ErrInvalid)
	}
	full, err := Confine(l.Root, rel)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(full)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("path %q: %w", rel, errs.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("path %q cannot be resolved: %w", rel, errs.ErrInvalid)
	}
	for _, d := range []string{DirExports, DirImports} {
		if within(filepath.Join(l.Root, d), real) {
			return real, nil
		}
	}
	return "", fmt.Errorf("path %q: leads out of %s/ and %s/ through a symlink: %w", rel, DirExports, DirImports, errs.ErrInvalid)
}

// Confine returns root/rel after checking that it stays inside root: rel must be
// relative, must not contain "..", and no existing component may be a symlink that
// resolves outside root. root must be absolute and symlink-free (see NewLayout).
// Failures wrap errs.ErrInvalid (HTTP 400).
func Confine(root, rel string) (string, error) {
	if rel == "" {
		return "", fmt.Errorf("path is empty: %w", errs.ErrInvalid)
	}
	if strings.ContainsRune(rel, 0) {
		return "", fmt.Errorf("path contains NUL: %w", errs.ErrInvalid)
	}
	slashed := filepath.ToSlash(rel)
	if filepath.IsAbs(rel) || strings.HasPrefix(slashed, "/") || filepath.VolumeName(rel) != "" {
		return "", fmt.Errorf("path %q must be relative: %w", rel, errs.ErrInvalid)
	}
	for _, part := range strings.Split(slashed, "/") {
		if part == ".." {
			return "", fmt.Errorf("path %q must not contain '..': %w", rel, errs.ErrInvalid)
		}
	}
	full := filepath.Join(root, filepath.FromSlash(slashed))
	if !within(root, full) {
		return "", fmt.Errorf("path %q escapes the data dir: %w", rel, errs.ErrInvalid)
	}
	// Resolve the longest existing ancestor: a symlink anywhere on the way must
	// still land inside root. A component removed between the two looks (a
	// concurrent delete) is retried, a dangling or looping link is refused.
	for try := 0; ; try++ {
		existing := full
		for {
			if _, err := os.Lstat(existing); err == nil {
				break
			}
			parent := filepath.Dir(existing)
			if parent == existing {
				break
			}
			existing = parent
		}
		real, err := filepath.EvalSymlinks(existing)
		if err != nil {
			if _, lerr := os.Lstat(existing); try < 8 && errors.Is(err, fs.ErrNotExist) && errors.Is(lerr, fs.ErrNotExist) {
				continue // it went meanwhile (a dangling link is still there): look again
			}
			// The OS error names the absolute path; clients only ever see their own.
			return "", fmt.Errorf("path %q cannot be resolved (dangling or looping symlink?): %w", rel, errs.ErrInvalid)
		}
		if !within(root, real) {
			return "", fmt.Errorf("path %q leaves the data dir through a symlink: %w", rel, errs.ErrInvalid)
		}
		return full, nil
	}
}

func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return r == "." || (r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)))
}

// WriteFile writes data to path atomically: see WriteAtomic.
func WriteFile(path string, data []byte) error {
	return WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteAtomic creates path's directory, streams content into a temp file in the
// same directory, fsyncs it, renames it over path and fsyncs the directory. Readers
// see either the old file or the complete new one; on any error the temp file is
// removed and path is untouched.
func WriteAtomic(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", filepath.Base(path), err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", filepath.Base(path), err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", filepath.Base(path), err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", filepath.Base(path), err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so a rename in it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}
