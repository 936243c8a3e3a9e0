package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine/errs"
	"sigmalab/engine/jobs"
)

// Long work (SPEC §6): a domain route answers `"async": true` by submitting a
// registered job kind and returning 202 {"ok":true,"job_id":"…"}. The engine
// offers each long use case as a job function beside its kind name, registered
// with the runner once at wiring time; the handler submits the same request
// the synchronous path runs:
//
//	jobs.Register(lab.Jobs, engine.TrainJobKind, jobs.Heavy, lab.TrainJob) // once, when wiring
//	// in the handler, after validating req:
//	if req.Async {
//		return s.SubmitJob(r, engine.TrainJobKind, req)
//	}
//
// The handler result (any JSON value) becomes the job's result; an error fails
// the job; ctx is cancelled by POST /jobs/{id}/cancel or shutdown, and t.Progress
// reports 0..1 (cheap to call per step; writes are throttled).

// userKey is the context key under which authentication records the caller.
type userKey struct{}

// WithUser returns ctx carrying the authenticated user name; auth middleware
// calls it so job ownership (GET /jobs lists the caller's own jobs) follows.
func WithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// UserFrom returns the user set by WithUser, or "" for anonymous requests
// (open loopback mode).
func UserFrom(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

// SubmitJob queues a job of kind with params for the requesting user and
// returns the 202 Accepted value. It fails with 503-like conflict when the job
// runner is not wired (the CLI) or shutting down.
func (s *Server) SubmitJob(r *http.Request, kind string, params any) (any, error) {
	if s.Lab == nil || s.Lab.Jobs == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "jobs_unavailable", Message: "background jobs are not available"}
	}
	j, err := s.Lab.Jobs.Submit(r.Context(), kind, UserFrom(r.Context()), params)
	if err != nil {
		return nil, err
	}
	return Accepted{JobID: strconv.FormatInt(j.ID, 10), Status: string(j.Status)}, nil
}

// submitLong runs a synchronous request whose work is beyond the bound as a
// job: 202 with the job id and why, as if it had asked for async.
func (s *Server) submitLong(r *http.Request, kind string, params any, why string) (any, error) {
	v, err := s.SubmitJob(r, kind, params)
	if a, ok := v.(Accepted); ok {
		a.Message = why
		return a, nil
	}
	return v, err
}

func (s *Server) routesJobs() {
	s.GET("/jobs", "list the caller's jobs (kind, status, limit, offset, include_result), newest first", s.listJobs)
	s.GET("/jobs/:id", "one job: status, progress 0..1, message, result", s.getJob)
	s.POST("/jobs/:id/cancel", "cancel a queued or running job of the caller", s.cancelJob)
	s.POST("/jobs/:id/retry", "re-queue a failed, cancelled or interrupted job of the caller", s.retryJob)
}

type jobList struct {
	Rows []jobs.Job `json:"rows"`
	PageInfo
}

func (s *Server) runner() (*jobs.Runner, error) {
	if s.Lab == nil || s.Lab.Jobs == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "jobs_unavailable", Message: "background jobs are not available"}
	}
	return s.Lab.Jobs, nil
}

func (s *Server) listJobs(r *http.Request, _ httprouter.Params) (any, error) {
	run, err := s.runner()
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	page := q.Page(20)
	kind := q.String("kind", "")
	// Results (a sweep's top runs, a backtest) can be large; a listing leaves
	// them out unless asked, GET /jobs/{id} always has them.
	withResult := q.Bool("include_result", false)
	status := jobs.Status(q.Enum("status", "", string(jobs.Queued), string(jobs.Running), string(jobs.Completed),
		string(jobs.Failed), string(jobs.Cancelled), string(jobs.Interrupted)))
	if err := q.Err(); err != nil {
		return nil, err
	}
	// Admins see every user's jobs (?user= narrows them), others their own.
	user := UserFrom(r.Context())
	if isAdmin(r.Context()) {
		user = q.String("user", "")
	}
	rows, total, err := run.List(r.Context(), jobs.Filter{User: user, Kind: kind, Status: status,
		Limit: page.Limit, Offset: page.Offset})
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []jobs.Job{}
	}
	if !withResult {
		for i := range rows {
			rows[i].Result = nil
		}
	}
	return jobList{Rows: rows, PageInfo: page.Info(len(rows), total)}, nil
}

// jobID parses the :id path parameter (a positive integer; 422 otherwise).
func jobID(p httprouter.Params) (int64, error) { return PathInt(p, "id") }

// ownJob loads job id if the caller may see it. Another user's job answers 404,
// so ids do not reveal other users' work.
func (s *Server) ownJob(r *http.Request, p httprouter.Params) (*jobs.Runner, jobs.Job, error) {
	run, err := s.runner()
	if err != nil {
		return nil, jobs.Job{}, err
	}
	id, err := jobID(p)
	if err != nil {
		return nil, jobs.Job{}, err
	}
	j, err := run.Get(r.Context(), id)
	if err != nil {
		return nil, jobs.Job{}, err
	}
	if j.User != UserFrom(r.Context()) && !isAdmin(r.Context()) {
		return nil, jobs.Job{}, fmt.Errorf("job %d: %w", id, errs.ErrNotFound)
	}
	return run, j, nil
}

// jobView sends the job's fields at the top level of the envelope (status,
// progress, message, result as SPEC §6 names them) plus job_id as the 202 gave it.
type jobView struct {
	jobs.Job
	JobID string `json:"job_id"`
}

func view(j jobs.Job) jobView { return jobView{Job: j, JobID: strconv.FormatInt(j.ID, 10)} }

func (s *Server) getJob(r *http.Request, p httprouter.Params) (any, error) {
	_, j, err := s.ownJob(r, p)
	if err != nil {
		return nil, err
	}
	return view(j), nil
}

func (s *Server) cancelJob(r *http.Request, p httprouter.Params) (any, error) {
	run, j, err := s.ownJob(r, p)
	if err != nil {
		return nil, err
	}
	j, err = run.Cancel(r.Context(), j.ID)
	if err != nil {
		return nil, err
	}
	return view(j), nil
}

func (s *Server) retryJob(r *http.Request, p httprouter.Params) (any, error) {
	run, j, err := s.ownJob(r, p)
	if err != nil {
		return nil, err
	}
	j, err = run.Retry(r.Context(), j.ID)
	if err != nil {
		return nil, err
	}
	return Accepted{JobID: strconv.FormatInt(j.ID, 10), Status: string(j.Status)}, nil
}
