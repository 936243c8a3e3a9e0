package httpapi

import (
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine/admin"
	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

// The admin surface: every route lives under /admin/… and, where the endpoint
// map lists it without the prefix and the bare path is free, there too
// (/jobs, /packs, /health and /audit keep their non-admin meaning). The
// admin role is enforced by withAuth (needRole), before any handler runs.
func (s *Server) routesAdmin() {
	both := func(method, path, summary string, h HandlerFunc) {
		s.Handle(method, "/admin"+path, summary, h)
		s.Handle(method, path, summary+" (same as /admin"+path+")", h)
	}
	s.GET("/admin/jobs", "admin: every user's jobs (status, user, kind, limit, offset)", s.adminJobs)
	s.POST("/admin/jobs/:id/retry", "admin: re-queue any user's failed, cancelled or interrupted job", s.adminRetryJob)
	s.POST("/admin/jobs/:id/cancel", "admin: cancel any user's queued or running job", s.adminCancelJob)

	both(http.MethodGet, "/quotas", "admin: quotas and today's usage of one user (?user=) or the overrides of all", s.getQuotas)
	both(http.MethodPatch, "/quotas", "admin: set a user's quotas (user_id, sweeps_per_day, sweeps_concurrent, train_per_day, train_concurrent)", s.patchQuotas)

	both(http.MethodGet, "/risk-profiles", "admin: the risk profiles (conservative, balanced, aggressive)", s.getRiskProfiles)
	both(http.MethodPatch, "/risk-profiles", "admin: edit a risk profile (name and fields)", s.patchRiskProfile)

	s.GET("/admin/packs", "admin: packs with their model, template and indicator-set counts", s.adminPacks)
	both(http.MethodGet, "/indicator_sets", "admin: indicator sets of every pack (?pack=) with how many models use each", s.adminIndicatorSets)

	both(http.MethodGet, "/templates", "admin: managed model templates, latest version of each (?pack_id=, ?published=)", s.listTemplates)
	both(http.MethodPost, "/templates", "admin: create a model template (template_id, pack_id, name, horizon, cadence, config)", s.createTemplate)
	both(http.MethodGet, "/templates/:template_id", "admin: every version of a template", s.templateVersions)
	both(http.MethodPatch, "/templates/:template_id", "admin: change a template (a new, unpublished version)", s.patchTemplate)
	both(http.MethodPost, "/templates/:template_id/publish", "admin: publish a template's latest version (listed by /model_templates)", s.publishTemplate)

	both(http.MethodGet, "/flags", "admin: feature flags (key, enabled, default, what it gates)", s.getFlags)
	both(http.MethodPatch, "/flags", `admin: set flags ({"flags":{"key":true}} or {"key":…,"enabled":…})`, s.patchFlags)

	s.GET("/admin/health", "admin: db size, job queue and pools, disk free, index status", s.adminHealth)
	s.GET("/admin/audit", "admin: every audited request, newest first (user, action, start, end, limit, offset)", s.adminAudit)

	both(http.MethodGet, "/users", "admin: users (role, status, limit, offset)", s.listUsers)
	both(http.MethodPost, "/users", "admin: create a user (id, role, email); the token is shown once", s.createUser)
	both(http.MethodGet, "/users/:user_id", "admin: one user and its token records (never the tokens)", s.getUser)
	both(http.MethodPatch, "/users/:user_id", "admin: change a user's role, status or email", s.patchUser)
	both(http.MethodPost, "/users/:user_id/rotate_token", "admin: new token for a user (shown once); the old ones stop working", s.rotateUserToken)
}

// adminTarget is the admin store and the id in path parameter key: the
// prologue of the admin routes that act on one user, template or profile.
func (s *Server) adminTarget(p httprouter.Params, key string) (admin.Store, string, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, "", err
	}
	id, err := PathID(p, key)
	return st, id, err
}

func (s *Server) adminStore() (admin.Store, error) {
	if s.auth == nil || s.auth.opts.Store == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "admin_unavailable", Message: "the admin store is not available"}
	}
	return s.auth.opts.Store, nil
}

// caller names who made an admin change (updated_by fields).
func caller(r *http.Request) string {
	if u := UserFrom(r.Context()); u != "" {
		return u
	}
	return "anonymous"
}

// --- jobs ---

func (s *Server) adminJobs(r *http.Request, _ httprouter.Params) (any, error) {
	run, err := s.runner()
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	page := q.Page(50)
	status := jobs.Status(q.Enum("status", "", string(jobs.Queued), string(jobs.Running), string(jobs.Completed),
		string(jobs.Failed), string(jobs.Cancelled), string(jobs.Interrupted)))
	user := q.String("user", "")
	kind := q.String("kind", "")
	withResult := q.Bool("include_result", false)
	if err := q.Err(); err != nil {
		return nil, err
	}
	rows, total, err := run.List(r.Context(), jobs.Filter{User: user, Kind: kind, Status: status, Limit: page.Limit, Offset: page.Offset})
	if err != nil {
		return nil, err
	}
	if !withResult {
		for i := range rows {
			rows[i].Result = nil
		}
	}
	if rows == nil {
		rows = []jobs.Job{}
	}
	return jobList{Rows: rows, PageInfo: page.Info(len(rows), total)}, nil
}

func (s *Server) adminRetryJob(r *http.Request, p httprouter.Params) (any, error) {
	run, err := s.runner()
	if err != nil {
		return nil, err
	}
	id, err := jobID(p)
	if err != nil {
		return nil, err
	}
	j, err := run.Retry(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return Accepted{JobID: strconv.FormatInt(j.ID, 10), Status: string(j.Status)}, nil
}

func (s *Server) adminCancelJob(r *http.Request, p httprouter.Params) (any, error) {
	run, err := s.runner()
	if err != nil {
		return nil, err
	}
	id, err := jobID(p)
	if err != nil {
		return nil, err
	}
	j, err := run.Cancel(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return view(j), nil
}

// --- quotas ---

type quotaUsage struct {
	SweepsToday   int `json:"sweeps_today"`
	SweepsRunning int `json:"sweeps_running"`
	TrainToday    int `json:"train_today"`
	TrainRunning  int `json:"train_running"`
}

type quotaView struct {
	admin.Quota
	Usage    quotaUsage `json:"usage"`
	Day      string     `json:"day"`
	ResetsAt string     `json:"resets_at"`
}

func (s *Server) quotaView(r *http.Request, st admin.Store, q admin.Quota) (quotaView, error) {
	ctx := r.Context()
	day, resets := admin.Day(s.opts.Now())
	v := quotaView{Quota: q, Day: day, ResetsAt: resets.Format("2006-01-02T15:04:05Z07:00")}
	var err error
	if v.Usage.SweepsToday, err = st.Uses(ctx, q.UserID, day, admin.KindSweep); err != nil {
		return v, err
	}
	if v.Usage.TrainToday, err = st.Uses(ctx, q.UserID, day, admin.KindTrain); err != nil {
		return v, err
	}
	v.Usage.SweepsRunning = s.activeJobs(ctx, q.UserID, quotaRoutes["/backtest_sweep"].jobKind)
	v.Usage.TrainRunning = s.activeJobs(ctx, q.UserID, quotaRoutes["/train"].jobKind)
	return v, nil
}

func (s *Server) getQuotas(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	user := q.ID("user", "", false)
	if user == "" {
		user = q.ID("user_id", "", false)
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	if user == "" {
		all, err := st.ListQuotas(r.Context())
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = []admin.Quota{}
		}
		return map[string]any{"defaults": admin.DefaultLimits(), "quotas": all}, nil
	}
	if _, err := st.GetUser(r.Context(), user); err != nil {
		return nil, err
	}
	qu, err := st.GetQuota(r.Context(), user)
	if err != nil {
		return nil, err
	}
	return s.quotaView(r, st, qu)
}

func (s *Server) patchQuotas(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	var body admin.QuotaPatch
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	q := admin.Quota{UserID: body.UserID, Limits: admin.DefaultLimits()}
	if admin.ValidID(body.UserID) {
		if _, err := st.GetUser(r.Context(), body.UserID); err != nil {
			return nil, err
		}
		if q, err = st.GetQuota(r.Context(), body.UserID); err != nil {
			return nil, err
		}
	}
	if err := body.Apply(&q.Limits); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	q.Custom, q.UpdatedAt, q.UpdatedBy = true, &now, caller(r)
	if err := st.PutQuota(r.Context(), q); err != nil {
		return nil, err
	}
	return s.quotaView(r, st, q)
}

// --- risk profiles ---

func (s *Server) riskProfiles(r *http.Request) ([]admin.RiskProfile, error) {
	if s.auth == nil || s.auth.opts.Store == nil {
		return admin.DefaultRiskProfiles(), nil
	}
	stored, err := s.auth.opts.Store.ListRiskProfiles(r.Context())
	if err != nil {
		return nil, err
	}
	return admin.MergeRiskProfiles(stored), nil
}

func (s *Server) getRiskProfiles(r *http.Request, _ httprouter.Params) (any, error) {
	ps, err := s.riskProfiles(r)
	if err != nil {
		return nil, err
	}
	return map[string]any{"profiles": ps, "count": len(ps)}, nil
}

func (s *Server) patchRiskProfile(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	var body admin.RiskPatch
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	ps, err := s.riskProfiles(r)
	if err != nil {
		return nil, err
	}
	p, ok := admin.FindRiskProfile(ps, body.Name)
	if !ok {
		return nil, errs.Field("body", "name", "unknown risk profile: want conservative, balanced or aggressive")
	}
	if err := body.Apply(&p); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	p.UpdatedAt, p.UpdatedBy = &now, caller(r)
	if err := st.PutRiskProfile(r.Context(), p); err != nil {
		return nil, err
	}
	return map[string]any{"profile": p}, nil
}

// --- flags ---

func (s *Server) getFlags(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	stored, err := st.ListFlags(r.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"flags": admin.MergeFlags(stored)}, nil
}

func (s *Server) patchFlags(r *http.Request, p httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	var body admin.FlagsPatch
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	changes, err := body.Changes(s.opts.Now(), caller(r))
	if err != nil {
		return nil, err
	}
	if err := st.PutFlags(r.Context(), changes); err != nil {
		return nil, err
	}
	return s.getFlags(r, p)
}
