package signals

import (
	"math"
	"math/rand/v2"
	"testing"

	"sigmalab/engine/options"
)

// TestChooseContractBruteForce: on random chains (some rows without greeks,
// some below the OI floor, puts with negative deltas) the choice equals a
// brute-force search for the smallest (|Δ| − target)², lower IV then lower
// strike on ties.
func TestChooseContractBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 16))
	m := options.Market{Spot: 100, T: 10.0 / 365, R: 0.04}
	for trial := 0; trial < 200; trial++ {
		var cs []options.Contract
		for k := 80.0; k <= 120; k += 1 {
			for _, call := range []bool{true, false} {
				iv := 0.15 + 0.1*rng.Float64()
				g := options.ComputeGreeks(call, m.Spot, k, m.T, m.R, 0, iv)
				p := options.Price(call, m.Spot, k, m.T, m.R, 0, iv)
				c := options.Contract{Strike: k, Call: call, Bid: p * 0.98, Ask: p*1.02 + 0.01, IV: iv, Delta: g.Delta, OI: float64(rng.IntN(500))}
				if rng.IntN(4) == 0 { // the chain lacks greeks: Black–Scholes from the mid
					c.Delta, c.IV = math.NaN(), math.NaN()
				}
				cs = append(cs, c)
			}
		}
		cands := Resolve(cs, m)
		target, minOI, call := 0.1+0.6*rng.Float64(), float64(rng.IntN(300)), rng.IntN(2) == 0
		got := ChooseContract(cands, call, target, minOI)
		want := -1
		for i, c := range cands {
			if c.Call != call || c.OI < minOI || math.IsNaN(c.Delta) {
				continue
			}
			if want < 0 {
				want = i
				continue
			}
			e, we := math.Pow(math.Abs(c.Delta)-target, 2), math.Pow(math.Abs(cands[want].Delta)-target, 2)
			if e < we || (e == we && (c.IV < cands[want].IV || (c.IV == cands[want].IV && c.Strike < cands[want].Strike))) {
				want = i
			}
		}
		if got != want {
			t.Fatalf("trial %d: chose %d, brute force %d", trial, got, want)
		}
		if got >= 0 && cands[got].OI < minOI {
			t.Fatalf("trial %d: OI %v below %v", trial, cands[got].OI, minOI)
		}
	}
}

func TestPremiumEstimates(t *testing.T) {
	// Call on a buy: entry 100, stop 98, target 104, Δ 0.4, mid 2.
	pb := SingleLeg(2, 0.4, 100, 98, 104)
	if math.Abs(pb.Stop-1.2) > 1e-12 || math.Abs(pb.Target-3.6) > 1e-12 {
		t.Fatalf("single leg %+v", pb)
	}
	// Put on a sell (negative delta, stop above entry): same magnitudes.
	pb = SingleLeg(2, -0.4, 100, 102, 96)
	if math.Abs(pb.Stop-1.2) > 1e-12 || math.Abs(pb.Target-3.6) > 1e-12 {
		t.Fatalf("put leg %+v", pb)
	}
	// A vertical never exceeds its width.
	net, dn, v := Vertical(3, 1, 0.6, 0.3, 2, 100, 98, 110)
	if net != 2 || math.Abs(dn-0.3) > 1e-12 || v.Target != 2 || math.Abs(v.Stop-1.4) > 1e-12 {
		t.Fatalf("vertical net %v dn %v %+v", net, dn, v)
	}
	if b, ok := MakeBracket(Sell, 100, math.NaN(), BracketParams{KStop: 1, KTarget: 2}); !ok || b.AtrEff != 0.05 || b.Stop != 100.05 || b.Target != 99.9 {
		t.Fatalf("sell bracket on the ATR floor: %+v", b)
	}
}
