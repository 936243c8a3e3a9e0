package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine/admin"
)

// Audit: every mutating request (any method but GET, HEAD, OPTIONS), refused
// ones included, leaves one row: user, route, target id, status, body
// SHA-256, time, client address. The row is put in the request context as an
// admin.PendingAudit before anything else runs:
//
//   - writes of the admin store (users, tokens, quotas, flags, risk profiles,
//     templates) go through bolt's UpdateAudited, which stores the row inside
//     the same transaction as the change: a change without its row cannot
//     exist. After the response the row gets its final status.
//   - every other request (other domains' writes: models, policies, runs,
//     jobs, imports, whose changes are several transactions or files; and
//     requests refused before any change) gets its row right after the
//     response (FinishAudit), best effort: an error is logged.

// auditBodyMax is the largest body read ahead to digest it; larger or
// streaming bodies (imports) are digested as the handler reads them.
const auditBodyMax = 1 << 20

func mutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// withAudit records mutating requests (see above).
func (s *Server) withAudit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.auth.opts.Store
		if st == nil || !mutating(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		p := &admin.PendingAudit{Entry: admin.AuditEntry{At: s.opts.Now().UTC(), Method: r.Method, Path: clip(r.URL.Path),
			Client: clientAddr(r)}}
		p.Entry.Route = s.routePattern(r.Method, r.URL.Path)
		p.Entry.Action = r.Method + " " + p.Entry.Route
		p.Entry.TargetID = pathTarget(p.Entry.Route, r.URL.Path)
		var h hash.Hash
		if r.Body != nil && r.Body != http.NoBody {
			if r.ContentLength >= 0 && r.ContentLength <= auditBodyMax {
				data, err := io.ReadAll(io.LimitReader(r.Body, auditBodyMax+1))
				sum := sha256.Sum256(data)
				p.Entry.BodySHA256 = hex.EncodeToString(sum[:])
				if p.Entry.TargetID == "" {
					p.Entry.TargetID = bodyTarget(data)
				}
				var rest io.Reader = r.Body
				if err != nil {
					rest = errReader{err}
				}
				r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(data), rest), Closer: r.Body}
			} else {
				h = sha256.New()
				r.Body = replayBody{Reader: io.TeeReader(r.Body, h), Closer: r.Body}
			}
		}
		r = r.WithContext(admin.WithAudit(r.Context(), p))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			p.Set(func(e *admin.AuditEntry) {
				e.Status = status
				if h != nil {
					e.BodySHA256 = hex.EncodeToString(h.Sum(nil))
				}
			})
			if err := st.FinishAudit(context.WithoutCancel(r.Context()), p); err != nil {
				s.log.Error("audit", "request_id", RequestID(r.Context()), "path", p.Entry.Path, "err", err)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// pathTarget is the value of the last :param of route in path.
func pathTarget(route, path string) string {
	ps := strings.Split(strings.Trim(route, "/"), "/")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	target := ""
	for i, p := range ps {
		if strings.HasPrefix(p, ":") && i < len(segs) {
			target = segs[i]
		}
	}
	return clip(target)
}

// bodyTarget picks the id a JSON body is about.
func bodyTarget(data []byte) string {
	var b struct {
		ModelID    string `json:"model_id"`
		UserID     string `json:"user_id"`
		ID         string `json:"id"`
		TemplateID string `json:"template_id"`
		Name       string `json:"name"`
		Key        string `json:"key"`
	}
	if json.Unmarshal(data, &b) != nil {
		return ""
	}
	for _, v := range []string{b.ModelID, b.UserID, b.TemplateID, b.ID, b.Key, b.Name} {
		if v != "" {
			return clip(v)
		}
	}
	return ""
}

func (s *Server) routesAudit() {
	s.GET("/audit", "the caller's own audited (mutating) requests, newest first (action, start, end, limit, offset)", s.ownAudit)
}

type auditList struct {
	Rows  []admin.AuditEntry `json:"rows"`
	Count int                `json:"count"`
	PageInfo
}

// auditFilter reads action, start, end (YYYY-MM-DD or RFC 3339), limit, offset.
func auditFilter(q *Query, def int) (admin.AuditFilter, Page) {
	page := q.Page(def)
	f := admin.AuditFilter{Action: q.String("action", ""), Limit: page.Limit, Offset: page.Offset}
	f.From = queryTime(q, "start", false)
	f.To = queryTime(q, "end", true)
	return f, page
}

// queryTime parses a date (the whole day when end) or an RFC 3339 time.
func queryTime(q *Query, name string, end bool) time.Time {
	v := strings.TrimSpace(q.Vals.Get(name))
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		q.C.Fail(name, "invalid time "+`"`+clip(v)+`"`+": want YYYY-MM-DD or RFC 3339", "value_error")
		return time.Time{}
	}
	if end {
		return t.Add(24*time.Hour - time.Nanosecond)
	}
	return t
}

func (s *Server) listAudit(r *http.Request, f admin.AuditFilter, page Page) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	rows, total, err := st.ListAudit(r.Context(), f)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []admin.AuditEntry{}
	}
	return auditList{Rows: rows, Count: len(rows), PageInfo: page.Info(len(rows), total)}, nil
}

func (s *Server) ownAudit(r *http.Request, _ httprouter.Params) (any, error) {
	q := NewQuery(r)
	f, page := auditFilter(q, 100)
	if err := q.Err(); err != nil {
		return nil, err
	}
	f.User = UserFrom(r.Context())
	return s.listAudit(r, f, page)
}
