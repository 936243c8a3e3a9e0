// Package options prices European options with Black–Scholes (price, greeks,
// implied volatility) and summarises option chains (ATM IV, skew, term slope,
// IV rank, open-interest and gamma structure, max pain).
//
// It is pure math: callers (the matrix builder, the overlay, indicators) adapt
// their stored snapshots to Chain and pass them in.
package options

import (
	"fmt"
	"math"
)

// Contract is one row of an option chain snapshot. Missing numbers are NaN
// (a missing IV or greek is recomputed from the mid price where a function
// needs it). OI is open interest in contracts.
type Contract struct {
	Strike float64 `json:"strike"`
	Call   bool    `json:"call"`
	Bid    float64 `json:"bid"`
	Ask    float64 `json:"ask"`
	IV     float64 `json:"iv"`
	Delta  float64 `json:"delta"`
	Gamma  float64 `json:"gamma"`
	Theta  float64 `json:"theta"`
	Vega   float64 `json:"vega"`
	OI     float64 `json:"open_interest"`
}

// Mid is (bid+ask)/2 when both sides are quoted and sane, else NaN.
func (c Contract) Mid() float64 {
	if !(c.Bid >= 0) || !(c.Ask > 0) || c.Ask < c.Bid {
		return math.NaN()
	}
	return (c.Bid + c.Ask) / 2
}

// Chain is one snapshot of the contracts of a single expiry.
type Chain struct {
	Underlying string     `json:"underlying"`
	Expiry     string     `json:"expiry"` // YYYY-MM-DD; contracts expire at 16:00 ET that day
	AsOf       int64      `json:"as_of"`  // snapshot time, unix ms UTC
	Spot       float64    `json:"spot"`   // underlying price at AsOf; NaN/0 when unknown
	Contracts  []Contract `json:"contracts"`
}

// ContractRef names one listed contract.
type ContractRef struct {
	Underlying string
	Expiry     string // YYYY-MM-DD
	Strike     float64
	Call       bool
}

// OCC renders the OCC/Polygon option ticker, e.g. O:SPY240701C00545000.
func (r ContractRef) OCC() string {
	y, m, d := 0, 0, 0
	fmt.Sscanf(r.Expiry, "%d-%d-%d", &y, &m, &d)
	cp := "P"
	if r.Call {
		cp = "C"
	}
	return fmt.Sprintf("O:%s%02d%02d%02d%s%08d", r.Underlying, y%100, m, d, cp, int64(math.Round(r.Strike*1000)))
}
