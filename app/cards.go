package app

import (
	"context"
	"log/slog"

	"sigmalab/engine"
	"sigmalab/storage/files"
	"sigmalab/storage/search"
)

// cardsRel is where card files live inside the data dir (the "cards" kind of
// the artifact registry): <id>.json (registered artifact) and <id>.md.
const cardsRel = files.DirArtifacts + "/cards"

// wireCards opens the model-card index (index/cards.bleve), rebuilding or
// reconciling it from the card files, and makes it the Lab's card store (files
// then index) and card reader. It runs before wireJobs so that Close stops the
// jobs (which may still be writing cards) before it closes the index.
func (a *App) wireCards() error {
	idx, err := search.OpenCards(search.CardsOptions{
		IndexRel: files.DirIndex + "/cards.bleve",
		Root:     a.Layout.Root,
		CardsRel: cardsRel,
		Log:      a.Cfg.Log,
	})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, idx.Close)
	reg := artifactRegistry{layout: a.Layout, rows: a.DB.ArtifactRows()}
	a.Lab.Cards = indexedCards{files: cardFiles{reg: reg}, index: idx, log: a.Cfg.Log}
	a.Lab.CardIndex = idx
	a.Lab.HealthChecks["cards_index"] = idx.Check
	return nil
}

// indexedCards is the card store: the files first (the source of truth, via
// cardFiles), then the index. An index failure does not fail the run that
// wrote the card: it is logged, shows on /healthz, and the next open
// reconciles the index with the files.
type indexedCards struct {
	files engine.CardStore
	index *search.Cards
	log   *slog.Logger
}

// PutCard implements engine.CardStore.
func (c indexedCards) PutCard(ctx context.Context, card engine.ModelCard, markdown string) (string, error) {
	path, err := c.files.PutCard(ctx, card, markdown)
	if err != nil {
		return "", err
	}
	if err := c.index.Index(ctx, search.IndexedCard{Card: card, Markdown: markdown}); err != nil {
		c.log.Warn("model card stored but not indexed", "id", card.ID, "err", err)
	}
	return path, nil
}
