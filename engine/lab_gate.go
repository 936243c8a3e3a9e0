package engine

import (
	"context"
	"fmt"
	"math"

	"sigmalab/engine/backtest"
	"sigmalab/engine/policy"
	"sigmalab/engine/stats"
)

// GateBounds are what a run needs to pass the gate: enough positions for its
// statistics to mean something, and a deflated Sharpe (probability that the
// skill is real after counting every trial on the same model and matrix) of
// at least MinDSR.
type GateBounds struct {
	MinTrades int     `json:"min_trades"`
	MinDSR    float64 `json:"min_dsr"`
}

// DefaultGate is the gate of the balanced profile (and of runs without one).
var DefaultGate = GateBounds{MinTrades: 30, MinDSR: 0.95}

// riskProfileGates are the built-in risk profiles' gates: conservative asks
// more evidence, aggressive less.
var riskProfileGates = map[string]GateBounds{
	"conservative": {MinTrades: 50, MinDSR: 0.975},
	"balanced":     DefaultGate,
	"aggressive":   {MinTrades: 20, MinDSR: 0.90},
}

// gateBounds resolves the gate of a run: the risk profile's (balanced when
// none or unknown), overridden by the policy's risk.min_trades and
// risk.min_dsr when set.
func gateBounds(pol policy.Policy, profile string) GateBounds {
	g, ok := riskProfileGates[profile]
	if !ok {
		g = DefaultGate
	}
	if r := pol.Risk; r != nil {
		if r.MinTrades != nil && *r.MinTrades >= 0 {
			g.MinTrades = *r.MinTrades
		}
		if r.MinDSR != nil && *r.MinDSR >= 0 && *r.MinDSR <= 1 {
			g.MinDSR = *r.MinDSR
		}
	}
	return g
}

// gate is the one gate of backtests and sweep cells: minimum positions,
// deflated Sharpe at least the bound, and the policy's drawdown and exposure
// limits (risk.max_drawdown, risk.max_exposure) when set.
func gate(m backtest.Metrics, pol policy.Policy, profile string) Gate {
	b := gateBounds(pol, profile)
	g := Gate{Reasons: []string{}, MinTrades: b.MinTrades, MinDSR: b.MinDSR}
	if m.Trades < b.MinTrades {
		g.Reasons = append(g.Reasons, fmt.Sprintf("trades %d < min_trades %d", m.Trades, b.MinTrades))
	}
	switch {
	case m.DSR == nil:
		g.Reasons = append(g.Reasons, "dsr not computed")
	case *m.DSR < b.MinDSR:
		g.Reasons = append(g.Reasons, fmt.Sprintf("dsr %.3f < min_dsr %.3f (n_trials %d): probably luck", *m.DSR, b.MinDSR, m.NTrials))
	}
	if r := pol.Risk; r != nil {
		if md := r.MaxDrawdown; md != nil && *md > 0 && -m.MaxDD > *md {
			g.Reasons = append(g.Reasons, fmt.Sprintf("max_dd %.4f beyond risk.max_drawdown %.4f", m.MaxDD, *md))
		}
		if me := r.MaxExposure; me != nil && *me > 0 && m.Exposure > *me {
			g.Reasons = append(g.Reasons, fmt.Sprintf("exposure %.4f beyond risk.max_exposure %.4f", m.Exposure, *me))
		}
	}
	g.Pass = len(g.Reasons) == 0
	return g
}

// Trials are the earlier attempts a new result is deflated against: saved
// runs (backtests and sweep cells) on the same model and matrix build.
type Trials struct {
	Count   int
	Sharpes []float64 // their per-period Sharpe ratios, where known
}

// priorTrials counts the saved runs on model and build, leaving out the
// cells of sweep excludeSweep (a resumed sweep's own cells are counted in
// its grid already).
func (l *Lab) priorTrials(ctx context.Context, model, build string, excludeSweep int64) (Trials, error) {
	var t Trials
	if l.Backtests == nil {
		return t, nil
	}
	const page = 500
	for off := 0; ; off += page {
		runs, _, err := l.Backtests.Leaderboard(ctx, LeaderboardQuery{ModelID: model, OrderBy: OrderCreatedAt, Limit: page, Offset: off})
		if err != nil {
			return t, err
		}
		for _, r := range runs {
			if r.BuildID != build || (excludeSweep > 0 && r.SweepID == excludeSweep) {
				continue
			}
			t.Count++
			if r.BestSharpeHourly != nil && !math.IsNaN(*r.BestSharpeHourly) {
				t.Sharpes = append(t.Sharpes, *r.BestSharpeHourly)
			}
		}
		if len(runs) < page {
			return t, nil
		}
	}
}

// deflate sets m's DSR for nTrials trials whose Sharpe ratios are srs: the
// Sharpe expected of the best of nTrials unskilled trials uses the variance
// of the trials' Sharpe ratios, floored at 1/(n−1), the variance of one
// Sharpe estimate of n periods under the iid null (the trials of one model
// and matrix are strongly correlated, so their spread alone would
// under-deflate).
func deflate(m *backtest.Metrics, nTrials int, srs []float64) {
	nTrials = max(nTrials, 1)
	m.NTrials = nTrials
	d := 0.0
	if m.Rows >= 2 {
		v := stats.TrialVariance(srs, m.Rows)
		if math.IsNaN(v) {
			v = 1 / float64(m.Rows-1)
		}
		d = stats.DSR(m.SharpeHourly, m.Rows, m.Skew, m.Kurtosis, nTrials, v)
		if math.IsNaN(d) {
			d = 0
		}
	}
	m.DSR = &d
}
