package market

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// csvTable adapts encoding/csv to TableReader.
type csvTable struct {
	r      *csv.Reader
	header []string
}

func newCSVTable(r io.Reader) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // ragged rows become per-row rejects, not a file error
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	h, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("empty file (no header)")
		}
		return nil, fmt.Errorf("header: %v", err)
	}
	hdr := make([]string, len(h))
	copy(hdr, h)
	if len(hdr) > 0 {
		hdr[0] = strings.TrimPrefix(hdr[0], "\ufeff")
	}
	return &csvTable{r: cr, header: hdr}, nil
}

func (t *csvTable) Header() []string { return t.header }

func (t *csvTable) Next() ([]string, int, error) {
	rec, err := t.r.Read()
	line, _ := t.r.FieldPos(0)
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.Line, rowError{pe.Err.Error()}
		}
		return nil, line, err
	}
	return rec, line, nil
}

// rowError is a malformed row that the parser reports and skips.
type rowError struct{ msg string }

func (e rowError) Error() string { return e.msg }

// column roles recognised in headers (case-insensitive; spaces, dashes and dots ignored).
var headerRoles = map[string]string{
	"timestamp": "ts", "ts": "ts", "datetime": "ts", "date_time": "ts", "tsutc": "ts", "ts_utc": "ts", "t": "ts",
	"time_utc": "ts", "start": "ts", "bar_start": "ts",
	"date": "date", "day": "date", "session_date": "date",
	"time": "time", "hour": "time",
	"open": "open", "o": "open", "high": "high", "h": "high", "low": "low", "l": "low",
	"close": "close", "c": "close", "last": "close",
	"volume": "volume", "v": "volume", "vol": "volume",
	"vwap": "vwap", "vw": "vwap",
	"ticker": "ticker", "symbol": "ticker",
}

func normHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.NewReplacer(" ", "_", "-", "_", ".", "_").Replace(h)
	return h
}

// rowAcc accumulates the rows of one ticker (or one option contract's underlying).
type rowAcc struct {
	line                []int
	ts                  []int64
	o, h, l, c, v, vwap []float64
	dateOnly            bool
	sym                 []string // option rows only
}

func (a *rowAcc) add(line int, ts int64, o, h, l, c, v, vw float64, sym string, opt bool) {
	a.line = append(a.line, line)
	a.ts = append(a.ts, ts)
	a.o, a.h, a.l, a.c, a.v, a.vwap = append(a.o, o), append(a.h, h), append(a.l, l), append(a.c, c), append(a.v, v), append(a.vwap, vw)
	if opt {
		a.sym = append(a.sym, sym)
	}
}

// parseTable turns a header+rows table (CSV or Parquet) into bars or option bars. Rules:
//   - time: one of timestamp/ts/datetime/…; or date (+ optional time) columns. Offsets in
//     the value win; naive values use opts.Timezone; date-only values are daily bars.
//   - prices: open/o, high/h, low/l, close/c, volume/v, optional vwap/vw.
//   - ticker: a ticker/symbol column, else opts.Ticker, else the file name's leading
//     ticker (AAPL_1m.csv → AAPL). Symbols starting with "O:" are OCC option contracts.
func parseTable(tr TableReader, base, name string, opts ImportOptions) (*Parsed, []Reject, error) {
	idx := map[string]int{}
	for i, h := range tr.Header() {
		if role, ok := headerRoles[normHeader(h)]; ok {
			if _, dup := idx[role]; !dup {
				idx[role] = i
			}
		}
	}
	tsCol, hasTS := idx["ts"]
	dateCol, hasDate := idx["date"]
	timeCol, hasTime := idx["time"]
	if !hasTS && !hasDate {
		// The header is not quoted back: for a file that is not a table it is
		// the first line of whatever the file holds.
		return nil, nil, errors.New("no time column (want one of timestamp, ts, datetime, date[+time])")
	}
	var missing []string
	for _, r := range []string{"open", "high", "low", "close", "volume"} {
		if _, ok := idx[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("missing column(s) %s", strings.Join(missing, ", "))
	}
	vwCol, hasVW := idx["vwap"]
	tkCol, hasTK := idx["ticker"]
	defTicker := strings.ToUpper(strings.TrimSpace(opts.Ticker))
	if defTicker == "" && !hasTK {
		defTicker = tickerFromName(base)
		if defTicker == "" {
			return nil, nil, fmt.Errorf("no ticker: add a ticker column, name the file TICKER_….csv, or pass ticker")
		}
	}
	if defTicker != "" && !validTicker(defTicker) {
		return nil, nil, fmt.Errorf("bad ticker %q", defTicker)
	}
	zone, err := naiveZone(opts.Timezone)
	if err != nil {
		return nil, nil, err
	}
	tp := &tsParser{naive: zone, last: -1}
	need := max(idx["open"], idx["high"], idx["low"], idx["close"], idx["volume"], tsCol, dateCol)
	var priceCols [5]int
	for k, role := range priceRoles {
		priceCols[k] = idx[role]
	}
	var rejects []Reject
	rej := func(line int, format string, a ...any) {
		rejects = append(rejects, Reject{File: name, Line: line, Reason: fmt.Sprintf(format, a...)})
	}
	accs := map[string]*rowAcc{}
	var order []string
	for {
		rec, line, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re rowError
			if errors.As(err, &re) {
				rej(line, "malformed row: %s", re.msg)
				continue
			}
			return nil, rejects, fmt.Errorf("line %d: %v", line, err)
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		if len(rec) <= need || (hasVW && len(rec) <= vwCol) || (hasTK && len(rec) <= tkCol) || (hasTime && len(rec) <= timeCol) {
			rej(line, "row has %d fields, header has %d", len(rec), len(tr.Header()))
			continue
		}
		var tsText string
		if hasTS {
			tsText = rec[tsCol]
		} else {
			tsText = rec[dateCol]
			if hasTime && strings.TrimSpace(rec[timeCol]) != "" {
				tsText = strings.TrimSpace(tsText) + " " + strings.TrimSpace(rec[timeCol])
			}
		}
		ts, dateOnly, err := tp.parse(tsText)
		if err != nil {
			rej(line, "timestamp: %v", err)
			continue
		}
		var vals [6]float64
		bad := ""
		for k, role := range priceRoles {
			v, err := parseNum(rec[priceCols[k]])
			if err != nil {
				bad = fmt.Sprintf("%s: %v", role, err)
				break
			}
			vals[k] = v
		}
		if bad != "" {
			rej(line, "%s", bad)
			continue
		}
		vals[5] = math.NaN()
		if hasVW && strings.TrimSpace(rec[vwCol]) != "" {
			v, err := parseNum(rec[vwCol])
			if err != nil {
				rej(line, "vwap: %v", err)
				continue
			}
			vals[5] = v
		}
		if msg := checkOHLCV(vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]); msg != "" {
			rej(line, "%s", msg)
			continue
		}
		tk := defTicker
		if hasTK && strings.TrimSpace(rec[tkCol]) != "" {
			tk = strings.ToUpper(strings.TrimSpace(rec[tkCol]))
		}
		opt := strings.HasPrefix(tk, "O:")
		key := tk
		if opt {
			c, err := ParseOCC(tk)
			if err != nil {
				rej(line, "ticker: not a valid OCC option symbol")
				continue
			}
			key = "O:" + c.Underlying
			tk = c.Symbol
		} else if !validTicker(tk) {
			rej(line, "ticker: not a valid ticker symbol")
			continue
		}
		a := accs[key]
		if a == nil {
			a = &rowAcc{dateOnly: true}
			accs[key] = a
			order = append(order, key)
		}
		a.dateOnly = a.dateOnly && dateOnly
		a.add(line, ts, vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], tk, opt)
	}
	p := &Parsed{}
	for _, key := range order {
		a := accs[key]
		if strings.HasPrefix(key, "O:") {
			ob, r := finishOptions(a, strings.TrimPrefix(key, "O:"), name)
			rejects = append(rejects, r...)
			if ob.Len() > 0 {
				p.Options = append(p.Options, ob)
			}
			continue
		}
		b, r, err := finishBars(a, key, name, opts.Timeframe)
		if err != nil {
			return nil, rejects, err
		}
		rejects = append(rejects, r...)
		if b.Len() > 0 {
			p.Bars = append(p.Bars, b)
		}
	}
	if p.Rows() == 0 && len(rejects) == 0 {
		return nil, nil, errors.New("no data rows")
	}
	return p, rejects, nil
}

// priceRoles are the required numeric columns, in checkOHLCV order.
var priceRoles = [5]string{"open", "high", "low", "close", "volume"}

func parseNum(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not finite")
	}
	return v, nil
}

// tickerFromName takes the leading ticker of a file name: "AAPL_1m.csv" → AAPL,
// "spy.csv" → SPY, "BRK.B-daily.csv" → "" (ambiguous names need the ticker option).
func tickerFromName(base string) string {
	stem := base
	if i := strings.LastIndexByte(stem, '.'); i > 0 {
		stem = stem[:i]
	}
	if i := strings.IndexAny(stem, "_ "); i >= 0 {
		stem = stem[:i]
	}
	t := strings.ToUpper(stem)
	if validTicker(t) {
		return t
	}
	return ""
}

// sortedOrder returns row indices ordered by key then file line, so duplicates are adjacent
// and the earliest line wins.
func sortedOrder(n int, less func(i, j int) bool) []int {
	ord := make([]int, n)
	sorted := true
	for i := range ord {
		ord[i] = i
		if i > 0 && !less(i-1, i) {
			sorted = false
		}
	}
	if !sorted {
		sort.SliceStable(ord, func(x, y int) bool { return less(ord[x], ord[y]) })
	}
	return ord
}

// inferTimeframe picks the timeframe from the smallest spacing of sorted unique stamps.
func inferTimeframe(ts []int64, ord []int, dateOnly bool) (string, error) {
	if dateOnly {
		return TF1d, nil
	}
	minGap := int64(math.MaxInt64)
	for k := 1; k < len(ord); k++ {
		if g := ts[ord[k]] - ts[ord[k-1]]; g > 0 && g < minGap {
			minGap = g
		}
	}
	switch {
	case minGap == math.MaxInt64:
		return "", errors.New("cannot infer the timeframe from a single timestamp; pass timeframe")
	case minGap == 60_000:
		return TF1m, nil
	case minGap == 300_000:
		return TF5m, nil
	case minGap == 3_600_000:
		return TF1h, nil
	case minGap >= 20*3_600_000:
		return TF1d, nil
	}
	return "", fmt.Errorf("cannot infer the timeframe (smallest spacing %ds); pass timeframe", minGap/1000)
}

func finishBars(a *rowAcc, ticker, name, tf string) (*Bars, []Reject, error) {
	less := func(i, j int) bool {
		return a.ts[i] < a.ts[j] || (a.ts[i] == a.ts[j] && a.line[i] < a.line[j])
	}
	ord := sortedOrder(len(a.ts), less)
	if tf == "" {
		var err error
		if tf, err = inferTimeframe(a.ts, ord, a.dateOnly); err != nil {
			// Named by its first line, not by the ticker value read from the file.
			return nil, nil, fmt.Errorf("rows from line %d: %v", a.line[0], err)
		}
	}
	if tf == TF1d {
		// Daily bars are stored at ET midnight of their session. Vendors stamp them at
		// UTC midnight, ET midnight or the close; the ET date six hours later is the
		// session in all three cases.
		for i, ts := range a.ts {
			a.ts[i], _ = ETMillis(SessionDate(ts+6*3_600_000), 0, 0)
		}
		ord = sortedOrder(len(a.ts), less)
	}
	step := TimeframeMillis(tf)
	var rejects []Reject
	b := NewBars(ticker, tf, "", len(ord))
	for k, i := range ord {
		if k > 0 && a.ts[i] == a.ts[ord[k-1]] {
			rejects = append(rejects, Reject{File: name, Line: a.line[i],
				Reason: fmt.Sprintf("duplicate timestamp %s (first at line %d)", fmtTS(a.ts[i]), a.line[ord[k-1]])})
			continue
		}
		// Intraday bars start on whole bar boundaries in UTC (which are ET boundaries
		// too for 1m/5m/1h); daily bars carry a date, so they are not checked.
		if tf != TF1d && a.ts[i]%step != 0 {
			rejects = append(rejects, Reject{File: name, Line: a.line[i],
				Reason: fmt.Sprintf("timestamp %s is not on a %s boundary", fmtTS(a.ts[i]), tf)})
			continue
		}
		b.Append(a.ts[i], a.o[i], a.h[i], a.l[i], a.c[i], a.v[i], a.vwap[i])
	}
	return b, rejects, nil
}

func finishOptions(a *rowAcc, underlying, name string) (*OptionBars, []Reject) {
	ord := sortedOrder(len(a.ts), func(i, j int) bool {
		if a.sym[i] != a.sym[j] {
			return a.sym[i] < a.sym[j]
		}
		return a.ts[i] < a.ts[j] || (a.ts[i] == a.ts[j] && a.line[i] < a.line[j])
	})
	var rejects []Reject
	out := &OptionBars{Underlying: underlying}
	var c Contract
	for k, i := range ord {
		if k > 0 && a.ts[i] == a.ts[ord[k-1]] && a.sym[i] == a.sym[ord[k-1]] {
			rejects = append(rejects, Reject{File: name, Line: a.line[i],
				Reason: fmt.Sprintf("duplicate %s bar at %s (first at line %d)", a.sym[i], fmtTS(a.ts[i]), a.line[ord[k-1]])})
			continue
		}
		if a.ts[i]%60_000 != 0 {
			rejects = append(rejects, Reject{File: name, Line: a.line[i],
				Reason: fmt.Sprintf("timestamp %s is not on a minute boundary", fmtTS(a.ts[i]))})
			continue
		}
		if a.sym[i] != c.Symbol {
			c, _ = ParseOCC(a.sym[i])
		}
		out.Append(c, a.ts[i], a.o[i], a.h[i], a.l[i], a.c[i], a.v[i], a.vwap[i])
	}
	return out, rejects
}

func fmtTS(ts int64) string { return TimeET(ts).Format("2006-01-02 15:04:05-07:00") }
