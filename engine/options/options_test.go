package options

import (
	"math"
	"testing"
)

func TestPriceKnownValueAndParity(t *testing.T) {
	// Hull's textbook example: S=42, K=40, T=0.5, r=0.1, σ=0.2 → call 4.76, put 0.81.
	c := Price(true, 42, 40, 0.5, 0.1, 0, 0.2)
	p := Price(false, 42, 40, 0.5, 0.1, 0, 0.2)
	if math.Abs(c-4.7594) > 1e-4 || math.Abs(p-0.8086) > 1e-4 {
		t.Fatalf("call %.6f put %.6f", c, p)
	}
	for _, q := range []float64{0, 0.03} {
		S, K, T, r, s := 100.0, 95.0, 0.7, 0.04, 0.35
		lhs := Price(true, S, K, T, r, q, s) - Price(false, S, K, T, r, q, s)
		rhs := S*math.Exp(-q*T) - K*math.Exp(-r*T)
		if math.Abs(lhs-rhs) > 1e-12 {
			t.Errorf("parity q=%v: %v vs %v", q, lhs, rhs)
		}
	}
}

func TestImpliedVolRoundTrip(t *testing.T) {
	S := 100.0
	strikes := []float64{20, 50, 70, 85, 95, 100, 105, 115, 130, 160, 250}
	expiries := []float64{1.0 / (365 * 24 * 4), 1.0 / (365 * 24), 3.0 / (365 * 24), 1.0 / 365, 7.0 / 365, 30.0 / 365, 0.25, 1, 3}
	vols := []float64{0.05, 0.2, 0.6, 1.5}
	rqs := [][2]float64{{0, 0}, {0.05, 0.02}, {-0.01, 0}}
	checked := 0
	for _, K := range strikes {
		for _, T := range expiries {
			for _, sig := range vols {
				for _, rq := range rqs {
					for _, call := range []bool{true, false} {
						price := Price(call, S, K, T, rq[0], rq[1], sig)
						iv := ImpliedVol(call, price, S, K, T, rq[0], rq[1])
						if math.IsNaN(iv) {
							t.Fatalf("NaN iv call=%v K=%v T=%v σ=%v price=%g", call, K, T, sig, price)
						}
						back := Price(call, S, K, T, rq[0], rq[1], iv)
						if math.Abs(back-price) > 1e-8 {
							t.Fatalf("round trip call=%v K=%v T=%v σ=%v: price %.12g back %.12g (iv %v)", call, K, T, sig, price, back, iv)
						}
						// where the price carries information about σ, the vol itself comes back
						g := ComputeGreeks(call, S, K, T, rq[0], rq[1], sig)
						if g.Vega > 1e-3 && math.Abs(iv-sig) > 1e-6 {
							t.Fatalf("iv %v want %v (K=%v T=%v)", iv, sig, K, T)
						}
						checked++
					}
				}
			}
		}
	}
	t.Logf("%d round trips", checked)
}

func TestImpliedVolOutOfBounds(t *testing.T) {
	if !math.IsNaN(ImpliedVol(true, 0.5, 100, 50, 0.5, 0, 0)) { // below intrinsic
		t.Error("below intrinsic should be NaN")
	}
	if !math.IsNaN(ImpliedVol(true, 101, 100, 50, 0.5, 0, 0)) { // above spot
		t.Error("above spot should be NaN")
	}
	if !math.IsNaN(ImpliedVol(true, 1, 100, 100, 0, 0, 0)) {
		t.Error("T=0 should be NaN")
	}
}

func TestGreeksMatchFiniteDifferences(t *testing.T) {
	S, K, T, r, q, s := 100.0, 104.0, 0.3, 0.03, 0.01, 0.27
	for _, call := range []bool{true, false} {
		g := ComputeGreeks(call, S, K, T, r, q, s)
		pr := func(S, T, r, s float64) float64 { return Price(call, S, K, T, r, q, s) }
		h := 1e-4
		delta := (pr(S+h, T, r, s) - pr(S-h, T, r, s)) / (2 * h)
		gamma := (pr(S+h, T, r, s) - 2*pr(S, T, r, s) + pr(S-h, T, r, s)) / (h * h)
		vega := (pr(S, T, r, s+h) - pr(S, T, r, s-h)) / (2 * h)
		theta := -(pr(S, T+h, r, s) - pr(S, T-h, r, s)) / (2 * h)
		rho := (pr(S, T, r+h, s) - pr(S, T, r-h, s)) / (2 * h)
		for _, c := range []struct {
			name      string
			got, want float64
			tol       float64
		}{{"delta", g.Delta, delta, 1e-7}, {"gamma", g.Gamma, gamma, 1e-5}, {"vega", g.Vega, vega, 1e-6}, {"theta", g.Theta, theta, 1e-6}, {"rho", g.Rho, rho, 1e-6}} {
			if math.Abs(c.got-c.want) > c.tol*math.Max(1, math.Abs(c.want)) {
				t.Errorf("call=%v %s = %v, finite difference %v", call, c.name, c.got, c.want)
			}
		}
	}
}

func TestMaxPainHandExample(t *testing.T) {
	// Strikes 90/100/110. Calls OI: 90→10, 100→20, 110→50; puts OI: 90→40, 100→30, 110→5.
	// Payout at S=90:  calls 0; puts 30·10 + 5·20 = 400.
	// Payout at S=100: calls 10·10 = 100; puts 5·10 = 50 → 150.
	// Payout at S=110: calls 10·20 + 20·10 = 400; puts 0 → 400.
	ch := Chain{Contracts: []Contract{
		{Strike: 90, Call: true, OI: 10}, {Strike: 100, Call: true, OI: 20}, {Strike: 110, Call: true, OI: 50},
		{Strike: 90, OI: 40}, {Strike: 100, OI: 30}, {Strike: 110, OI: 5},
	}}
	for S, want := range map[float64]float64{90: 400, 100: 150, 110: 400} {
		if got := HolderPayout(ch, S); got != want {
			t.Errorf("payout(%v) = %v want %v", S, got, want)
		}
	}
	if mp := MaxPain(ch); mp != 100 {
		t.Fatalf("max pain %v want 100", mp)
	}
	if pk := PeakStrike(OIByStrike(ch)); pk != 110 { // 55 vs 50 vs 50
		t.Fatalf("oi peak %v want 110", pk)
	}
	if r := PutCallOIRatio(ch); math.Abs(r-75.0/80) > 1e-9 {
		t.Fatalf("pcr %v", r)
	}
	// shares 55/155, 50/155, 50/155; top-2 HHI
	want := (55.0*55 + 50*50) / (155.0 * 155)
	if h := Concentration(OIByStrike(ch), 2); math.Abs(h-want) > 1e-12 {
		t.Fatalf("hhi %v want %v", h, want)
	}
	if s := SkewAround(OIByStrike(ch), 100); math.Abs(s-(55.0-50)/(105+1e-9)) > 1e-12 {
		t.Fatalf("skew %v", s)
	}
}

func TestChainIVFromMidAndSkew(t *testing.T) {
	m := Market{Spot: 100, T: 30.0 / 365, R: 0.02}
	var ch Chain
	smile := func(K float64) float64 { return 0.2 + 0.4*math.Pow(math.Log(K/100), 2) - 0.1*math.Log(K/100) }
	for K := 80.0; K <= 120; K += 1 {
		for _, call := range []bool{true, false} {
			p := Price(call, 100, K, m.T, m.R, 0, smile(K))
			ch.Contracts = append(ch.Contracts, Contract{Strike: K, Call: call, Bid: p, Ask: p, IV: math.NaN(), Delta: math.NaN(), Gamma: math.NaN(), OI: 100})
		}
	}
	if iv := ATMIV(ch, m, Both); math.Abs(iv-smile(100)) > 1e-8 {
		t.Fatalf("atm iv %v want %v", iv, smile(100))
	}
	// put skew: OTM puts (low K) richer than OTM calls → negative risk reversal
	if s := Skew25Delta(ch, m); !(s < 0) {
		t.Fatalf("skew %v, want negative", s)
	}
	if g := PeakStrike(GammaByStrike(ch, m)); math.Abs(g-100) > 1 {
		t.Fatalf("gamma peak %v", g)
	}
}

func TestOCCAndYearFrac(t *testing.T) {
	r := ContractRef{Underlying: "SPY", Expiry: "2024-07-01", Strike: 545, Call: true}
	if r.OCC() != "O:SPY240701C00545000" {
		t.Fatal(r.OCC())
	}
	// 2024-07-01 15:00 ET (EDT = UTC−4) is 19:00 UTC; one hour to expiry.
	asOf := int64(1719860400000)
	if y := YearFrac(asOf, "2024-07-01"); math.Abs(y-1.0/(365*24)) > 1e-12 {
		t.Fatalf("yearfrac %v", y)
	}
}
