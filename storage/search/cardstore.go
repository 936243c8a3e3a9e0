package search

import (
	"context"
	"log/slog"

	"sigmalab/engine"
)

// CardStore is the engine's card store over the card files and this index:
// the files first (the source of truth), then the index. An index failure
// does not fail the run that wrote the card: it is logged, shows on
// /healthz, and the next open reconciles the index with the files.
type CardStore struct {
	Files engine.CardStore
	Index *Cards
	Log   *slog.Logger
}

var _ engine.CardStore = CardStore{}

// PutCard implements engine.CardStore.
func (c CardStore) PutCard(ctx context.Context, card engine.ModelCard, markdown string) (string, error) {
	path, err := c.Files.PutCard(ctx, card, markdown)
	if err != nil {
		return "", err
	}
	if err := c.Index.Index(ctx, IndexedCard{Card: card, Markdown: markdown}); err != nil && c.Log != nil {
		c.Log.Warn("model card stored but not indexed", "id", card.ID, "err", err)
	}
	return path, nil
}
