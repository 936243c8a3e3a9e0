package app

import (
	"os"

	"sigmalab/httpapi"
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
