package app

import (
	"log/slog"

	"sigmalab/storage/check"
	"sigmalab/storage/files"
)

// cardsIndexRel is the cards index inside the data dir.
const cardsIndexRel = files.DirIndex + "/cards.bleve"

// Check verifies the data dir dataDir (see storage/check), locating the
// indexes as Open does. It needs the database to itself: with a server
// running it fails with check.ErrLocked.
func Check(dataDir string, reindex, repair bool, log *slog.Logger) (check.Report, error) {
	layout, err := existingLayout(dataDir)
	if err != nil {
		return check.Report{}, err
	}
	return check.Run(check.Options{Root: layout.Root, CardsIndexRel: cardsIndexRel, CardsRel: cardsRel,
		Reindex: reindex, Repair: repair, Log: log})
}
