package httpapi

import (
	"context"
	"net/http"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/admin"
	"sigmalab/engine/jobs"
)

// quotaRoutes are the requests that count against a user's quotas, and the
// job kind under which their async form runs.
var quotaRoutes = map[string]struct {
	kind    admin.QuotaKind
	jobKind string
}{
	"/backtest_sweep": {admin.KindSweep, engine.SweepJobKind},
	"/train":          {admin.KindTrain, engine.TrainJobKind},
}

// concurrentRetry is the Retry-After of a concurrent-quota refusal: a run
// has to end first, and that is usually a matter of seconds.
const concurrentRetry = 30 * time.Second

// takeQuota admits a quota-counted request of an authenticated user (the
// built-in admin token and anonymous loopback callers have no quotas): the
// concurrent limit counts this user's synchronous requests in flight plus
// queued and running jobs of the kind; the daily count is taken in one
// transaction. release gives the daily unit back when the request did not
// succeed (4xx/5xx), so refused or failed work does not use the quota.
func (s *Server) takeQuota(w http.ResponseWriter, r *http.Request) (release func(status int), err error) {
	qr, ok := quotaRoutes[r.URL.Path]
	if !ok || r.Method != http.MethodPost || s.auth.opts.Store == nil {
		return nil, nil
	}
	c, ok := CallerFrom(r.Context())
	if !ok || c.User == admin.BuiltinAdmin {
		return nil, nil
	}
	ctx := r.Context()
	st := s.auth.opts.Store
	q, err := st.GetQuota(ctx, c.User)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	key := c.User + "\x00" + string(qr.kind)
	s.auth.mu.Lock()
	running := s.auth.inflight[key]
	s.auth.inflight[key]++ // held while deciding, so two requests cannot both take the last slot
	s.auth.mu.Unlock()
	undo := func() {
		s.auth.mu.Lock()
		s.auth.inflight[key]--
		if s.auth.inflight[key] <= 0 {
			delete(s.auth.inflight, key)
		}
		s.auth.mu.Unlock()
	}
	running += s.activeJobs(ctx, c.User, qr.jobKind)
	name := string(qr.kind)
	if qr.kind == admin.KindSweep {
		name = "sweeps"
	}
	if lim := q.Limits.Concurrent(qr.kind); running >= lim {
		undo()
		setRetryAfter(w, concurrentRetry)
		return nil, quotaError(&admin.QuotaError{Quota: name + "_concurrent", Limit: lim, User: c.User, ResetAt: now.Add(concurrentRetry)})
	}
	day, resets := admin.Day(now)
	lim := q.Limits.PerDay(qr.kind)
	_, added, err := st.CountUse(ctx, c.User, day, qr.kind, lim)
	if err != nil {
		undo()
		return nil, err
	}
	if !added {
		undo()
		setRetryAfter(w, resets.Sub(now))
		return nil, quotaError(&admin.QuotaError{Quota: name + "_per_day", Limit: lim, User: c.User, ResetAt: resets, Daily: true})
	}
	return func(status int) {
		undo()
		if status >= 400 || status == 0 {
			if err := st.ReleaseUse(context.WithoutCancel(ctx), c.User, day, qr.kind); err != nil {
				s.log.Warn("quota refund", "user", c.User, "err", err)
			}
		}
	}, nil
}

// activeJobs counts the user's queued and running jobs of kind.
func (s *Server) activeJobs(ctx context.Context, user, kind string) int {
	if s.Lab == nil || s.Lab.Jobs == nil {
		return 0
	}
	n := 0
	for _, st := range []jobs.Status{jobs.Queued, jobs.Running} {
		_, total, err := s.Lab.Jobs.List(ctx, jobs.Filter{User: user, Kind: kind, Status: st, Limit: 1})
		if err == nil {
			n += total
		}
	}
	return n
}

// quotaError is a 429 with the stable code quota_exceeded and the quota's message.
func quotaError(e *admin.QuotaError) error {
	return &Error{Status: http.StatusTooManyRequests, Code: "quota_exceeded", Message: e.Error(), Err: e}
}
