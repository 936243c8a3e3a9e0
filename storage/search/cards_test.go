package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/engine/errs"
)

const cardsRel = "artifacts/cards"

// writeCard stores a card the way the card store does: <id>.json + <id>.md.
func writeCard(t testing.TB, root string, c engine.ModelCard) {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(cardsRel))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, c.ID+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, c.ID+".md"), []byte(engine.RenderCardMarkdown(c)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testCard(model, event string, run int64, at time.Time) engine.ModelCard {
	return engine.ModelCard{ID: fmt.Sprintf("%s-%s-%d", model, event, run), SchemaVersion: "1.0", PackID: "zerosigma",
		ModelID: model, CreatedAt: at, Event: event, RunID: run, Config: engine.CardConfig{Ticker: "SPY"},
		Metrics: map[string]any{"auc": 0.5 + float64(run)/100, "trades": run * 10, "gate_pass": run%2 == 0,
			"parity": map[string]any{"sharpe": 1.5}, "best": []any{1, 2}, "calibration": "sigmoid"},
		Features: []string{"calls_sold_d0", "rsi_14"}, Notes: "note number " + fmt.Sprint(run)}
}

func openTest(t testing.TB, root string) *Cards {
	t.Helper()
	c, err := OpenCards(CardsOptions{IndexPath: filepath.Join(root, "index", "cards.bleve"), Root: root, CardsRel: cardsRel, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func search(t *testing.T, c *Cards, q engine.CardQuery) engine.CardPage {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 50
	}
	p, err := c.SearchCards(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(p engine.CardPage) string {
	out := make([]string, len(p.Rows))
	for i, r := range p.Rows {
		out[i] = r.ID
	}
	return fmt.Sprint(out)
}

func TestCardsRebuildSearchAndReconcile(t *testing.T) {
	root := t.TempDir()
	t0 := time.Date(2025, 8, 16, 14, 0, 0, 0, time.UTC)
	for i := int64(1); i <= 5; i++ {
		writeCard(t, root, testCard("m_one", "build", i, t0.Add(time.Duration(i)*time.Hour)))
	}
	other := testCard("m_two", "train", 9, t0)
	other.Features, other.Notes = []string{"vix_close"}, "gamma squeeze experiment"
	writeCard(t, root, other)

	c := openTest(t, root)
	if !c.Rebuilt() {
		t.Fatal("a missing index must be built from the files")
	}
	all := search(t, c, engine.CardQuery{})
	if all.Total != 6 || ids(all) != "[m_one-build-5 m_one-build-4 m_one-build-3 m_one-build-2 m_one-build-1 m_two-train-9]" {
		t.Fatalf("newest first: %d %s", all.Total, ids(all))
	}
	r := all.Rows[0]
	if r.PackID != "zerosigma" || r.Event != "build" || r.RunID != 5 || !r.CreatedAt.Equal(t0.Add(5*time.Hour)) ||
		r.Path != "artifacts/cards/m_one-build-5.json" || r.File != "m_one-build-5.json" {
		t.Fatalf("row %+v", r)
	}
	if r.Metrics["auc"] != 0.55 || r.Metrics["trades"] != 50 || r.Metrics["parity.sharpe"] != 1.5 || r.Metrics["gate_pass"] != 0 {
		t.Fatalf("metrics %v", r.Metrics)
	}
	if _, ok := r.Metrics["calibration"]; ok {
		t.Fatalf("text metric stored as a number: %v", r.Metrics)
	}

	for _, tc := range []struct {
		q    engine.CardQuery
		want string
	}{
		{engine.CardQuery{Q: "vix_close"}, "[m_two-train-9]"},
		{engine.CardQuery{Q: "gamma"}, "[m_two-train-9]"},
		{engine.CardQuery{Q: "squeeze experiment"}, "[m_two-train-9]"},
		{engine.CardQuery{ModelID: "m_two"}, "[m_two-train-9]"},
		{engine.CardQuery{ModelID: "m_one", Q: "calls_sold_d0", Limit: 2, Offset: 1}, "[m_one-build-4 m_one-build-3]"},
		{engine.CardQuery{Q: "metrics.auc:>0.535"}, "[m_one-build-5 m_one-build-4 m_two-train-9]"},
		{engine.CardQuery{Q: "event:train"}, "[m_two-train-9]"},
		{engine.CardQuery{PackID: "other"}, "[]"},
		{engine.CardQuery{Q: "nothingmatches"}, "[]"},
	} {
		if got := ids(search(t, c, tc.q)); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.q, got, tc.want)
		}
	}
	if p := search(t, c, engine.CardQuery{ModelID: "m_one", Limit: 2, Offset: 4}); p.Total != 5 || len(p.Rows) != 1 {
		t.Fatalf("last page: %d %s", p.Total, ids(p))
	}
	_, err := c.SearchCards(context.Background(), engine.CardQuery{Q: `"unbalanced`, Limit: 5})
	var v *errs.Validation
	if !errors.As(err, &v) || v.Fields[0].Loc[1] != "q" {
		t.Fatalf("bad query: %v", err)
	}

	got, err := c.GetCard(context.Background(), "m_two-train-9")
	if err != nil || got.Card.Notes != other.Notes || got.JSONPath != "artifacts/cards/m_two-train-9.json" ||
		got.MDPath != "artifacts/cards/m_two-train-9.md" || got.Markdown != engine.RenderCardMarkdown(other) {
		t.Fatalf("get: %v %+v", err, got)
	}
	if _, err := c.GetCard(context.Background(), "nope"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	for _, bad := range []string{"../../sigmalab", "a/b", "..", "A"} {
		if _, err := c.GetCard(context.Background(), bad); !errors.As(err, &v) {
			t.Fatalf("%q: %v", bad, err)
		}
	}

	// A card written after the index (the process died before indexing it)
	// and a card whose files were removed: the next open reconciles both.
	late := testCard("m_two", "backtest", 10, t0.Add(24*time.Hour))
	late.Notes = "written while the index was closed"
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Index(context.Background(), IndexedCard{Card: late}); err == nil {
		t.Fatal("index after close must fail")
	}
	if c.Check(context.Background()) == nil {
		t.Fatal("closed index must fail the probe")
	}
	writeCard(t, root, late)
	_ = os.Remove(filepath.Join(root, "artifacts", "cards", "m_one-build-1.json"))
	rewritten := other
	rewritten.Notes = "rewritten after a resumed run"
	writeCard(t, root, rewritten)
	c2 := openTest(t, root)
	if c2.Rebuilt() {
		t.Fatal("a readable index is reconciled, not rebuilt")
	}
	if p := search(t, c2, engine.CardQuery{}); p.Total != 6 || p.Rows[0].ID != "m_two-backtest-10" {
		t.Fatalf("reconciled: %d %s", p.Total, ids(p))
	}
	if p := search(t, c2, engine.CardQuery{Q: "closed"}); ids(p) != "[m_two-backtest-10]" {
		t.Fatalf("late card text: %s", ids(p))
	}
	if p := search(t, c2, engine.CardQuery{Q: "resumed"}); ids(p) != "[m_two-train-9]" {
		t.Fatalf("rewritten card: %s", ids(p))
	}
	if p := search(t, c2, engine.CardQuery{Q: "gamma"}); ids(p) != "[]" {
		t.Fatalf("old text of a rewritten card still found: %s", ids(p))
	}
	if err := c2.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}

	// A corrupt index (metadata garbage, as a crash mid-write might leave) is
	// rebuilt from the files.
	meta := filepath.Join(root, "index", "cards.bleve", "index_meta.json")
	if err := os.WriteFile(meta, []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	c3 := openTest(t, root)
	if !c3.Rebuilt() {
		t.Fatal("corrupt index must be rebuilt")
	}
	if p := search(t, c3, engine.CardQuery{Q: "resumed vix_close"}); ids(p) != "[m_two-train-9]" {
		t.Fatalf("after rebuild: %s", ids(p))
	}
}

func TestCardsSkipsBadFilesAndTemps(t *testing.T) {
	root := t.TempDir()
	writeCard(t, root, testCard("m_one", "build", 1, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	dir := filepath.Join(root, "artifacts", "cards")
	for name, body := range map[string]string{"broken.json": "{", ".x.json.tmp-1": "{}", "Upper.json": "{}"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := openTest(t, root)
	if p := search(t, c, engine.CardQuery{}); ids(p) != "[m_one-build-1]" {
		t.Fatalf("%s", ids(p))
	}
	if _, err := c.GetCard(context.Background(), "broken"); err == nil || errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("broken card: %v", err)
	}
}

func TestFlattenMetrics(t *testing.T) {
	got := FlattenMetrics(map[string]any{"a": 1, "b": 2.5, "nan": "x", "ok": true, "m": map[string]int{"x": 3},
		"list": []float64{1}, "bad key": 1.0})
	want := map[string]float64{"a": 1, "b": 2.5, "ok": 1, "m.x": 3}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%v", got)
	}
}

// A second open while the index is held fails (after the lock timeout) and
// leaves the held index alone: it must never be "rebuilt" under its owner.
func TestCardsHeldIndexIsNotRebuilt(t *testing.T) {
	root := t.TempDir()
	writeCard(t, root, testCard("m_one", "build", 1, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)))
	c := openTest(t, root)
	_, err := OpenCards(CardsOptions{IndexPath: filepath.Join(root, "index", "cards.bleve"), Root: root, CardsRel: cardsRel,
		LockTimeout: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("second open of a held index must fail")
	}
	t.Log(err)
	if _, serr := os.Stat(filepath.Join(root, "index", "cards.bleve", "index_meta.json")); serr != nil {
		t.Fatalf("held index removed: %v", serr)
	}
	if p := search(t, c, engine.CardQuery{}); ids(p) != "[m_one-build-1]" {
		t.Fatalf("held index damaged: %s", ids(p))
	}
}
