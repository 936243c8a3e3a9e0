package engine

import (
	"regexp"
	"strings"
	"time"

	"sigmalab/engine/errs"
)

// Immutable validation tables shared by the CLI and the HTTP layer.
var (
	idRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_\-]{0,63}$`)
	tickerRe = regexp.MustCompile(`^[A-Z][A-Z0-9.\-]{0,9}$`)
)

// ValidID reports whether s is a valid model/pack/run id.
func ValidID(s string) bool { return idRe.MatchString(s) }

// checkModelID validates the required model_id body field of a request (the
// optional pack_id and build_id go through checkIDs).
func checkModelID(v *errs.Validation, id string) {
	if strings.TrimSpace(id) == "" {
		v.Add("body", "model_id", "model_id is required", "missing")
	} else if !ValidID(id) {
		v.Add("body", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
}

// NormalizeTicker upper-cases and trims s and reports whether it is a valid ticker.
func NormalizeTicker(s string) (string, bool) {
	t := strings.ToUpper(strings.TrimSpace(s))
	return t, tickerRe.MatchString(t)
}

// DateLayout is the wire format of dates.
const DateLayout = "2006-01-02"

// ParseDate parses a YYYY-MM-DD date (exactly that form).
func ParseDate(s string) (time.Time, bool) {
	if len(s) != len(DateLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(DateLayout, s)
	return t, err == nil
}
