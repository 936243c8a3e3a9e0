package search_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine/signals"
	"sigmalab/storage/bolt"
	"sigmalab/storage/search"
)

func sig(model, date string, hour int, ticker, tag string) signals.Signal {
	return signals.Signal{ID: signals.Key(model, date, hour, ticker), ModelID: model, Date: date, HourET: hour, Ticker: ticker,
		Side: signals.Buy, Source: signals.SourceModel, Tag: tag, TS: time.Date(2025, 1, 2, 15, 0, 0, 0, time.UTC)}
}

func openIdx(t *testing.T, dir string, db *bolt.DB) *search.SignalsIndex {
	t.Helper()
	idx, err := search.OpenSignals(context.Background(), search.SignalsOptions{Root: dir, IndexRel: "index/signals.bleve", Source: db.Signals(), BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func hits(t *testing.T, idx *search.SignalsIndex, q string) int {
	t.Helper()
	ids, err := idx.SearchSignals(context.Background(), q, 100)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return len(ids)
}

// TestSignalsIndexFollowsStore: the index finds signals by model, ticker and
// tag; it survives a reopen untouched, and is rebuilt when deleted, when
// corrupt, or when the store holds a write it never saw (kill -9 between the
// bbolt commit and the index batch).
func TestSignalsIndexFollowsStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "db", "sigmalab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := db.Signals()
	idx := openIdx(t, dir, db)
	rows := []signals.Signal{sig("alpha_model", "2025-01-02", 10, "SPY", "swing"), sig("alpha_model", "2025-01-02", 11, "AAPL", "swing"),
		sig("beta_model", "2025-01-03", 10, "SPY", "night-run")}
	seq, err := store.UpsertSignals(ctx, rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.IndexSignals(ctx, rows, seq); err != nil {
		t.Fatal(err)
	}
	check := func(label string, idx *search.SignalsIndex, extra int) {
		t.Helper()
		for q, want := range map[string]int{"alpha_model": 2, "model_id:beta_model": 1, "spy": 2 + extra, "ticker:AAPL": 1, "tag:night-run": 1, "swing": 2} {
			if got := hits(t, idx, q); got != want {
				t.Errorf("%s: %q → %d hits, want %d", label, q, got, want)
			}
		}
	}
	check("fresh", idx, 0)
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	idx = openIdx(t, dir, db)
	if idx.Rebuilt() {
		t.Fatal("an index in step with the store was rebuilt")
	}
	check("reopened", idx, 0)
	_ = idx.Close()

	// A write the index never saw: the sequences differ, so it is rebuilt.
	if _, err := store.UpsertSignals(ctx, []signals.Signal{sig("gamma_model", "2025-01-04", 9, "SPY", "x")}); err != nil {
		t.Fatal(err)
	}
	idx = openIdx(t, dir, db)
	if !idx.Rebuilt() || hits(t, idx, "gamma_model") != 1 {
		t.Fatalf("behind index: rebuilt %v", idx.Rebuilt())
	}
	check("caught up", idx, 1)
	_ = idx.Close()

	// Deleted, then corrupt: rebuilt both times.
	p := filepath.Join(dir, "index", "signals.bleve")
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	idx = openIdx(t, dir, db)
	if !idx.Rebuilt() {
		t.Fatal("deleted index not rebuilt")
	}
	check("after delete", idx, 1)
	_ = idx.Close()
	if err := os.WriteFile(filepath.Join(p, "index_meta.json"), []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx = openIdx(t, dir, db)
	defer idx.Close()
	if !idx.Rebuilt() {
		t.Fatal("corrupt index not rebuilt")
	}
	check("after corruption", idx, 1)
	if _, err := idx.SearchSignals(ctx, `"unterminated`, 10); err == nil {
		t.Fatal("a bad query must be an error naming q")
	}
}
