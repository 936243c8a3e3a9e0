package backtest

import (
	"runtime"
	"sync"
	"testing"
)

// BenchmarkEvaluateCell is one sweep cell over 100k OOF rows.
func BenchmarkEvaluateCell(b *testing.B) {
	o := randomOOF(b, 1, 100_000, 5, []string{"DOWN", "FLAT", "UP"})
	ev := NewEvaluator(o)
	for _, c := range []struct {
		name string
		p    TradeParams
	}{
		{"threshold4", TradeParams{Thresholds: []float64{0.34, 0.36, 0.38, 0.40}, SlippageBps: 1, AllowedHours: []int{13, 14, 15}}},
		{"perhour", TradeParams{Thresholds: []float64{0.34, 0.36, 0.38, 0.40}, SlippageBps: 1, PerHourThresholds: true}},
		{"toppct", TradeParams{TopPct: 0.1, SlippageBps: 1, SizeByConf: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ev.Evaluate(c.p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(o.Len())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkSweep1000 is the SPEC §9 sweep target: 1,000 trading-parameter cells
// over 100k OOF rows, one Evaluator per worker (target < 1 s per op).
func BenchmarkSweep1000(b *testing.B) {
	o := randomOOF(b, 1, 100_000, 5, []string{"DOWN", "FLAT", "UP"})
	var cells []TradeParams
	hours := [][]int{nil, {13, 14, 15}, {13, 14}, {10, 11, 14, 15}, {9, 10}}
	for len(cells) < 1000 {
		k := len(cells)
		p := TradeParams{SlippageBps: 1, AllowedHours: hours[k%len(hours)]}
		if k%4 == 3 {
			p.TopPct = 0.02 * float64(1+k%10)
		} else {
			base := 0.33 + 0.005*float64(k%20)
			p.Thresholds = []float64{base, base + 0.02, base + 0.04}
		}
		cells = append(cells, p)
	}
	workers := runtime.GOMAXPROCS(0)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				ev := NewEvaluator(o)
				for i := w; i < len(cells); i += workers {
					if _, err := ev.Evaluate(cells[i]); err != nil {
						panic(err)
					}
				}
			}(w)
		}
		wg.Wait()
	}
	reportCPU(b, cpu0)
}
