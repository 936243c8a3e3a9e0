package stats

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// BlockLength is the expected block length of a stationary bootstrap of x
// chosen from its autocorrelation (Politis & White 2004, with the correction
// of Patton, Politis & White 2009): the flat-top lag window's bandwidth is
// twice the first lag m after which K_N = max(5, ⌈√log10 n⌉) consecutive
// autocorrelations are insignificant (|ρ| < 2√(log10 n / n)); then
// b = (2Ĝ²/D̂)^{1/3} n^{1/3} with Ĝ = Σ λ(k/M)|k|R(k) and D̂ = 2(Σ λ(k/M)R(k))².
// The result is clamped to [1, min(3√n, n/3)]; an uncorrelated series gets
// about 1 (the iid bootstrap), a persistent one longer blocks.
func BlockLength(x []float64) float64 {
	n := len(x)
	if n < 8 {
		return 1
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	kmax := min(n-1, int(math.Ceil(math.Sqrt(float64(n))))+10)
	acov := make([]float64, kmax+1)
	for k := 0; k <= kmax; k++ {
		s := 0.0
		for i := k; i < n; i++ {
			s += (x[i] - mean) * (x[i-k] - mean)
		}
		acov[k] = s / float64(n)
	}
	if !(acov[0] > 0) {
		return 1
	}
	kn := max(5, int(math.Ceil(math.Sqrt(math.Log10(float64(n))))))
	crit := 2 * math.Sqrt(math.Log10(float64(n))/float64(n))
	mhat := -1
	for m := 0; m+kn <= kmax; m++ {
		ok := true
		for k := 1; k <= kn; k++ {
			if math.Abs(acov[m+k]/acov[0]) >= crit {
				ok = false
				break
			}
		}
		if ok {
			mhat = m
			break
		}
	}
	if mhat < 0 {
		mhat = kmax - kn
	}
	M := min(2*max(mhat, 1), kmax)
	lambda := func(t float64) float64 {
		t = math.Abs(t)
		switch {
		case t <= 0.5:
			return 1
		case t <= 1:
			return 2 * (1 - t)
		}
		return 0
	}
	g, s0 := 0.0, acov[0]
	for k := 1; k <= M; k++ {
		w := lambda(float64(k) / float64(M))
		g += 2 * w * float64(k) * acov[k]
		s0 += 2 * w * acov[k]
	}
	d := 2 * s0 * s0
	b := 1.0
	if d > 0 && g != 0 {
		b = math.Cbrt(2*g*g/d) * math.Cbrt(float64(n))
	}
	hi := math.Min(3*math.Sqrt(float64(n)), float64(n)/3)
	return math.Max(1, math.Min(b, hi))
}

// Interval is a bootstrap confidence interval of a statistic.
type Interval struct {
	Estimate float64 `json:"estimate"` // the statistic on the original series
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	Level    float64 `json:"level"` // e.g. 0.95
}

// StationaryBootstrap resamples x with the stationary bootstrap (Politis &
// Romano 1994: blocks start at uniform positions, wrap around, and have
// geometric lengths of mean blockLen) reps times and returns each statistic's
// percentile interval at level. Replicate r draws from its own PCG stream
// (seed, r), and workers only split the replicates, so the result is the same
// whatever GOMAXPROCS is.
func StationaryBootstrap(x []float64, blockLen float64, reps int, seed uint64, level float64, fns ...func([]float64) float64) []Interval {
	n := len(x)
	out := make([]Interval, len(fns))
	for j, f := range fns {
		out[j] = Interval{Estimate: f(x), Lo: math.NaN(), Hi: math.NaN(), Level: level}
	}
	if n < 2 || reps < 1 {
		return out
	}
	p := 1 / math.Max(1, blockLen)
	vals := make([][]float64, len(fns))
	for j := range vals {
		vals[j] = make([]float64, reps)
	}
	workers := min(runtime.GOMAXPROCS(0), reps)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]float64, n)
			for r := w; r < reps; r += workers {
				rng := rand.New(rand.NewPCG(seed, uint64(r)))
				i := rng.IntN(n)
				for k := 0; k < n; k++ {
					if k > 0 {
						if rng.Float64() < p {
							i = rng.IntN(n)
						} else if i++; i == n {
							i = 0
						}
					}
					buf[k] = x[i]
				}
				for j, f := range fns {
					vals[j][r] = f(buf)
				}
			}
		}(w)
	}
	wg.Wait()
	a := (1 - level) / 2
	for j := range fns {
		v := vals[j][:0]
		for _, s := range vals[j] {
			if isFinite(s) {
				v = append(v, s)
			}
		}
		if len(v) == 0 {
			continue
		}
		sort.Float64s(v)
		out[j].Lo, out[j].Hi = quantileSorted(v, a), quantileSorted(v, 1-a)
	}
	return out
}

// quantileSorted is the linearly interpolated q-quantile of sorted v.
func quantileSorted(v []float64, q float64) float64 {
	if len(v) == 1 {
		return v[0]
	}
	h := q * float64(len(v)-1)
	lo := int(math.Floor(h))
	if lo >= len(v)-1 {
		return v[len(v)-1]
	}
	return v[lo] + (h-float64(lo))*(v[lo+1]-v[lo])
}

// Quantile is the linearly interpolated q-quantile of the finite values of x
// (NaN when there are none).
func Quantile(x []float64, q float64) float64 {
	v := make([]float64, 0, len(x))
	for _, s := range x {
		if isFinite(s) {
			v = append(v, s)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	return quantileSorted(v, q)
}

// BootstrapMeanStd is StationaryBootstrap specialised to the mean and the
// population standard deviation of each replicate (what Sharpe and a sum
// need), in O(blocks) per replicate: block lengths are drawn geometric at once
// and summed from prefix sums of x and x², so a 100k-period series costs a
// fraction of the generic resampler. Replicate r draws from PCG (seed, r);
// the result does not depend on GOMAXPROCS.
func BootstrapMeanStd(x []float64, blockLen float64, reps int, seed uint64) (means, stds []float64) {
	n := len(x)
	means, stds = make([]float64, reps), make([]float64, reps)
	if n == 0 {
		return means, stds
	}
	// Prefix sums over x twice (wrap-around blocks never need a second pass).
	ps, pq := make([]float64, 2*n+1), make([]float64, 2*n+1)
	for i := 0; i < 2*n; i++ {
		v := x[i%n]
		ps[i+1], pq[i+1] = ps[i]+v, pq[i]+v*v
	}
	p := 1 / math.Max(1, blockLen)
	logq := math.Log1p(-p) // log(1 − p); −Inf when p = 1 (every block has length 1)
	workers := min(runtime.GOMAXPROCS(0), reps)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := w; r < reps; r += workers {
				rng := rand.New(rand.NewPCG(seed, uint64(r)))
				s, q, k := 0.0, 0.0, 0
				for k < n {
					start := rng.IntN(n)
					l := 1
					if p < 1 {
						// Geometric on {1, 2, …} with mean 1/p.
						l = 1 + int(math.Floor(math.Log(1-rng.Float64())/logq))
					}
					l = min(l, n-k, n)
					s += ps[start+l] - ps[start]
					q += pq[start+l] - pq[start]
					k += l
				}
				m := s / float64(n)
				means[r] = m
				stds[r] = math.Sqrt(math.Max(0, q/float64(n)-m*m))
			}
		}(w)
	}
	wg.Wait()
	return means, stds
}

// PercentileInterval is the level interval of the finite values of v around
// estimate (NaN bounds when none is finite).
func PercentileInterval(v []float64, estimate, level float64) Interval {
	a := (1 - level) / 2
	return Interval{Estimate: estimate, Lo: Quantile(v, a), Hi: Quantile(v, 1-a), Level: level}
}
