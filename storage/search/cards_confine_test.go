package search

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine"
)

// TestCardsIndexRefusesSymlinksOut: the cards index and the cards folder are
// both linked out of the data dir. Opening reads no outside card and writes
// nothing outside: the index link is dropped and the index rebuilt in place.
func TestCardsIndexRefusesSymlinksOut(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	writeCard(t, outside, testCard("m1", "train", 1, at)) // outside/artifacts/cards/m1-train-1.json
	if err := os.MkdirAll(filepath.Join(outside, "idx"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "idx", "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"index", "artifacts"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "idx"), filepath.Join(root, "index", "cards.bleve")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "artifacts", "cards"), filepath.Join(root, "artifacts", "cards")); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCards(CardsOptions{IndexRel: "index/cards.bleve", Root: root, CardsRel: cardsRel})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	page, err := c.SearchCards(context.Background(), engine.CardQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 0 {
		t.Errorf("an outside card was indexed: %+v", page)
	}
	ents, _ := os.ReadDir(filepath.Join(outside, "idx"))
	if len(ents) != 1 || ents[0].Name() != "keep" {
		t.Errorf("the index wrote outside: %v", ents)
	}
	if fi, err := os.Lstat(filepath.Join(root, "index", "cards.bleve")); err != nil || !fi.IsDir() {
		t.Errorf("index not rebuilt in place: %v", err)
	}
	// An index folder that is itself a link out refuses to open.
	root2 := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root2, "index")); err != nil {
		t.Fatal(err)
	}
	if c2, err := OpenCards(CardsOptions{IndexRel: "index/cards.bleve", Root: root2, CardsRel: cardsRel}); err == nil {
		c2.Close()
		t.Error("opened an index through a linked index folder")
	}
}
