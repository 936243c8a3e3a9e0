package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sigmalab/engine/errs"
)

func TestCardQueryNormalize(t *testing.T) {
	for _, tc := range []struct {
		in       CardQuery
		limit    int
		badField string
	}{
		{CardQuery{}, CardsDefaultLimit, ""},
		{CardQuery{Limit: -3}, 1, ""},
		{CardQuery{Limit: 10_000}, CardsMaxLimit, ""},
		{CardQuery{ModelID: " spy_opt_0dte_hourly ", Q: "  vix  "}, CardsDefaultLimit, ""},
		{CardQuery{PackID: "../x"}, 0, "pack_id"},
		{CardQuery{ModelID: "A.B"}, 0, "model_id"},
		{CardQuery{Offset: -1}, 0, "offset"},
		{CardQuery{Q: "a\x00b"}, 0, "q"},
		{CardQuery{Q: strings.Repeat("é", CardsMaxQuery+1)}, 0, "q"},
		{CardQuery{Q: strings.Repeat("é", CardsMaxQuery)}, CardsDefaultLimit, ""},
	} {
		got, err := tc.in.Normalize()
		var v *errs.Validation
		switch {
		case tc.badField != "":
			if !errors.As(err, &v) || v.Fields[0].Loc[1] != tc.badField {
				t.Errorf("%+v: %v, want a 422 on %s", tc.in, err, tc.badField)
			}
		case err != nil || got.Limit != tc.limit:
			t.Errorf("%+v: %+v %v", tc.in, got, err)
		}
	}
	if q, _ := (CardQuery{ModelID: " m ", Q: " x "}).Normalize(); q.ModelID != "m" || q.Q != "x" {
		t.Fatalf("not trimmed: %+v", q)
	}
}

func TestModelCardsWithoutIndex(t *testing.T) {
	l := &Lab{}
	ctx := context.Background()
	if _, err := l.ListModelCards(ctx, CardQuery{}); !errors.Is(err, errs.ErrNoData) {
		t.Fatalf("list: %v", err)
	}
	var v *errs.Validation
	for _, id := range []string{"", "..", "../etc/passwd", "a/b", `a\b`, "x.json", "Upper"} {
		if _, err := l.GetModelCard(ctx, id); !errors.As(err, &v) {
			t.Fatalf("id %q: %v", id, err)
		}
	}
	if _, err := l.GetModelCard(ctx, "ok-id"); !errors.Is(err, errs.ErrNoData) {
		t.Fatalf("valid id without index: %v", err)
	}
}
