package backup

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// ErrNotEmpty is returned by Restore for a target dir that holds anything.
var ErrNotEmpty = errors.New("restore target is not empty")

// Restore unpacks an archive written by Write into dir, which must be empty
// or absent, and verifies it against its manifest: every file listed with its
// size and sha256, nothing unlisted, only paths an archive may hold. On any
// failure what was unpacked is removed again, so dir is never left holding a
// partial data dir.
func Restore(r io.Reader, dir string) (m Manifest, err error) {
	if err := ensureEmpty(dir); err != nil {
		return m, err
	}
	defer func() {
		if err != nil {
			clearDir(dir)
		}
	}()
	m, err = read(r, func(rel string, r io.Reader) (File, error) { return extract(dir, rel, r) })
	if err != nil {
		return m, err
	}
	return m, syncDir(dir)
}

// Verify reads a whole archive and checks it against its manifest as Restore
// does, writing nothing.
func Verify(r io.Reader) (Manifest, error) {
	return read(r, func(rel string, r io.Reader) (File, error) {
		h := sha256.New()
		n, err := io.Copy(h, r)
		return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
	})
}

// read walks an archive, handing each file entry to sink, and checks what
// sink saw against the manifest.
func read(r io.Reader, sink func(rel string, r io.Reader) (File, error)) (m Manifest, err error) {
	zr, err := zstd.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("archive: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	got := map[string]File{}
	var manifest *Manifest
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("archive: %w", err)
		}
		if manifest != nil {
			return m, fmt.Errorf("archive: entry %q after the manifest", hdr.Name)
		}
		if hdr.Name == ManifestName {
			var mm Manifest
			if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(&mm); err != nil {
				return m, fmt.Errorf("archive manifest: %w", err)
			}
			manifest = &mm
			continue
		}
		if hdr.Typeflag != tar.TypeReg {
			return m, fmt.Errorf("archive entry %q: not a regular file", hdr.Name)
		}
		if err := ValidPath(hdr.Name); err != nil {
			return m, err
		}
		if _, dup := got[hdr.Name]; dup {
			return m, fmt.Errorf("archive entry %q: duplicate", hdr.Name)
		}
		f, err := sink(hdr.Name, tr)
		if err != nil {
			return m, fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
		got[hdr.Name] = f
	}
	if manifest == nil {
		return m, errors.New("archive has no manifest (truncated, or not a sigmalab backup)")
	}
	if manifest.Format != Format {
		return m, fmt.Errorf("archive format %q, want %q", manifest.Format, Format)
	}
	if len(manifest.Files) != len(got) {
		return m, fmt.Errorf("archive holds %d files, its manifest lists %d", len(got), len(manifest.Files))
	}
	for _, want := range manifest.Files {
		have, ok := got[want.Path]
		if !ok {
			return m, fmt.Errorf("archive: %s listed in the manifest but absent", want.Path)
		}
		if have != want {
			return m, fmt.Errorf("archive: %s is %d bytes sha256 %s, manifest says %d bytes sha256 %s",
				want.Path, have.Size, have.SHA256, want.Size, want.SHA256)
		}
	}
	if _, ok := got[DBName]; !ok {
		return m, errors.New("archive has no database")
	}
	return *manifest, nil
}

// extract writes one entry under dir (created exclusively: the dir was empty)
// and returns its size and hash.
func extract(dir, rel string, r io.Reader) (File, error) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return File{}, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return File{}, fmt.Errorf("restore %s: %w", rel, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, fmt.Errorf("restore %s: %w", rel, err)
	}
	return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// ensureEmpty creates dir or checks that it holds nothing.
func ensureEmpty(dir string) error {
	if dir == "" {
		return errors.New("restore: no target dir")
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("restore target: %w", err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s holds %d entries: %w", dir, len(ents), ErrNotEmpty)
	}
	return nil
}

// clearDir removes what a failed restore unpacked (dir was empty before).
func clearDir(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}
