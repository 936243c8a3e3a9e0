// Package admin is the domain of users, API tokens, roles, quotas, feature flags,
// risk profiles, model templates and the audit log: the types, their defaults
// and validation rules, and the Store port that storage/bolt implements. It
// imports no HTTP or storage code.
package admin

import (
	"context"
	"regexp"
	"time"

	"sigmalab/engine/errs"
)

// Role is what a user may do. Roles are ordered: each includes the one before.
type Role string

// Roles: viewer reads, researcher also writes outside /admin, admin also uses /admin.
const (
	Viewer     Role = "viewer"
	Researcher Role = "researcher"
	AdminRole  Role = "admin"
)

// Rank orders roles (0 for an unknown role, which allows nothing).
func (r Role) Rank() int {
	switch r {
	case Viewer:
		return 1
	case Researcher:
		return 2
	case AdminRole:
		return 3
	}
	return 0
}

// Allows reports whether a user with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.Rank() > 0 && r.Rank() >= need.Rank() }

// Status of a user account: suspended users are refused on every route.
type Status string

// User statuses.
const (
	Active    Status = "active"
	Suspended Status = "suspended"
)

// BuiltinAdmin is the user name of the ADMIN_TOKEN credential; it has no
// stored record and no quotas.
const BuiltinAdmin = "admin-token"

// User is a stored account.
type User struct {
	ID         string     `json:"id"`
	Email      string     `json:"email,omitempty"`
	Role       Role       `json:"role"`
	Status     Status     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	LastActive *time.Time `json:"last_active"`
}

// Token is the stored form of an API token: never the token itself, only its
// SHA-256 (the storage key) and the first characters for recognising it.
type Token struct {
	ID        string     `json:"id"`
	UserID    string     `json:"user_id"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"created_at"`
	LastUsed  *time.Time `json:"last_used"`
	Revoked   bool       `json:"revoked"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// idPattern is the id rule of SPEC §6, shared by user ids, flag keys and template ids.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_\-]{0,63}$`)

// ValidID reports whether s is a valid id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ParseRole checks a role name.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	return r, r.Rank() > 0
}

// ParseStatus checks a status name.
func ParseStatus(s string) (Status, bool) {
	st := Status(s)
	return st, st == Active || st == Suspended
}

// UserFilter selects users for listing.
type UserFilter struct {
	Role   Role
	Status Status
	Limit  int
	Offset int
}

// Store persists the admin domain. Every write method appends the request's
// pending audit entry (see WithAudit) inside its own transaction, so a change
// never exists without its audit row.
type Store interface {
	// CreateUser stores u with a first token (hash and record); ErrConflict when the id exists.
	CreateUser(ctx context.Context, u User, tok Token, tokenHash string) error
	GetUser(ctx context.Context, id string) (User, error)
	ListUsers(ctx context.Context, f UserFilter) ([]User, int, error)
	// UpdateUser applies fn to the stored user in one transaction.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (User, error)
	// RotateToken revokes every live token of the user and stores the new one.
	RotateToken(ctx context.Context, userID string, tok Token, tokenHash string) error
	// RevokeTokens revokes every live token of the user; it returns how many.
	RevokeTokens(ctx context.Context, userID string, at time.Time) (int, error)
	// LookupToken finds a token record by its hash (ErrNotFound when unknown).
	LookupToken(ctx context.Context, tokenHash string) (Token, error)
	// TouchToken records a use of the token and of its user (cheap to skip).
	TouchToken(ctx context.Context, tokenHash string, at time.Time) error
	ListTokens(ctx context.Context, userID string) ([]Token, error)

	GetQuota(ctx context.Context, userID string) (Quota, error)
	ListQuotas(ctx context.Context) ([]Quota, error)
	PutQuota(ctx context.Context, q Quota) error
	// CountUse adds one use of kind by user on day (YYYY-MM-DD) if the count is
	// below limit, in one transaction; it returns the count before and whether it was added.
	CountUse(ctx context.Context, userID, day string, kind QuotaKind, limit int) (int, bool, error)
	// ReleaseUse gives one use back (a refused or failed request).
	ReleaseUse(ctx context.Context, userID, day string, kind QuotaKind) error
	// Uses returns the count of kind by user on day.
	Uses(ctx context.Context, userID, day string, kind QuotaKind) (int, error)

	ListFlags(ctx context.Context) ([]Flag, error)
	PutFlags(ctx context.Context, flags []Flag) error

	ListRiskProfiles(ctx context.Context) ([]RiskProfile, error)
	PutRiskProfile(ctx context.Context, p RiskProfile) error

	ListTemplates(ctx context.Context, f TemplateFilter) ([]Template, error)
	// TemplateVersions returns every version of a template, oldest first.
	TemplateVersions(ctx context.Context, packID, id string) ([]Template, error)
	// PutTemplate stores t as the next version of its template (t.Version is set);
	// create reports ErrConflict when the template exists and create is true.
	PutTemplate(ctx context.Context, t *Template, create bool) error
	// PublishTemplate marks the latest version published.
	PublishTemplate(ctx context.Context, packID, id string, at time.Time, by string) (Template, error)

	// FinishAudit completes the request's entry: updates its status when a
	// write already stored it, stores it otherwise.
	FinishAudit(ctx context.Context, p *PendingAudit) error
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error)
}

// NotFound helpers keep messages uniform.
func userNotFound(id string) error { return errs.Msgf(errs.ErrNotFound, "user %q not found", id) }

// ErrUserNotFound builds the not-found error of a user id.
func ErrUserNotFound(id string) error { return userNotFound(id) }
