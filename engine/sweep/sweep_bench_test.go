package sweep_test

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"sigmalab/engine/backtest"
	"sigmalab/engine/cv"
	"sigmalab/engine/gbdt"
	"sigmalab/engine/sweep"
)

// benchOOF builds n OOF rows over 5 folds with fixed-seed probabilities that
// carry a little signal, hourly rows 9..15 ET.
func benchOOF(b testing.TB, n int) *backtest.OOF {
	rng := rand.New(rand.NewPCG(7, 11))
	up, down, flat := make([]float64, n), make([]float64, n), make([]float64, n)
	ts, ret := make([]int64, n), make([]float64, n)
	hour := make([]int32, n)
	for i := 0; i < n; i++ {
		ts[i] = int64(i) * 3_600_000
		hour[i] = int32(9 + i%7)
		r := rng.NormFloat64() * 0.002
		ret[i] = r
		s := 0.5 + 40*r + rng.NormFloat64()*0.1
		u := math.Min(math.Max(s, 0.01), 0.98) * 0.8
		d := (1 - u) * 0.7
		up[i], down[i], flat[i] = u, d, 1-u-d
	}
	folds := []int{0, n / 5, 2 * n / 5, 3 * n / 5, 4 * n / 5, n}
	oof, err := backtest.NewOOF(&backtest.OOF{Classes: []string{"DOWN", "FLAT", "UP"}, Probs: [][]float64{down, flat, up},
		TS: ts, Hour: hour, Ret: ret, FoldStart: folds})
	if err != nil {
		b.Fatal(err)
	}
	return oof
}

// benchSpec is a 1,000-cell grid: 10 threshold variants and 10 top-pct
// variants, each × 50 hour sets.
func benchSpec() sweep.Spec {
	var s sweep.Spec
	for i := 0; i < 10; i++ {
		base := 0.50 + 0.01*float64(i)
		s.ThresholdsVariants = append(s.ThresholdsVariants, []float64{base, base + 0.02, base + 0.04})
		s.TopPctVariants = append(s.TopPctVariants, 0.05+0.02*float64(i))
	}
	for i := 0; i < 50; i++ {
		var hs []int
		for h := 9; h <= 15; h++ {
			if (i>>(h-9))&1 == 1 || i == 0 {
				hs = append(hs, h)
			}
		}
		s.AllowedHoursVariants = append(s.AllowedHoursVariants, hs)
	}
	return s
}

// evaluatorFor is how the sweep use case evaluates cells: one backtest.Evaluator
// (scratch buffers) per worker over the shared OOF.
func evaluatorFor(oof *backtest.OOF, workers int) sweep.EvalFunc {
	pool := make(chan *backtest.Evaluator, workers)
	for i := 0; i < workers; i++ {
		pool <- backtest.NewEvaluator(oof)
	}
	return func(ctx context.Context, c sweep.Cell) (sweep.Outcome, error) {
		ev := <-pool
		defer func() { pool <- ev }()
		res, err := ev.Evaluate(backtest.TradeParams{Thresholds: c.Thresholds, TopPct: c.TopPct,
			AllowedHours: c.AllowedHours, SlippageBps: 1})
		if err != nil {
			return sweep.Outcome{}, err
		}
		return sweep.Outcome{BestSharpeHourly: res.Overall.SharpeHourly, BestCumRet: res.Overall.CumRet,
			Trades: res.Overall.Trades, Detail: res}, nil
	}
}

// BenchmarkSweep1000x100k is the SPEC §9 target: 1,000 cells over 100k OOF
// rows in under 1 s (one op = the whole sweep, evaluation and ranking; the
// training that produced the OOF is not part of it).
func BenchmarkSweep1000x100k(b *testing.B) {
	oof := benchOOF(b, 100_000)
	cells := sweep.Expand(benchSpec())
	if len(cells) != 1000 {
		b.Fatalf("%d cells", len(cells))
	}
	workers := runtime.GOMAXPROCS(0)
	eval := evaluatorFor(oof, workers)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		rs, err := sweep.Run(context.Background(), cells, eval, sweep.RunOptions{Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		s := sweep.Summarise(rs, sweep.Guardrails{MinTrades: 10})
		if s.Count != 1000 {
			b.Fatal(s.Count)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu_s/op")
	b.ReportMetric(float64(len(cells))*float64(b.N)/b.Elapsed().Seconds(), "cells/s")
	b.ReportMetric(float64(len(cells))*1e5*float64(b.N)/b.Elapsed().Seconds(), "cell-rows/s")
}

// BenchmarkSweepWithTraining is the whole path a sweep request takes on a cold
// cache: cross-validated GBDT training (5 walk-forward folds, sigmoid
// calibration) produces the OOF predictions once, then 1,000 cells are
// evaluated on them. Training and sweeping are reported as separate metrics
// (train_s, sweep_s); run with -benchtime 1x.
func BenchmarkSweepWithTraining(b *testing.B) {
	const n, nf = 120_000, 8
	rng := rand.New(rand.NewPCG(5, 9))
	cols := make([][]float64, nf)
	for f := range cols {
		cols[f] = make([]float64, n)
	}
	tbl := &backtest.Table{T0: make([]int64, n), T1: make([]int64, n), Hour: make([]int32, n), Y: make([]int, n),
		Classes: []string{"DOWN", "FLAT", "UP"}, Ret: make([]float64, n)}
	for i := 0; i < n; i++ {
		tbl.T0[i] = int64(i) * 3_600_000
		tbl.T1[i] = tbl.T0[i] + 3_600_000
		tbl.Hour[i] = int32(9 + i%7)
		for f := range cols {
			cols[f][i] = rng.NormFloat64()
		}
		r := 0.001*(cols[0][i]-0.5*cols[1][i]) + rng.NormFloat64()*0.002
		tbl.Ret[i] = r
		switch {
		case r > 0.001:
			tbl.Y[i] = 2
		case r < -0.001:
			tbl.Y[i] = 0
		default:
			tbl.Y[i] = 1
		}
	}
	p := gbdt.DefaultParams()
	p.NEstimators = 50
	cells := sweep.Expand(benchSpec())
	workers := runtime.GOMAXPROCS(0)
	var trainS, sweepS, trainCPU, sweepCPU float64
	var rows int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), cpuSeconds()
		learn, err := backtest.GBDTLearner(cols, tbl.Y, 3, p)
		if err != nil {
			b.Fatal(err)
		}
		oof, _, err := backtest.RunOOF(context.Background(), tbl, learn, backtest.RunConfig{
			CV: cv.Config{Splits: 5}, Calibration: "sigmoid"})
		if err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), cpuSeconds()
		rs, err := sweep.Run(context.Background(), cells, evaluatorFor(oof, workers), sweep.RunOptions{Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		sweep.Summarise(rs, sweep.Guardrails{MinTrades: 10})
		trainS += t1.Sub(t0).Seconds()
		sweepS += time.Since(t1).Seconds()
		trainCPU += c1 - c0
		sweepCPU += cpuSeconds() - c1
		rows = oof.Len()
	}
	b.ReportMetric(trainS/float64(b.N), "train_s")
	b.ReportMetric(sweepS/float64(b.N), "sweep_s")
	b.ReportMetric(trainCPU/float64(b.N), "train_cpu_s")
	b.ReportMetric(sweepCPU/float64(b.N), "sweep_cpu_s")
	b.ReportMetric(float64(rows), "oof_rows")
}
