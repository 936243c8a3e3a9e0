package parquet

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigmalab/storage/files"
)

// The market store addresses files by their slash-separated path under market/
// ("bars/ticker=SPY/timeframe=1h/2024-07.parquet"). This file resolves those paths for the
// store's view: the live files for the live store; for an import transaction,
// the live files less those it removed, plus those it staged (which shadow the
// live ones). Every path goes through the data dir's confinement.

// writing takes the store's write side for one live write (shared with other
// live writes, exclusive of import transactions) and returns its release; in a
// transaction, which already holds it alone, it does nothing.
func (s *MarketStore) writing() func() {
	if s.tx != nil {
		return func() {}
	}
	s.writeMu.RLock()
	return s.writeMu.RUnlock
}

// reading takes the read side of the commit lock for one live read.
func (s *MarketStore) reading() func() {
	s.commitMu.RLock()
	return s.commitMu.RUnlock
}

// source is where the view reads rel from: the staged copy, the live file, or
// fs.ErrNotExist when the transaction removed it.
func (s *MarketStore) source(rel string) (string, error) {
	if s.tx != nil {
		if staged, removed := s.tx.state(rel); removed {
			return "", fs.ErrNotExist
		} else if staged {
			return s.tx.dir.Path(rel)
		}
	}
	return s.dir.Path(rel)
}

// open opens rel of the view for reading.
func (s *MarketStore) open(rel string) (*os.File, error) {
	p, err := s.source(rel)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// readMeta reads the footer of rel.
func (s *MarketStore) readMeta(rel string) (map[string]string, int64, error) {
	p, err := s.source(rel)
	if err != nil {
		return nil, 0, err
	}
	return ReadParquetMeta(p)
}

// openAll opens, under the read lock, every partition of dir whose name lies in
// [lo, hi]; the caller closes them. Decoding open files needs no lock: a commit
// renames new files over the names, the open ones keep their content.
func (s *MarketStore) openAll(dir, lo, hi string) ([]*os.File, error) {
	defer s.reading()()
	rels, err := s.partitions(dir, lo, hi)
	if err != nil {
		return nil, err
	}
	out := make([]*os.File, 0, len(rels))
	for _, rel := range rels {
		f, err := s.open(rel)
		if err != nil {
			for _, g := range out {
				g.Close()
			}
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// partitionFile reports whether a directory entry is a partition: a regular
// file (never a symlink), not hidden (temp files of atomic writes start with a
// dot), named *.parquet.
func partitionFile(d fs.DirEntry) bool {
	name := d.Name()
	return d.Type().IsRegular() && strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".")
}

// partitions lists the partition files of dir whose name (without .parquet) lies in
// [lo, hi] by string order, sorted; names are YYYY-MM or YYYY-MM-DD so string order is
// time order. A dir that leads out of the data dir is ErrInvalid.
func (s *MarketStore) partitions(dir, lo, hi string) ([]string, error) {
	p, err := s.dir.Path(dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	set := map[string]bool{}
	for _, e := range ents {
		if partitionFile(e) {
			set[dir+"/"+e.Name()] = true
		}
	}
	if s.tx != nil {
		s.tx.overlay(dir, false, set)
	}
	var out []string
	for rel := range set {
		key := strings.TrimSuffix(rel[len(dir)+1:], ".parquet")
		if (lo == "" || key >= lo) && (hi == "" || key <= hi) {
			out = append(out, rel)
		}
	}
	sort.Strings(out)
	return out, nil
}

// walk calls fn for every partition file under dir ("" is market/ itself), in
// lexical order; hidden folders (.staging) and symlinks are skipped, a missing dir
// holds none, a dir that leads out of the data dir is ErrInvalid. fn may return
// fs.SkipAll to stop early.
func (s *MarketStore) walk(dir string, fn func(rel string) error) error {
	var parts []string
	if dir != "" {
		parts = []string{dir}
	}
	root, err := s.dir.Path(parts...)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if p == root {
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if partitionFile(d) {
			r, _ := filepath.Rel(root, p)
			rel := filepath.ToSlash(r)
			if dir != "" {
				rel = dir + "/" + rel
			}
			set[rel] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.tx != nil {
		s.tx.overlay(dir, true, set)
	}
	rels := make([]string, 0, len(set))
	for rel := range set {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		if err := fn(rel); err != nil {
			if errors.Is(err, fs.SkipAll) {
				return nil
			}
			return err
		}
	}
	return nil
}

// writePartition publishes one partition of the view: live, atomically (temp file,
// fsync, rename); in a transaction, as a staged file that Commit publishes.
func writePartition(s *MarketStore, rel string, n int, cols []tableColumn, meta map[string]string) error {
	var buf bytes.Buffer
	if err := encodeTable(&buf, n, cols, meta); err != nil {
		return fmt.Errorf("encode %s: %w", rel, err)
	}
	if s.tx != nil {
		return s.tx.stage(rel, buf.Bytes())
	}
	p, err := s.dir.Path(rel)
	if err != nil {
		return err
	}
	return files.WriteFile(p, buf.Bytes())
}

// remove deletes rel from the view: live, at once; in a transaction, at Commit.
func (s *MarketStore) remove(rel string) error {
	if s.tx != nil {
		return s.tx.remove(s, rel)
	}
	p, err := s.dir.Path(rel)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
