package stats

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPBO24x2000: a 24-cell sweep over 2,000 periods, 16 splits
// (12,870 combinations).
func BenchmarkPBO24x2000(b *testing.B) {
	rets := noiseStrategies(rand.New(rand.NewPCG(1, 1)), 24, 2000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PBO(rets, DefaultPBOSplits); err != nil {
			b.Fatal(err)
		}
	}
}
