package matrix

import (
	"math"
	"regexp"
	"strings"
)

// QAReport is the preview_matrix verdict in the predecessor's response shape.
type QAReport struct {
	OK       bool      `json:"ok"`
	Rows     int       `json:"rows"`
	QA       QAChecks  `json:"qa"`
	NaNStats []NaNStat `json:"nan_stats"`
	Warn     []string  `json:"warn"`
	Fail     []string  `json:"fail"`
}

// QAChecks groups the individual checks.
type QAChecks struct {
	MonotonicTime    MonotonicCheck `json:"monotonic_time"`
	NonNegativeVol   RangeCheck     `json:"non_negative_vol"`
	SessionAlignment SessionCheck   `json:"session_alignment"`
	IVSanity         IVCheck        `json:"iv_sanity"`
	NaN              NaNCheck       `json:"nan"`
}

// MonotonicCheck: row times strictly increase.
type MonotonicCheck struct {
	OK         bool `json:"ok"`
	Violations int  `json:"violations"`
}

// RangeCheck: volatility-like columns are never negative.
type RangeCheck struct {
	OK      bool     `json:"ok"`
	NegPct  float64  `json:"neg_pct"`
	Checked int      `json:"checked"`
	Columns []string `json:"columns"`
}

// SessionCheck: rows sit in session hours 9..16 ET.
type SessionCheck struct {
	OK     bool    `json:"ok"`
	OffPct float64 `json:"off_pct"`
}

// IVCheck: implied-vol columns lie in [0, 5].
type IVCheck struct {
	OK            bool     `json:"ok"`
	OutOfRangePct float64  `json:"out_of_range_pct"`
	Checked       int      `json:"checked"`
	Columns       []string `json:"columns"`
}

// NaNCheck lists columns with ≥10% (warn) and ≥30% (fail) missing values.
type NaNCheck struct {
	Warn []string `json:"warn"`
	Fail []string `json:"fail"`
}

// NaNStat is one column's missing share in percent (3 decimals).
type NaNStat struct {
	Column string  `json:"column"`
	NaNPct float64 `json:"nan_pct"`
}

// Column matching works on name tokens, not substrings, so `volume` is not a
// volatility and `iv_realized_spread` is not an implied vol.
var (
	volToken = regexp.MustCompile(`(^|_)(vol|volatility|rv|hv|stdev|std|atr|realized_vol|realised_vol)(_|$|\d)`)
	notVol   = regexp.MustCompile(`volume|_ret|ret_|zscore|_z(_|$|\d)|slope|delta|change|chg|diff|spread|skew|imbalance|ratio`)
	ivToken  = regexp.MustCompile(`(^|_)(iv|atm_iv|implied_vol|implied_volatility)(_|$|\d)`)
	notIV    = regexp.MustCompile(`spread|slope|skew|delta|change|chg|diff|zscore|_z(_|$|\d)|rank|percentile|pct|term|ratio|ret`)
)

// IsVolatilityColumn reports whether a column holds a volatility level that can
// never be negative (atr_14, close_vol_3, rv_20 …) — not volume, not z-scores,
// slopes or spreads of volatility.
func IsVolatilityColumn(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "atr_") || n == "atr" {
		return true
	}
	return volToken.MatchString(n) && !notVol.MatchString(n)
}

// IsIVColumn reports whether a column holds an implied-vol level (annualised,
// expected in [0, 5]) — not IV spreads, skews, slopes, ranks or z-scores.
func IsIVColumn(name string) bool {
	n := strings.ToLower(name)
	return ivToken.MatchString(n) && !notIV.MatchString(n)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// QA runs the preview checks over m's numeric columns. Label columns are
// included in the NaN statistics (an unlabelled tail is visible), but
// hour_et/ts are key columns, checked by session_alignment and monotonic_time.
func QA(m *Matrix) QAReport {
	n := m.Len()
	den := float64(max(1, n))
	r := QAReport{Rows: n, NaNStats: []NaNStat{}, Warn: []string{}, Fail: []string{}}

	// monotonic_time: strictly increasing row time (a duplicate hour is a violation).
	viol := 0
	for i := 1; i < n; i++ {
		if m.TS[i] <= m.TS[i-1] {
			viol++
		}
	}
	r.QA.MonotonicTime = MonotonicCheck{OK: viol == 0, Violations: viol}

	// session_alignment: regular-hours rows sit in ET hours 9..16; matrices
	// built with extended hours (Meta session=extended) may use 4..19, the
	// vendors' pre/post-market window; daily rows carry hour 0 and are exempt.
	off := 0
	lo, hi := int32(9), int32(16)
	if m.Meta != nil && m.Meta["session"] == "extended" {
		lo, hi = 4, 19
	}
	daily := m.Meta != nil && m.Meta["cadence"] == "daily"
	for _, h := range m.HourET {
		if !daily && (h < lo || h > hi) {
			off++
		}
	}
	offPct := round3(100 * float64(off) / den)
	r.QA.SessionAlignment = SessionCheck{OK: offPct <= 5, OffPct: offPct}

	// non_negative_vol and iv_sanity
	var volNeg, volN, ivBad, ivN int
	r.QA.NonNegativeVol.Columns = []string{}
	r.QA.IVSanity.Columns = []string{}
	for j, name := range m.Names {
		col := m.Cols[j]
		if IsVolatilityColumn(name) {
			r.QA.NonNegativeVol.Columns = append(r.QA.NonNegativeVol.Columns, name)
			for _, v := range col {
				if !math.IsNaN(v) {
					volN++
					if v < 0 {
						volNeg++
					}
				}
			}
		}
		if IsIVColumn(name) {
			r.QA.IVSanity.Columns = append(r.QA.IVSanity.Columns, name)
			for _, v := range col {
				if !math.IsNaN(v) {
					ivN++
					if v < 0 || v > 5 {
						ivBad++
					}
				}
			}
		}
	}
	negPct := 0.0
	if volN > 0 {
		negPct = round3(100 * float64(volNeg) / float64(volN))
	}
	r.QA.NonNegativeVol.OK = volNeg == 0
	r.QA.NonNegativeVol.NegPct = negPct
	r.QA.NonNegativeVol.Checked = len(r.QA.NonNegativeVol.Columns)
	ivPct := 0.0
	if ivN > 0 {
		ivPct = round3(100 * float64(ivBad) / float64(ivN))
	}
	r.QA.IVSanity = IVCheck{OK: ivN == 0 || ivPct <= 5, OutOfRangePct: ivPct,
		Checked: len(r.QA.IVSanity.Columns), Columns: r.QA.IVSanity.Columns}

	// nan
	r.QA.NaN = NaNCheck{Warn: []string{}, Fail: []string{}}
	// Label columns are reported but not gated: a forward label is missing on
	// the last rows by construction.
	isLabel := map[string]bool{}
	if m.Meta != nil {
		for _, c := range strings.Split(m.Meta["label_columns"], ",") {
			isLabel[c] = true
		}
	}
	for j, name := range m.Names {
		k := 0
		for _, v := range m.Cols[j] {
			if math.IsNaN(v) {
				k++
			}
		}
		pct := round3(100 * float64(k) / den)
		r.NaNStats = append(r.NaNStats, NaNStat{Column: name, NaNPct: pct})
		if isLabel[name] {
			continue
		}
		if pct >= 30 {
			r.QA.NaN.Fail = append(r.QA.NaN.Fail, name)
		} else if pct >= 10 {
			r.QA.NaN.Warn = append(r.QA.NaN.Warn, name)
		}
	}
	r.Warn = append(r.Warn, r.QA.NaN.Warn...)
	r.Fail = append(r.Fail, r.QA.NaN.Fail...)
	r.OK = r.QA.MonotonicTime.OK && r.QA.NonNegativeVol.OK && r.QA.SessionAlignment.OK &&
		r.QA.IVSanity.OK && len(r.QA.NaN.Fail) == 0
	if n == 0 {
		r.OK = false
		r.Fail = append(r.Fail, "no rows")
	}
	return r
}
