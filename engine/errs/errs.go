// Package errs holds the typed errors every layer shares. It is a leaf package so
// that engine subpackages (market, matrix, …) and the HTTP adapter can all use the
// same sentinels without import cycles; package engine re-exports them.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Wrap them with fmt.Errorf("…: %w", ErrX) and test with errors.Is.
// The HTTP adapter maps each to a status code and a stable error code.
var (
	ErrInvalid      = errors.New("invalid input")     // 400 bad_request
	ErrNotFound     = errors.New("not found")         // 404 not_found
	ErrConflict     = errors.New("conflict")          // 409 conflict
	ErrUnauthorized = errors.New("unauthorized")      // 401 unauthorized
	ErrForbidden    = errors.New("forbidden")         // 403 forbidden
	ErrTooLarge     = errors.New("request too large") // 413 too_large
	ErrRateLimited  = errors.New("rate limited")      // 429 rate_limited
	ErrNoData       = errors.New("no data")           // 422 no_data
	ErrCancelled    = errors.New("cancelled")         // job cancelled
)

// FieldError is one failed check, located FastAPI-style: Loc = ["body","start"] or ["query","ticker"].
type FieldError struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

// Validation is a 422 error carrying every failed field check.
type Validation struct {
	Fields []FieldError
}

func (v *Validation) Error() string {
	parts := make([]string, 0, len(v.Fields))
	for _, f := range v.Fields {
		parts = append(parts, strings.Join(f.Loc, ".")+": "+f.Msg)
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Add records a failed check and returns v for chaining.
func (v *Validation) Add(loc, field, msg, typ string) *Validation {
	v.Fields = append(v.Fields, FieldError{Loc: []string{loc, field}, Msg: msg, Type: typ})
	return v
}

// Err returns v as an error when it holds at least one failure, else nil.
func (v *Validation) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

// Invalidf builds an ErrInvalid-wrapping error with a formatted message.
func Invalidf(format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), ErrInvalid)
}

// NotFoundf builds an ErrNotFound-wrapping error with a formatted message.
func NotFoundf(format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), ErrNotFound)
}

// Msgf is an error of kind (ErrNotFound, ErrConflict, …) whose text is the
// message alone, for messages that already say what happened ("no cards
// found"), where NotFoundf's ": not found" suffix would say it twice.
func Msgf(kind error, format string, a ...any) error {
	return kinded{msg: fmt.Sprintf(format, a...), kind: kind}
}

type kinded struct {
	msg  string
	kind error
}

func (e kinded) Error() string { return e.msg }
func (e kinded) Unwrap() error { return e.kind }

// Field builds a single-field 422 validation error.
func Field(loc, field, msg string) error {
	return (&Validation{}).Add(loc, field, msg, "value_error").Err()
}
