package engine

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/market"
	"sigmalab/engine/options"
	"sigmalab/engine/signals"
)

// OverlayRate is the annual risk-free rate (continuous, fraction) used where
// the overlay prices a contract itself (a chain row without greeks or mid).
const OverlayRate = 0.04

// Overlay limits.
const (
	OverlayDefaultLimit = 100
	OverlayMaxLimit     = 1000
	// overlayChainLookback bounds how far before a signal a chain snapshot
	// may be taken from.
	overlayChainLookback = 4 * 24 * time.Hour
)

// OptionsOverlayRequest is the body of POST /options_overlay. Absent
// selection fields take the model policy's execution.options.selection.
type OptionsOverlayRequest struct {
	ModelID      string   `json:"model_id"`
	PackID       string   `json:"pack_id,omitempty"`
	Date         string   `json:"date,omitempty"`   // signals of this ET date; "" = the model's latest
	Expiry       string   `json:"expiry,omitempty"` // listed expiry to use
	DteTarget    *int     `json:"dte_target,omitempty"`
	OptionMode   string   `json:"option_mode,omitempty"` // single (default) | vertical
	SpreadWidth  *float64 `json:"spread_width,omitempty"`
	SideOverride string   `json:"side_override,omitempty"` // call | put
	TargetDelta  *float64 `json:"target_delta,omitempty"`
	MinOI        *float64 `json:"min_oi,omitempty"`
	Limit        int      `json:"limit,omitempty"`
	// Parity flags (default true): the underlying's first touch of the
	// signal's bracket over the time stop, and the premium's first touch of
	// the premium bracket until expiry, from stored bars.
	IncludeUnderlyingParity *bool  `json:"include_underlying_parity,omitempty"`
	IncludePremiumParity    *bool  `json:"include_premium_parity,omitempty"`
	WriteParityCSV          bool   `json:"write_parity_csv,omitempty"`
	Owner                   string `json:"owner,omitempty"` // set by the server
}

// Normalize validates the request (422 naming body fields).
func (r OptionsOverlayRequest) Normalize() (OptionsOverlayRequest, error) {
	v := &errs.Validation{}
	if r.ModelID == "" {
		v.Add("body", "model_id", "Field required", "missing")
	} else if !ValidID(r.ModelID) {
		v.Add("body", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if r.PackID != "" && !ValidID(r.PackID) {
		v.Add("body", "pack_id", "pack_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if r.Date != "" && !validDate(r.Date) {
		v.Add("body", "date", "date must be YYYY-MM-DD", "value_error.date")
	}
	if r.Expiry != "" && !validDate(r.Expiry) {
		v.Add("body", "expiry", "expiry must be YYYY-MM-DD", "value_error.date")
	}
	if r.Expiry != "" && r.Date != "" && r.Expiry < r.Date {
		v.Add("body", "expiry", "expiry is before date", "value_error")
	}
	if r.DteTarget != nil && (*r.DteTarget < 0 || *r.DteTarget > 1000) {
		v.Add("body", "dte_target", "dte_target must be 0..1000 days", "value_error.number")
	}
	switch r.OptionMode {
	case "":
		r.OptionMode = signals.ModeSingle
	case signals.ModeSingle, signals.ModeVertical:
	default:
		v.Add("body", "option_mode", "option_mode must be single or vertical", "value_error.enum")
	}
	if r.SpreadWidth != nil && !(*r.SpreadWidth > 0 && *r.SpreadWidth <= 10000) {
		v.Add("body", "spread_width", "spread_width must be > 0 (strike points)", "value_error.number")
	}
	switch r.SideOverride {
	case "", "call", "put":
	default:
		v.Add("body", "side_override", "side_override must be call or put", "value_error.enum")
	}
	if r.TargetDelta != nil && !(*r.TargetDelta > 0 && *r.TargetDelta < 1) {
		v.Add("body", "target_delta", "target_delta is an absolute delta in (0, 1)", "value_error.number")
	}
	if r.MinOI != nil && !(*r.MinOI >= 0 && *r.MinOI < 1e12) {
		v.Add("body", "min_oi", "min_oi must be ≥ 0", "value_error.number")
	}
	switch {
	case r.Limit == 0:
		r.Limit = OverlayDefaultLimit
	case r.Limit < 1 || r.Limit > OverlayMaxLimit:
		v.Add("body", "limit", fmt.Sprintf("limit must be 1..%d", OverlayMaxLimit), "value_error.number")
	}
	return r, v.Err()
}

// ParityStats counts first touches over the overlays that had bars.
type ParityStats struct {
	Trades        int      `json:"trades"`
	HitRateTarget *float64 `json:"hit_rate_target"`
	HitRateStop   *float64 `json:"hit_rate_stop"`
	Timeouts      int      `json:"timeouts"`
	// HitRate is the predecessor's name of HitRateTarget.
	HitRate *float64 `json:"hit_rate"`
}

func (p *ParityStats) add(t signals.Touch) {
	p.Trades++
	if t == signals.TouchTimeout {
		p.Timeouts++
	}
}

func (p *ParityStats) finish(target, stop int) *ParityStats {
	if p.Trades == 0 {
		return nil
	}
	p.HitRateTarget = signals.F(float64(target) / float64(p.Trades))
	p.HitRateStop = signals.F(float64(stop) / float64(p.Trades))
	p.HitRate = p.HitRateTarget
	return p
}

// OptionsOverlayResult is what POST /options_overlay returns.
type OptionsOverlayResult struct {
	ModelID       string                 `json:"model_id"`
	Date          string                 `json:"date"`
	Expiry        string                 `json:"expiry"` // of the first overlay ("" when none)
	Mode          string                 `json:"option_mode"`
	TargetDelta   float64                `json:"target_delta"`
	MinOI         float64                `json:"min_oi"`
	Signals       int                    `json:"signals"`
	Count         int                    `json:"count"`
	Written       int                    `json:"written"`
	Overlays      []signals.OptionSignal `json:"overlays"`
	Parity        *ParityStats           `json:"parity"`
	ParityPremium *ParityStats           `json:"parity_premium"`
	ParityCSV     *string                `json:"parity_csv"`
	Warnings      []string               `json:"warnings,omitempty"`
}

// OptionsOverlay chooses, for each signal of the model on the date, the
// option contract (or debit vertical) whose delta is nearest the target in
// the latest stored chain snapshot at or before the signal time, estimates
// its premium at the signal's stop and target, and stores the overlays
// (replacing earlier overlays of the same signals).
func (l *Lab) OptionsOverlay(ctx context.Context, req OptionsOverlayRequest) (OptionsOverlayResult, error) {
	req, err := req.Normalize()
	if err != nil {
		return OptionsOverlayResult{}, err
	}
	if l.Signals.Store == nil || l.Market == nil {
		return OptionsOverlayResult{}, errs.Msgf(errs.ErrNoData, "signals or market store is not available")
	}
	plan, err := l.resolvePlan(ctx, BuildRequest{ModelID: req.ModelID, PackID: req.PackID})
	if err != nil {
		return OptionsOverlayResult{}, err
	}
	sel := plan.policy.Effective().Options.Selection
	target, minOI, width := sel.TargetDelta, sel.MinOI, sel.SpreadWidth
	if req.TargetDelta != nil {
		target = *req.TargetDelta
	}
	if req.MinOI != nil {
		minOI = *req.MinOI
	}
	if req.SpreadWidth != nil {
		width = *req.SpreadWidth
	}
	dte := -1
	if req.DteTarget != nil {
		dte = *req.DteTarget
	} else if sel.DteTarget != nil {
		dte = int(math.Round(*sel.DteTarget))
	}
	rows, err := l.Signals.Store.ListSignals(ctx, SignalFilter{ModelID: req.ModelID})
	if err != nil {
		return OptionsOverlayResult{}, err
	}
	date := req.Date
	if date == "" {
		for _, s := range rows {
			if s.Side != "" && s.Date > date {
				date = s.Date
			}
		}
	}
	var sigs []signals.Signal
	for _, s := range rows {
		if s.Date == date && s.Side != "" {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return OptionsOverlayResult{}, errs.Msgf(errs.ErrNotFound, "no signals for model %s on %s; POST /signals/generate first", req.ModelID, orLatest(date))
	}
	sortSignals(sigs)
	if len(sigs) > req.Limit {
		sigs = sigs[:req.Limit]
	}
	res := OptionsOverlayResult{ModelID: req.ModelID, Date: date, Mode: req.OptionMode, TargetDelta: target, MinOI: minOI,
		Signals: len(sigs), Overlays: []signals.OptionSignal{}}
	if req.WriteParityCSV {
		res.Warnings = append(res.Warnings, "write_parity_csv is not supported: the parity figures are in the response")
	}
	under, prem := &ParityStats{}, &ParityStats{}
	var uT, uS, pT, pS int
	now := l.now()
	ids := make([]string, 0, len(sigs))
	for _, s := range sigs {
		ov, warn, err := l.overlayOne(ctx, s, req, target, minOI, width, dte)
		if err != nil {
			return res, err
		}
		if warn != "" {
			res.Warnings = append(res.Warnings, s.ID+": "+warn)
			continue
		}
		ov.Owner, ov.CreatedAt = req.Owner, now.Format(time.RFC3339)
		if boolOr(req.IncludeUnderlyingParity, true) && s.StopPx != nil && s.TargetPx != nil {
			if t, ok := l.underlyingTouch(ctx, s); ok {
				under.add(t)
				uT, uS = uT+b2i(t == signals.TouchTarget), uS+b2i(t == signals.TouchStop)
			}
		}
		if boolOr(req.IncludePremiumParity, true) && ov.StopPremiumEst != nil && ov.TargetPremiumEst != nil {
			if t, ok := l.premiumTouch(ctx, s, ov); ok {
				ov.Parity = string(t)
				prem.add(t)
				pT, pS = pT+b2i(t == signals.TouchTarget), pS+b2i(t == signals.TouchStop)
			}
		}
		ids = append(ids, s.ID)
		res.Overlays = append(res.Overlays, ov)
	}
	res.Parity, res.ParityPremium = under.finish(uT, uS), prem.finish(pT, pS)
	if len(res.Overlays) > 0 {
		res.Expiry = res.Overlays[0].Expiry
		if err := l.Signals.Store.ReplaceOptionSignals(ctx, ids, res.Overlays); err != nil {
			return res, fmt.Errorf("store option signals: %w", err)
		}
	}
	res.Count, res.Written = len(res.Overlays), len(res.Overlays)
	return res, nil
}

func orLatest(d string) string {
	if d == "" {
		return "any date"
	}
	return d
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// overlayChain is the chain of one expiry at one snapshot.
type overlayChain struct {
	asOf      int64
	expiry    string
	spot      float64
	contracts []options.Contract
}

// chainFor reads the latest snapshot of ticker at or before ts and picks
// the expiry: the requested one, else the first listed on or after
// date + dte days, else the nearest listed that has not expired at ts.
func (l *Lab) chainFor(ctx context.Context, ticker string, ts time.Time, date, expiry string, dte int) (*overlayChain, string, error) {
	to := ts.UnixMilli() + 1
	ch, err := l.Market.ReadChains(ctx, ticker, to-overlayChainLookback.Milliseconds(), to)
	if err != nil {
		return nil, "", err
	}
	if ch == nil || ch.Len() == 0 {
		return nil, fmt.Sprintf("no chain snapshot of %s in the %s before the signal", ticker, overlayChainLookback), nil
	}
	var snap int64
	for _, t := range ch.SnapTS {
		if t <= ts.UnixMilli() && t > snap {
			snap = t
		}
	}
	listed := map[string]bool{}
	for i := range ch.SnapTS {
		if ch.SnapTS[i] == snap {
			if end, ok := options.ExpiryTime(ch.Expiry[i]); ok && end > snap {
				listed[ch.Expiry[i]] = true
			}
		}
	}
	exps := make([]string, 0, len(listed))
	for e := range listed {
		exps = append(exps, e)
	}
	sort.Strings(exps)
	if len(exps) == 0 {
		return nil, "the chain snapshot lists no live expiry", nil
	}
	pick := ""
	switch {
	case expiry != "":
		if !listed[expiry] {
			return nil, fmt.Sprintf("expiry %s is not listed in the %s chain at %s (listed: %s)", expiry, ticker,
				time.UnixMilli(snap).UTC().Format(time.RFC3339), strings.Join(exps, ", ")), nil
		}
		pick = expiry
	case dte >= 0:
		d, _ := time.Parse(time.DateOnly, date)
		want := d.AddDate(0, 0, dte).Format(time.DateOnly)
		pick = exps[len(exps)-1]
		for _, e := range exps {
			if e >= want {
				pick = e
				break
			}
		}
	default:
		pick = exps[0]
	}
	oc := &overlayChain{asOf: snap, expiry: pick, spot: math.NaN()}
	for i := range ch.SnapTS {
		if ch.SnapTS[i] != snap || ch.Expiry[i] != pick {
			continue
		}
		oc.spot = ch.UnderlyingPrice[i]
		oc.contracts = append(oc.contracts, options.Contract{Strike: ch.Strike[i], Call: ch.Type[i] == 'C', Bid: ch.Bid[i],
			Ask: ch.Ask[i], IV: ch.IV[i], Delta: ch.Delta[i], Gamma: ch.Gamma[i], Theta: ch.Theta[i], Vega: ch.Vega[i],
			OI: ch.OpenInterest[i]})
	}
	return oc, "", nil
}

// overlayOne builds the overlay of one signal; warn explains a skip.
func (l *Lab) overlayOne(ctx context.Context, s signals.Signal, req OptionsOverlayRequest, target, minOI, width float64, dte int) (signals.OptionSignal, string, error) {
	call := s.Side == signals.Buy
	if req.SideOverride != "" {
		call = req.SideOverride == "call"
	}
	oc, warn, err := l.chainFor(ctx, s.Ticker, s.TS, s.Date, req.Expiry, dte)
	if err != nil || warn != "" {
		return signals.OptionSignal{}, warn, err
	}
	mk := options.Market{Spot: oc.spot, T: options.YearFrac(oc.asOf, oc.expiry), R: OverlayRate}
	cands := signals.Resolve(oc.contracts, mk)
	k := signals.ChooseContract(cands, call, target, minOI)
	if k < 0 {
		return signals.OptionSignal{}, fmt.Sprintf("no %s of %s %s with open interest ≥ %g and a delta", typeName(call), s.Ticker, oc.expiry, minOI), nil
	}
	c := cands[k]
	occ, err := market.OCCSymbol(s.Ticker, oc.expiry, typeByte(call), c.Strike)
	if err != nil {
		return signals.OptionSignal{}, err.Error(), nil
	}
	ov := signals.OptionSignal{ID: s.ID + ":" + occ, SignalID: s.ID, ModelID: s.ModelID, Ticker: s.Ticker, SignalDate: s.Date,
		Mode: req.OptionMode, OCCSymbol: occ, Expiry: oc.expiry, Strike: c.Strike, Type: typeName(call),
		Delta: signals.Fin(c.Delta), IVUsed: signals.Fin(c.IV), OpenInterest: signals.Fin(c.OI),
		EntryPremiumEst: signals.Fin(c.Mid), PricingEstimate: c.Estimated,
		ChainAsOf: time.UnixMilli(oc.asOf).UTC().Format(time.RFC3339)}
	ov.Legs = []signals.Leg{{OCCSymbol: occ, Side: "long", Type: ov.Type, Strike: c.Strike, Delta: ov.Delta, Mid: ov.EntryPremiumEst}}
	haveBr := s.EntryRefPx != nil && s.StopPx != nil && s.TargetPx != nil && !math.IsNaN(c.Mid)
	if req.OptionMode == signals.ModeSingle {
		if haveBr {
			pb := signals.SingleLeg(c.Mid, c.Delta, *s.EntryRefPx, *s.StopPx, *s.TargetPx)
			ov.StopPremiumEst, ov.TargetPremiumEst = signals.Fin(pb.Stop), signals.Fin(pb.Target)
			ov.StopValue, ov.TargetValue = ov.StopPremiumEst, ov.TargetPremiumEst
		}
		return ov, "", nil
	}
	// Debit vertical: short the contract width further out of the money.
	shortK := c.Strike + width
	if !call {
		shortK = c.Strike - width
	}
	j := signals.NearestStrike(cands, call, shortK, 0, k)
	if j < 0 || (call && cands[j].Strike <= c.Strike) || (!call && cands[j].Strike >= c.Strike) {
		return signals.OptionSignal{}, fmt.Sprintf("no short leg near strike %g for the vertical", shortK), nil
	}
	sc := cands[j]
	socc, err := market.OCCSymbol(s.Ticker, oc.expiry, typeByte(call), sc.Strike)
	if err != nil {
		return signals.OptionSignal{}, err.Error(), nil
	}
	ov.Legs = append(ov.Legs, signals.Leg{OCCSymbol: socc, Side: "short", Type: ov.Type, Strike: sc.Strike,
		Delta: signals.Fin(sc.Delta), Mid: signals.Fin(sc.Mid)})
	ov.PricingEstimate = ov.PricingEstimate || sc.Estimated
	w := math.Abs(sc.Strike - c.Strike)
	if haveBr && !math.IsNaN(sc.Mid) {
		net, dn, pb := signals.Vertical(c.Mid, sc.Mid, c.Delta, sc.Delta, w, *s.EntryRefPx, *s.StopPx, *s.TargetPx)
		ov.NetDebitCredit, ov.DeltaNet = signals.Fin(net), signals.Fin(dn)
		ov.StopValue, ov.TargetValue = signals.Fin(pb.Stop), signals.Fin(pb.Target)
		ov.EntryPremiumEst, ov.StopPremiumEst, ov.TargetPremiumEst = signals.Fin(net), ov.StopValue, ov.TargetValue
	}
	return ov, "", nil
}

func typeName(call bool) string {
	if call {
		return "call"
	}
	return "put"
}

func typeByte(call bool) byte {
	if call {
		return 'C'
	}
	return 'P'
}

// underlyingTouch walks the underlying's minute closes after the signal
// over its time stop (default 120 minutes) against its bracket.
func (l *Lab) underlyingTouch(ctx context.Context, s signals.Signal) (signals.Touch, bool) {
	mins := s.TimeStopMinutes
	if mins <= 0 {
		mins = 120
	}
	from := s.TS.UnixMilli()
	b, err := l.Market.ReadBars(ctx, s.Ticker, market.TF1m, from, from+int64(mins)*60_000)
	if err != nil || b == nil || b.Len() == 0 {
		return "", false
	}
	px := append([]float64(nil), b.Close...)
	stop, target := *s.StopPx, *s.TargetPx
	if s.Side == signals.Sell { // mirror so that "up" is the signal's way
		for i := range px {
			px[i] = -px[i]
		}
		stop, target = -stop, -target
	}
	return signals.FirstTouch(px, stop, target), true
}

// premiumTouch walks the minute closes of the overlay's contract (for a
// vertical, long minus short at the minutes both traded) from the signal
// until expiry against the premium stop and target.
func (l *Lab) premiumTouch(ctx context.Context, s signals.Signal, ov signals.OptionSignal) (signals.Touch, bool) {
	end, ok := options.ExpiryTime(ov.Expiry)
	if !ok {
		return "", false
	}
	from := s.TS.UnixMilli()
	long, err := l.Market.ReadContractBars(ctx, ov.Legs[0].OCCSymbol, from, end)
	if err != nil || long == nil || long.Len() == 0 {
		return "", false
	}
	px := append([]float64(nil), long.Close...)
	if len(ov.Legs) == 2 {
		short, err := l.Market.ReadContractBars(ctx, ov.Legs[1].OCCSymbol, from, end)
		if err != nil || short == nil || short.Len() == 0 {
			return "", false
		}
		at := make(map[int64]float64, short.Len())
		for i, t := range short.TS {
			at[t] = short.Close[i]
		}
		px = px[:0]
		for i, t := range long.TS {
			if v, ok := at[t]; ok {
				px = append(px, long.Close[i]-v)
			}
		}
		if len(px) == 0 {
			return "", false
		}
	}
	return signals.FirstTouch(px, *ov.StopPremiumEst, *ov.TargetPremiumEst), true
}

// OptionSignalQuery is GET /option_signals.
type OptionSignalQuery struct {
	SignalFilter
	Expiry, OCCSymbol string
	Limit, Offset     int
}

// OptionSignalRow is an overlay joined with its signal.
type OptionSignalRow struct {
	signals.OptionSignal
	PackID string          `json:"pack_id"`
	Side   string          `json:"side"`
	Signal *signals.Signal `json:"signal"`
}

// ListOptionSignals returns overlays joined with their signals, filtered on
// both, ordered by expiry then signal id, both descending.
func (l *Lab) ListOptionSignals(ctx context.Context, q OptionSignalQuery) ([]OptionSignalRow, int, error) {
	if l.Signals.Store == nil {
		return nil, 0, errs.Msgf(errs.ErrNoData, "signals store is not available")
	}
	ovs, err := l.Signals.Store.ListOptionSignals(ctx, OptionSignalFilter{ModelID: q.ModelID, Expiry: q.Expiry, OCCSymbol: q.OCCSymbol})
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, 0, len(ovs))
	for _, o := range ovs {
		ids = append(ids, o.SignalID)
	}
	sigs, err := l.Signals.Store.GetSignals(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]OptionSignalRow, 0, len(ovs))
	for _, o := range ovs {
		r := OptionSignalRow{OptionSignal: o}
		if s, ok := sigs[o.SignalID]; ok {
			if !q.SignalFilter.Match(s) {
				continue
			}
			r.Signal, r.PackID, r.Side = &s, s.PackID, s.Side
		} else if q.PackID != "" || q.Side != "" || q.RiskProfile != "" || q.Tag != "" ||
			!q.SignalFilter.Match(signals.Signal{ID: o.SignalID, ModelID: o.ModelID, Ticker: o.Ticker, Date: o.SignalDate}) {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Expiry != out[j].Expiry {
			return out[i].Expiry > out[j].Expiry
		}
		if out[i].SignalID != out[j].SignalID {
			return out[i].SignalID > out[j].SignalID
		}
		return out[i].OCCSymbol < out[j].OCCSymbol
	})
	total := len(out)
	lo := min(q.Offset, total)
	hi := min(lo+q.Limit, total)
	return out[lo:hi], total, nil
}
