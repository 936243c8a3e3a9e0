package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	bbolt "go.etcd.io/bbolt"

	"sigmalab/storage/bolt"
	"sigmalab/storage/files"
)

// Options tune Write.
type Options struct {
	Version string           // recorded in the manifest
	Now     func() time.Time // nil: wall clock
	// TempDir holds the database snapshot while the archive is written ("":
	// the data dir's .tmp/, else the system temp dir).
	TempDir string
}

// Result is what Write archived.
type Result struct {
	Manifest Manifest
	// Missing are referenced files that were not on disk (the rows are
	// archived anyway; `sigmalab check` reports them).
	Missing []string
}

// Write archives the data dir root, whose database db is, to w (tar + zstd).
// The database is copied in one read transaction, which also lists the files
// its rows reference, so the archive holds exactly the files that snapshot
// points at, whatever is written meanwhile: rows are written after their
// files, and files are replaced only by rename, so every referenced file is
// complete. The read transaction ends before any file is copied (a long read
// transaction would hold up writers that grow the database).
func Write(ctx context.Context, db *bbolt.DB, root string, w io.Writer, opt Options) (Result, error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	snap, err := createTemp(root, opt.TempDir)
	if err != nil {
		return Result{}, err
	}
	defer func() { snap.Close(); os.Remove(snap.Name()) }()

	var refs []Ref
	var schema uint64
	err = db.View(func(tx *bbolt.Tx) error {
		var err error
		if schema, err = bolt.SchemaVersion(tx); err != nil {
			return err
		}
		if refs, err = References(tx); err != nil {
			return err
		}
		_, err = tx.WriteTo(snap)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("snapshot database: %w", err)
	}
	if _, err := snap.Seek(0, io.SeekStart); err != nil {
		return Result{}, err
	}

	// One encoder goroutine: a backup of a live server leaves the other core to requests and jobs.
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return Result{}, err
	}
	tw := tar.NewWriter(zw)
	res := Result{Manifest: Manifest{Format: Format, CreatedAt: now().UTC(), Version: opt.Version, SchemaVersion: schema}}
	add := func(rel string, f *os.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: rel, Mode: 0o644, Size: st.Size(), ModTime: st.ModTime().UTC(), Typeflag: tar.TypeReg,
			Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		h := sha256.New()
		if _, err := io.CopyN(io.MultiWriter(tw, h), f, st.Size()); err != nil {
			return fmt.Errorf("archive %s: %w", rel, err)
		}
		res.Manifest.Files = append(res.Manifest.Files, File{Path: rel, Size: st.Size(), SHA256: hex.EncodeToString(h.Sum(nil))})
		res.Manifest.TotalBytes += st.Size()
		return nil
	}
	addPath := func(rel string) (bool, error) {
		p, err := files.Confine(root, rel)
		if err != nil {
			return false, nil // a path leading out of the data dir is never archived
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		defer f.Close()
		if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			return false, err
		}
		return true, add(rel, f)
	}

	if err := add(DBName, snap); err != nil {
		return res, err
	}
	seen := map[string]bool{}
	for _, r := range refs {
		ok, err := addPath(r.Path)
		if err != nil {
			return res, err
		}
		if !ok {
			res.Missing = append(res.Missing, r.Path)
		}
		seen[r.Path] = true
	}
	for _, tree := range []string{files.DirMarket, files.DirExports} {
		rels, err := Tree(root, tree)
		if err != nil {
			return res, err
		}
		for _, rel := range rels {
			if seen[rel] {
				continue
			}
			if _, err := addPath(rel); err != nil {
				return res, err
			}
		}
	}
	mb, err := encodeManifest(res.Manifest)
	if err != nil {
		return res, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o644, Size: int64(len(mb)), ModTime: res.Manifest.CreatedAt,
		Typeflag: tar.TypeReg}); err != nil {
		return res, err
	}
	if _, err := tw.Write(mb); err != nil {
		return res, err
	}
	if err := tw.Close(); err != nil {
		return res, err
	}
	return res, zw.Close()
}

// Tree lists the regular files under the data-dir folder dir (slash-separated
// paths relative to root, sorted), skipping hidden entries (import staging,
// atomic-write temps) and symlinks.
func Tree(root, dir string) ([]string, error) {
	base, err := files.Confine(root, dir)
	if err != nil {
		return nil, nil
	}
	var out []string
	err = filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if p != base && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out, err
}

// createTemp makes the snapshot file: in dir, else the data dir's .tmp/, else
// the system temp dir (a read-only data dir).
func createTemp(root, dir string) (*os.File, error) {
	if dir != "" {
		return os.CreateTemp(dir, ".backup.tmp-*")
	}
	if f, err := os.CreateTemp(filepath.Join(root, files.DirTmp), ".backup.tmp-*"); err == nil {
		return f, nil
	}
	return os.CreateTemp("", "sigmalab-backup-*")
}
