package indicators

import "math"

// This file holds the O(n) building blocks every indicator uses. They skip
// NaN inputs the way rolling/ewm statistics conventionally do and write into
// caller-provided output slices so hot paths allocate once.

var nan = math.NaN()

// ewm is exponential smoothing with adjust=false: the first non-NaN input
// seeds the state; the weight of the old state decays by (1−α) on every later
// row (observed or not) and resets after each observation, so a gap weighs the
// stale state less. Output is NaN until minP inputs have been observed; on a
// NaN input the previous state is repeated.
func ewm(x []float64, alpha float64, minP int, out []float64) []float64 {
	if out == nil {
		out = make([]float64, len(x))
	}
	var w float64
	omega := 1.0
	started := false
	cnt := 0
	beta := 1 - alpha
	for i, v := range x {
		if !started {
			if v == v {
				w, started, cnt, omega = v, true, 1, 1
			}
		} else {
			omega *= beta
			if v == v {
				if w != v {
					w = (omega*w + alpha*v) / (omega + alpha)
				}
				omega = 1
				cnt++
			}
		}
		if started && cnt >= minP {
			out[i] = w
		} else {
			out[i] = nan
		}
	}
	return out
}

// ema is EMA_n: α=2/(n+1), NaN until n inputs have been seen.
func ema(x []float64, n int, out []float64) []float64 { return ewm(x, 2/float64(n+1), n, out) }

// wilder is Wilder smoothing: α=1/n, NaN until n inputs have been seen.
func wilder(x []float64, n int, out []float64) []float64 { return ewm(x, 1/float64(n), n, out) }

// rollMoments computes any of the rolling sum, mean and sample standard
// deviation (ddof 1) of x over n rows with at least minP non-NaN values
// (nil outputs are skipped). Sums are kept relative to an anchor that is
// re-centred every n rows by an exact recomputation, which bounds the
// rounding drift of add/remove updates at O(1) amortised cost.
func rollMoments(x []float64, n, minP int, sum, mean, std []float64) {
	if minP < 1 {
		minP = 1
	}
	var c, s, ss float64
	cnt := 0
	for i, v := range x {
		if i >= n {
			if o := x[i-n]; o == o {
				d := o - c
				s -= d
				ss -= d * d
				cnt--
			}
		}
		if i > 0 && i%n == 0 {
			if cnt > 0 {
				c += s / float64(cnt)
			}
			s, ss, cnt = 0, 0, 0
			for j := i - n + 1; j < i; j++ {
				if j < 0 {
					continue
				}
				if o := x[j]; o == o {
					d := o - c
					s += d
					ss += d * d
					cnt++
				}
			}
		}
		if v == v {
			if cnt == 0 && i < n {
				c = v
			}
			d := v - c
			s += d
			ss += d * d
			cnt++
		}
		ok := cnt >= minP
		fc := float64(cnt)
		if sum != nil {
			if ok {
				sum[i] = s + c*fc
			} else {
				sum[i] = nan
			}
		}
		if mean != nil {
			if ok {
				mean[i] = c + s/fc
			} else {
				mean[i] = nan
			}
		}
		if std != nil {
			if ok && cnt >= 2 {
				m := s / fc
				vr := (ss - s*m) / (fc - 1)
				// Values identical to the anchor give exactly 0; guard the
				// residue of cancellation so constant windows read as 0.
				scale := ss/fc + 1e-300
				if vr <= 1e-13*scale {
					vr = 0
				}
				std[i] = math.Sqrt(vr)
			} else {
				std[i] = nan
			}
		}
	}
}

func rollSum(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	rollMoments(x, n, minP, out, nil, nil)
	return out
}

func rollMean(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	rollMoments(x, n, minP, nil, out, nil)
	return out
}

func rollStd(x []float64, n, minP int) []float64 {
	out := make([]float64, len(x))
	rollMoments(x, n, minP, nil, nil, out)
	return out
}

// rollExtreme writes the rolling max (isMax) or min of x over n rows with at
// least minP non-NaN values, using a monotonic deque of indices.
func rollExtreme(x []float64, n, minP int, isMax bool, out []float64) []float64 {
	if out == nil {
		out = make([]float64, len(x))
	}
	if minP < 1 {
		minP = 1
	}
	dq := make([]int, 0, n+1)
	head := 0
	cnt := 0
	for i, v := range x {
		if i >= n && x[i-n] == x[i-n] {
			cnt--
		}
		for head < len(dq) && dq[head] <= i-n {
			head++
		}
		if v == v {
			cnt++
			for len(dq) > head {
				last := x[dq[len(dq)-1]]
				if (isMax && last <= v) || (!isMax && last >= v) {
					dq = dq[:len(dq)-1]
				} else {
					break
				}
			}
			dq = append(dq, i)
		}
		if head >= 64 && 2*head >= len(dq) { // drop the spent prefix
			k := copy(dq, dq[head:])
			dq = dq[:k]
			head = 0
		}
		if cnt >= minP && head < len(dq) {
			out[i] = x[dq[head]]
		} else {
			out[i] = nan
		}
	}
	return out
}

func rollMax(x []float64, n, minP int) []float64 { return rollExtreme(x, n, minP, true, nil) }
func rollMin(x []float64, n, minP int) []float64 { return rollExtreme(x, n, minP, false, nil) }

// half is the predecessor's ⌊n/2⌋ minimum-periods rule, at least 1.
func half(n int) int {
	if n/2 < 1 {
		return 1
	}
	return n / 2
}

// pct is x_t/x_{t−k} − 1 (NaN for the first k rows and around NaN inputs).
func pct(x []float64, k int) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		if i < k {
			out[i] = nan
			continue
		}
		out[i] = x[i]/x[i-k] - 1
	}
	return out
}

// diff is x_t − x_{t−k}.
func diff(x []float64, k int) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		if i < k {
			out[i] = nan
			continue
		}
		out[i] = x[i] - x[i-k]
	}
	return out
}

// trueRange is max(H−L, |H−C₋₁|, |L−C₋₁|) with TR₀ = H₀−L₀ (NaN terms skipped).
func trueRange(h, l, c []float64) []float64 {
	out := make([]float64, len(h))
	for i := range h {
		tr := h[i] - l[i]
		if i > 0 {
			pc := c[i-1]
			if a := math.Abs(h[i] - pc); a > tr || tr != tr {
				tr = a
			}
			if a := math.Abs(l[i] - pc); a > tr || tr != tr {
				tr = a
			}
		}
		out[i] = tr
	}
	return out
}

// safeDiv is a/b, NaN when b is 0.
func safeDiv(a, b float64) float64 {
	if b == 0 {
		return nan
	}
	return a / b
}
