package app

import (
	"sigmalab/storage/artifacts"
	"sigmalab/storage/files"
	"sigmalab/storage/search"
)

// cardsRel is where card files live inside the data dir (the "cards" kind of
// the artifact registry): <id>.json (registered artifact) and <id>.md.
const cardsRel = files.DirArtifacts + "/" + artifacts.CardsKind

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
	a.Lab.Cards = search.CardStore{Files: a.artifacts(), Index: idx, Log: a.Cfg.Log}
	a.Lab.CardIndex = idx
	a.Lab.HealthChecks["cards_index"] = idx.Check
	return nil
}
