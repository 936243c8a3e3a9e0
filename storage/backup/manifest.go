// Package backup writes and restores a consistent archive of a data dir: the
// bbolt database as one read transaction saw it, the files its rows reference
// (matrices, artifacts, model cards) and the market and exports trees, as one
// tar stream compressed with zstd, with a manifest of every file's size and
// sha256 as the archive's last entry (so a truncated archive has none and is
// refused).
package backup

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"
)

// Format names the archive layout; Restore refuses any other.
const Format = "sigmalab-backup/1"

// ManifestName is the archive's last entry.
const ManifestName = "MANIFEST.json"

// Manifest lists what an archive holds.
type Manifest struct {
	Format        string    `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	Version       string    `json:"version,omitempty"` // the binary that wrote it
	SchemaVersion uint64    `json:"schema_version"`    // of the database snapshot
	Files         []File    `json:"files"`             // in archive order, database first
	TotalBytes    int64     `json:"total_bytes"`
}

// File is one archived file.
type File struct {
	Path   string `json:"path"` // slash-separated, relative to the data dir
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// tops are the data-dir entries an archive may hold: the database and the
// folders below it. Everything else (index/, imports/, .tmp/) is derived or
// transient and is never archived nor restored.
var tops = map[string]bool{"market": true, "matrices": true, "artifacts": true, "exports": true}

// ValidPath reports whether p is a path an archive may hold: clean, relative,
// slash-separated, below one of the archived folders (or the database), with
// no hidden or temp component.
func ValidPath(p string) error {
	if p == DBName {
		return nil
	}
	if p == "" || strings.Contains(p, "\\") || strings.Contains(p, "\x00") || path.IsAbs(p) || path.Clean(p) != p {
		return fmt.Errorf("archive path %q: not a clean relative path", p)
	}
	parts := strings.Split(p, "/")
	if len(parts) < 2 || !tops[parts[0]] {
		return fmt.Errorf("archive path %q: outside the archived folders", p)
	}
	for _, s := range parts {
		if s == "" || s == "." || s == ".." || strings.HasPrefix(s, ".") {
			return fmt.Errorf("archive path %q: hidden or relative component", p)
		}
	}
	return nil
}

// DBName is the database file inside the data dir and the archive.
const DBName = "sigmalab.db"

func encodeManifest(m Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}
