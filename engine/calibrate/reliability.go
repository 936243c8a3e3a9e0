package calibrate

import "math"

// Bin is one point of a reliability curve: rows whose predicted probability
// falls in [Lo, Hi), their mean prediction and observed hit frequency.
type Bin struct {
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	MeanPred float64 `json:"mean_predicted"`
	ObsFreq  float64 `json:"observed_frequency"`
	Count    int     `json:"count"`
}

// Reliability is the data of a reliability plot plus two proper scores.
type Reliability struct {
	Bins  []Bin   `json:"bins"` // empty bins are left out
	Brier float64 `json:"brier"`
	// ECE is the expected calibration error: Σ count·|obs − pred| / N.
	ECE float64 `json:"ece"`
	N   int     `json:"n"`
}

// Curve bins predictions p (with outcomes hit) into nbins equal-width bins over
// [0, 1]; NaN predictions are skipped. nbins ≤ 0 means 10.
func Curve(p []float64, hit []bool, nbins int) Reliability {
	if nbins <= 0 {
		nbins = 10
	}
	sumP := make([]float64, nbins)
	sumY := make([]float64, nbins)
	cnt := make([]int, nbins)
	var r Reliability
	for i, v := range p {
		if math.IsNaN(v) {
			continue
		}
		y := 0.0
		if hit[i] {
			y = 1
		}
		b := int(v * float64(nbins))
		b = min(max(b, 0), nbins-1)
		sumP[b] += v
		sumY[b] += y
		cnt[b]++
		r.Brier += (v - y) * (v - y)
		r.N++
	}
	if r.N == 0 {
		return r
	}
	r.Brier /= float64(r.N)
	for b := 0; b < nbins; b++ {
		if cnt[b] == 0 {
			continue
		}
		c := float64(cnt[b])
		bin := Bin{Lo: float64(b) / float64(nbins), Hi: float64(b+1) / float64(nbins),
			MeanPred: sumP[b] / c, ObsFreq: sumY[b] / c, Count: cnt[b]}
		r.ECE += c * math.Abs(bin.ObsFreq-bin.MeanPred)
		r.Bins = append(r.Bins, bin)
	}
	r.ECE /= float64(r.N)
	return r
}
