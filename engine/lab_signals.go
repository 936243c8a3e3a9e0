package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"sigmalab/engine/errs"
	"sigmalab/engine/et"
	"sigmalab/engine/jobs"
	"sigmalab/engine/market"
	"sigmalab/engine/matrix"
	"sigmalab/engine/signals"
)

// The live side (SPEC §5.6): a trained model's latest rows become signals
// (POST /signals/generate), the rule-based scanner makes signals from daily
// bars (POST /scan, lab_scan.go), execution logs attach fills and P&L to
// them (POST /signals/import), and the live metrics are computed over the
// stored rows (GET /signals/summary, /signals/leaderboard,
// /models/{id}/performance). Options overlays are in lab_overlay.go.

// SignalStore is the port for signal and option-signal rows (bbolt buckets
// signals, option_signals, idx_signals_by_model).
type SignalStore interface {
	// UpsertSignals stores rows under their ID (date, hour, model, ticker),
	// replacing existing rows, in one transaction, and returns the store's
	// write sequence after it (the signals index records it).
	UpsertSignals(ctx context.Context, rows []signals.Signal) (uint64, error)
	// GetSignals returns the stored rows among ids (absent ids are skipped).
	GetSignals(ctx context.Context, ids []string) (map[string]signals.Signal, error)
	// ListSignals returns every row matching f (unordered).
	ListSignals(ctx context.Context, f SignalFilter) ([]signals.Signal, error)
	// ForEachSignal streams every stored row (index rebuilds) with the
	// sequence of the snapshot it read.
	ForEachSignal(ctx context.Context, fn func(signals.Signal) error) (uint64, error)
	// ReplaceOptionSignals deletes the option rows of each signal in
	// signalIDs and stores rows, in one transaction.
	ReplaceOptionSignals(ctx context.Context, signalIDs []string, rows []signals.OptionSignal) error
	// ListOptionSignals returns every option row matching f (unordered).
	ListOptionSignals(ctx context.Context, f OptionSignalFilter) ([]signals.OptionSignal, error)
}

// SignalIndex is the full-text index of signals (Bleve). It is derived data:
// the store is the truth, and the index is rebuilt from it when it is
// missing, corrupt or behind (its recorded sequence differs).
type SignalIndex interface {
	// IndexSignals adds or replaces rows in batches and records seq.
	IndexSignals(ctx context.Context, rows []signals.Signal, seq uint64) error
	// SearchSignals returns the ids of the rows matching q (at most max).
	SearchSignals(ctx context.Context, q string, max int) ([]string, error)
}

// SignalPorts are the Lab's live-side ports; a nil Store makes the signal
// routes answer no_data.
type SignalPorts struct {
	Store SignalStore
	Index SignalIndex
}

// SignalFilter selects signal rows; empty fields match everything. Dates are
// ET session dates, Start and End both inclusive.
type SignalFilter struct {
	ModelID     string
	PackID      string
	Tickers     []string
	Side        string
	Date        string
	Start, End  string
	RiskProfile string
	Tag         string
	Source      string
	Owner       string
	IDs         []string // restrict to these ids (full-text search hits)
}

// Match reports whether s passes f (the store and the engine share it).
func (f SignalFilter) Match(s signals.Signal) bool {
	if (f.ModelID != "" && s.ModelID != f.ModelID) || (f.PackID != "" && s.PackID != f.PackID) ||
		(f.Side != "" && s.Side != f.Side) || (f.RiskProfile != "" && s.RiskProfile != f.RiskProfile) ||
		(f.Tag != "" && s.Tag != f.Tag) || (f.Source != "" && s.Source != f.Source) ||
		(f.Owner != "" && s.Owner != f.Owner) || (f.Date != "" && s.Date != f.Date) ||
		!signals.InWindow(s.Date, f.Start, f.End) {
		return false
	}
	if len(f.Tickers) > 0 && !contains(f.Tickers, s.Ticker) {
		return false
	}
	if f.IDs != nil && !contains(f.IDs, s.ID) {
		return false
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// OptionSignalFilter selects option rows.
type OptionSignalFilter struct {
	ModelID   string
	SignalIDs []string
	Expiry    string
	OCCSymbol string
}

// SignalsGenerateJobKind is the job kind of asynchronous generations.
const SignalsGenerateJobKind = "signals_generate"

// Generation defaults.
const (
	SignalsDefaultThreshold = 0.5
	SignalsDefaultTopN      = 50
	SignalsMaxTopN          = 10_000
	signalsMaxSearch        = 100_000
)

// GenerateSignalsRequest is the body of POST /signals/generate.
type GenerateSignalsRequest struct {
	ModelID string `json:"model_id"`
	PackID  string `json:"pack_id,omitempty"`
	BuildID string `json:"build_id,omitempty"` // stored matrix build; "" = latest
	// Start and End (ET dates, both or neither) build a fresh matrix for the
	// range and score its last session (or Date) instead of a stored build.
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	// Date scores the rows of this session; "" = the latest session of the matrix.
	Date string `json:"date,omitempty"`
	// Mode threshold (default) keeps rows whose confidence ≥ Threshold;
	// top_n keeps the TopN most confident. TopN also caps threshold mode.
	Mode      string   `json:"mode,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
	TopN      int      `json:"top_n,omitempty"`
	Tag       string   `json:"tag,omitempty"`
	Async     bool     `json:"async,omitempty"`
	// Owner is set by the server from the authenticated caller.
	Owner string `json:"owner,omitempty"`
}

// Normalize validates the request and fills defaults (422 naming body fields).
func (r GenerateSignalsRequest) Normalize() (GenerateSignalsRequest, error) {
	v := &errs.Validation{}
	r.ModelID = strings.TrimSpace(r.ModelID)
	if r.ModelID == "" {
		v.Add("body", "model_id", "Field required", "missing")
	} else if !ValidID(r.ModelID) {
		v.Add("body", "model_id", "model_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if r.PackID != "" && !ValidID(r.PackID) {
		v.Add("body", "pack_id", "pack_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if r.BuildID != "" && r.BuildID != "latest" && !ValidID(r.BuildID) {
		v.Add("body", "build_id", "build_id must match ^[a-z0-9][a-z0-9_-]{0,63}$", "value_error")
	}
	if (r.Start == "") != (r.End == "") {
		v.Add("body", "start", "start and end go together (a date range to build)", "value_error")
	} else if r.Start != "" {
		validateBuildDates(v, r.Start, r.End)
		if r.BuildID != "" {
			v.Add("body", "build_id", "give build_id or start/end, not both", "value_error")
		}
	}
	if r.Date != "" && !validDate(r.Date) {
		v.Add("body", "date", "date must be YYYY-MM-DD", "value_error.date")
	}
	switch r.Mode {
	case "":
		r.Mode = signals.SelectThreshold
	case signals.SelectThreshold, signals.SelectTopN:
	default:
		v.Add("body", "mode", "mode must be threshold or top_n", "value_error.enum")
	}
	if r.Threshold == nil {
		t := SignalsDefaultThreshold
		r.Threshold = &t
	} else if !(*r.Threshold >= 0 && *r.Threshold <= 1) {
		v.Add("body", "threshold", "threshold is a probability in [0, 1]", "value_error.number")
	}
	switch {
	case r.TopN == 0:
		r.TopN = SignalsDefaultTopN
	case r.TopN < 1 || r.TopN > SignalsMaxTopN:
		v.Add("body", "top_n", fmt.Sprintf("top_n must be 1..%d", SignalsMaxTopN), "value_error.number")
	}
	if len(r.Tag) > 64 {
		v.Add("body", "tag", "tag is at most 64 characters", "value_error")
	}
	return r, v.Err()
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// GenerateSignalsResult is what POST /signals/generate returns.
type GenerateSignalsResult struct {
	ModelID   string           `json:"model_id"`
	PackID    string           `json:"pack_id"`
	BuildID   string           `json:"build_id"`
	Date      string           `json:"date"`   // session scored
	Scored    int              `json:"scored"` // rows scored
	Skipped   int              `json:"skipped_unobservable"`
	Count     int              `json:"count"` // signals stored
	Mode      string           `json:"mode"`
	Threshold float64          `json:"threshold"`
	TopN      int              `json:"top_n"`
	Signals   []signals.Signal `json:"signals"`
	Lineage   signals.Lineage  `json:"lineage"`
	Warnings  []string         `json:"warnings,omitempty"`
}

// GenerateSignalsJob runs GenerateSignals as a background job.
func (l *Lab) GenerateSignalsJob(ctx context.Context, t *jobs.Task, req GenerateSignalsRequest) (any, error) {
	t.Progress(0.1, "scoring")
	return l.GenerateSignals(ctx, req)
}

// GenerateSignals scores the rows of one session of the model's matrix with
// its latest trained model, keeps the confident ones (threshold or top-n),
// attaches the policy's ATR brackets, drops rows below min_rr, and upserts
// the signals with their lineage. Rows whose bar has not closed at the
// Lab's clock (features not yet observable) are never scored.
func (l *Lab) GenerateSignals(ctx context.Context, req GenerateSignalsRequest) (GenerateSignalsResult, error) {
	req, err := req.Normalize()
	if err != nil {
		return GenerateSignalsResult{}, err
	}
	if l.Signals.Store == nil {
		return GenerateSignalsResult{}, errs.Msgf(errs.ErrNoData, "signals store is not available")
	}
	plan, err := l.resolvePlan(ctx, BuildRequest{ModelID: req.ModelID, PackID: req.PackID})
	if err != nil {
		return GenerateSignalsResult{}, err
	}
	tm, run, err := l.latestTrainedModel(ctx, req.ModelID)
	if err != nil {
		return GenerateSignalsResult{}, err
	}
	buildID := req.BuildID
	if req.Start != "" {
		b, err := l.BuildMatrix(ctx, BuildRequest{ModelID: req.ModelID, PackID: plan.packID, Start: req.Start, End: req.End, Tag: "signals"})
		if err != nil {
			return GenerateSignalsResult{}, err
		}
		buildID = b.BuildID
	}
	m, buildID, err := l.LoadMatrix(ctx, req.ModelID, buildID)
	if err != nil {
		return GenerateSignalsResult{}, err
	}
	now := l.now()
	period := time.Hour
	if plan.cadence == "daily" {
		period = 24 * time.Hour
	}
	// Rows of the chosen session whose bar has closed by now.
	date := req.Date
	var rows []int
	skipped := 0
	for i := m.Len() - 1; i >= 0; i-- {
		if time.UnixMilli(m.TS[i]).Add(period).After(now) {
			skipped++
			continue
		}
		if date == "" {
			date = m.Date[i]
		}
		if m.Date[i] == date {
			rows = append(rows, i)
		} else if m.Date[i] < date {
			break
		}
	}
	sort.Ints(rows)
	res := GenerateSignalsResult{ModelID: req.ModelID, PackID: plan.packID, BuildID: buildID, Date: date,
		Scored: len(rows), Skipped: skipped, Mode: req.Mode, Threshold: *req.Threshold, TopN: req.TopN, Signals: []signals.Signal{}}
	res.Lineage = signals.Lineage{ArtifactID: run.ArtifactID, TrainingRunID: run.ID, BuildID: buildID, MatrixSHA: m.Hash(),
		PolicyVersion: plan.policyVersion, ConfigVersion: plan.configVersion, IndicatorSetSHA: m.Meta["indicator_set_sha"],
		ModelConfigSHA: canonicalSHA(plan.config), PolicySHA: canonicalSHA(plan.policy), PackSHA: l.packSHA(plan.packID)}
	if len(rows) == 0 {
		res.Warnings = append(res.Warnings, "no observable rows to score in the matrix"+dateNote(req.Date))
		return res, nil
	}
	cols := make([][]float64, len(tm.Features))
	for j, name := range tm.Features {
		c := featureColumn(m, name)
		if c == nil {
			return res, errs.Msgf(errs.ErrInvalid, "matrix %s lacks feature %q of the trained model %s; rebuild the matrix or retrain", buildID, name, run.ArtifactID)
		}
		sub := make([]float64, len(rows))
		for k, i := range rows {
			sub[k] = c[i]
		}
		cols[j] = sub
	}
	probs := tm.PredictCols(cols)
	up, down := classIndex(tm.Classes, matrix.ClassUp), classIndex(tm.Classes, matrix.ClassDown)
	if up < 0 && down < 0 {
		return res, errs.Msgf(errs.ErrInvalid, "model %s predicts %v: no UP or DOWN class to signal", run.ArtifactID, tm.Classes)
	}
	cands := make([]signals.Scored, 0, len(rows))
	for k := range rows {
		sc := signals.Scored{Row: k, Confidence: math.NaN()}
		if up >= 0 && probs[up][k] >= valueAt(probs, down, k) {
			sc.Label, sc.Side, sc.Confidence = matrix.ClassUp, signals.Buy, probs[up][k]
		} else if down >= 0 {
			sc.Label, sc.Side, sc.Confidence = matrix.ClassDown, signals.Sell, probs[down][k]
		}
		cands = append(cands, sc)
	}
	kept := signals.Select(cands, req.Mode, *req.Threshold, req.TopN)
	eff := plan.policy.Effective()
	bp := signals.BracketParams{KStop: eff.Brackets.AtrMultStop, KTarget: eff.Brackets.AtrMultTarget,
		TimeStopMinutes: eff.Brackets.TimeStopMinutes, EntryMode: eff.Brackets.EntryMode, MinRR: eff.Brackets.MinRR}
	closeCol := m.Col(matrix.CloseCol)
	ticker := plan.ticker
	if ticker == "" {
		ticker = m.Meta["ticker"]
	}
	droppedRR := 0
	out := make([]signals.Signal, 0, len(kept))
	for _, sc := range kept {
		i := rows[sc.Row]
		ts := time.UnixMilli(m.TS[i]).Add(period).UTC()
		s := signals.Signal{Date: m.Date[i], HourET: int(m.HourET[i]), TS: ts, ModelID: req.ModelID, PackID: plan.packID,
			Ticker: strings.ToUpper(ticker), Side: sc.Side, Source: signals.SourceModel, Owner: req.Owner, Tag: req.Tag,
			PredictedLabel: sc.Label, Confidence: signals.F(sc.Confidence), ScoreTotal: signals.F(sc.Confidence),
			Lineage: res.Lineage, CreatedAt: now, UpdatedAt: now}
		s.ID = signals.Key(s.ModelID, s.Date, s.HourET, s.Ticker)
		if closeCol != nil && eff.Brackets.Enabled {
			atr := l.signalATR(ctx, m, i, s.Ticker, plan.cadence, eff.Brackets.AtrPeriod, period)
			if b, ok := signals.MakeBracket(s.Side, closeCol[i], atr, bp); ok {
				if b.RR < bp.MinRR {
					droppedRR++
					continue
				}
				s.EntryMode, s.TimeStopMinutes = bp.EntryMode, bp.TimeStopMinutes
				s.EntryRefPx, s.StopPx, s.TargetPx = signals.F(b.Entry), signals.F(b.Stop), signals.F(b.Target)
				s.AtrEff, s.RR = signals.F(b.AtrEff), signals.F(b.RR)
			}
		}
		out = append(out, s)
	}
	for k := range out {
		out[k].Rank = k + 1
	}
	if droppedRR > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d signal(s) dropped: rr below the policy's min_rr %g", droppedRR, bp.MinRR))
	}
	if closeCol == nil {
		res.Warnings = append(res.Warnings, "matrix has no close column: signals carry no brackets")
	}
	if err := l.storeSignals(ctx, out, true); err != nil {
		return res, err
	}
	res.Signals, res.Count = out, len(out)
	return res, nil
}

func dateNote(d string) string {
	if d == "" {
		return ""
	}
	return " on " + d
}

func classIndex(classes []string, c string) int {
	for i, x := range classes {
		if x == c {
			return i
		}
	}
	return -1
}

func valueAt(p [][]float64, j, k int) float64 {
	if j < 0 {
		return math.Inf(-1)
	}
	return p[j][k]
}

// packSHA hashes the built-in pack's manifest ("" for user packs).
func (l *Lab) packSHA(packID string) string {
	if l.PacksFS == nil {
		return ""
	}
	if b, err := fs.ReadFile(l.PacksFS, packID+"/pack.yaml"); err == nil {
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	return ""
}

// latestTrainedModel loads the newest completed training of the model.
func (l *Lab) latestTrainedModel(ctx context.Context, modelID string) (*TrainedModel, TrainingRun, error) {
	if l.TrainingRuns == nil || l.ArtifactRegistry == nil {
		return nil, TrainingRun{}, errs.Msgf(errs.ErrNoData, "no trained models are available")
	}
	runs, _, err := l.TrainingRuns.ListTrainingRuns(ctx, TrainingRunFilter{ModelID: modelID, Status: TrainCompleted}, 0, 1)
	if err != nil {
		return nil, TrainingRun{}, err
	}
	if len(runs) == 0 || runs[0].ArtifactID == "" {
		return nil, TrainingRun{}, errs.Msgf(errs.ErrNotFound, "model %s has no completed training; POST /train first", modelID)
	}
	_, b, err := l.ArtifactRegistry.GetArtifact(ctx, runs[0].ArtifactID)
	if err != nil {
		return nil, TrainingRun{}, fmt.Errorf("load model artifact %s: %w", runs[0].ArtifactID, err)
	}
	tm, err := DecodeTrainedModel(b)
	if err != nil {
		return nil, TrainingRun{}, fmt.Errorf("decode model artifact %s: %w", runs[0].ArtifactID, err)
	}
	return tm, runs[0], nil
}

// signalATR is the ATR at matrix row i: an atr_<period> (or atr) column
// when the matrix has one, else Wilder's ATR over the stored bars of the
// model's cadence that closed by the row's end (never a later bar).
func (l *Lab) signalATR(ctx context.Context, m *matrix.Matrix, i int, ticker, cadence string, atrPeriod int, period time.Duration) float64 {
	for _, name := range []string{fmt.Sprintf("atr_%d", atrPeriod), "atr"} {
		if c := m.Col(name); c != nil && !math.IsNaN(c[i]) {
			return c[i]
		}
	}
	if l.Market == nil || ticker == "" {
		return math.NaN()
	}
	tf := market.TF1h
	if cadence == "daily" {
		tf = market.TF1d
	}
	end := m.TS[i] + period.Milliseconds()
	from := m.TS[i] - int64(atrPeriod*6+10)*period.Milliseconds()
	b, err := l.Market.ReadBars(ctx, ticker, tf, from, end)
	if err != nil || b == nil || b.Len() == 0 {
		return math.NaN()
	}
	n := b.Len()
	for n > 0 && b.TS[n-1]+period.Milliseconds() > end {
		n--
	}
	return signals.WilderATR(b.High[:n], b.Low[:n], b.Close[:n], atrPeriod)
}

// storeSignals upserts rows, merging with stored rows of the same key:
// a regenerated signal keeps the execution an earlier import attached, and
// (merge=false, imports) the caller has already merged. The index follows
// the store; if it fails, the next open rebuilds it (its sequence lags).
func (l *Lab) storeSignals(ctx context.Context, rows []signals.Signal, keepExecution bool) error {
	if len(rows) == 0 {
		return nil
	}
	if keepExecution {
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		old, err := l.Signals.Store.GetSignals(ctx, ids)
		if err != nil {
			return err
		}
		for i := range rows {
			if o, ok := old[rows[i].ID]; ok {
				rows[i].CreatedAt = o.CreatedAt
				if o.Executed() {
					signals.MergeExecution(&rows[i], o)
				}
			}
		}
	}
	seq, err := l.Signals.Store.UpsertSignals(ctx, rows)
	if err != nil {
		return fmt.Errorf("store signals: %w", err)
	}
	if l.Signals.Index != nil {
		if err := l.Signals.Index.IndexSignals(ctx, rows, seq); err != nil {
			l.logger().Error("index signals (rebuilt at next open)", "err", err)
		}
	}
	return nil
}

// SignalQuery is GET /signals: a filter, full text and a page.
type SignalQuery struct {
	SignalFilter
	Q             string
	Limit, Offset int
}

// SignalPage is one page of signals, newest first.
type SignalPage struct {
	Rows  []signals.Signal
	Total int
}

// ListSignals returns the rows matching q ordered by date, hour (newest
// first), then rank and ticker; q.Q narrows them through the full-text index.
func (l *Lab) ListSignals(ctx context.Context, q SignalQuery) (SignalPage, error) {
	rows, err := l.findSignals(ctx, q.SignalFilter, q.Q)
	if err != nil {
		return SignalPage{}, err
	}
	sortSignals(rows)
	lo := min(q.Offset, len(rows))
	hi := min(lo+q.Limit, len(rows))
	return SignalPage{Rows: rows[lo:hi], Total: len(rows)}, nil
}

func (l *Lab) findSignals(ctx context.Context, f SignalFilter, q string) ([]signals.Signal, error) {
	if l.Signals.Store == nil {
		return nil, errs.Msgf(errs.ErrNoData, "signals store is not available")
	}
	if strings.TrimSpace(q) != "" {
		if l.Signals.Index == nil {
			return nil, errs.Msgf(errs.ErrNoData, "signals index is not available")
		}
		ids, err := l.Signals.Index.SearchSignals(ctx, q, signalsMaxSearch)
		if err != nil {
			return nil, err
		}
		if ids == nil {
			ids = []string{}
		}
		f.IDs = ids
	}
	return l.Signals.Store.ListSignals(ctx, f)
}

func sortSignals(rows []signals.Signal) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Date != b.Date {
			return a.Date > b.Date
		}
		if a.HourET != b.HourET {
			return a.HourET > b.HourET
		}
		ra, rb := rankKey(a.Rank), rankKey(b.Rank)
		if ra != rb {
			return ra < rb
		}
		if a.ModelID != b.ModelID {
			return a.ModelID < b.ModelID
		}
		return a.Ticker < b.Ticker
	})
}

func rankKey(r int) int {
	if r <= 0 {
		return math.MaxInt
	}
	return r
}

// Period is a metrics window (ET dates, both inclusive; "" = open).
type Period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// SignalsSummary is GET /signals/summary.
type SignalsSummary struct {
	ModelID     string          `json:"model_id"`
	RiskProfile string          `json:"risk_profile"`
	Period      Period          `json:"period"`
	Metrics     signals.Metrics `json:"metrics"`
}

// SummarizeSignals computes the live metrics of the rows matching f.
func (l *Lab) SummarizeSignals(ctx context.Context, f SignalFilter) (SignalsSummary, error) {
	rows, err := l.findSignals(ctx, f, "")
	if err != nil {
		return SignalsSummary{}, err
	}
	sortChrono(rows)
	return SignalsSummary{ModelID: f.ModelID, RiskProfile: f.RiskProfile, Period: Period{f.Start, f.End},
		Metrics: signals.Compute(rows, l.now())}, nil
}

// sortChrono orders rows by time (the equity curve's order).
func sortChrono(rows []signals.Signal) {
	sort.SliceStable(rows, func(i, j int) bool {
		ti, tj := rowTime(rows[i]), rowTime(rows[j])
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return rows[i].ID < rows[j].ID
	})
}

func rowTime(s signals.Signal) time.Time {
	if s.ExecTS != nil {
		return *s.ExecTS
	}
	return s.TS
}

// SignalLeaderRow is one model of GET /signals/leaderboard.
type SignalLeaderRow struct {
	ModelID     string          `json:"model_id"`
	PackID      string          `json:"pack_id"`
	RiskProfile string          `json:"risk_profile"`
	Period      Period          `json:"period"`
	Metrics     signals.Metrics `json:"metrics"`
	Lineage     signals.Lineage `json:"lineage"` // of the model's newest row
}

// SignalsLeaderboard ranks models by the live metrics of their rows in the
// window: sharpe descending (null last), then cum_return, then model id.
func (l *Lab) SignalsLeaderboard(ctx context.Context, f SignalFilter, limit, offset int) ([]SignalLeaderRow, int, error) {
	rows, err := l.findSignals(ctx, f, "")
	if err != nil {
		return nil, 0, err
	}
	sortChrono(rows)
	by := map[string][]signals.Signal{}
	for _, r := range rows {
		by[r.ModelID] = append(by[r.ModelID], r)
	}
	out := make([]SignalLeaderRow, 0, len(by))
	now := l.now()
	for id, rs := range by {
		rp := f.RiskProfile
		if rp == "" {
			rp = "balanced"
		}
		last := rs[len(rs)-1]
		out = append(out, SignalLeaderRow{ModelID: id, PackID: last.PackID, RiskProfile: rp, Period: Period{f.Start, f.End},
			Metrics: signals.Compute(rs, now), Lineage: last.Lineage})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Metrics, out[j].Metrics
		if (a.Sharpe == nil) != (b.Sharpe == nil) {
			return a.Sharpe != nil
		}
		if a.Sharpe != nil && *a.Sharpe != *b.Sharpe {
			return *a.Sharpe > *b.Sharpe
		}
		if a.CumReturn != b.CumReturn {
			return a.CumReturn > b.CumReturn
		}
		return out[i].ModelID < out[j].ModelID
	})
	total := len(out)
	lo := min(offset, total)
	hi := min(lo+limit, total)
	return out[lo:hi], total, nil
}

// ModelPerformance is GET /models/{id}/performance: the live metrics of the
// model's signals in the window and its best saved backtest (by hourly
// Sharpe; nil when it has none).
type ModelPerformance struct {
	ModelID  string           `json:"model_id"`
	Live     SignalsSummary   `json:"live"`
	Backtest *BacktestSummary `json:"backtest"`
}

// BacktestSummary is the backtest side of ModelPerformance.
type BacktestSummary struct {
	RunID            int64     `json:"run_id"`
	StartedAt        time.Time `json:"started_at"`
	BestSharpeHourly *float64  `json:"best_sharpe_hourly"`
	BestCumRet       *float64  `json:"best_cum_ret"`
	TradesTotal      int       `json:"trades_total"`
	DSR              *float64  `json:"dsr"`
}

// Performance returns the model's live and backtest figures.
func (l *Lab) Performance(ctx context.Context, f SignalFilter) (ModelPerformance, error) {
	if l.Configs != nil {
		if _, err := l.resolvePlan(ctx, BuildRequest{ModelID: f.ModelID}); err != nil {
			return ModelPerformance{}, err
		}
	}
	live, err := l.SummarizeSignals(ctx, f)
	if err != nil {
		return ModelPerformance{}, err
	}
	out := ModelPerformance{ModelID: f.ModelID, Live: live}
	if l.Backtests != nil {
		runs, _, err := l.Backtests.Leaderboard(ctx, LeaderboardQuery{ModelID: f.ModelID, Limit: 1})
		if err != nil && !errors.Is(err, errs.ErrNotFound) {
			return out, err
		}
		if len(runs) > 0 {
			r := runs[0]
			out.Backtest = &BacktestSummary{RunID: r.ID, StartedAt: r.StartedAt, BestSharpeHourly: r.BestSharpeHourly,
				BestCumRet: r.BestCumRet, TradesTotal: r.TradesTotal, DSR: r.DSR}
		}
	}
	return out, nil
}

// ImportExecutionsRequest is POST /signals/import: an execution log as the
// body (text/csv) or a file under exports/.
type ImportExecutionsRequest struct {
	Body    io.Reader // the CSV, or nil with File
	File    string    // exports/-relative name of a stored log
	Partial bool      // store the good rows of a file with errors
	Owner   string
}

// ImportExecutionsResult is what POST /signals/import returns.
type ImportExecutionsResult struct {
	File      string              `json:"file,omitempty"`
	Rows      int                 `json:"rows"`     // good rows read
	Inserted  int                 `json:"inserted"` // new signal rows
	Updated   int                 `json:"updated"`  // rows that changed an existing signal
	Unchanged int                 `json:"unchanged"`
	Stored    bool                `json:"stored"`
	Errors    []signals.LineError `json:"errors"`
}

// ImportExecutions reads an execution log and attaches each row to the
// signal of its key (model, ET date and hour of ts, ticker), creating an
// import row where none was generated. Nothing is stored when the file has
// errors unless Partial. Re-importing the same file changes nothing.
func (l *Lab) ImportExecutions(ctx context.Context, req ImportExecutionsRequest) (ImportExecutionsResult, error) {
	if l.Signals.Store == nil {
		return ImportExecutionsResult{}, errs.Msgf(errs.ErrNoData, "signals store is not available")
	}
	body := req.Body
	res := ImportExecutionsResult{Errors: []signals.LineError{}}
	if body == nil {
		if req.File == "" {
			return res, errs.Field("body", "file", "send the CSV as the body (text/csv) or name a file under exports/")
		}
		if l.ResolveDataPath == nil {
			return res, errs.Msgf(errs.ErrNoData, "files are not available")
		}
		p, err := l.ResolveDataPath("exports/" + strings.TrimPrefix(req.File, "exports/"))
		if err != nil {
			return res, errs.Field("query", "file", err.Error())
		}
		f, err := os.Open(p)
		if err != nil {
			return res, errs.Field("query", "file", "no such file under exports/: "+req.File)
		}
		defer f.Close()
		body, res.File = f, req.File
	}
	rows, bad := signals.ParseExecLog(body, et.Location())
	res.Rows = len(rows)
	res.Errors = append(res.Errors, bad...)
	if len(bad) > 0 && !req.Partial {
		return res, importErrors(bad)
	}
	if len(rows) == 0 {
		return res, nil
	}
	if err := l.matchExecutions(ctx, rows, &res); err != nil {
		return res, err
	}
	if len(res.Errors) > len(bad) && !req.Partial {
		return res, importErrors(res.Errors)
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.Line > 0 {
			ids = append(ids, r.Signal.ID)
		}
	}
	old, err := l.Signals.Store.GetSignals(ctx, ids)
	if err != nil {
		return res, err
	}
	now := l.now()
	var write []signals.Signal
	for _, r := range rows {
		if r.Line == 0 { // dropped by matchExecutions
			continue
		}
		imp := r.Signal
		imp.Lineage.ImportFile = res.File
		if o, ok := old[imp.ID]; ok {
			merged := o
			signals.MergeExecution(&merged, imp)
			if sameExecution(o, merged) {
				res.Unchanged++
				continue
			}
			merged.UpdatedAt = now
			write = append(write, merged)
			res.Updated++
			continue
		}
		imp.Owner, imp.CreatedAt, imp.UpdatedAt = req.Owner, now, now
		write = append(write, imp)
		res.Inserted++
	}
	if err := l.storeSignals(ctx, write, false); err != nil {
		return res, err
	}
	res.Stored = true
	return res, nil
}

// matchExecutions points each execution at the signal it executes: the
// model's latest generated or scanned signal for the ticker and side whose
// time is at or before the execution and at most a day earlier. An
// execution with no such signal keeps the key of its own ET date and hour
// (an import row). Two executions of one signal are a line error (the later
// line is dropped: Line set to 0).
func (l *Lab) matchExecutions(ctx context.Context, rows []signals.ExecRow, res *ImportExecutionsResult) error {
	type mk struct{ model, date string }
	cache := map[mk][]signals.Signal{}
	used := map[string]int{}
	for i := range rows {
		s := &rows[i].Signal
		exec := *s.ExecTS
		var best *signals.Signal
		for _, d := range []string{s.Date, exec.Add(-24 * time.Hour).In(et.Location()).Format(time.DateOnly)} {
			k := mk{s.ModelID, d}
			cand, ok := cache[k]
			if !ok {
				var err error
				if cand, err = l.Signals.Store.ListSignals(ctx, SignalFilter{ModelID: s.ModelID, Date: d}); err != nil {
					return err
				}
				cache[k] = cand
			}
			for j := range cand {
				c := &cand[j]
				if c.Source == signals.SourceImport || c.Ticker != s.Ticker || c.Side != s.Side || c.TS.After(exec) ||
					exec.Sub(c.TS) > 24*time.Hour {
					continue
				}
				if best == nil || c.TS.After(best.TS) {
					best = c
				}
			}
		}
		if best != nil {
			s.ID, s.Date, s.HourET = best.ID, best.Date, best.HourET
		}
		if first, dup := used[s.ID]; dup {
			res.Errors = append(res.Errors, signals.LineError{Line: rows[i].Line,
				Msg: fmt.Sprintf("executes the same signal (%s) as line %d", s.ID, first)})
			rows[i].Line = 0
			res.Rows--
			continue
		}
		used[s.ID] = rows[i].Line
	}
	return nil
}

// sameExecution compares the execution fields of two rows.
func sameExecution(a, b signals.Signal) bool {
	eq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	et := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return a.Status == b.Status && a.RiskProfile == b.RiskProfile && a.Tag == b.Tag && eq(a.FillPx, b.FillPx) &&
		eq(a.Slippage, b.Slippage) && eq(a.PnL, b.PnL) && et(a.ExecTS, b.ExecTS) && eq(a.EntryRefPx, b.EntryRefPx) && eq(a.RR, b.RR)
}

// importErrors is a refused execution log: a 422 whose detail locates
// each problem as ["body", "line <n>", column] (at most 200 of them).
func importErrors(bad []signals.LineError) error {
	v := &errs.Validation{}
	for i, e := range bad {
		if i == 200 {
			v.Fields = append(v.Fields, errs.FieldError{Loc: []string{"body"}, Msg: fmt.Sprintf("… and %d more", len(bad)-i), Type: "value_error"})
			break
		}
		loc := []string{"body", fmt.Sprintf("line %d", e.Line)}
		if e.Column != "" {
			loc = append(loc, e.Column)
		}
		v.Fields = append(v.Fields, errs.FieldError{Loc: loc, Msg: e.Msg + " (nothing stored; partial=true stores the good rows)", Type: "value_error"})
	}
	return v
}
