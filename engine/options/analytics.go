package options

import (
	"math"
	"sort"
)

// Market carries what pricing a chain needs beyond the chain itself.
type Market struct {
	Spot float64 // underlying price
	T    float64 // years to expiry (YearFrac)
	R, Q float64 // rate and dividend yield
}

// ContractIV is the contract's IV when the snapshot has a sane one (0 < iv <
// MaxVol), else the IV implied by its mid price; NaN when neither exists.
func ContractIV(c Contract, m Market) float64 {
	if c.IV > 0 && c.IV < MaxVol {
		return c.IV
	}
	mid := c.Mid()
	if !(mid > 0) {
		return math.NaN()
	}
	return ImpliedVol(c.Call, mid, m.Spot, c.Strike, m.T, m.R, m.Q)
}

// ContractDelta is the snapshot delta when present, else Black–Scholes delta
// at ContractIV.
func ContractDelta(c Contract, m Market) float64 {
	if !math.IsNaN(c.Delta) && c.Delta != 0 {
		return c.Delta
	}
	iv := ContractIV(c, m)
	return ComputeGreeks(c.Call, m.Spot, c.Strike, m.T, m.R, m.Q, iv).Delta
}

// ContractGamma is the snapshot gamma when present, else Black–Scholes gamma
// at ContractIV.
func ContractGamma(c Contract, m Market) float64 {
	if !math.IsNaN(c.Gamma) && c.Gamma > 0 {
		return c.Gamma
	}
	iv := ContractIV(c, m)
	return ComputeGreeks(c.Call, m.Spot, c.Strike, m.T, m.R, m.Q, iv).Gamma
}

// Side filters contracts by type.
type Side int

// Side values.
const (
	Both Side = iota
	CallsOnly
	PutsOnly
)

func (s Side) keep(c Contract) bool {
	return s == Both || (s == CallsOnly && c.Call) || (s == PutsOnly && !c.Call)
}

// ATMIV is the implied volatility at the listed strike nearest the spot: the
// mean of the call and put IVs there (one side when side restricts it or only
// one is available). NaN when no contract yields an IV.
func ATMIV(ch Chain, m Market, side Side) float64 {
	best := math.Inf(1)
	for _, c := range ch.Contracts {
		if !side.keep(c) || !(c.Strike > 0) {
			continue
		}
		if math.IsNaN(ContractIV(c, m)) {
			continue
		}
		if d := math.Abs(c.Strike - m.Spot); d < best {
			best = d
		}
	}
	if math.IsInf(best, 1) {
		return math.NaN()
	}
	var sum float64
	n := 0
	for _, c := range ch.Contracts {
		if !side.keep(c) || math.Abs(c.Strike-m.Spot) != best {
			continue
		}
		if iv := ContractIV(c, m); !math.IsNaN(iv) {
			sum += iv
			n++
		}
	}
	return sum / float64(n)
}

// Skew25Delta is the 25-delta risk reversal: IV of the call whose delta is
// nearest +0.25 minus IV of the put whose delta is nearest −0.25.
func Skew25Delta(ch Chain, m Market) float64 {
	callIV, putIV := math.NaN(), math.NaN()
	bc, bp := math.Inf(1), math.Inf(1)
	for _, c := range ch.Contracts {
		iv := ContractIV(c, m)
		d := ContractDelta(c, m)
		if math.IsNaN(iv) || math.IsNaN(d) {
			continue
		}
		if c.Call {
			if e := math.Abs(d - 0.25); e < bc {
				bc, callIV = e, iv
			}
		} else if e := math.Abs(d + 0.25); e < bp {
			bp, putIV = e, iv
		}
	}
	return callIV - putIV
}

// TermSlope is ATM IV of the far chain minus ATM IV of the near chain.
func TermSlope(near Chain, nm Market, far Chain, fm Market) float64 {
	return ATMIV(far, fm, Both) - ATMIV(near, nm, Both)
}

// IVRank is (cur−min)/(max−min) over hist (NaNs ignored, cur included);
// NaN with fewer than minObs values or a zero range.
func IVRank(hist []float64, cur float64, minObs int) float64 {
	if math.IsNaN(cur) {
		return math.NaN()
	}
	lo, hi := cur, cur
	n := 1
	for _, v := range hist {
		if math.IsNaN(v) {
			continue
		}
		n++
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if n < minObs || hi == lo {
		return math.NaN()
	}
	return (cur - lo) / (hi - lo)
}

// IVPercentile is the share of values in hist ∪ {cur} that are ≤ cur.
func IVPercentile(hist []float64, cur float64, minObs int) float64 {
	if math.IsNaN(cur) {
		return math.NaN()
	}
	n, le := 1, 1
	for _, v := range hist {
		if math.IsNaN(v) {
			continue
		}
		n++
		if v <= cur {
			le++
		}
	}
	if n < minObs {
		return math.NaN()
	}
	return float64(le) / float64(n)
}

// PutCallOIRatio is (ΣOI_put+1e−9)/(ΣOI_call+1e−9).
func PutCallOIRatio(ch Chain) float64 {
	var p, c float64
	for _, k := range ch.Contracts {
		if !(k.OI > 0) {
			continue
		}
		if k.Call {
			c += k.OI
		} else {
			p += k.OI
		}
	}
	return (p + 1e-9) / (c + 1e-9)
}

// TotalOI is the chain's total open interest.
func TotalOI(ch Chain) float64 {
	var s float64
	for _, k := range ch.Contracts {
		if k.OI > 0 {
			s += k.OI
		}
	}
	return s
}

// StrikeValue is one aggregate per strike, strikes ascending.
type StrikeValue struct {
	Strike float64
	Value  float64
}

func byStrike(ch Chain, f func(Contract) float64) []StrikeValue {
	agg := map[float64]float64{}
	for _, c := range ch.Contracts {
		if !(c.Strike > 0) {
			continue
		}
		v := f(c)
		if math.IsNaN(v) {
			continue
		}
		agg[c.Strike] += v
	}
	out := make([]StrikeValue, 0, len(agg))
	for k, v := range agg {
		out = append(out, StrikeValue{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Strike < out[j].Strike })
	return out
}

// OIByStrike sums call and put open interest per strike.
func OIByStrike(ch Chain) []StrikeValue {
	return byStrike(ch, func(c Contract) float64 {
		if c.OI > 0 {
			return c.OI
		}
		return 0
	})
}

// GammaByStrike is G_K = Σ |Γ|·OI per strike (Γ from Black–Scholes when the
// snapshot lacks it).
func GammaByStrike(ch Chain, m Market) []StrikeValue {
	return byStrike(ch, func(c Contract) float64 {
		if !(c.OI > 0) {
			return 0
		}
		return math.Abs(ContractGamma(c, m)) * c.OI
	})
}

// PeakStrike is the strike with the largest value (lowest strike on ties);
// NaN when every value is 0 or the list is empty.
func PeakStrike(v []StrikeValue) float64 {
	best, k := 0.0, math.NaN()
	for _, s := range v {
		if s.Value > best {
			best, k = s.Value, s.Strike
		}
	}
	return k
}

// Concentration is the Herfindahl index of the topN largest shares:
// Σ_{top n} (v_K/Σv)². NaN when the total is 0.
func Concentration(v []StrikeValue, topN int) float64 {
	vals := make([]float64, 0, len(v))
	var tot float64
	for _, s := range v {
		if s.Value > 0 {
			vals = append(vals, s.Value)
			tot += s.Value
		}
	}
	if tot <= 0 {
		return math.NaN()
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(vals)))
	if topN > len(vals) {
		topN = len(vals)
	}
	var h float64
	for _, x := range vals[:topN] {
		s := x / tot
		h += s * s
	}
	return h
}

// SkewAround is (Σv_{K>spot} − Σv_{K<spot})/(Σ both + 1e−9).
func SkewAround(v []StrikeValue, spot float64) float64 {
	var above, below float64
	for _, s := range v {
		switch {
		case s.Strike > spot:
			above += s.Value
		case s.Strike < spot:
			below += s.Value
		}
	}
	return (above - below) / (above + below + 1e-9)
}

// MaxPain is the settlement price, among the listed strikes, that minimises
// what option holders receive at expiry:
// Σ_calls OI·max(S−K,0) + Σ_puts OI·max(K−S,0). Ties go to the lowest
// strike; NaN when the chain has no open interest.
func MaxPain(ch Chain) float64 {
	strikes := OIByStrike(ch)
	best, at := math.Inf(1), math.NaN()
	any := false
	for _, c := range ch.Contracts {
		if c.OI > 0 {
			any = true
			break
		}
	}
	if !any {
		return math.NaN()
	}
	for _, s := range strikes {
		pay := HolderPayout(ch, s.Strike)
		if pay < best {
			best, at = pay, s.Strike
		}
	}
	return at
}

// HolderPayout is what all open contracts pay their holders if the
// underlying settles at S.
func HolderPayout(ch Chain, S float64) float64 {
	var pay float64
	for _, c := range ch.Contracts {
		if !(c.OI > 0) {
			continue
		}
		if c.Call {
			pay += c.OI * math.Max(S-c.Strike, 0)
		} else {
			pay += c.OI * math.Max(c.Strike-S, 0)
		}
	}
	return pay
}
