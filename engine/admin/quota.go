package admin

import (
	"fmt"
	"time"

	"sigmalab/engine/errs"
)

// QuotaKind names the counted work.
type QuotaKind string

// Counted kinds: a sweep (POST /backtest_sweep) and a training (POST /train).
const (
	KindSweep QuotaKind = "sweep"
	KindTrain QuotaKind = "train"
)

// Limits are a user's quotas; 0 means none of that work is allowed.
type Limits struct {
	SweepsPerDay     int `json:"sweeps_per_day"`
	SweepsConcurrent int `json:"sweeps_concurrent"`
	TrainPerDay      int `json:"train_per_day"`
	TrainConcurrent  int `json:"train_concurrent"`
}

// DefaultLimits are the quotas of a user without overrides (10/2/20/2).
func DefaultLimits() Limits {
	return Limits{SweepsPerDay: 10, SweepsConcurrent: 2, TrainPerDay: 20, TrainConcurrent: 2}
}

// MaxQuota bounds every limit so a typo cannot mean "unlimited for ever".
const MaxQuota = 100000

// PerDay and Concurrent return the limits of kind.
func (l Limits) PerDay(k QuotaKind) int {
	if k == KindSweep {
		return l.SweepsPerDay
	}
	return l.TrainPerDay
}

// Concurrent is the limit of kind running at once.
func (l Limits) Concurrent(k QuotaKind) int {
	if k == KindSweep {
		return l.SweepsConcurrent
	}
	return l.TrainConcurrent
}

// Quota is one user's stored limits (Custom false: the defaults apply).
type Quota struct {
	UserID    string     `json:"user_id"`
	Limits    Limits     `json:"limits"`
	Custom    bool       `json:"custom"`
	UpdatedAt *time.Time `json:"updated_at"`
	UpdatedBy string     `json:"updated_by,omitempty"`
}

// QuotaPatch is the body of PATCH /admin/quotas: absent fields keep their value.
type QuotaPatch struct {
	UserID           string `json:"user_id"`
	SweepsPerDay     *int   `json:"sweeps_per_day"`
	SweepsConcurrent *int   `json:"sweeps_concurrent"`
	TrainPerDay      *int   `json:"train_per_day"`
	TrainConcurrent  *int   `json:"train_concurrent"`
}

// Apply validates p and applies it to l.
func (p QuotaPatch) Apply(l *Limits) error {
	v := &errs.Validation{}
	if !ValidID(p.UserID) {
		v.Add("body", "user_id", "required: a user id", "value_error")
	}
	set := func(name string, src *int, dst *int) {
		if src == nil {
			return
		}
		if *src < 0 || *src > MaxQuota {
			v.Add("body", name, fmt.Sprintf("must be between 0 and %d", MaxQuota), "value_error")
			return
		}
		*dst = *src
	}
	set("sweeps_per_day", p.SweepsPerDay, &l.SweepsPerDay)
	set("sweeps_concurrent", p.SweepsConcurrent, &l.SweepsConcurrent)
	set("train_per_day", p.TrainPerDay, &l.TrainPerDay)
	set("train_concurrent", p.TrainConcurrent, &l.TrainConcurrent)
	if p.SweepsPerDay == nil && p.SweepsConcurrent == nil && p.TrainPerDay == nil && p.TrainConcurrent == nil {
		v.Add("body", "sweeps_per_day", "nothing to change: give at least one limit", "value_error")
	}
	return v.Err()
}

// Day is the UTC day a count belongs to, and when it resets.
func Day(now time.Time) (day string, resets time.Time) {
	u := now.UTC()
	start := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	return start.Format(time.DateOnly), start.AddDate(0, 0, 1)
}

// QuotaError is a refused request: which quota, its limit and when it resets.
type QuotaError struct {
	Quota   string    // e.g. "sweeps_per_day"
	Limit   int       // the limit reached
	User    string    // whose quota
	ResetAt time.Time // when it resets (per day: next UTC midnight; concurrent: when a run ends, estimated)
	Daily   bool
}

func (e *QuotaError) Error() string {
	if e.Daily {
		return fmt.Sprintf("quota %s exceeded for user %s: %d per day; resets at %s", e.Quota, e.User, e.Limit,
			e.ResetAt.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("quota %s exceeded for user %s: %d at once; wait for one to finish (retry after %s)", e.Quota,
		e.User, e.Limit, e.ResetAt.UTC().Format(time.RFC3339))
}

// Unwrap makes a quota refusal a 429.
func (e *QuotaError) Unwrap() error { return errs.ErrRateLimited }
