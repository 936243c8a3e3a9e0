package parquet

import (
	"context"
	"testing"

	"sigmalab/engine/market"
)

// BenchmarkSeedDemo seeds the default demo market (what `serve` does on an empty data
// dir) and reports the seconds it takes and the rows written:
//
//	go test -run XXX -bench SeedDemo -benchtime 1x ./storage/parquet/
func BenchmarkSeedDemo(b *testing.B) {
	var rows int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := NewMarketStore(b.TempDir())
		b.StartTimer()
		sum, err := market.SeedDemo(context.Background(), st, market.DefaultDemoConfig(market.DemoSeed))
		if err != nil {
			b.Fatal(err)
		}
		rows = sum.Rows
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/seed")
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
