package market

import "math"

// Minimal Black–Scholes for the demo market (engine/options owns the full version with
// implied vol and chain analytics; the demo needs only prices and greeks and must not
// wait on it). T in years, r continuously compounded, no dividends.

type bsGreeks struct {
	price, delta, gamma, theta, vega float64 // theta per year, vega per 1.00 of vol
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normPDF(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }

// bs prices a European option; at or past expiry it returns intrinsic value.
func bs(call bool, s, k, t, r, vol float64) bsGreeks {
	if t <= 0 || vol <= 0 {
		v := math.Max(0, s-k)
		d := 0.0
		if s > k {
			d = 1
		}
		if !call {
			v = math.Max(0, k-s)
			d = d - 1
		}
		return bsGreeks{price: v, delta: d}
	}
	sq := vol * math.Sqrt(t)
	d1 := (math.Log(s/k) + (r+0.5*vol*vol)*t) / sq
	d2 := d1 - sq
	disc := math.Exp(-r * t)
	pdf := normPDF(d1)
	g := bsGreeks{gamma: pdf / (s * sq), vega: s * pdf * math.Sqrt(t)}
	if call {
		g.price = s*normCDF(d1) - k*disc*normCDF(d2)
		g.delta = normCDF(d1)
		g.theta = -s*pdf*vol/(2*math.Sqrt(t)) - r*k*disc*normCDF(d2)
	} else {
		g.price = k*disc*normCDF(-d2) - s*normCDF(-d1)
		g.delta = normCDF(d1) - 1
		g.theta = -s*pdf*vol/(2*math.Sqrt(t)) + r*k*disc*normCDF(-d2)
	}
	return g
}
