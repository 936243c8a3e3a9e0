package engine_test

import (
	"context"
	"testing"

	"sigmalab/engine"
)

// BenchmarkRunSweepStored is a whole sweep use case on warm predictions: 1,000
// cells over 100k OOF rows evaluated, every cell stored in bbolt (batched
// transactions, then the ranked rewrite), and the JSON report written. The
// difference to engine/sweep's BenchmarkSweep1000x100k is the persistence cost.
func BenchmarkRunSweepStored(b *testing.B) {
	env := openSweepEnv(b, b.TempDir())
	src := engine.SweepSource{OOF: testOOF(b, 100_000)}
	req := bigGrid()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := env.lab.RunSweep(context.Background(), req, src, engine.SweepOptions{})
		if err != nil || resp.Count != 1000 {
			b.Fatalf("%+v %v", resp.Count, err)
		}
	}
}
