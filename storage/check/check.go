// Package check verifies a data dir offline (`sigmalab check`): the database
// opens and holds the current schema, every file a row references exists
// with the size and hash the row recorded (matrices also by content), no file
// is left that no row references, and the Bleve indexes hold as many
// documents as the database has rows for them. It can rebuild the indexes and
// remove what is safe to remove (orphan files, temp files).
package check

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"sigmalab/storage/backup"
	"sigmalab/storage/bolt"
	"sigmalab/storage/files"
	"sigmalab/storage/parquet"
	"sigmalab/storage/search"
)

// Problem kinds of a Report.
const (
	KindDB             = "db"              // the database does not open or answer
	KindSchema         = "schema"          // stored schema version is not this binary's
	KindMissing        = "missing"         // a referenced file is absent
	KindSize           = "size_mismatch"   // a referenced file's size differs from its row
	KindHash           = "hash_mismatch"   // a referenced file's sha256 differs from its row
	KindMatrix         = "matrix_mismatch" // a matrix file does not hold the data its build recorded
	KindOrphan         = "orphan"          // a file no row references
	KindCache          = "orphan_cache"    // persisted predictions no row references (a cache: a warning)
	KindIndexMissing   = "index_missing"   // an index directory is absent
	KindIndexBroken    = "index_unreadable"
	KindIndexCount     = "index_count" // index documents ≠ database rows
	SeverityError      = "error"
	SeverityWarning    = "warning"
	cardsIndexName     = "cards"
	defaultLockTimeout = 2 * time.Second
)

// ErrLocked is returned when another process (a running server) holds the
// database.
var ErrLocked = errors.New("the database is in use by another process (stop the server first)")

// Options say what to check and fix.
type Options struct {
	Root string // the data dir
	// CardsIndexRel and CardsRel locate the cards index and the card files
	// (index/cards.bleve, artifacts/cards), as the application opens them.
	CardsIndexRel, CardsRel string
	Reindex                 bool // rebuild the Bleve indexes from the files
	Repair                  bool // remove orphans and temp files, rebuild broken indexes
	LockTimeout             time.Duration
	Log                     *slog.Logger
}

// Problem is one thing wrong.
type Problem struct {
	Kind     string   `json:"kind"`
	Severity string   `json:"severity"`
	Path     string   `json:"path,omitempty"`
	Detail   string   `json:"detail"`
	From     []string `json:"from,omitempty"` // rows referencing the file
	Repaired bool     `json:"repaired,omitempty"`
}

// Index is one index's document count against the database.
type Index struct {
	Name      string `json:"name"`
	Path      string `json:"path"`
	Docs      uint64 `json:"docs"`
	Rows      uint64 `json:"rows"` // database rows it should hold
	Rebuilt   bool   `json:"rebuilt,omitempty"`
	Available bool   `json:"available"`
}

// Report is the verdict. OK is true when no error-severity problem is left
// unrepaired.
type Report struct {
	OK            bool      `json:"ok"`
	DataDir       string    `json:"data_dir"`
	SchemaVersion uint64    `json:"schema_version"`
	SchemaCurrent uint64    `json:"schema_current"`
	FilesChecked  int       `json:"files_checked"`
	BytesHashed   int64     `json:"bytes_hashed"`
	Indexes       []Index   `json:"indexes"`
	Problems      []Problem `json:"problems"`
	Repaired      int       `json:"repaired"`
	ElapsedMS     int64     `json:"elapsed_ms"`
}

func (r *Report) add(p Problem) {
	if p.Severity == "" {
		p.Severity = SeverityError
	}
	r.Problems = append(r.Problems, p)
}

// Run checks the data dir. An error means the check could not run (no data
// dir, the database locked); what is wrong with the data is in the Report.
func Run(opt Options) (Report, error) {
	start := time.Now()
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = defaultLockTimeout
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	rep := Report{DataDir: opt.Root, SchemaCurrent: bolt.CurrentSchema(), Problems: []Problem{}, Indexes: []Index{}}
	dbPath := filepath.Join(opt.Root, files.DBFile)
	if _, err := os.Stat(dbPath); err != nil {
		return rep, fmt.Errorf("no database in %s: %w", opt.Root, err)
	}
	db, err := backup.OpenReadOnly(dbPath, opt.LockTimeout)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return rep, ErrLocked
	}
	if err != nil {
		rep.add(Problem{Kind: KindDB, Detail: err.Error()})
		rep.ElapsedMS = time.Since(start).Milliseconds()
		return rep, nil
	}
	defer db.Close()

	var refs []backup.Ref
	var cardRows uint64
	err = db.View(func(tx *bbolt.Tx) error {
		v, err := bolt.SchemaVersion(tx)
		if err != nil {
			return err
		}
		rep.SchemaVersion = v
		if refs, err = backup.References(tx); err != nil {
			return err
		}
		if b := tx.Bucket([]byte(bolt.BucketArtifacts)); b != nil {
			c := b.Cursor()
			prefix := bolt.Key("cards", "")
			for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
				cardRows++
			}
		}
		return nil
	})
	if err != nil {
		rep.add(Problem{Kind: KindDB, Detail: err.Error()})
		rep.ElapsedMS = time.Since(start).Milliseconds()
		return rep, nil
	}
	if rep.SchemaVersion != rep.SchemaCurrent {
		rep.add(Problem{Kind: KindSchema, Detail: fmt.Sprintf("schema version %d, this binary's is %d (serve migrates an older one at open)",
			rep.SchemaVersion, rep.SchemaCurrent)})
	}

	checkRefs(&rep, opt.Root, refs)
	checkOrphans(&rep, opt, refs)
	checkCardsIndex(&rep, opt, cardRows)
	if opt.Repair {
		if n, err := (files.Layout{Root: opt.Root}).RemoveOrphans(); err == nil {
			rep.Repaired += n
		}
	}

	rep.OK = true
	for _, p := range rep.Problems {
		if p.Severity == SeverityError && !p.Repaired {
			rep.OK = false
		}
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

// checkRefs verifies every referenced file: present, of the recorded size
// and sha256, and a matrix holding the data its build hashed.
func checkRefs(rep *Report, root string, refs []backup.Ref) {
	for _, r := range refs {
		rep.FilesChecked++
		p, err := files.Confine(root, r.Path)
		if err != nil {
			rep.add(Problem{Kind: KindMissing, Path: r.Path, From: r.From, Detail: err.Error()})
			continue
		}
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			rep.add(Problem{Kind: KindMissing, Path: r.Path, From: r.From, Detail: "referenced file is missing"})
			continue
		}
		if r.Size >= 0 && st.Size() != r.Size {
			rep.add(Problem{Kind: KindSize, Path: r.Path, From: r.From,
				Detail: fmt.Sprintf("%d bytes, recorded %d", st.Size(), r.Size)})
			continue
		}
		if r.SHA256 != "" {
			sum, n, err := hashFile(p)
			rep.BytesHashed += n
			if err != nil {
				rep.add(Problem{Kind: KindHash, Path: r.Path, From: r.From, Detail: err.Error()})
				continue
			}
			if sum != r.SHA256 {
				rep.add(Problem{Kind: KindHash, Path: r.Path, From: r.From,
					Detail: fmt.Sprintf("sha256 %s, recorded %s", sum, r.SHA256)})
				continue
			}
		}
		if r.MatrixSHA != "" {
			b, err := os.ReadFile(p)
			rep.BytesHashed += int64(len(b))
			var got string
			if err == nil {
				m, derr := parquet.DecodeMatrix(b)
				if err = derr; err == nil {
					got = m.Hash()
				}
			}
			switch {
			case err != nil:
				rep.add(Problem{Kind: KindMatrix, Path: r.Path, From: r.From, Detail: "matrix does not decode: " + err.Error()})
			case got != r.MatrixSHA:
				rep.add(Problem{Kind: KindMatrix, Path: r.Path, From: r.From,
					Detail: fmt.Sprintf("matrix content hash %s, build recorded %s", got, r.MatrixSHA)})
			}
		}
	}
}

// checkOrphans finds files under matrices/ and artifacts/ that no row
// references (hidden temp files are skipped; RemoveOrphans takes those).
// Unreferenced persisted predictions are a cache and only a warning.
func checkOrphans(rep *Report, opt Options, refs []backup.Ref) {
	known := make(map[string]bool, len(refs))
	for _, r := range refs {
		known[r.Path] = true
	}
	for _, dir := range []string{files.DirMatrices, files.DirArtifacts} {
		rels, err := backup.Tree(opt.Root, dir)
		if err != nil {
			rep.add(Problem{Kind: KindOrphan, Path: dir, Detail: "cannot list: " + err.Error()})
			continue
		}
		for _, rel := range rels {
			if known[rel] {
				continue
			}
			p := Problem{Kind: KindOrphan, Path: rel, Detail: "no row references this file"}
			if strings.HasPrefix(rel, files.DirArtifacts+"/oof/") {
				p.Kind, p.Severity, p.Detail = KindCache, SeverityWarning, "cached predictions no row references"
			}
			if opt.Repair {
				if path, err := files.Confine(opt.Root, rel); err == nil && os.Remove(path) == nil {
					p.Repaired = true
					rep.Repaired++
				}
			}
			rep.add(p)
		}
	}
}

// checkCardsIndex compares the cards index's document count with the card
// rows, rebuilding it (from the card files) when asked to or when repairing a
// broken one.
func checkCardsIndex(rep *Report, opt Options, rows uint64) {
	ix := Index{Name: cardsIndexName, Path: opt.CardsIndexRel, Rows: rows}
	path, err := files.Confine(opt.Root, opt.CardsIndexRel)
	var problem *Problem
	if err != nil {
		problem = &Problem{Kind: KindIndexBroken, Path: opt.CardsIndexRel, Detail: err.Error()}
	} else if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
		problem = &Problem{Kind: KindIndexMissing, Path: opt.CardsIndexRel, Detail: "index directory is missing"}
	} else if docs, err := docCount(path); err != nil {
		problem = &Problem{Kind: KindIndexBroken, Path: opt.CardsIndexRel, Detail: err.Error()}
	} else {
		ix.Docs, ix.Available = docs, true
		if docs != rows {
			problem = &Problem{Kind: KindIndexCount, Path: opt.CardsIndexRel,
				Detail: fmt.Sprintf("%d documents, %d card rows", docs, rows)}
		}
	}
	if opt.Reindex || (opt.Repair && problem != nil) {
		if docs, err := rebuildCards(opt, path); err != nil {
			if problem == nil {
				problem = &Problem{Kind: KindIndexBroken, Path: opt.CardsIndexRel}
			}
			problem.Detail += "; rebuild failed: " + err.Error()
		} else {
			ix.Docs, ix.Available, ix.Rebuilt = docs, true, true
			if problem != nil && docs == rows {
				problem.Repaired = true
				rep.Repaired++
			}
		}
	}
	if problem != nil {
		rep.add(*problem)
	}
	rep.Indexes = append(rep.Indexes, ix)
}

// rebuildCards deletes the cards index and builds it again from the card
// files (the index is derived data); it returns the new document count.
func rebuildCards(opt Options, path string) (uint64, error) {
	if path == "" {
		return 0, errors.New("index path outside the data dir")
	}
	if err := os.RemoveAll(path); err != nil {
		return 0, err
	}
	c, err := search.OpenCards(search.CardsOptions{IndexRel: opt.CardsIndexRel, Root: opt.Root, CardsRel: opt.CardsRel, Log: opt.Log})
	if err != nil {
		return 0, err
	}
	n, cerr := c.Count()
	if err := c.Close(); cerr == nil {
		cerr = err
	}
	return uint64(n), cerr
}

// docCount opens a Bleve index read-only and counts its documents.
func docCount(path string) (uint64, error) {
	idx, err := bleve.OpenUsing(path, map[string]any{"read_only": true})
	if err != nil {
		return 0, fmt.Errorf("index does not open: %w", err)
	}
	defer idx.Close()
	return idx.DocCount()
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// JSON renders the report for the CLI.
func (r Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}
