package backup

import (
	"fmt"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// OpenReadOnly opens the database at path without writing to it. bbolt takes
// a shared lock for read-only handles and an exclusive one for writers, so
// while a server has the database open this waits timeout and fails with
// bbolt's ErrTimeout; the caller then asks the server instead.
func OpenReadOnly(path string, timeout time.Duration) (*bbolt.DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", filepath.Base(path), err)
	}
	return db, nil
}
