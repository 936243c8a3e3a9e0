package signals

import (
	"math"

	"sigmalab/engine/options"
)

// Option modes of an overlay.
const (
	ModeSingle   = "single"
	ModeVertical = "vertical"
)

// Candidate is one chain contract as the overlay sees it: the chain row plus
// its delta (the chain's, else Black–Scholes at the chain IV or the IV
// implied by the mid) and its IV, both resolved by Resolve.
type Candidate struct {
	options.Contract
	Delta      float64 // signed, per share per $1 of the underlying
	IV         float64 // annualised, fraction
	Mid        float64 // premium, $ per share; NaN when unquoted
	Estimated  bool    // delta or mid came from our Black–Scholes, not the chain
	ChainIndex int     // index in the input slice
}

// Resolve fills delta, IV and mid of each contract at market m: the chain's
// delta and IV when present, else Black–Scholes greeks at the IV implied by
// the mid (options.ContractDelta / ContractIV); the mid is (bid+ask)/2, else
// the Black–Scholes price at the resolved IV (Estimated).
func Resolve(cs []options.Contract, m options.Market) []Candidate {
	out := make([]Candidate, len(cs))
	for i, c := range cs {
		cd := Candidate{Contract: c, ChainIndex: i}
		cd.IV = options.ContractIV(c, m)
		cd.Delta = options.ContractDelta(c, m)
		cd.Estimated = math.IsNaN(c.Delta) || c.Delta == 0
		cd.Mid = c.Mid()
		if math.IsNaN(cd.Mid) && cd.IV > 0 && m.T > 0 && m.Spot > 0 {
			cd.Mid = options.Price(c.Call, m.Spot, c.Strike, m.T, m.R, m.Q, cd.IV)
			cd.Estimated = true
		}
		out[i] = cd
	}
	return out
}

// ChooseContract picks the contract of the wanted type (call or put) with
// open interest ≥ minOI whose |delta| is nearest targetDelta (put deltas are
// negative; the target is an absolute delta in (0, 1)): it minimises
// (|Δ| − target)², ties broken by the lower IV, then the lower strike. It
// returns -1 when no contract qualifies (no delta, or none with the OI).
func ChooseContract(cs []Candidate, call bool, targetDelta, minOI float64) int {
	best := -1
	var bestErr, bestIV float64
	for i, c := range cs {
		if c.Call != call || math.IsNaN(c.Delta) {
			continue
		}
		oi := c.OI
		if math.IsNaN(oi) {
			oi = 0
		}
		if oi < minOI {
			continue
		}
		e := math.Abs(c.Delta) - targetDelta
		e *= e
		iv := c.IV
		if math.IsNaN(iv) {
			iv = math.Inf(1)
		}
		if best < 0 || e < bestErr || (e == bestErr && (iv < bestIV || (iv == bestIV && c.Strike < cs[best].Strike))) {
			best, bestErr, bestIV = i, e, iv
		}
	}
	return best
}

// NearestStrike returns the contract of the same type nearest strike k with
// OI ≥ minOI, excluding index skip; -1 when none.
func NearestStrike(cs []Candidate, call bool, k, minOI float64, skip int) int {
	best, bestD := -1, math.Inf(1)
	for i, c := range cs {
		if i == skip || c.Call != call || (c.OI < minOI && minOI > 0) {
			continue
		}
		if d := math.Abs(c.Strike - k); d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// PremiumBracket is the option side of a signal's underlying bracket.
type PremiumBracket struct {
	Entry, Stop, Target float64 // $ per share
}

// SingleLeg estimates the premium at the underlying's stop and target with a
// first-order (delta) move: with adverse = |entry − stop| and favourable =
// |target − entry| (underlying price units),
//
//	stop_premium   = max(0, mid − |Δ|·adverse)
//	target_premium = max(0, mid + |Δ|·favourable)
//
// which holds for calls on buy signals and puts on sell signals alike (the
// option gains when the underlying moves the signal's way).
func SingleLeg(mid, delta, entry, stop, target float64) PremiumBracket {
	d := math.Abs(delta)
	return PremiumBracket{Entry: mid, Stop: math.Max(0, mid-d*math.Abs(entry-stop)),
		Target: math.Max(0, mid+d*math.Abs(target-entry))}
}

// Vertical estimates a debit vertical (long the chosen contract, short the
// one width further out of the money): net = max(0, long_mid − short_mid),
// Δnet = |Δlong| − |Δshort|, stop_value = max(0, net − Δnet·adverse) and
// target_value = min(width, net + Δnet·favourable) — a vertical is worth at
// most its width ($ per share).
func Vertical(longMid, shortMid, longDelta, shortDelta, width, entry, stop, target float64) (net, deltaNet float64, pb PremiumBracket) {
	net = math.Max(0, longMid-shortMid)
	deltaNet = math.Abs(longDelta) - math.Abs(shortDelta)
	pb = PremiumBracket{Entry: net, Stop: math.Max(0, net-deltaNet*math.Abs(entry-stop)),
		Target: math.Min(math.Max(width, 0), net+deltaNet*math.Abs(target-entry))}
	return net, deltaNet, pb
}

// Touch is how a premium path met a bracket.
type Touch string

// Touch outcomes.
const (
	TouchTarget  Touch = "target"
	TouchStop    Touch = "stop"
	TouchTimeout Touch = "timeout"
)

// FirstTouch walks premiums (time order) and reports which of target (a
// value ≥ target) or stop (a value ≤ stop) comes first; timeout when
// neither does. NaN prices are skipped.
func FirstTouch(px []float64, stop, target float64) Touch {
	for _, p := range px {
		if math.IsNaN(p) {
			continue
		}
		if p >= target {
			return TouchTarget
		}
		if p <= stop {
			return TouchStop
		}
	}
	return TouchTimeout
}

// OptionSignal is one stored overlay row: the contract (or vertical) chosen
// for a signal and its premium estimates ($ per share).
type OptionSignal struct {
	ID               string   `json:"id"` // SignalID + ":" + OCCSymbol
	SignalID         string   `json:"signal_id"`
	ModelID          string   `json:"model_id"`
	Ticker           string   `json:"ticker"`
	SignalDate       string   `json:"signal_date"`
	Mode             string   `json:"option_mode"` // single | vertical
	OCCSymbol        string   `json:"occ_symbol"`
	Expiry           string   `json:"expiry"`
	Strike           float64  `json:"strike"`
	Type             string   `json:"type"` // call | put
	Delta            *float64 `json:"delta"`
	IVUsed           *float64 `json:"iv_used"`
	OpenInterest     *float64 `json:"open_interest"`
	EntryPremiumEst  *float64 `json:"entry_premium_est"`
	StopPremiumEst   *float64 `json:"stop_premium_est"`
	TargetPremiumEst *float64 `json:"target_premium_est"`
	PricingEstimate  bool     `json:"pricing_estimate"` // a mid or delta came from Black–Scholes, not the chain
	Legs             []Leg    `json:"legs"`
	NetDebitCredit   *float64 `json:"net_debit_credit"` // vertical: debit paid
	DeltaNet         *float64 `json:"delta_net,omitempty"`
	StopValue        *float64 `json:"stop_value"`
	TargetValue      *float64 `json:"target_value"`
	ChainAsOf        string   `json:"chain_as_of"`      // snapshot the choice was made on (RFC 3339)
	Parity           string   `json:"parity,omitempty"` // premium first touch: target | stop | timeout ("" without bars)
	Owner            string   `json:"owner,omitempty"`
	CreatedAt        string   `json:"created_at"`
}

// Leg is one leg of an overlay.
type Leg struct {
	OCCSymbol string   `json:"occ_symbol"`
	Side      string   `json:"side"` // long | short
	Type      string   `json:"type"`
	Strike    float64  `json:"strike"`
	Delta     *float64 `json:"delta"`
	Mid       *float64 `json:"mid"`
}

// Fin returns a pointer to v, or nil when v is NaN or ±Inf.
func Fin(v float64) *float64 {
	if !finite(v) {
		return nil
	}
	return &v
}
