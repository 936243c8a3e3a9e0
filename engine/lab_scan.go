package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
	"sigmalab/engine/signals"
)

// Scanner defaults (reference storage-admin §8).
const (
	ScanDefaultPack  = "swingsigma"
	ScanDefaultModel = "universe_eq_swing_daily_breakout_scanner"
	ScanDefaultTopN  = 50
	ScanMaxTickers   = 500
)

// ScanRequest is the body of POST /scan. Absent numbers take the defaults
// (epsilon 0.002, bos_min 0.25, rsi_min 55, adx_min 18, top_n 50).
type ScanRequest struct {
	PackID          string     `json:"pack_id,omitempty"`
	ModelID         string     `json:"model_id,omitempty"`
	Start           string     `json:"start"`
	End             string     `json:"end"`
	Tickers         StringList `json:"tickers"`
	TopN            int        `json:"top_n,omitempty"`
	Epsilon         *float64   `json:"epsilon,omitempty"`
	BosMin          *float64   `json:"bos_min,omitempty"`
	RSIMin          *float64   `json:"rsi_min,omitempty"`
	ADXMin          *float64   `json:"adx_min,omitempty"`
	BracketsEnabled *bool      `json:"brackets_enabled,omitempty"`
	// GatesOnly keeps only tickers that pass the gates (default true).
	GatesOnly *bool  `json:"gates_only,omitempty"`
	Tag       string `json:"tag,omitempty"`
	Owner     string `json:"owner,omitempty"` // set by the server
}

// Normalize validates the request (422 naming body fields).
func (r ScanRequest) Normalize() (ScanRequest, signals.ScanParams, error) {
	v := &errs.Validation{}
	if r.PackID == "" {
		r.PackID = ScanDefaultPack
	} else if !ValidID(r.PackID) {
		v.Add("body", "pack_id", "pack_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if r.ModelID == "" {
		r.ModelID = ScanDefaultModel
	} else if !ValidID(r.ModelID) {
		v.Add("body", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if r.Start == "" {
		v.Add("body", "start", "Field required", "missing")
	}
	if r.End == "" {
		v.Add("body", "end", "Field required", "missing")
	}
	for _, d := range [][2]string{{"start", r.Start}, {"end", r.End}} {
		if d[1] != "" && !validDate(d[1]) {
			v.Add("body", d[0], d[0]+" must be YYYY-MM-DD", "value_error.date")
		}
	}
	if validDate(r.Start) && validDate(r.End) {
		validateBuildDates(v, r.Start, r.End)
	}
	seen := map[string]bool{}
	var ts []string
	for _, t := range r.Tickers {
		t = strings.ToUpper(strings.TrimSpace(t))
		if t == "" || seen[t] {
			continue
		}
		if !signals.ValidTicker(t) {
			v.Add("body", "tickers", "not a ticker: "+t, "value_error")
			continue
		}
		seen[t] = true
		ts = append(ts, t)
	}
	if len(ts) == 0 && len(r.Tickers) == 0 {
		v.Add("body", "tickers", "Provide tickers (a list or \"SPY,AAPL\")", "missing")
	}
	if len(ts) > ScanMaxTickers {
		v.Add("body", "tickers", fmt.Sprintf("at most %d tickers", ScanMaxTickers), "value_error")
	}
	r.Tickers = ts
	switch {
	case r.TopN == 0:
		r.TopN = ScanDefaultTopN
	case r.TopN < 1 || r.TopN > ScanMaxTickers:
		v.Add("body", "top_n", fmt.Sprintf("top_n must be 1..%d", ScanMaxTickers), "value_error.number")
	}
	p := signals.ScanParams{Epsilon: 0.002, BosMin: 0.25, RSIMin: 55, ADXMin: 18}
	num := func(field string, src *float64, dst *float64, lo, hi float64) {
		if src == nil {
			return
		}
		if !(*src >= lo && *src <= hi) {
			v.Add("body", field, fmt.Sprintf("%s must be in [%g, %g]", field, lo, hi), "value_error.number")
			return
		}
		*dst = *src
	}
	num("epsilon", r.Epsilon, &p.Epsilon, 0, 1)
	num("bos_min", r.BosMin, &p.BosMin, -100, 100)
	num("rsi_min", r.RSIMin, &p.RSIMin, 0, 100)
	num("adx_min", r.ADXMin, &p.ADXMin, 0, 100)
	return r, p, v.Err()
}

// ScanResult is what POST /scan returns.
type ScanResult struct {
	ModelID  string           `json:"model_id"`
	PackID   string           `json:"pack_id"`
	Date     string           `json:"date"`    // last session scanned (the signals' date)
	Scanned  int              `json:"scanned"` // tickers with enough bars
	Passed   int              `json:"passed"`  // tickers through the gates
	Count    int              `json:"count"`   // signals stored
	Signals  []signals.Signal `json:"signals"`
	Top      []signals.Signal `json:"top"` // the first five
	Warnings []string         `json:"warnings,omitempty"`
}

// Scan runs the rule-based scanner over the tickers' stored daily bars in
// [start, end] (each ticker's last bar is read; the latest of those dates is
// the signals' date, and tickers whose last bar is older are left out),
// ranks by score_total and stores the top_n as signals.
func (l *Lab) Scan(ctx context.Context, req ScanRequest) (ScanResult, error) {
	req, p, err := req.Normalize()
	if err != nil {
		return ScanResult{}, err
	}
	if l.Market == nil || l.Signals.Store == nil {
		return ScanResult{}, errs.Msgf(errs.ErrNoData, "market or signals store is not available")
	}
	plan, err := l.resolvePlan(ctx, BuildRequest{ModelID: req.ModelID, PackID: req.PackID})
	if err != nil {
		return ScanResult{}, err
	}
	from, to := buildWindowMS(req.Start, req.End)
	res := ScanResult{ModelID: req.ModelID, PackID: plan.packID, Signals: []signals.Signal{}, Top: []signals.Signal{}}
	var in []signals.ScanInput
	last := map[string]int64{}
	for _, t := range req.Tickers {
		b, err := l.Market.ReadBars(ctx, t, market.TF1d, from, to)
		if err != nil {
			return res, fmt.Errorf("read %s daily bars: %w", t, err)
		}
		if b == nil || b.Len() < signals.ScanBarsMin {
			n := 0
			if b != nil {
				n = b.Len()
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d daily bars in the range, need %d", t, n, signals.ScanBarsMin))
			continue
		}
		in = append(in, signals.ScanInput{Ticker: t, High: b.High, Low: b.Low, Close: b.Close})
		last[t] = b.TS[b.Len()-1]
	}
	if len(in) == 0 {
		return res, errs.Msgf(errs.ErrNoData, "no data built for the tickers in %s..%s (need %d daily bars each)", req.Start, req.End, signals.ScanBarsMin)
	}
	var lastTS int64
	for _, ts := range last {
		lastTS = max(lastTS, ts)
	}
	res.Date = market.SessionDate(lastTS)
	rows := signals.Scan(in, p)
	res.Scanned = len(rows)
	eff := plan.policy.Effective()
	bp := signals.BracketParams{KStop: eff.Brackets.AtrMultStop, KTarget: eff.Brackets.AtrMultTarget,
		TimeStopMinutes: eff.Brackets.TimeStopMinutes, EntryMode: eff.Brackets.EntryMode, MinRR: eff.Brackets.MinRR}
	brackets := boolOr(req.BracketsEnabled, eff.Brackets.Enabled)
	gates := boolOr(req.GatesOnly, true)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Total > rows[j].Total })
	now := l.now()
	lin := signals.Lineage{PolicyVersion: plan.policyVersion, ConfigVersion: plan.configVersion, PackSHA: l.packSHA(plan.packID),
		ModelConfigSHA: canonicalSHA(plan.config), PolicySHA: canonicalSHA(plan.policy)}
	if set, ok := l.packIndicatorSet(plan.packID, plan.config.IndicatorSet); ok {
		lin.IndicatorSetSHA = canonicalSHA(set)
	}
	sessionEnd := time.UnixMilli(lastTS).Add(24 * time.Hour).UTC()
	if s, ok := market.SessionOn(res.Date); ok {
		sessionEnd = time.UnixMilli(s.Close).UTC()
	}
	for _, r := range rows {
		if r.Pass {
			res.Passed++
		}
		if (gates && !r.Pass) || last[r.Ticker] != lastTS || len(res.Signals) >= req.TopN {
			continue
		}
		s := signals.Signal{Date: res.Date, TS: sessionEnd, ModelID: req.ModelID, PackID: plan.packID, Ticker: r.Ticker,
			Side: signals.Buy, Source: signals.SourceScan, Owner: req.Owner, Tag: req.Tag, ScoreTotal: signals.F(r.Total),
			ScoreBreakout: signals.F(r.Breakout), ScoreMomentum: signals.F(r.Momentum),
			ScoreTrendQuality: signals.F(r.TrendQuality), ScoreAlignment: signals.F(r.Alignment),
			Lineage: lin, CreatedAt: now, UpdatedAt: now}
		s.ID = signals.Key(s.ModelID, s.Date, s.HourET, s.Ticker)
		if brackets {
			b, ok := signals.MakeBracket(signals.Buy, r.Close, r.ATR, bp)
			if ok && b.RR < bp.MinRR {
				continue
			}
			if ok {
				s.EntryMode, s.TimeStopMinutes = bp.EntryMode, bp.TimeStopMinutes
				s.EntryRefPx, s.StopPx, s.TargetPx = signals.F(b.Entry), signals.F(b.Stop), signals.F(b.Target)
				s.AtrEff, s.RR = signals.F(b.AtrEff), signals.F(b.RR)
			}
		}
		s.Rank = len(res.Signals) + 1
		res.Signals = append(res.Signals, s)
	}
	if err := l.storeSignals(ctx, res.Signals, true); err != nil {
		return res, err
	}
	res.Count = len(res.Signals)
	res.Top = res.Signals[:min(5, len(res.Signals))]
	return res, nil
}
