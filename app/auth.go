package app

import (
	"os"

	"sigmalab/engine/admin"
	"sigmalab/httpapi"
	"sigmalab/storage/bolt"
	"sigmalab/storage/files"
)

// wireAuth gives the API its admin store (users, tokens, quotas, flags, risk
// profiles, templates, audit) and the storage figures of GET /admin/health.
// Required mode, ADMIN_TOKEN and rate limits come with the Config (HTTP.Auth).
func (a *App) wireAuth(o *httpapi.AuthOptions) {
	o.Store = a.DB.Admin()
	o.Storage = func() httpapi.StorageStats {
		var st httpapi.StorageStats
		if fi, err := os.Stat(a.DB.Path()); err == nil {
			st.DBBytes = fi.Size()
		}
		if free, ok := files.FreeBytes(a.Layout.Root); ok {
			st.DiskFreeBytes = &free
		}
		return st
	}
}

// OpenAdmin opens only the database of dataDir for the admin store (the
// `user` command): no packs, indexes or jobs. The server must not be running
// on the same data dir (the database is locked by one process at a time).
func OpenAdmin(dataDir string) (admin.Store, func() error, error) {
	layout, err := files.NewLayout(dataDir)
	if err != nil {
		return nil, nil, err
	}
	if err := layout.Init(); err != nil {
		return nil, nil, err
	}
	db, err := bolt.Open(layout.DBPath())
	if err != nil {
		return nil, nil, err
	}
	return db.Admin(), db.Close, nil
}
