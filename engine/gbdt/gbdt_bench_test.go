package gbdt

import (
	"syscall"
	"testing"
	"time"

	"sigmalab/engine/gbdt/internal/synth"
)

// BenchmarkTrain trains 100 depth-4 trees on 100k × 50 synthetic rows (the
// shape of the XGBoost comparison in bench/compare.sh, scaled down 8×) and
// reports training throughput in row·feature·tree per second.
func BenchmarkTrain(b *testing.B) {
	const n, nf, trees = 100_000, 50, 100
	cols, y := synth.Binary(n, nf, 1)
	p := DefaultParams()
	p.NEstimators = trees
	p.Subsample, p.ColsampleBytree = 1, 1
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Train(cols, y, 2, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*nf*trees)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrow·feat·tree/s")
}

// BenchmarkBinning measures NewDataset on 800k × 50.
func BenchmarkBinning(b *testing.B) {
	cols, _ := synth.Binary(800_000, 50, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NewDataset(cols, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(800_000*50)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mvalues/s")
}

// BenchmarkPredict scores 100k rows with a 100-round, 3-class model.
func BenchmarkPredict(b *testing.B) {
	cols, y := synth.Binary(100_000, 20, 2)
	for i := range y {
		if cols[3][i] > 1 {
			y[i] = 2
		}
	}
	p := DefaultParams()
	p.NEstimators = 100
	m, err := Train(cols, y, 3, p)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PredictProba(cols)
	}
	b.ReportMetric(float64(100_000)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}

// BenchmarkTrainSmallMulticlass is the backtest shape: one fold of a 10k-row,
// 36-feature, 3-class matrix with the default 300 rounds (900 trees).
func BenchmarkTrainSmallMulticlass(b *testing.B) {
	const n, nf = 8_000, 36
	cols, y := synth.Binary(n, nf, 3)
	for i := range y {
		if cols[3][i] > 1 {
			y[i] = 2
		}
	}
	p := DefaultParams()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Train(cols, y, 3, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainFolds is the training part of the SPEC §9 backtest on one
// core: a 10k × 36, 3-class Dataset binned once, then the five walk-forward
// fits (the first 1/6 … 5/6 of the rows less a 20% calibration tail), 300
// rounds each.
func BenchmarkTrainFolds(b *testing.B) {
	const n, nf = 10_000, 36
	cols, y := synth.Binary(n, nf, 3)
	for i := range y {
		if cols[3][i] > 1 {
			y[i] = 2
		}
	}
	ds, err := NewDataset(cols, 0)
	if err != nil {
		b.Fatal(err)
	}
	p := DefaultParams()
	p.Workers = 1
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		for k := 1; k <= 5; k++ {
			rows := make([]int, n*k/6*4/5)
			for r := range rows {
				rows[r] = r
			}
			if _, err := TrainRows(ds, rows, y, 3, p, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user+system CPU time: the dev machine is shared, so
// CPU seconds are steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
