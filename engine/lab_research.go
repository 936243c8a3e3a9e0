package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"sigmalab/engine/backtest"
	"sigmalab/engine/errs"
	"sigmalab/engine/stats"
)

// Placebo kinds: how a placebo run breaks the link between features and
// labels while keeping the labels' own distribution.
const (
	// PlaceboShuffle permutes the labels within consecutive blocks of
	// PlaceboBlockRows rows (class balance and slow regimes stay, the
	// row-level link goes).
	PlaceboShuffle = "shuffle"
	// PlaceboShift shifts the labels circularly by run·max(horizon, rows /
	// (runs+1)) rows: each label keeps its neighbours, lands on features of
	// another time.
	PlaceboShift = "shift"
)

// PlaceboBlockRows is the block within which shuffle placebos permute labels.
const PlaceboBlockRows = 50

// MaxPlaceboRuns bounds placebo runs (each retrains every fold).
const MaxPlaceboRuns = 200

// PlaceboSpec is a backtest's placebo request: {kind, runs, seed}.
type PlaceboSpec struct {
	Kind string `json:"kind"`           // shuffle (default) | shift
	Runs int    `json:"runs"`           // retrainings (default 19: p-values in steps of 0.05)
	Seed uint64 `json:"seed,omitempty"` // shuffle seed (default 1)
}

// normalize fills defaults and reports out-of-range fields under body.placebo.
func (p *PlaceboSpec) normalize(v *errs.Validation) {
	if p.Kind == "" {
		p.Kind = PlaceboShuffle
	}
	if p.Kind != PlaceboShuffle && p.Kind != PlaceboShift {
		v.Fields = append(v.Fields, errs.FieldError{Loc: []string{"body", "placebo", "kind"}, Msg: "kind must be one of: shuffle, shift", Type: "value_error"})
	}
	if p.Runs == 0 {
		p.Runs = 19
	}
	if p.Runs < 1 || p.Runs > MaxPlaceboRuns {
		v.Fields = append(v.Fields, errs.FieldError{Loc: []string{"body", "placebo", "runs"},
			Msg: fmt.Sprintf("runs must be between 1 and %d", MaxPlaceboRuns), Type: "value_error"})
	}
	if p.Seed == 0 {
		p.Seed = 1
	}
}

// PlaceboResult is where the real result falls among its placebos.
type PlaceboResult struct {
	Kind   string  `json:"kind"`
	Runs   int     `json:"runs"`
	Seed   uint64  `json:"seed"`
	Metric string  `json:"metric"` // sharpe_ann
	Real   float64 `json:"real"`
	// PValue is (1 + #placebos ≥ real) / (runs + 1): the chance a model with
	// no real link would have scored at least as well.
	PValue  float64   `json:"p_value"`
	Mean    float64   `json:"mean"`
	Q05     float64   `json:"q05"`
	Q95     float64   `json:"q95"`
	Sharpes []float64 `json:"sharpes"` // per run, in run order
}

// BootstrapCI are stationary-bootstrap intervals of a backtest's figures.
type BootstrapCI struct {
	Reps      int            `json:"reps"`
	Seed      uint64         `json:"seed"`
	BlockLen  float64        `json:"block_len"` // mean block length in periods (from the returns' autocorrelation)
	SharpeAnn stats.Interval `json:"sharpe_ann"`
	CumRet    stats.Interval `json:"cum_ret"`
}

// Research are the checks a backtest answer and card carry beside its
// metrics: buy-and-hold benchmark, bootstrap intervals, placebo p-value.
type Research struct {
	Benchmark *backtest.Benchmark `json:"benchmark,omitempty"`
	Bootstrap *BootstrapCI        `json:"bootstrap,omitempty"`
	Placebo   *PlaceboResult      `json:"placebo,omitempty"`
}

// Bootstrap defaults: 1,000 replicates (2.5 % tails from 25 values each),
// one fixed seed so a backtest's interval is reproducible.
const (
	BootstrapReps = 1000
	BootstrapSeed = 2025
)

// bootstrapCI bootstraps the series of res (evaluated with KeepSeries); nil
// when the series is too short to resample.
func bootstrapCI(res backtest.Result, reps int, seed uint64) *BootstrapCI {
	x := backtest.SeriesReturns(res)
	if len(x) < 10 {
		return nil
	}
	ann := math.Sqrt(res.Holding.PeriodsPerYear)
	n := float64(len(x))
	sharpe := func(m, sd float64) float64 {
		if !(sd > 0) {
			return 0
		}
		return m / sd * ann
	}
	d := stats.Describe(x)
	bl := stats.BlockLength(x)
	means, stds := stats.BootstrapMeanStd(x, bl, reps, seed)
	srs, sums := make([]float64, reps), make([]float64, reps)
	for r := range means {
		srs[r], sums[r] = sharpe(means[r], stds[r]), means[r]*n
	}
	ci := &BootstrapCI{Reps: reps, Seed: seed, BlockLen: bl,
		SharpeAnn: stats.PercentileInterval(srs, sharpe(d.Mean, d.Std), 0.95),
		CumRet:    stats.PercentileInterval(sums, d.Mean*n, 0.95)}
	for _, p := range []*stats.Interval{&ci.SharpeAnn, &ci.CumRet} {
		if math.IsNaN(p.Lo) || math.IsNaN(p.Hi) {
			p.Lo, p.Hi = p.Estimate, p.Estimate
		}
	}
	return ci
}

// researchOf fills the benchmark and bootstrap of one evaluated backtest.
func researchOf(o *backtest.OOF, res backtest.Result) Research {
	return Research{Benchmark: backtest.BenchmarkOf(o, res), Bootstrap: bootstrapCI(res, BootstrapReps, BootstrapSeed)}
}

// placeboLabels returns the run-th placebo of y (class indices, −1 =
// unlabelled, which stay in place).
func placeboLabels(y []int, t0, t1 []int64, spec PlaceboSpec, run int) []int {
	out := append([]int(nil), y...)
	var idx []int
	for i, v := range y {
		if v >= 0 {
			idx = append(idx, i)
		}
	}
	n := len(idx)
	if n < 2 {
		return out
	}
	if spec.Kind == PlaceboShift {
		s := run * max(horizonRows(t0, t1), n/(spec.Runs+1))
		s %= n
		for k, i := range idx {
			out[i] = y[idx[(k+s)%n]]
		}
		return out
	}
	rng := rand.New(rand.NewPCG(spec.Seed, uint64(run)))
	for lo := 0; lo < n; lo += PlaceboBlockRows {
		hi := min(n, lo+PlaceboBlockRows)
		blk := idx[lo:hi]
		perm := rng.Perm(len(blk))
		for k, i := range blk {
			out[i] = y[blk[perm[k]]]
		}
	}
	return out
}

// horizonRows is the median number of rows a label spans (≥ 1).
func horizonRows(t0, t1 []int64) int {
	if t1 == nil {
		return 1
	}
	var h []int
	for i := 0; i < len(t0); i += max(1, len(t0)/500) {
		if t1[i] <= t0[i] {
			continue
		}
		k := sort.Search(len(t0), func(j int) bool { return t0[j] >= t1[i] }) - i
		h = append(h, max(1, k))
	}
	if len(h) == 0 {
		return 1
	}
	sort.Ints(h)
	return h[len(h)/2]
}

// runPlacebo retrains the backtest's setup spec.Runs times on placebo labels
// and evaluates each on the real returns with the same trading rules.
func (l *Lab) runPlacebo(ctx context.Context, spec PlaceboSpec, src OOFSource, oofSpec OOFSpec, params backtest.TradeParams,
	real float64) (*PlaceboResult, error) {
	_, labels, err := TargetLabels(src.Matrix, src.Target)
	if err != nil {
		return nil, err
	}
	tbl, y, _, err := backtestTable(src.Matrix, labels, oofSpec.TrainHours)
	if err != nil {
		return nil, err
	}
	lspec, _, err := learnerSpec(src.Config, oofSpec.Hyperparams)
	if err != nil {
		return nil, err
	}
	cols := make([][]float64, len(src.Features))
	for j, f := range src.Features {
		cols[j] = featureColumn(src.Matrix, f)
	}
	return placeboRuns(ctx, spec, tbl, y, cols, lspec, backtest.RunConfig{CV: oofSpec.CV, Calibration: oofSpec.Calibration},
		params, real)
}

// placeboRuns is runPlacebo on a prepared table.
func placeboRuns(ctx context.Context, spec PlaceboSpec, tbl *backtest.Table, y []int, cols [][]float64, lspec LearnerSpec,
	rc backtest.RunConfig, params backtest.TradeParams, real float64) (*PlaceboResult, error) {
	params.KeepSeries, params.HindsightTable, params.PBOBlocks = false, false, 0
	out := &PlaceboResult{Kind: spec.Kind, Runs: spec.Runs, Seed: spec.Seed, Metric: "sharpe_ann", Real: real}
	above := 0
	for run := 1; run <= spec.Runs; run++ {
		py := placeboLabels(y, tbl.T0, tbl.T1, spec, run)
		pt := *tbl
		pt.Y = py
		learn, err := lspec.Learner(cols, py, &pt)
		if err != nil {
			return nil, err
		}
		o, _, err := backtest.RunOOF(ctx, &pt, learn, rc)
		if err != nil {
			return nil, fmt.Errorf("placebo run %d: %w", run, err)
		}
		res, err := backtest.Evaluate(o, params)
		if err != nil {
			return nil, fmt.Errorf("placebo run %d: %w", run, err)
		}
		s := res.Overall.SharpeAnn
		out.Sharpes = append(out.Sharpes, s)
		if s >= real {
			above++
		}
	}
	out.PValue = float64(1+above) / float64(spec.Runs+1)
	d := stats.Describe(out.Sharpes)
	out.Mean, out.Q05, out.Q95 = d.Mean, stats.Quantile(out.Sharpes, 0.05), stats.Quantile(out.Sharpes, 0.95)
	return out, nil
}

// backtestResearch fills a backtest's benchmark and bootstrap and, when the
// request asks, its placebo runs.
func (l *Lab) backtestResearch(ctx context.Context, req BacktestRequest, src OOFSource, spec OOFSpec,
	params backtest.TradeParams, res backtest.Result, out *Research) error {
	*out = researchOf(src.OOF, res)
	if req.Placebo == nil {
		return nil
	}
	pl, err := l.runPlacebo(ctx, *req.Placebo, src, spec, params, res.Overall.SharpeAnn)
	if err != nil {
		return fmt.Errorf("placebo: %w", err)
	}
	out.Placebo = pl
	return nil
}

// WorkFactor is how many cross-validated trainings the request does (1 plus
// its placebo runs), for the synchronous-work estimate.
func (r BacktestRequest) WorkFactor() float64 {
	if r.Placebo == nil {
		return 1
	}
	runs := r.Placebo.Runs
	if runs <= 0 {
		runs = 19
	}
	return float64(1 + min(runs, MaxPlaceboRuns))
}
