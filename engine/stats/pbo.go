package stats

import (
	"errors"
	"fmt"
	"math"
)

// DefaultPBOSplits is the number of contiguous blocks PBO cuts the periods
// into when the caller passes 0: C(16, 8) = 12,870 in-sample/out-of-sample
// combinations.
const DefaultPBOSplits = 16

// MaxPBOSplits bounds the split count: C(20, 10) = 184,756 combinations,
// beyond which the enumeration stops being cheap.
const MaxPBOSplits = 20

// ErrPBOInput marks PBO inputs it cannot work on (fewer than two strategies,
// fewer than four periods, ragged series, a bad split count).
var ErrPBOInput = errors.New("invalid PBO input")

// PBOResult is the outcome of combinatorially symmetric cross-validation.
type PBOResult struct {
	// PBO is the fraction of combinations whose in-sample winner ranks in the
	// bottom half out of sample (logit ≤ 0): the probability of backtest overfitting.
	PBO float64
	// Logits holds λ = ln(ω/(1−ω)) per combination, in enumeration order, where
	// ω = rank/(N+1) is the in-sample winner's out-of-sample rank (1 = worst).
	Logits []float64
	// Splits is the number of blocks actually used (reduced for short series).
	Splits int
	// Combinations is C(Splits, Splits/2), the number of logits.
	Combinations int
	// PerfDegradation is the least-squares slope of the in-sample winner's
	// out-of-sample Sharpe on its in-sample Sharpe across combinations; NaN when
	// the in-sample Sharpe never varies. Negative means the better it looked
	// in sample, the worse it did out of sample.
	PerfDegradation float64
}

// PBO estimates the probability of backtest overfitting of choosing the best
// of several strategies by in-sample Sharpe (Bailey, Borwein, López de Prado &
// Zhu 2014). returns[k] is strategy k's per-period return series; all series
// have the same length T and NaN counts as a zero return (flat).
//
// The T periods are cut into s contiguous blocks of ⌊T/s⌋ or ⌈T/s⌉ periods
// (s = 0 means DefaultPBOSplits; s must be even and at most MaxPBOSplits). When T < 2s, s is reduced to
// the largest even number that leaves at least two periods per block. Every
// choice of s/2 blocks is an in-sample set, the other blocks its out-of-sample
// set, enumerated in lexicographic order, without randomness. Per combination
// the strategy with the best in-sample Sharpe (mean over population std; the
// lowest index wins ties) is ranked among all N strategies by out-of-sample
// Sharpe, counted pessimistically: rank = 1 + the number of strategies strictly
// worse, so a tie with others counts as the bottom of the tie. A strategy with
// no spread in a half has Sharpe 0 there; N strategies that are all flat thus
// give PBO = 1 (nothing in sample tells them apart).
//
// Cost: per-block sums and sums of squares are computed once, so each
// combination costs O(N·s).
func PBO(returns [][]float64, s int) (PBOResult, error) {
	nStrat := len(returns)
	if nStrat < 2 {
		return PBOResult{}, fmt.Errorf("%w: %d strategies, need at least 2", ErrPBOInput, nStrat)
	}
	t := len(returns[0])
	for k, r := range returns {
		if len(r) != t {
			return PBOResult{}, fmt.Errorf("%w: strategy %d has %d periods, strategy 0 has %d", ErrPBOInput, k, len(r), t)
		}
	}
	if t < 4 {
		return PBOResult{}, fmt.Errorf("%w: %d periods, need at least 4", ErrPBOInput, t)
	}
	if s == 0 {
		s = DefaultPBOSplits
	}
	if s < 2 || s%2 != 0 || s > MaxPBOSplits {
		return PBOResult{}, fmt.Errorf("%w: splits %d must be even, 2..%d", ErrPBOInput, s, MaxPBOSplits)
	}
	s = PBOSplitsFor(t, s)

	// per strategy and block: sum, sum of squares; per block: period count
	blocks := make([]BlockSums, nStrat)
	for k, r := range returns {
		blocks[k] = NewBlockSums(r, s)
	}
	return PBOBlocks(blocks)
}

// BlockSums are one strategy's per-block sums of returns and of squared
// returns over s contiguous blocks of its series (NaN counts as 0): all PBO
// needs of a series, so callers with many long series keep only these.
type BlockSums struct {
	Sum, Sq []float64
	Count   []float64 // periods per block
}

// PBOSplitsFor is the number of blocks PBO uses for a series of t periods
// when asked for s (0: DefaultPBOSplits): s, reduced to keep ≥ 2 periods a
// block.
func PBOSplitsFor(t, s int) int {
	if s == 0 {
		s = DefaultPBOSplits
	}
	if s > t/2 {
		s = t / 2 &^ 1
	}
	return s
}

// NewBlockSums cuts r into s contiguous blocks of ⌊t/s⌋ or ⌈t/s⌉ periods.
func NewBlockSums(r []float64, s int) BlockSums {
	t := len(r)
	b := BlockSums{Sum: make([]float64, s), Sq: make([]float64, s), Count: make([]float64, s)}
	for k := 0; k < s; k++ {
		lo, hi := k*t/s, (k+1)*t/s
		b.Count[k] = float64(hi - lo)
		for _, v := range r[lo:hi] {
			if !math.IsNaN(v) {
				b.Sum[k] += v
				b.Sq[k] += v * v
			}
		}
	}
	return b
}

// PBOBlocks is PBO over strategies given by their block sums (all with the
// same blocks).
func PBOBlocks(blocks []BlockSums) (PBOResult, error) {
	nStrat := len(blocks)
	if nStrat < 2 {
		return PBOResult{}, fmt.Errorf("%w: %d strategies, need at least 2", ErrPBOInput, nStrat)
	}
	s := len(blocks[0].Sum)
	if s < 2 || s%2 != 0 || s > MaxPBOSplits {
		return PBOResult{}, fmt.Errorf("%w: splits %d must be even, 2..%d", ErrPBOInput, s, MaxPBOSplits)
	}
	cnt := blocks[0].Count
	t := 0.0
	for _, c := range cnt {
		t += c
	}
	sums := make([]float64, nStrat*s)
	sqs := make([]float64, nStrat*s)
	for k, b := range blocks {
		if len(b.Sum) != s || len(b.Sq) != s {
			return PBOResult{}, fmt.Errorf("%w: strategy %d has %d blocks, strategy 0 has %d", ErrPBOInput, k, len(b.Sum), s)
		}
		copy(sums[k*s:], b.Sum)
		copy(sqs[k*s:], b.Sq)
	}
	totSum, totSq := make([]float64, nStrat), make([]float64, nStrat)
	for k := 0; k < nStrat; k++ {
		for b := 0; b < s; b++ {
			totSum[k] += sums[k*s+b]
			totSq[k] += sqs[k*s+b]
		}
	}

	half := s / 2
	nComb := binomial(s, half)
	res := PBOResult{Splits: s, Logits: make([]float64, 0, nComb)}
	comb := make([]int, half)
	for i := range comb {
		comb[i] = i
	}
	isSR, oosSR := make([]float64, nStrat), make([]float64, nStrat)
	chosenIS, chosenOOS := make([]float64, 0, nComb), make([]float64, 0, nComb)
	below := 0
	for {
		var nIS float64
		for _, b := range comb {
			nIS += cnt[b]
		}
		nOOS := t - nIS
		best := 0
		for k := 0; k < nStrat; k++ {
			var a, q float64
			for _, b := range comb {
				a += sums[k*s+b]
				q += sqs[k*s+b]
			}
			isSR[k] = sharpeFromSums(a, q, nIS)
			oosSR[k] = sharpeFromSums(totSum[k]-a, totSq[k]-q, nOOS)
			if isSR[k] > isSR[best] {
				best = k
			}
		}
		rank := 1
		for k := 0; k < nStrat; k++ {
			if oosSR[k] < oosSR[best] {
				rank++
			}
		}
		w := float64(rank) / float64(nStrat+1)
		lambda := math.Log(w / (1 - w))
		res.Logits = append(res.Logits, lambda)
		if lambda <= 0 {
			below++
		}
		chosenIS = append(chosenIS, isSR[best])
		chosenOOS = append(chosenOOS, oosSR[best])
		if !nextCombination(comb, s) {
			break
		}
	}
	res.Combinations = len(res.Logits)
	res.PBO = float64(below) / float64(res.Combinations)
	res.PerfDegradation = slope(chosenIS, chosenOOS)
	return res, nil
}

// sharpeFromSums is mean/population std of n values with sum a and sum of
// squares q; 0 when the spread is nil or rounding noise of the mean.
func sharpeFromSums(a, q, n float64) float64 {
	if n <= 0 {
		return 0
	}
	mean := a / n
	v := q/n - mean*mean
	if v <= constRel*(q/n) || v <= 0 {
		return 0
	}
	return mean / math.Sqrt(v)
}

// nextCombination advances comb (strictly increasing indices into 0..n−1) to
// the next combination in lexicographic order; false after the last.
func nextCombination(comb []int, n int) bool {
	k := len(comb)
	i := k - 1
	for i >= 0 && comb[i] == n-k+i {
		i--
	}
	if i < 0 {
		return false
	}
	comb[i]++
	for j := i + 1; j < k; j++ {
		comb[j] = comb[j-1] + 1
	}
	return true
}

// binomial is C(n, k) for the small n PBO uses.
func binomial(n, k int) int {
	c := 1
	for i := 1; i <= k; i++ {
		c = c * (n - k + i) / i
	}
	return c
}

// slope is the least-squares slope of y on x; NaN when x does not vary.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	if len(x) < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxx, sxy float64
	for i := range x {
		dx := x[i] - mx
		sxx += dx * dx
		sxy += dx * (y[i] - my)
	}
	if sxx <= 0 {
		return math.NaN()
	}
	return sxy / sxx
}
