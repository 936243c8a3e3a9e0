package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigmalab/engine"
)

// benchCards writes n card files with a few features and a short note each.
func benchCards(b *testing.B, root string, n int) {
	b.Helper()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		c := testCard(fmt.Sprintf("m_%d", i%50), "backtest", int64(i), t0.Add(time.Duration(i)*time.Minute))
		c.Features = []string{"calls_sold_d0", "puts_sold_d0", fmt.Sprintf("feat_%d", i%200), "rsi_14", "atr_14"}
		c.Notes = fmt.Sprintf("sweep cell %d of a momentum gate experiment on regime %d", i, i%7)
		writeCard(b, root, c)
	}
}

// BenchmarkCardsRebuild: rebuild of the index from 2,000 card files (batches
// of DefaultBatchSize); reports cards/s.
func BenchmarkCardsRebuild(b *testing.B) {
	const n = 2000
	root := b.TempDir()
	benchCards(b, root, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = os.RemoveAll(filepath.Join(root, "index"))
		c, err := OpenCards(CardsOptions{IndexPath: filepath.Join(root, "index", "cards.bleve"), Root: root, CardsRel: cardsRel})
		if err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "cards/s")
}

// BenchmarkCardsSearch: a two-word full-text query with a model filter over
// 2,000 cards, first page of 20, newest first.
func BenchmarkCardsSearch(b *testing.B) {
	root := b.TempDir()
	benchCards(b, root, 2000)
	c, err := OpenCards(CardsOptions{IndexPath: filepath.Join(root, "index", "cards.bleve"), Root: root, CardsRel: cardsRel})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := engine.CardQuery{Q: "momentum regime", ModelID: "m_7", Limit: 20}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p, err := c.SearchCards(context.Background(), q); err != nil || p.Total == 0 {
			b.Fatal(err, p.Total)
		}
	}
}
