package admin

import (
	"sort"
	"time"

	"sigmalab/engine/errs"
)

// Flag keys. Each gates one behaviour and is read where that behaviour lives.
const (
	// FlagDataImport allows POST /data/import (off: imports are refused, 403).
	FlagDataImport = "data_import"
	// FlagPolygonFetch allows fetching bars from Polygon over the network; the
	// fetcher calls the server's CheckFlag(ctx, FlagPolygonFetch) before any request.
	FlagPolygonFetch = "polygon_fetch"
	// FlagAsyncOnlyHeavy refuses synchronous heavy requests (build, train,
	// backtest, sweep, calibrate): they must ask for "async": true.
	FlagAsyncOnlyHeavy = "async_only_heavy"
	// FlagSignalsGenerate allows POST /signals/generate; its route calls
	// CheckFlag(ctx, FlagSignalsGenerate) first.
	FlagSignalsGenerate = "signals_generate"
)

// FlagInfo describes a known flag and its default.
type FlagInfo struct {
	Key         string
	Default     bool
	Description string
}

// KnownFlags lists every flag; unknown keys are refused so that a flag always gates something.
var KnownFlags = []FlagInfo{
	{FlagAsyncOnlyHeavy, false, "synchronous build/train/backtest/sweep/calibrate requests are refused; use async:true"},
	{FlagDataImport, true, "POST /data/import is allowed"},
	{FlagPolygonFetch, true, "fetching market data from Polygon over the network is allowed"},
	{FlagSignalsGenerate, true, "POST /signals/generate is allowed"},
}

// FlagDefault returns the default of a known flag and whether key is known.
func FlagDefault(key string) (bool, bool) {
	for _, f := range KnownFlags {
		if f.Key == key {
			return f.Default, true
		}
	}
	return false, false
}

// Flag is a flag's current state.
type Flag struct {
	Key         string     `json:"key"`
	Enabled     bool       `json:"enabled"`
	Default     bool       `json:"default"`
	Description string     `json:"description"`
	UpdatedAt   *time.Time `json:"updated_at"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
}

// MergeFlags completes stored flags with the defaults of the known ones, sorted by key.
func MergeFlags(stored []Flag) []Flag {
	by := map[string]Flag{}
	for _, f := range stored {
		by[f.Key] = f
	}
	out := make([]Flag, 0, len(KnownFlags))
	for _, k := range KnownFlags {
		f, ok := by[k.Key]
		if !ok {
			f = Flag{Key: k.Key, Enabled: k.Default}
		}
		f.Default, f.Description = k.Default, k.Description
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// FlagsPatch is the body of PATCH /admin/flags: {"flags": {"key": true}} or
// {"key": "k", "enabled": true}.
type FlagsPatch struct {
	Flags   map[string]bool `json:"flags"`
	Key     string          `json:"key"`
	Enabled *bool           `json:"enabled"`
}

// Changes validates p and returns the flags to store (updated at/by set).
func (p FlagsPatch) Changes(at time.Time, by string) ([]Flag, error) {
	v := &errs.Validation{}
	set := map[string]bool{}
	for k, e := range p.Flags {
		set[k] = e
	}
	if p.Key != "" || p.Enabled != nil {
		if p.Enabled == nil {
			v.Add("body", "enabled", "required with key: true or false", "value_error")
		} else {
			set[p.Key] = *p.Enabled
		}
	}
	if len(set) == 0 && len(v.Fields) == 0 {
		v.Add("body", "flags", `nothing to change: give {"flags":{"key":true}} or {"key":…,"enabled":…}`, "value_error")
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Flag, 0, len(keys))
	for _, k := range keys {
		if _, ok := FlagDefault(k); !ok {
			v.Add("body", "flags", "unknown flag "+quote(k)+" (known: "+knownKeys()+")", "value_error")
			continue
		}
		t := at.UTC()
		out = append(out, Flag{Key: k, Enabled: set[k], UpdatedAt: &t, UpdatedBy: by})
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func knownKeys() string {
	s := ""
	for i, f := range KnownFlags {
		if i > 0 {
			s += ", "
		}
		s += f.Key
	}
	return s
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
