package options

import (
	"math"
	"time"

	"sigmalab/engine/et"
)

// Conventions: S spot, K strike, T years to expiry, r continuously compounded
// risk-free rate, q continuous dividend yield, sigma annualised volatility.
// Greeks are per unit: Vega per 1.00 of volatility, Theta per year, Rho per
// 1.00 of rate (divide by 100, 365 and 100 for the quoting conventions).

// normCDF uses erfc so the far tails keep their relative precision.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normPDF(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }

func d1d2(S, K, T, r, q, sigma float64) (float64, float64) {
	sq := sigma * math.Sqrt(T)
	d1 := (math.Log(S/K) + (r-q+0.5*sigma*sigma)*T) / sq
	return d1, d1 - sq
}

func validInputs(S, K, T, sigma float64) bool {
	return S > 0 && K > 0 && T > 0 && sigma > 0 && !math.IsInf(S, 0) && !math.IsInf(K, 0) && !math.IsInf(T, 0) && !math.IsInf(sigma, 0)
}

// Price is the Black–Scholes–Merton price of a European call (call=true) or
// put. At T ≤ 0 it is the intrinsic value; at sigma ≤ 0 the discounted
// intrinsic value of the forward. NaN for non-positive S or K.
func Price(call bool, S, K, T, r, q, sigma float64) float64 {
	if !(S > 0) || !(K > 0) || math.IsNaN(T) || math.IsNaN(sigma) {
		return math.NaN()
	}
	if T <= 0 {
		if call {
			return math.Max(S-K, 0)
		}
		return math.Max(K-S, 0)
	}
	dq, dr := math.Exp(-q*T), math.Exp(-r*T)
	if sigma <= 0 {
		if call {
			return math.Max(S*dq-K*dr, 0)
		}
		return math.Max(K*dr-S*dq, 0)
	}
	d1, d2 := d1d2(S, K, T, r, q, sigma)
	if call {
		return S*dq*normCDF(d1) - K*dr*normCDF(d2)
	}
	return K*dr*normCDF(-d2) - S*dq*normCDF(-d1)
}

// Greeks are the first-order sensitivities (and gamma) of one option.
type Greeks struct {
	Delta float64 `json:"delta"`
	Gamma float64 `json:"gamma"`
	Vega  float64 `json:"vega"`  // per 1.00 volatility
	Theta float64 `json:"theta"` // per year
	Rho   float64 `json:"rho"`   // per 1.00 rate
}

// ComputeGreeks returns the Black–Scholes–Merton greeks; all NaN when an input
// is out of domain (T ≤ 0 or sigma ≤ 0 included).
func ComputeGreeks(call bool, S, K, T, r, q, sigma float64) Greeks {
	if !validInputs(S, K, T, sigma) {
		n := math.NaN()
		return Greeks{n, n, n, n, n}
	}
	d1, d2 := d1d2(S, K, T, r, q, sigma)
	dq, dr := math.Exp(-q*T), math.Exp(-r*T)
	sqT := math.Sqrt(T)
	pdf := normPDF(d1)
	g := Greeks{
		Gamma: dq * pdf / (S * sigma * sqT),
		Vega:  S * dq * pdf * sqT,
	}
	decay := -S * dq * pdf * sigma / (2 * sqT)
	if call {
		g.Delta = dq * normCDF(d1)
		g.Theta = decay - r*K*dr*normCDF(d2) + q*S*dq*normCDF(d1)
		g.Rho = K * T * dr * normCDF(d2)
	} else {
		g.Delta = -dq * normCDF(-d1)
		g.Theta = decay + r*K*dr*normCDF(-d2) - q*S*dq*normCDF(-d1)
		g.Rho = -K * T * dr * normCDF(-d2)
	}
	return g
}

// Vol bounds of the implied-volatility search.
const (
	MinVol = 1e-6
	MaxVol = 20.0
)

// ImpliedVol solves Price(call,S,K,T,r,q,σ) = price for σ in [MinVol, MaxVol]
// with a bracketed Newton iteration (a bisection step whenever Newton would
// leave the bracket or stalls), so it converges for deep in/out-of-the-money
// contracts and minutes to expiry where vega vanishes. It returns NaN when an
// input is out of domain or the price lies outside the no-arbitrage bounds
// (below the discounted intrinsic value or above the discounted spot/strike);
// a price at the intrinsic bound returns MinVol.
func ImpliedVol(call bool, price, S, K, T, r, q float64) float64 {
	if !(price >= 0) || !(S > 0) || !(K > 0) || !(T > 0) || math.IsInf(price, 0) || math.IsInf(S, 0) || math.IsInf(T, 0) {
		return math.NaN()
	}
	dq, dr := math.Exp(-q*T), math.Exp(-r*T)
	var lower, upper float64
	if call {
		lower, upper = math.Max(S*dq-K*dr, 0), S*dq
	} else {
		lower, upper = math.Max(K*dr-S*dq, 0), K*dr
	}
	tol := 1e-12 * math.Max(1, price)
	if price < lower-tol || price >= upper {
		return math.NaN()
	}
	lo, hi := MinVol, MaxVol
	flo := Price(call, S, K, T, r, q, lo) - price
	if flo >= 0 {
		return lo // the price is (numerically) the intrinsic value
	}
	fhi := Price(call, S, K, T, r, q, hi) - price
	if fhi <= 0 {
		return math.NaN()
	}
	// Brenner–Subrahmanyam start, clamped into the bracket.
	x := math.Sqrt(2*math.Pi/T) * price / S
	if !(x > lo && x < hi) {
		x = 0.3
	}
	for it := 0; it < 200; it++ {
		fx := Price(call, S, K, T, r, q, x) - price
		if fx == 0 {
			return x
		}
		if fx < 0 {
			lo = x
		} else {
			hi = x
		}
		if math.Abs(fx) <= 1e-14*math.Max(1, price) || hi-lo <= 1e-15*math.Max(1, x) {
			return x
		}
		d1, _ := d1d2(S, K, T, r, q, x)
		vega := S * dq * normPDF(d1) * math.Sqrt(T)
		nx := x - fx/vega
		if !(vega > 0) || !(nx > lo && nx < hi) || math.IsNaN(nx) {
			nx = 0.5 * (lo + hi)
		}
		x = nx
	}
	return x
}

// newYork is the zone expiries close in.
func newYork() *time.Location { return et.Location() }

// ExpiryTime is 16:00 America/New_York on expiry (YYYY-MM-DD), unix ms;
// ok is false when the date does not parse.
func ExpiryTime(expiry string) (int64, bool) {
	d, err := time.ParseInLocation("2006-01-02", expiry, newYork())
	if err != nil {
		return 0, false
	}
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 16, 0, 0, 0, newYork()).UnixMilli(), true
}

// YearFrac is the time from asOf (unix ms) to the 16:00 ET expiry in years of
// 365 days; NaN for a bad date, ≤ 0 at or after expiry.
func YearFrac(asOf int64, expiry string) float64 {
	e, ok := ExpiryTime(expiry)
	if !ok {
		return math.NaN()
	}
	return float64(e-asOf) / (365 * 86400000.0)
}
