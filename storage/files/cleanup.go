package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// IsTempName reports whether name is a temp file of WriteAtomic (".<base>.tmp-*").
func IsTempName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// RemoveOrphans deletes what a killed process left half-done in the data dir:
// temp files (IsTempName: WriteAtomic's, and uploads in flight in imports/) in
// the folders the stores write, never following a symlink, and everything in
// .tmp/ (probes). Import staging folders (market/.staging) are not touched: the
// market store recovers them.
// Call it at open, once the database lock proves no other process uses the dir.
// It returns how many entries went.
func (l Layout) RemoveOrphans() (int, error) {
	n := 0
	var errs []error
	for _, d := range []string{DirMarket, DirMatrices, DirArtifacts, DirExports, DirImports} {
		root, err := Confine(l.Root, d)
		if err != nil {
			continue // a folder linked out is never walked
		}
		err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if e.IsDir() {
				if p != root && e.Name() == ".staging" {
					return fs.SkipDir
				}
				return nil
			}
			if e.Type().IsRegular() && IsTempName(e.Name()) {
				if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d, err))
		}
	}
	tmp, err := Confine(l.Root, DirTmp)
	if err == nil {
		ents, _ := os.ReadDir(tmp)
		for _, e := range ents {
			if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}
