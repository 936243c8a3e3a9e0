package engine

import "sigmalab/engine/errs"

// Re-exported sentinels so callers of package engine need not import engine/errs.
// They are the same values: errors.Is(err, engine.ErrNotFound) == errors.Is(err, errs.ErrNotFound).
var (
	ErrInvalid      = errs.ErrInvalid
	ErrNotFound     = errs.ErrNotFound
	ErrConflict     = errs.ErrConflict
	ErrUnauthorized = errs.ErrUnauthorized
	ErrForbidden    = errs.ErrForbidden
	ErrTooLarge     = errs.ErrTooLarge
	ErrRateLimited  = errs.ErrRateLimited
	ErrNoData       = errs.ErrNoData
	ErrCancelled    = errs.ErrCancelled
)

// Validation is the 422 error type carrying field locations (see errs.Validation).
type Validation = errs.Validation

// FieldError is one located validation failure (see errs.FieldError).
type FieldError = errs.FieldError
