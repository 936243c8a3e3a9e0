package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"sigmalab/storage/backup"
	"sigmalab/storage/bolt"
	"sigmalab/storage/check"
	"sigmalab/storage/files"
	"sigmalab/storage/search"
)

// wireBackup lets POST /admin/backup stream an archive of the open data dir
// (a hot backup: the database in one read transaction, then its files).
func (a *App) wireBackup() {
	a.Lab.Backup = func(ctx context.Context, w io.Writer) error {
		_, err := backup.Write(ctx, a.DB.Bolt(), a.Layout.Root, w, backup.Options{Version: a.Cfg.Version, Now: a.Cfg.Now})
		return err
	}
}

// BackupDir archives the data dir dataDir to w by opening its database
// read-only (so it needs no server; while one holds the database it fails
// after lockTimeout with bbolt's timeout error, and the caller asks the
// server instead).
func BackupDir(dataDir string, w io.Writer, version string, lockTimeout time.Duration) (backup.Result, error) {
	layout, err := existingLayout(dataDir)
	if err != nil {
		return backup.Result{}, err
	}
	db, err := backup.OpenReadOnly(layout.DBPath(), lockTimeout)
	if err != nil {
		return backup.Result{}, err
	}
	defer db.Close()
	return backup.Write(context.Background(), db, layout.Root, w, backup.Options{Version: version})
}

// Restore unpacks and verifies an archive into dir (empty or absent), then
// makes it a data dir the server opens as is: the standard folders, the
// database opened once (its schema checked, an older one migrated) and the
// cards index built from the restored card files. On failure dir is left
// empty.
func Restore(r io.Reader, dir string) (backup.Manifest, error) {
	m, err := backup.Restore(r, dir)
	if err != nil {
		return m, err
	}
	layout, err := files.NewLayout(dir)
	if err == nil {
		err = layout.Init()
	}
	if err != nil {
		return m, err
	}
	db, err := bolt.Open(layout.DBPath())
	if err != nil {
		return m, fmt.Errorf("restored database: %w", err)
	}
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return m, fmt.Errorf("restored database: %w", err)
	}
	if err := db.Close(); err != nil {
		return m, err
	}
	idx, err := search.OpenCards(search.CardsOptions{IndexRel: cardsIndexRel, Root: layout.Root, CardsRel: cardsRel})
	if err != nil {
		return m, fmt.Errorf("index restored cards: %w", err)
	}
	return m, idx.Close()
}

// VerifyArchive reads a whole archive and checks it against its manifest.
func VerifyArchive(r io.Reader) (backup.Manifest, error) { return backup.Verify(r) }

// IsLocked reports whether err says another process holds the database.
func IsLocked(err error) bool {
	return errors.Is(err, bolterrors.ErrTimeout) || errors.Is(err, check.ErrLocked)
}

// existingLayout is the layout of a data dir that must already exist (backup
// and check never create one).
func existingLayout(dataDir string) (files.Layout, error) {
	st, err := os.Stat(dataDir)
	if err != nil {
		return files.Layout{}, fmt.Errorf("data dir: %w", err)
	}
	if !st.IsDir() {
		return files.Layout{}, fmt.Errorf("data dir %s: not a directory", dataDir)
	}
	return files.NewLayout(dataDir)
}
