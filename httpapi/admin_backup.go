package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"
)

// backupWriteWindow is how long each write of a streamed backup may take: the
// deadline moves forward with every chunk, so a large archive is not cut at
// the server's WriteTimeout while a stalled client still is.
const backupWriteWindow = 2 * time.Minute

// routesAdminBackup registers POST /admin/backup. Admin authentication is the
// auth middleware's, which guards every /admin/* route; this file only
// streams. The archive is written as it is produced (a data dir does not fit
// in a response buffer), so this is the one handler that writes its own
// headers: errors before the first byte still go through the JSON error
// adapter; an error after it aborts the connection, and the client is left
// with an archive without its closing manifest, which restore refuses.
func (s *Server) routesAdminBackup() {
	const path = "/admin/backup"
	s.routes = append(s.routes, Route{Method: http.MethodPost, Path: path,
		Summary: "stream a consistent backup of the data dir (tar.zst: database snapshot, referenced matrices, artifacts and cards, market and exports, MANIFEST.json of sizes and sha256); restore with `sigmalab restore FILE --data DIR`"})
	s.router.Handle(http.MethodPost, path, s.adminBackup)
}

func (s *Server) adminBackup(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if s.Lab == nil || s.Lab.Backup == nil {
		s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "backup is not available on this server"})
		return
	}
	sw := &streamWriter{w: w, rc: http.NewResponseController(w), start: func() {
		h := w.Header()
		h.Set("Content-Type", "application/zstd")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="sigmalab-backup-%s.tar.zst"`,
			s.opts.Now().UTC().Format("20060102T150405Z")))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	}}
	err := s.Lab.Backup(r.Context(), sw)
	if err == nil {
		return
	}
	if !sw.started {
		s.writeError(w, r, fmt.Errorf("backup: %w", err))
		return
	}
	s.log.Error("backup stream failed", "request_id", RequestID(r.Context()), "err", err)
	panic(http.ErrAbortHandler)
}

// streamWriter sends the headers at the first write and moves the write
// deadline forward at every write.
type streamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	start   func()
	started bool
}

func (sw *streamWriter) Write(b []byte) (int, error) {
	if !sw.started {
		sw.started = true
		sw.start()
	}
	_ = sw.rc.SetWriteDeadline(time.Now().Add(backupWriteWindow))
	return sw.w.Write(b)
}
