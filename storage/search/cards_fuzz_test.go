package search

import (
	"context"
	"errors"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

// FuzzCardsQuery: any q either searches or is refused as a 422 on query.q;
// it never panics or fails otherwise.
func FuzzCardsQuery(f *testing.F) {
	for _, s := range []string{"", "vix_close", `"unbalanced`, "metrics.auc:>0.5", "+a -b", "a:b:c", "/re[/", "*", "~", "^2",
		"created_at:>\"2025-01-01\"", "x:(", "\\", "metrics.auc:>=abc", "日本語"} {
		f.Add(s)
	}
	root := f.TempDir()
	writeCard(f, root, testCard("m_one", "build", 1, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	c := openTest(f, root)
	f.Fuzz(func(t *testing.T, q string) {
		cq, err := engine.CardQuery{Q: q}.Normalize()
		if err != nil {
			return
		}
		_, err = c.SearchCards(context.Background(), cq)
		var v *errs.Validation
		if err != nil && !errors.As(err, &v) {
			t.Fatalf("q %q: %v", q, err)
		}
	})
}
