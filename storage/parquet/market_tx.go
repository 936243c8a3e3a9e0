package parquet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"sigmalab/engine/market"
	"sigmalab/storage/files"
)

// Atomic imports.
//
// An import must become visible in one step, demo removal included: a reader,
// or a process restarted after kill -9 at any moment, sees the market before
// the import or after it, never a mix. The store does it with a staging folder
// and a commit record, a small redo log on the file system:
//
//  1. Stage. Begin creates market/.staging/<id>/. Every partition the import
//     writes is merged (with the live file, or with its own earlier staged copy)
//     and written, fsync'd, as .staging/<id>/<rel>, the path it will have under
//     market/. Partitions it deletes (the ticker's demo series) are only noted.
//     Nothing under market/ changes, so readers and a crash see the old data.
//  2. Commit record. Commit writes .staging/<id>/commit.json, the list of
//     staged paths to publish and of live paths to remove, atomically (temp
//     file, fsync, rename, fsync of the folder). Its presence is the commit
//     point: before it the import never happened, after it the import has.
//  3. Publish. Under the commit lock (readers wait, in this process) each
//     staged file is renamed over its live path and each removed path is
//     deleted; the touched folders are fsync'd.
//  4. Retire. commit.json is deleted (and the folder fsync'd) before the rest of
//     the staging folder, so a record is never replayed after later writes.
//
// Recover, run at open before anything reads, finishes what a crash cut short:
// a staging folder with a commit record is rolled forward (step 3 is
// idempotent: a staged file already renamed is simply gone, a removed file
// already removed is fine), one without a record is rolled back (deleted).
//
// One import runs at a time: a transaction holds the store's write lock from
// Begin to Commit/Rollback, so live writes cannot land between its merges and
// its publish (which would be lost when the staged copies replace them).

const (
	stagingDir = ".staging"
	commitFile = "commit.json"
)

// errSimulatedCrash is what a commit stopped by a test's crash hook returns.
var errSimulatedCrash = errors.New("simulated crash")

// crashed asks the test hook whether to stop at step.
func (s *MarketStore) crashed(step string) bool { return s.crash != nil && s.crash(step) }

// commitRecord is the content of commit.json.
type commitRecord struct {
	Publish []string `json:"publish"` // rel paths staged under the import's folder
	Remove  []string `json:"remove"`  // rel paths of live files to delete
}

// marketTx is the state of one import transaction.
type marketTx struct {
	dir     files.Dir // market/.staging/<id>
	mu      sync.Mutex
	staged  map[string]bool
	removed map[string]bool
	done    bool
}

// state reports whether rel is staged or removed in the transaction.
func (t *marketTx) state(rel string) (staged, removed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.staged[rel], t.removed[rel]
}

// overlay applies the transaction to a listing of dir (direct children only,
// unless deep): removed paths leave it, staged ones join it.
func (t *marketTx) overlay(dir string, deep bool, set map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	for rel := range t.removed {
		delete(set, rel)
	}
	for rel := range t.staged {
		if rest, ok := strings.CutPrefix(rel, prefix); ok && (deep || !strings.Contains(rest, "/")) {
			set[rel] = true
		}
	}
}

// stage writes data as the staged copy of rel.
func (t *marketTx) stage(rel string, data []byte) error {
	p, err := t.dir.Path(rel)
	if err != nil {
		return err
	}
	if err := files.WriteFile(p, data); err != nil {
		return err
	}
	t.mu.Lock()
	t.staged[rel] = true
	delete(t.removed, rel)
	t.mu.Unlock()
	return nil
}

// remove drops rel from the transaction's view: its staged copy goes now, the
// live file at commit.
func (t *marketTx) remove(s *MarketStore, rel string) error {
	staged, _ := t.state(rel)
	if staged {
		p, err := t.dir.Path(rel)
		if err != nil {
			return err
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	live, err := s.dir.Path(rel)
	if err != nil {
		return err
	}
	_, lerr := os.Lstat(live)
	t.mu.Lock()
	delete(t.staged, rel)
	if lerr == nil {
		t.removed[rel] = true
	}
	t.mu.Unlock()
	return nil
}

// Begin implements market.Transactional: it waits for any other import, then
// opens a staging folder. The transaction must end with Commit or Rollback.
func (s *MarketStore) Begin(ctx context.Context) (market.Tx, error) {
	if s.tx != nil {
		return nil, errors.New("market store: nested import transaction")
	}
	s.writeMu.Lock()
	fail := func(err error) (market.Tx, error) {
		s.writeMu.Unlock()
		return nil, err
	}
	if s.broken != nil {
		return fail(s.broken)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	root, err := s.dir.Path(stagingDir)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fail(fmt.Errorf("import staging: %w", err))
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "import-" + hex.EncodeToString(rnd[:])
	if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
		return fail(fmt.Errorf("import staging: %w", err))
	}
	tx := &marketTx{dir: s.dir.Sub(stagingDir, name), staged: map[string]bool{}, removed: map[string]bool{}}
	return &storeTx{s: &MarketStore{marketCore: s.marketCore, tx: tx}}, nil
}

// storeTx is the market.Tx handed to the importer: the write half of the store
// over the transaction's view.
type storeTx struct{ s *MarketStore }

func (t *storeTx) WriteBars(ctx context.Context, b *market.Bars) (market.WriteStats, error) {
	return t.s.WriteBars(ctx, b)
}

func (t *storeTx) WriteOptionBars(ctx context.Context, ob *market.OptionBars) (market.WriteStats, error) {
	return t.s.WriteOptionBars(ctx, ob)
}

func (t *storeTx) WriteChain(ctx context.Context, c *market.Chain) (market.WriteStats, error) {
	return t.s.WriteChain(ctx, c)
}

func (t *storeTx) DeleteSource(ctx context.Context, ticker, source string) (int64, error) {
	return t.s.DeleteSource(ctx, ticker, source)
}

// end marks the transaction finished and releases the store's write lock once.
func (t *storeTx) end() bool {
	tx := t.s.tx
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return false
	}
	tx.done = true
	return true
}

// Rollback discards everything staged. It is a no-op after Commit or Rollback.
func (t *storeTx) Rollback() error {
	if !t.end() {
		return nil
	}
	defer t.s.writeMu.Unlock()
	p, err := t.s.tx.dir.Path()
	if err != nil {
		return err
	}
	return os.RemoveAll(p)
}

// Commit publishes the transaction in one step (see the top of this file). A
// cancelled ctx before the commit record is written rolls back instead.
func (t *storeTx) Commit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		_ = t.Rollback()
		return err
	}
	if !t.end() {
		return errors.New("market store: transaction already ended")
	}
	s, tx := t.s, t.s.tx
	defer s.writeMu.Unlock()
	dir, err := tx.dir.Path()
	if err != nil {
		return err
	}
	rec := commitRecord{Publish: sortedSet(tx.staged), Remove: sortedSet(tx.removed)}
	if len(rec.Publish)+len(rec.Remove) == 0 {
		return os.RemoveAll(dir)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if s.crashed("staged") {
		return errSimulatedCrash
	}
	// The commit point.
	if err := files.WriteFile(filepath.Join(dir, commitFile), b); err != nil {
		_ = os.RemoveAll(dir)
		return fmt.Errorf("import commit: %w", err)
	}
	if s.crashed("recorded") {
		return errSimulatedCrash
	}
	s.commitMu.Lock()
	err = s.publish(tx.dir, rec)
	s.commitMu.Unlock()
	if errors.Is(err, errSimulatedCrash) || (err == nil && s.crashed("published")) {
		return errSimulatedCrash
	}
	if err == nil {
		err = s.retire(dir)
	}
	if err != nil {
		// Published in part or not retired: only a restart's Recover can finish
		// it safely, so no other import may run on top of it.
		s.broken = fmt.Errorf("market store: an import could not be completed (%v); restart to recover it", err)
		return fmt.Errorf("import commit: %w", err)
	}
	return nil
}

// publish renames the staged files over their live paths and deletes the
// removed ones; already-done steps are skipped, so a replay is harmless.
func (s *MarketStore) publish(staging files.Dir, rec commitRecord) error {
	dirs := map[string]bool{}
	for _, rel := range rec.Publish {
		src, err := staging.Path(rel)
		if err != nil {
			return err
		}
		dst, err := s.dir.Path(rel)
		if err != nil {
			return err
		}
		if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
			continue // renamed before a crash
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if s.crashed("publish") {
			return errSimulatedCrash
		}
		if err := os.Rename(src, dst); err != nil {
			return err
		}
		dirs[filepath.Dir(dst)] = true
	}
	for _, rel := range rec.Remove {
		dst, err := s.dir.Path(rel)
		if err != nil {
			return err
		}
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		dirs[filepath.Dir(dst)] = true
	}
	for d := range dirs {
		if err := files.SyncDir(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	// Series folders a removal emptied go too (cosmetic; never fails the commit).
	for _, rel := range rec.Remove {
		if p, err := s.dir.Path(path.Dir(rel)); err == nil {
			for p != s.dir.Abs() && os.Remove(p) == nil {
				p = filepath.Dir(p)
			}
		}
	}
	return nil
}

// retire deletes a published import's commit record (made durable first) and
// then its staging folder.
func (s *MarketStore) retire(dir string) error {
	if err := os.Remove(filepath.Join(dir, commitFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := files.SyncDir(dir); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// RecoverStats says what Recover did.
type RecoverStats struct {
	RolledForward int // imports committed before a crash, now published
	RolledBack    int // imports staged but never committed, now discarded
	// Migrated counts partitions moved from the folders of the layout before
	// hive folders; NotMigrated lists those left in place because their new
	// name was taken (they are not read until someone resolves that).
	Migrated    int
	NotMigrated []string
}

// Recover finishes or discards the imports a crash interrupted (see the top of
// this file), then moves partitions of an older folder layout to the current
// one (market_layout.go). Call it at open, before the store is used.
func (s *MarketStore) Recover() (RecoverStats, error) {
	st, err := s.recoverImports()
	if err != nil {
		return st, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	st.Migrated, st.NotMigrated, err = s.migrateLayout()
	if err != nil {
		return st, fmt.Errorf("migrate market layout: %w", err)
	}
	return st, nil
}

func (s *MarketStore) recoverImports() (RecoverStats, error) {
	var st RecoverStats
	root, err := s.dir.Path(stagingDir)
	if err != nil {
		return st, err
	}
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	for _, e := range ents {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() {
			_ = os.Remove(dir) // a stray file or link: never followed
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, commitFile))
		var rec commitRecord
		if err == nil && json.Unmarshal(b, &rec) == nil {
			if err := s.publish(s.dir.Sub(stagingDir, e.Name()), rec); err != nil {
				return st, fmt.Errorf("recover import %s: %w", e.Name(), err)
			}
			if err := s.retire(dir); err != nil {
				return st, fmt.Errorf("recover import %s: %w", e.Name(), err)
			}
			st.RolledForward++
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return st, fmt.Errorf("discard import %s: %w", e.Name(), err)
		}
		st.RolledBack++
	}
	return st, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
