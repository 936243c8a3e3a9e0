package admin

import (
	"math"
	"sort"
	"strings"
	"time"

	"sigmalab/engine/errs"
)

// RiskProfile bounds what a backtest, a signal or a leaderboard row may do.
// Fractions are of equity (0.02 = 2 %).
type RiskProfile struct {
	Name          string     `json:"name"` // conservative|balanced|aggressive
	Label         string     `json:"label"`
	PositionSize  float64    `json:"position_size"`  // fraction of equity per position
	StopLoss      float64    `json:"stop_loss"`      // fraction
	MaxPositions  int        `json:"max_positions"`  // open at once
	DailyLoss     float64    `json:"daily_loss"`     // fraction; trading stops for the day beyond it
	MinConfidence float64    `json:"min_confidence"` // probability floor of a trade
	MinTrades     int        `json:"min_trades"`     // gate: runs with fewer positions do not pass
	MinDSR        float64    `json:"min_dsr"`        // gate: deflated Sharpe at least this
	UpdatedAt     *time.Time `json:"updated_at"`
	UpdatedBy     string     `json:"updated_by,omitempty"`
}

// DefaultRiskProfiles are the three shipped profiles: sizing from the
// product's risk-profile table, gate bounds (min_trades, min_dsr) as the
// engine's backtest gate applies them (engine/lab_gate.go).
func DefaultRiskProfiles() []RiskProfile {
	return []RiskProfile{
		{Name: "aggressive", Label: "Aggressive", PositionSize: 0.10, StopLoss: 0.10, MaxPositions: 10, DailyLoss: 0.20, MinConfidence: 0.50, MinTrades: 20, MinDSR: 0.90},
		{Name: "balanced", Label: "Balanced", PositionSize: 0.05, StopLoss: 0.05, MaxPositions: 5, DailyLoss: 0.10, MinConfidence: 0.60, MinTrades: 30, MinDSR: 0.95},
		{Name: "conservative", Label: "Conservative", PositionSize: 0.02, StopLoss: 0.02, MaxPositions: 3, DailyLoss: 0.05, MinConfidence: 0.70, MinTrades: 50, MinDSR: 0.975},
	}
}

// MergeRiskProfiles puts stored edits over the defaults, sorted by name.
func MergeRiskProfiles(stored []RiskProfile) []RiskProfile {
	by := map[string]RiskProfile{}
	for _, p := range DefaultRiskProfiles() {
		by[p.Name] = p
	}
	for _, p := range stored {
		by[p.Name] = p
	}
	out := make([]RiskProfile, 0, len(by))
	for _, p := range by {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FindRiskProfile returns the profile named name (case-insensitive) among ps.
func FindRiskProfile(ps []RiskProfile, name string) (RiskProfile, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, p := range ps {
		if p.Name == n {
			return p, true
		}
	}
	return RiskProfile{}, false
}

// RiskPatch is the body of PATCH /admin/risk-profiles: the profile's name and
// the fields to change.
type RiskPatch struct {
	Name          string   `json:"name"`
	PositionSize  *float64 `json:"position_size"`
	StopLoss      *float64 `json:"stop_loss"`
	MaxPositions  *int     `json:"max_positions"`
	DailyLoss     *float64 `json:"daily_loss"`
	MinConfidence *float64 `json:"min_confidence"`
	MinTrades     *int     `json:"min_trades"`
	MinDSR        *float64 `json:"min_dsr"`
}

// Apply validates the patch and applies it to p.
func (q RiskPatch) Apply(p *RiskProfile) error {
	v := &errs.Validation{}
	frac := func(name string, src *float64, dst *float64, lo, hi float64) {
		if src == nil {
			return
		}
		if math.IsNaN(*src) || *src <= lo || *src > hi {
			v.Add("body", name, "must be a fraction in (0, 1]", "value_error")
			return
		}
		*dst = *src
	}
	count := func(name string, src *int, dst *int, lo, hi int) {
		if src == nil {
			return
		}
		if *src < lo || *src > hi {
			v.Add("body", name, "out of range", "value_error")
			return
		}
		*dst = *src
	}
	frac("position_size", q.PositionSize, &p.PositionSize, 0, 1)
	frac("stop_loss", q.StopLoss, &p.StopLoss, 0, 1)
	frac("daily_loss", q.DailyLoss, &p.DailyLoss, 0, 1)
	frac("min_confidence", q.MinConfidence, &p.MinConfidence, 0, 1)
	frac("min_dsr", q.MinDSR, &p.MinDSR, 0, 1)
	count("max_positions", q.MaxPositions, &p.MaxPositions, 1, 1000)
	count("min_trades", q.MinTrades, &p.MinTrades, 0, 1000000)
	return v.Err()
}
