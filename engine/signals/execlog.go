package signals

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ExecLogColumns are the columns of an execution log (CSV with a header
// row, any order; ts, model_id, ticker, side and status are required, the
// other columns may be absent or empty).
var ExecLogColumns = []string{"ts", "model_id", "risk_profile", "ticker", "side", "entry_ref_px", "fill_px",
	"slippage", "status", "rr", "pnl", "tag"}

var requiredExecCols = []string{"ts", "model_id", "ticker", "side", "status"}

// MaxExecLogRows caps one execution log.
const MaxExecLogRows = 100_000

// LineError is one problem of an execution log: its 1-based line number in
// the file (the header is line 1), the column and what is wrong.
type LineError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Msg    string `json:"msg"`
}

func (e LineError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, %s: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// ExecRow is a parsed execution-log row with its line number.
type ExecRow struct {
	Line   int
	Signal Signal // Source import, execution fields set, ID = Key(...)
}

var (
	idRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	tickerRe = regexp.MustCompile(`^[A-Z][A-Z0-9.]{0,9}$`)
	tagRe    = regexp.MustCompile(`^[A-Za-z0-9 _.:/-]{0,64}$`)
)

// ValidModelID reports whether s is a model id (^[a-z0-9][a-z0-9_-]{0,63}$).
func ValidModelID(s string) bool { return idRe.MatchString(s) }

// ValidTicker reports whether s is an upper-case ticker.
func ValidTicker(s string) bool { return tickerRe.MatchString(s) }

var statusAlias = map[string]string{"filled": StatusFilled, "fill": StatusFilled, "canceled": StatusCanceled,
	"cancelled": StatusCanceled, "pending": StatusPending, "rejected": "rejected", "expired": "expired"}

var sideAlias = map[string]string{"buy": Buy, "b": Buy, "long": Buy, "sell": Sell, "s": Sell, "short": Sell}

// ParseExecLog reads an execution log. It returns the good rows and every
// problem found (line numbers count the header as line 1); a file-level
// problem (no header, missing column) is a single error at line 1. loc is
// the zone of signal dates and hours (America/New_York).
func ParseExecLog(r io.Reader, loc *time.Location) ([]ExecRow, []LineError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []LineError{{Line: 1, Msg: "empty file: want a header row " + strings.Join(ExecLogColumns, ",")}}
		}
		return nil, []LineError{{Line: 1, Msg: "unreadable header: " + err.Error()}}
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; dup && h != "" {
			return nil, []LineError{{Line: 1, Column: h, Msg: "column appears twice"}}
		}
		col[h] = i
	}
	var missing []string
	for _, c := range requiredExecCols {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, []LineError{{Line: 1, Msg: "missing column(s) " + strings.Join(missing, ", ") +
			"; want " + strings.Join(ExecLogColumns, ",")}}
	}
	var rows []ExecRow
	var bad []LineError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			bad = append(bad, LineError{Line: line, Msg: "bad CSV: " + err.Error()})
			if len(bad) > 1000 {
				break
			}
			continue
		}
		if len(rows)+len(bad) >= MaxExecLogRows {
			bad = append(bad, LineError{Line: line, Msg: fmt.Sprintf("more than %d rows", MaxExecLogRows)})
			break
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if allEmpty(rec) {
			continue
		}
		s, errs := parseExecRow(get, loc)
		for i := range errs {
			errs[i].Line = line
		}
		if len(errs) == 0 {
			if first, dup := seen[s.ID]; dup {
				errs = append(errs, LineError{Line: line, Msg: fmt.Sprintf("same signal (model, ET date and hour, ticker) as line %d", first)})
			} else {
				seen[s.ID] = line
			}
		}
		if len(errs) > 0 {
			bad = append(bad, errs...)
			continue
		}
		s.Lineage.ImportLine = line
		rows = append(rows, ExecRow{Line: line, Signal: s})
	}
	return rows, bad
}

func allEmpty(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func parseExecRow(get func(string) string, loc *time.Location) (Signal, []LineError) {
	var errs []LineError
	fail := func(c, msg string) { errs = append(errs, LineError{Column: c, Msg: msg}) }
	s := Signal{Source: SourceImport}
	ts, err := ParseTS(get("ts"))
	if err != nil {
		fail("ts", err.Error())
	}
	s.ModelID = get("model_id")
	if !ValidModelID(s.ModelID) {
		fail("model_id", fmt.Sprintf("%q is not a model id (^[a-z0-9][a-z0-9_-]{0,63}$)", clip(s.ModelID)))
	}
	s.Ticker = strings.ToUpper(get("ticker"))
	if !ValidTicker(s.Ticker) {
		fail("ticker", fmt.Sprintf("%q is not a ticker", clip(get("ticker"))))
	}
	side, ok := sideAlias[strings.ToLower(get("side"))]
	if !ok {
		fail("side", fmt.Sprintf("%q: want buy or sell", clip(get("side"))))
	}
	s.Side = side
	st, ok := statusAlias[strings.ToLower(get("status"))]
	if !ok {
		fail("status", fmt.Sprintf("%q: want filled, canceled, pending, rejected or expired", clip(get("status"))))
	}
	s.Status = st
	s.RiskProfile = strings.ToLower(get("risk_profile"))
	if s.RiskProfile != "" && !ValidModelID(s.RiskProfile) {
		fail("risk_profile", fmt.Sprintf("%q is not a profile name", clip(s.RiskProfile)))
	}
	s.Tag = get("tag")
	if !tagRe.MatchString(s.Tag) {
		fail("tag", "at most 64 letters, digits, spaces and _ . : / -")
	}
	num := func(c string, positive bool) *float64 {
		v := get(c)
		if v == "" || strings.EqualFold(v, "nan") || strings.EqualFold(v, "null") {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			fail(c, fmt.Sprintf("%q is not a finite number", clip(v)))
			return nil
		}
		if positive && f <= 0 {
			fail(c, "must be > 0")
			return nil
		}
		return &f
	}
	s.EntryRefPx = num("entry_ref_px", true)
	s.FillPx = num("fill_px", true)
	s.Slippage = num("slippage", false)
	s.RR = num("rr", false)
	s.PnL = num("pnl", false)
	if s.Status == StatusFilled && s.FillPx == nil && s.PnL == nil {
		fail("status", "a filled row needs fill_px or pnl")
	}
	if len(errs) > 0 {
		return s, errs
	}
	et := ts.In(loc)
	s.TS = ts
	s.ExecTS = &ts
	s.Date, s.HourET = et.Format(time.DateOnly), et.Hour()
	s.ID = Key(s.ModelID, s.Date, s.HourET, s.Ticker)
	return s, nil
}

// ParseTS reads an execution timestamp: RFC 3339 (any offset), or
// "YYYY-MM-DD HH:MM[:SS]" / "YYYY-MM-DDTHH:MM[:SS]" / "YYYY-MM-DD" in UTC.
func ParseTS(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("missing")
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp (RFC 3339 or YYYY-MM-DD[ HH:MM:SS] UTC)", clip(v))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// MergeExecution copies the execution fields of imp onto an existing signal
// (a generated one keeps its plan and lineage); plan fields the log carries
// fill those the signal lacks.
func MergeExecution(dst *Signal, imp Signal) {
	dst.RiskProfile, dst.Status, dst.ExecTS, dst.FillPx = imp.RiskProfile, imp.Status, imp.ExecTS, imp.FillPx
	dst.Slippage, dst.PnL, dst.Tag = imp.Slippage, imp.PnL, imp.Tag
	if dst.EntryRefPx == nil {
		dst.EntryRefPx = imp.EntryRefPx
	}
	if dst.RR == nil {
		dst.RR = imp.RR
	}
	dst.Lineage.ImportFile, dst.Lineage.ImportLine = imp.Lineage.ImportFile, imp.Lineage.ImportLine
}
