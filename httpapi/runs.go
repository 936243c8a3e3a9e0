package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine"
)

// runQuery reads the query of a run-table list (GET /build_runs,
// GET /training_runs): pack_id, model_id, tag, status (one of statuses),
// start and end (ISO date or timestamp on created_at), limit (default 20)
// and offset. Every bad parameter is reported at once (422).
func runQuery(r *http.Request, statuses ...string) (engine.BuildRunFilter, Page, error) {
	q := NewQuery(r)
	f := engine.BuildRunFilter{
		PackID:  q.ID("pack_id", "", false),
		ModelID: q.ID("model_id", "", false),
		Tag:     q.String("tag", ""),
		Status:  q.Enum("status", "", statuses...),
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"start", &f.Start}, {"end", &f.End}} {
		v := strings.TrimSpace(q.Vals.Get(b.name))
		if v == "" {
			continue
		}
		t, err := parseTimeParam(v)
		if err != nil {
			q.C.Fail(b.name, fmt.Sprintf("invalid date %q: expected YYYY-MM-DD or an RFC 3339 timestamp", clip(v)), "value_error")
			continue
		}
		*b.dst = t
	}
	page := q.Page(20)
	return f, page, q.Err()
}

// parseTimeParam accepts RFC 3339 timestamps and YYYY-MM-DD dates (UTC midnight).
func parseTimeParam(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

// runList is the answer of a run-table list: rows newest first and the page.
type runList[T any] struct {
	Rows []T `json:"rows"`
	PageInfo
}

// runOne is the answer of one run row.
type runOne[T any] struct {
	Run T `json:"run"`
}

// listRuns serves a run-table list (GET /build_runs, GET /training_runs)
// through a Lab method; the Lab is read per request.
func listRuns[T any](s *Server, list func(*engine.Lab, context.Context, engine.BuildRunFilter, int, int) ([]T, int, error), statuses ...string) HandlerFunc {
	return func(r *http.Request, _ httprouter.Params) (any, error) {
		f, page, err := runQuery(r, statuses...)
		if err != nil {
			return nil, err
		}
		rows, total, err := list(s.Lab, r.Context(), f, page.Offset, page.Limit)
		if err != nil {
			return nil, err
		}
		return runList[T]{Rows: rows, PageInfo: page.Info(len(rows), total)}, nil
	}
}

// getRun serves one run row by its :id (an integer ≥ 1, else 422) through a
// Lab method.
func getRun[T any](s *Server, get func(*engine.Lab, context.Context, int64) (T, error), noun string) HandlerFunc {
	return func(r *http.Request, p httprouter.Params) (any, error) {
		id, err := pathInt(p, "id", noun+" id")
		if err != nil {
			return nil, err
		}
		run, err := get(s.Lab, r.Context(), id)
		if err != nil {
			return nil, err
		}
		return runOne[T]{Run: run}, nil
	}
}
