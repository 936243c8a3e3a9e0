// Package indicators computes the technical, flow, daily/index and options
// indicators of the feature matrices. Every indicator is registered once in an
// immutable catalogue with its metadata (served by GET /indicators) and a
// columnar compute function.
//
// Rules every indicator follows: warm-up rows are NaN (never 0); no output row
// reads data from a later row (row i may use everything known at the end of
// bar i); per-day logic uses the America/New_York session date of the bar.
package indicators

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	_ "time/tzdata" // per-day indicators need America/New_York without a system zoneinfo

	"sigmalab/engine/errs"
	"sigmalab/engine/options"
)

// Frame is the columnar input of an indicator: one bar per row, oldest first.
// OHLCV slices all have len(TS); VWAP may be nil. Cols holds further named
// columns (flow totals such as calls_sold_total, or outputs of indicators
// computed earlier in a set, such as ema_10 or rsi_14_d).
type Frame struct {
	Ticker string  // underlying ticker; default for the underlying/ticker params
	TS     []int64 // bar start, unix ms UTC
	BarMs  int64   // bar length in ms; 0 = infer from the smallest positive TS step

	Open, High, Low, Close, Volume, VWAP []float64

	Cols map[string][]float64
}

// Len is the number of rows.
func (f *Frame) Len() int { return len(f.TS) }

// Col returns a column by name: open, high, low, close, volume, vwap, or an
// extra column. nil when absent.
func (f *Frame) Col(name string) []float64 {
	switch name {
	case "open":
		return f.Open
	case "high":
		return f.High
	case "low":
		return f.Low
	case "close":
		return f.Close
	case "volume":
		return f.Volume
	case "vwap":
		return f.VWAP
	}
	if f.Cols == nil {
		return nil
	}
	return f.Cols[name]
}

// SetCol stores an extra column (used by ComputeSet so later indicators see
// earlier outputs).
func (f *Frame) SetCol(name string, v []float64) {
	if f.Cols == nil {
		f.Cols = map[string][]float64{}
	}
	f.Cols[name] = v
}

// Bar returns the bar length in ms (BarMs, or the smallest positive TS step,
// or one hour when the frame has fewer than two rows).
func (f *Frame) Bar() int64 {
	if f.BarMs > 0 {
		return f.BarMs
	}
	var best int64
	for i := 1; i < len(f.TS); i++ {
		if d := f.TS[i] - f.TS[i-1]; d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	if best == 0 {
		return int64(time.Hour / time.Millisecond)
	}
	return best
}

// Validate checks column lengths.
func (f *Frame) Validate() error {
	n := len(f.TS)
	for _, c := range []struct {
		name string
		v    []float64
	}{{"open", f.Open}, {"high", f.High}, {"low", f.Low}, {"close", f.Close}, {"volume", f.Volume}} {
		if len(c.v) != n {
			return errs.Invalidf("frame column %s has %d rows, want %d", c.name, len(c.v), n)
		}
	}
	if f.VWAP != nil && len(f.VWAP) != n {
		return errs.Invalidf("frame column vwap has %d rows, want %d", len(f.VWAP), n)
	}
	for name, v := range f.Cols {
		if len(v) != n {
			return errs.Invalidf("frame column %s has %d rows, want %d", name, len(v), n)
		}
	}
	return nil
}

// Column is one named output series, aligned with the input frame rows.
type Column struct {
	Name   string
	Values []float64
}

// Source gives indicators the data that is not in the frame: daily and
// intraday bars of any ticker (index tickers such as I:VIX included), option
// chain snapshots and option minute bars. Implementations return an empty
// result with a nil error when nothing is stored (the indicator then yields
// NaN); an error aborts the computation.
type Source interface {
	// Bars returns bars of ticker at timeframe ("1m", "5m", "1h", "1d") whose
	// start lies in [from, to) (unix ms UTC), oldest first. Daily bars carry
	// TS = 00:00 America/New_York of the session date.
	Bars(ctx context.Context, ticker, timeframe string, from, to int64) (*Frame, error)
	// Chains returns, for every expiry of underlying in [minExpiry, maxExpiry]
	// (YYYY-MM-DD, inclusive), the latest chain snapshot taken at or before
	// asOf (unix ms UTC). Snapshots taken after asOf must never be returned.
	Chains(ctx context.Context, underlying string, asOf int64, minExpiry, maxExpiry string) ([]options.Chain, error)
	// OptionBars returns the minute bars of one contract whose start lies in
	// [from, to) (unix ms UTC), oldest first.
	OptionBars(ctx context.Context, c options.ContractRef, from, to int64) (*Frame, error)
}

// Data needs reported in Meta.Needs.
const (
	NeedOHLCV   = "ohlcv"   // the frame's own bars
	NeedOptions = "options" // option chains or option minute bars via Source
	NeedFlow    = "flow"    // 0DTE flow columns of the options matrix (calls_sold_total …)
	NeedDaily   = "daily"   // daily (or 5-minute) bars of a ticker via Source
	NeedIndex   = "index"   // daily bars of an index ticker (I:VIX …) via Source
)

// Param describes one constructor parameter. Type is int, float, string or
// bool; Default nil means "unset" (e.g. sold_flow_ratio's window).
type Param struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default any    `json:"default"`
}

// Meta is the public description of an indicator.
type Meta struct {
	Name        string   `json:"name"`
	Category    string   `json:"category"`
	Subcategory string   `json:"subcategory"`
	Params      []Param  `json:"params"`
	Doc         string   `json:"doc"`
	Needs       []string `json:"needs"`
}

// computeFunc is the implementation behind a registry entry.
type computeFunc func(c *call) ([]Column, error)

type entry struct {
	Meta
	fn computeFunc
}

// aliases map names used by predecessor indicator sets to registry keys.
var aliases = map[string]string{
	"returns":        "ret",
	"stddev":         "rolling_std",
	"roll_std":       "rolling_std",
	"bollinger":      "bollinger_bands",
	"iv_skew_25d":    "iv_skew25_delta",
	"iv_skew_25d_rr": "iv_skew25_delta",
}

// paramAliases map (indicator, param) spellings used by shipped sets to the
// registry's parameter names.
var paramAliases = map[string]map[string]string{
	"keltner": {"mult": "multiplier"},
}

// registry is built once at init from the catalogue and never mutated.
var registry = func() map[string]*entry {
	m := make(map[string]*entry, len(catalogue))
	for i := range catalogue {
		e := &catalogue[i]
		if _, dup := m[e.Name]; dup {
			panic("indicators: duplicate registry key " + e.Name)
		}
		m[e.Name] = e
	}
	return m
}()

// Count is the number of registered indicators.
func Count() int { return len(registry) }

// List returns the metadata of every indicator sorted by (category,
// subcategory, name), the order of GET /indicators.
func List() []Meta {
	out := make([]Meta, 0, len(catalogue))
	for i := range catalogue {
		m := catalogue[i].Meta
		if m.Params == nil {
			m.Params = []Param{} // JSON [] rather than null
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		if a.Subcategory != b.Subcategory {
			return a.Subcategory < b.Subcategory
		}
		return a.Name < b.Name
	})
	return out
}

// Groups returns category → subcategory → sorted names (GET /indicators?group=true).
func Groups() map[string]map[string][]string {
	g := map[string]map[string][]string{}
	for _, m := range List() {
		if g[m.Category] == nil {
			g[m.Category] = map[string][]string{}
		}
		g[m.Category][m.Subcategory] = append(g[m.Category][m.Subcategory], m.Name)
	}
	return g
}

// Canonical resolves an alias to its registry key; ok is false for unknown names.
func Canonical(name string) (string, bool) {
	if _, ok := registry[name]; ok {
		return name, true
	}
	if a, ok := aliases[name]; ok {
		return a, true
	}
	return "", false
}

// Lookup returns the metadata of name (aliases accepted).
func Lookup(name string) (Meta, bool) {
	key, ok := Canonical(name)
	if !ok {
		return Meta{}, false
	}
	return registry[key].Meta, true
}

// Compute runs one indicator on f. params may be nil (all defaults); unknown
// names, unknown parameters and badly typed or out-of-range values are errors
// wrapping errs.ErrInvalid and naming the culprit. src may be nil for
// indicators that need only the frame. Outputs have len(f.TS) rows each.
func Compute(ctx context.Context, name string, params map[string]any, f *Frame, src Source) ([]Column, error) {
	spec, err := Resolve(name, params)
	if err != nil {
		return nil, err
	}
	return spec.Compute(ctx, f, src)
}

// Spec is an indicator with fully resolved parameters (defaults filled,
// types normalised: int params are int, float params float64).
type Spec struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params"`
}

// Resolve validates name and params and fills defaults.
func Resolve(name string, params map[string]any) (Spec, error) {
	key, ok := Canonical(name)
	if !ok {
		return Spec{}, errs.Invalidf("unknown indicator: %s", name)
	}
	p, err := resolveParams(registry[key], params)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Name: key, Params: p}, nil
}

// Compute runs the resolved indicator on f. A panic inside an indicator
// (a bug) is returned as an error instead of taking the caller down.
func (s Spec) Compute(ctx context.Context, f *Frame, src Source) (cols []Column, err error) {
	return s.compute(ctx, f, src, nil)
}

// ComputeAll runs specs in order on f and returns each one's columns, the
// same values Spec.Compute gives one by one. Intermediates that several
// indicators derive from the same frame inputs (the ET day split of the
// timestamps, the true range) are computed once for the whole batch. f must
// not be modified while ComputeAll runs.
func ComputeAll(ctx context.Context, specs []Spec, f *Frame, src Source) ([][]Column, error) {
	sh := newShared()
	defer sh.release()
	out := make([][]Column, len(specs))
	for i, s := range specs {
		cols, err := s.compute(ctx, f, src, sh)
		if err != nil {
			return nil, err
		}
		out[i] = cols
	}
	return out, nil
}

// compute is Compute with an optional batch cache of shared intermediates.
func (s Spec) compute(ctx context.Context, f *Frame, src Source, sh *shared) (cols []Column, err error) {
	defer func() {
		if r := recover(); r != nil {
			cols, err = nil, fmt.Errorf("indicator %s: internal error: %v", s.Name, r)
		}
	}()
	e, ok := registry[s.Name]
	if !ok {
		return nil, errs.Invalidf("unknown indicator: %s", s.Name)
	}
	if f == nil {
		return nil, errs.Invalidf("indicator %s: nil frame", s.Name)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("indicator %s: %w", s.Name, err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	c := &call{ctx: ctx, name: s.Name, p: s.Params, f: f, src: src, sh: sh}
	cols, err = e.fn(c)
	if err != nil {
		return nil, fmt.Errorf("indicator %s: %w", s.Name, err)
	}
	return cols, nil
}

// call carries one invocation's inputs to a compute function.
type call struct {
	ctx  context.Context
	name string
	p    map[string]any
	f    *Frame
	src  Source
	sh   *shared // intermediates shared within a batch; nil for a single Compute
}

// shared caches intermediates computed once per batch (ComputeAll,
// Set.Compute) from the batch's frame. Cached values are read-only: an
// indicator that needs to modify one copies it first.
type shared struct {
	days    map[string]days // local-day split of the frame's TS, by zone name
	tr      []float64       // true range of the frame's H, L, C
	rsi     map[string][]float64
	hhll    map[int][2][]float64 // MAX_n H, MIN_n L (min periods n) by n
	release func()               // returns pooled buffers at the end of the batch
}

func newShared() *shared {
	return &shared{days: map[string]days{}, rsi: map[string][]float64{}, hhll: map[int][2][]float64{}, release: func() {}}
}

func (sh *shared) keep(done func()) {
	prev := sh.release
	sh.release = func() { prev(); done() }
}

func noop() {}

// frameDays returns the local-day split of the frame's rows in loc and a
// release function; within a batch the split is computed once and shared.
func (c *call) frameDays(loc *time.Location) (days, func()) {
	if c.sh == nil {
		return splitDaysTmp(c.f.TS, loc)
	}
	key := loc.String()
	if ds, ok := c.sh.days[key]; ok {
		return ds, noop
	}
	ds, done := splitDaysTmp(c.f.TS, loc)
	c.sh.days[key] = ds
	c.sh.keep(done)
	return ds, noop
}

// rsi returns RSI_n of frame column col (values p), read-only, and a
// release function; within a batch it is computed once per (col, n).
func (c *call) rsi(col string, p []float64, n int) ([]float64, func()) {
	key := col + "/" + itoa(n)
	if c.sh != nil {
		if r, ok := c.sh.rsi[key]; ok {
			return r, noop
		}
	}
	r, done := tmp(len(p))
	rsiCoreTo(p, n, r)
	if c.sh == nil {
		return r, done
	}
	c.sh.rsi[key] = r
	c.sh.keep(done)
	return r, noop
}

// highLow returns MAX_n of the frame's highs and MIN_n of its lows (min
// periods n), read-only, and a release function; within a batch they are
// computed once per n (stochastic and Williams %R share them).
func (c *call) highLow(n int) (hi, lo []float64, release func()) {
	if c.sh != nil {
		if v, ok := c.sh.hhll[n]; ok {
			return v[0], v[1], noop
		}
	}
	hi, doneH := tmp(c.n())
	lo, doneL := tmp(c.n())
	rollMaxMinTo(c.f.High, c.f.Low, n, n, hi, lo)
	done := func() { doneH(); doneL() }
	if c.sh == nil {
		return hi, lo, done
	}
	c.sh.hhll[n] = [2][]float64{hi, lo}
	c.sh.keep(done)
	return hi, lo, noop
}

// trueRange returns the true range of the frame (read-only) and a release
// function; within a batch it is computed once and shared.
func (c *call) trueRange() ([]float64, func()) {
	if c.sh != nil && c.sh.tr != nil {
		return c.sh.tr, noop
	}
	tr, done := tmp(c.n())
	trueRangeTo(c.f.High, c.f.Low, c.f.Close, tr)
	if c.sh == nil {
		return tr, done
	}
	c.sh.tr = tr
	c.sh.keep(done)
	return tr, noop
}

func (c *call) n() int { return len(c.f.TS) }

// rowEnd is when row i's information is complete: the end of its bar, but
// for bars of 20 hours or more (daily rows, stamped at ET midnight or at the
// open) no later than 16:00 ET of the row's date, so a daily row never sees
// the evening or the next morning.
func (c *call) rowEnd(i int, ds days) int64 {
	bar := c.f.Bar()
	end := c.f.TS[i] + bar
	if bar >= 20*3600000 {
		if close := ds.list[ds.idx[i]].Start + 16*3600000; close < end && close > c.f.TS[i] {
			end = close
		}
	}
	return end
}

func (c *call) int(name string) int {
	v, _ := c.p[name].(int)
	return v
}

// intOr returns the int param, or def when it is unset (nil default).
func (c *call) intOr(name string, def int) int {
	if v, ok := c.p[name].(int); ok {
		return v
	}
	return def
}

func (c *call) float(name string) float64 {
	v, _ := c.p[name].(float64)
	return v
}

func (c *call) str(name string) string {
	v, _ := c.p[name].(string)
	return v
}

func (c *call) boolean(name string) bool {
	v, _ := c.p[name].(bool)
	return v
}

// column returns the frame column named by the "column" param (or by param
// pname), or an error naming it when absent.
func (c *call) column(pname string) ([]float64, error) {
	name := c.str(pname)
	v := c.f.Col(name)
	if v == nil {
		return nil, errs.Invalidf("%s: column %q not in frame", pname, name)
	}
	return v, nil
}

// ticker returns the ticker param (pname), defaulting to the frame's ticker.
func (c *call) ticker(pname string) (string, error) {
	t := c.str(pname)
	if t == "" {
		t = c.f.Ticker
	}
	if t == "" {
		return "", errs.Invalidf("%s: no ticker given and the frame has none", pname)
	}
	return t, nil
}

// source returns the data source or an error explaining the need.
func (c *call) source() (Source, error) {
	if c.src == nil {
		return nil, fmt.Errorf("needs a data source (daily/index/options data) but none was given: %w", errs.ErrNoData)
	}
	return c.src, nil
}

// nanCol returns a new all-NaN column of the frame's length.
func nanCol(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

func one(name string, v []float64) []Column { return []Column{{Name: name, Values: v}} }
