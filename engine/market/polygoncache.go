package market

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
)

// Polygon cache file names (reference: the predecessor's data_cache layout).
var (
	reAggFile   = regexp.MustCompile(`^([A-Z][A-Z0-9.\-]{0,9})_(minute|hour|day)_(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})\.json$`)
	reOptFile   = regexp.MustCompile(`^O_([A-Z][A-Z0-9.\-]{0,9}\d{6}[CP]\d{8})_(\d{4}-\d{2}-\d{2})\.json$`)
	reChainFile = regexp.MustCompile(`^([A-Z][A-Z0-9.\-]{0,9})_(\d{4}-\d{2}-\d{2})\.json$`)
)

// jsonRecord is the union of the record shapes we accept in JSON arrays: cached
// aggregates ({date|timestamp, open, …}), the predecessor's flat chain rows, and
// Polygon's nested snapshot results (details/greeks/last_quote/underlying_asset).
type jsonRecord struct {
	Date      *string  `json:"date"`
	Timestamp *string  `json:"timestamp"`
	Open      *float64 `json:"open"`
	High      *float64 `json:"high"`
	Low       *float64 `json:"low"`
	Close     *float64 `json:"close"`
	Volume    *float64 `json:"volume"`
	VWAP      *float64 `json:"vwap"`

	Strike          *float64 `json:"strike"`
	StrikePrice     *float64 `json:"strike_price"`
	ContractType    string   `json:"contract_type"`
	Expiry          string   `json:"expiry"`
	ExpirationDate  string   `json:"expiration_date"`
	IV              *float64 `json:"implied_volatility"`
	Delta           *float64 `json:"delta"`
	Gamma           *float64 `json:"gamma"`
	Theta           *float64 `json:"theta"`
	Vega            *float64 `json:"vega"`
	Bid             *float64 `json:"bid"`
	Ask             *float64 `json:"ask"`
	OpenInterest    *float64 `json:"open_interest"`
	UnderlyingPrice *float64 `json:"underlying_price"`
	SnapshotTS      *string  `json:"snapshot_ts"`
	Details         *struct {
		StrikePrice    *float64 `json:"strike_price"`
		ContractType   string   `json:"contract_type"`
		ExpirationDate string   `json:"expiration_date"`
		OpenInterest   *float64 `json:"open_interest"`
	} `json:"details"`
	Greeks *struct {
		Delta *float64 `json:"delta"`
		Gamma *float64 `json:"gamma"`
		Theta *float64 `json:"theta"`
		Vega  *float64 `json:"vega"`
	} `json:"greeks"`
	LastQuote *struct {
		Bid *float64 `json:"bid"`
		Ask *float64 `json:"ask"`
		Bp  *float64 `json:"bp"`
		Ap  *float64 `json:"ap"`
	} `json:"last_quote"`
	UnderlyingAsset *struct {
		Price *float64 `json:"price"`
	} `json:"underlying_asset"`
}

func (r *jsonRecord) isChain() bool {
	return r.Strike != nil || r.StrikePrice != nil || r.Details != nil
}

// jsonProblem describes a JSON decoding error without quoting the input: the
// byte offset of a syntax error, the field of a type error.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %s: want a %s", te.Field, te.Type)
		}
		return fmt.Sprintf("want a %s", te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "unexpected end of file"
	}
	return "malformed JSON"
}

// readJSONArray decodes a top-level JSON array record by record.
func readJSONArray(r io.Reader, fn func(i int, rec *jsonRecord) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return errors.New("empty file")
		}
		return fmt.Errorf("not JSON: %s", jsonProblem(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errors.New("want a JSON array of records")
	}
	for i := 1; dec.More(); i++ {
		var rec jsonRecord
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("record %d: %s", i, jsonProblem(err))
		}
		if err := fn(i, &rec); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("unterminated array: %s", jsonProblem(err))
	}
	return nil
}

func parsePolygonJSON(r io.Reader, base, name string, opts ImportOptions) (*Parsed, []Reject, error) {
	zone, err := naiveZone(opts.Timezone)
	if err != nil {
		return nil, nil, err
	}
	tp := &tsParser{naive: zone, last: -1}
	var rejects []Reject
	rej := func(i int, format string, a ...any) {
		rejects = append(rejects, Reject{File: name, Line: i, Reason: fmt.Sprintf("record %d: ", i) + fmt.Sprintf(format, a...)})
	}
	// aggregates collects bar-shaped records; opt non-nil makes them option bars.
	agg := func(ticker, tf string, opt *Contract) (*Parsed, []Reject, error) {
		acc := &rowAcc{dateOnly: true}
		err := readJSONArray(r, func(i int, rec *jsonRecord) error {
			tsText := rec.Date
			if tsText == nil {
				tsText = rec.Timestamp
			}
			if tsText == nil {
				rej(i, "missing date/timestamp")
				return nil
			}
			ts, dateOnly, err := tp.parse(*tsText)
			if err != nil {
				rej(i, "%v", err)
				return nil
			}
			var v [5]float64
			for k, f := range [...]struct {
				name string
				p    *float64
			}{{"open", rec.Open}, {"high", rec.High}, {"low", rec.Low}, {"close", rec.Close}, {"volume", rec.Volume}} {
				if f.p == nil {
					rej(i, "missing %s", f.name)
					return nil
				}
				v[k] = *f.p
			}
			vw := math.NaN()
			if rec.VWAP != nil {
				vw = *rec.VWAP
			}
			if msg := checkOHLCV(v[0], v[1], v[2], v[3], v[4], vw); msg != "" {
				rej(i, "%s", msg)
				return nil
			}
			acc.dateOnly = acc.dateOnly && dateOnly
			sym := ""
			if opt != nil {
				sym = opt.Symbol
			}
			acc.add(i, ts, v[0], v[1], v[2], v[3], v[4], vw, sym, opt != nil)
			return nil
		})
		if err != nil {
			return nil, rejects, err
		}
		p := &Parsed{}
		if opt != nil {
			ob, rr := finishOptions(acc, opt.Underlying, name)
			rejects = append(rejects, rr...)
			if ob.Len() > 0 {
				p.Options = append(p.Options, ob)
			}
			return p, relabel(rejects), nil
		}
		if len(acc.ts) == 0 {
			return p, rejects, nil
		}
		b, rr, err := finishBars(acc, ticker, name, tf)
		if err != nil {
			return nil, rejects, err
		}
		rejects = append(rejects, rr...)
		if b.Len() > 0 {
			p.Bars = append(p.Bars, b)
		}
		return p, relabel(rejects), nil
	}

	if m := reAggFile.FindStringSubmatch(base); m != nil {
		tf := map[string]string{"minute": TF1m, "hour": TF1h, "day": TF1d}[m[2]]
		if opts.Timeframe != "" {
			tf = opts.Timeframe
		}
		return agg(m[1], tf, nil)
	}
	if m := reOptFile.FindStringSubmatch(base); m != nil {
		c, err := ParseOCC(m[1])
		if err != nil {
			return nil, nil, err
		}
		return agg(c.Underlying, TF1m, &c)
	}
	// Anything else: chain snapshot arrays ({U}_{date}.json) or generic aggregate arrays
	// whose ticker comes from the options or the name. Sniff the first record.
	var ticker, date string
	if m := reChainFile.FindStringSubmatch(base); m != nil {
		ticker, date = m[1], m[2]
	}
	if t := strings.ToUpper(strings.TrimSpace(opts.Ticker)); t != "" {
		ticker = t
	}
	if ticker == "" {
		ticker = tickerFromName(base)
	}
	if !validTicker(ticker) {
		return nil, nil, fmt.Errorf("cannot tell the ticker of %s: name it {TICKER}_{YYYY-MM-DD}.json or pass ticker", base)
	}
	return parseChainOrAgg(r, ticker, date, name, opts, tp)
}

// relabel keeps JSON rejects' Line as the record number (already set); it exists so the
// "record N:" prefix is not doubled when finishBars reports "line N".
func relabel(rs []Reject) []Reject {
	for k := range rs {
		rs[k].Reason = strings.Replace(rs[k].Reason, "(first at line", "(first at record", 1)
	}
	return rs
}

// parseChainOrAgg reads a JSON array that is either chain snapshot rows or aggregates.
func parseChainOrAgg(r io.Reader, ticker, date, name string, opts ImportOptions, tp *tsParser) (*Parsed, []Reject, error) {
	var rejects []Reject
	chain := &Chain{Underlying: ticker}
	acc := &rowAcc{dateOnly: true}
	kind := ""
	var defSnap int64
	if date != "" {
		if s, ok := SessionOn(date); ok {
			defSnap = s.Close
		} else if ms, err := ETMillis(date, 16, 0); err == nil {
			defSnap = ms
		}
	}
	err := readJSONArray(r, func(i int, rec *jsonRecord) error {
		k := "agg"
		if rec.isChain() {
			k = "chain"
		}
		if kind == "" {
			kind = k
		}
		if k != kind {
			rejects = append(rejects, Reject{File: name, Line: i, Reason: fmt.Sprintf("record %d: mixes %s and %s records", i, kind, k)})
			return nil
		}
		if kind == "chain" {
			row, err := chainRowFrom(rec, date, defSnap, tp)
			if err != nil {
				rejects = append(rejects, Reject{File: name, Line: i, Reason: fmt.Sprintf("record %d: %v", i, err)})
				return nil
			}
			chain.Append(row)
			return nil
		}
		tsText := rec.Date
		if tsText == nil {
			tsText = rec.Timestamp
		}
		if tsText == nil || rec.Open == nil || rec.High == nil || rec.Low == nil || rec.Close == nil || rec.Volume == nil {
			rejects = append(rejects, Reject{File: name, Line: i, Reason: fmt.Sprintf("record %d: need date|timestamp, open, high, low, close, volume", i)})
			return nil
		}
		ts, dateOnly, err := tp.parse(*tsText)
		if err != nil {
			rejects = append(rejects, Reject{File: name, Line: i, Reason: fmt.Sprintf("record %d: %v", i, err)})
			return nil
		}
		vw := math.NaN()
		if rec.VWAP != nil {
			vw = *rec.VWAP
		}
		if msg := checkOHLCV(*rec.Open, *rec.High, *rec.Low, *rec.Close, *rec.Volume, vw); msg != "" {
			rejects = append(rejects, Reject{File: name, Line: i, Reason: fmt.Sprintf("record %d: %s", i, msg)})
			return nil
		}
		acc.dateOnly = acc.dateOnly && dateOnly
		acc.add(i, ts, *rec.Open, *rec.High, *rec.Low, *rec.Close, *rec.Volume, vw, "", false)
		return nil
	})
	if err != nil {
		return nil, rejects, err
	}
	p := &Parsed{}
	if chain.Len() > 0 {
		sortChain(chain)
		p.Chains = append(p.Chains, chain)
	}
	if len(acc.ts) > 0 {
		b, rr, err := finishBars(acc, ticker, name, opts.Timeframe)
		if err != nil {
			return nil, rejects, err
		}
		rejects = append(rejects, relabel(rr)...)
		p.Bars = append(p.Bars, b)
	}
	return p, rejects, nil
}

func fptr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// chainRowFrom maps a flat or Polygon-nested snapshot record to a ChainRow. expiry and
// snapshot time default to the file's date and that session's close.
func chainRowFrom(rec *jsonRecord, date string, defSnap int64, tp *tsParser) (ChainRow, error) {
	strike, ctype, exp := rec.Strike, rec.ContractType, rec.Expiry
	if strike == nil {
		strike = rec.StrikePrice
	}
	if exp == "" {
		exp = rec.ExpirationDate
	}
	oi := rec.OpenInterest
	if d := rec.Details; d != nil {
		if strike == nil {
			strike = d.StrikePrice
		}
		if ctype == "" {
			ctype = d.ContractType
		}
		if exp == "" {
			exp = d.ExpirationDate
		}
		if oi == nil {
			oi = d.OpenInterest
		}
	}
	if exp == "" {
		exp = date
	}
	if strike == nil || *strike <= 0 || math.IsInf(*strike, 0) {
		return ChainRow{}, errors.New("missing or bad strike")
	}
	var typ byte
	switch strings.ToLower(ctype) {
	case "call", "c":
		typ = 'C'
	case "put", "p":
		typ = 'P'
	default:
		return ChainRow{}, errors.New("contract_type: not call or put")
	}
	if _, err := ParseDate(exp); err != nil {
		return ChainRow{}, errors.New("expiry: not a date (want YYYY-MM-DD)")
	}
	row := ChainRow{SnapTS: defSnap, Expiry: exp, Type: typ, Strike: *strike,
		Bid: fptr(rec.Bid), Ask: fptr(rec.Ask), IV: fptr(rec.IV), Delta: fptr(rec.Delta), Gamma: fptr(rec.Gamma),
		Theta: fptr(rec.Theta), Vega: fptr(rec.Vega), UnderlyingPrice: fptr(rec.UnderlyingPrice)}
	if g := rec.Greeks; g != nil {
		row.Delta, row.Gamma, row.Theta, row.Vega = fptr(g.Delta), fptr(g.Gamma), fptr(g.Theta), fptr(g.Vega)
	}
	if q := rec.LastQuote; q != nil {
		if q.Bid == nil {
			q.Bid = q.Bp
		}
		if q.Ask == nil {
			q.Ask = q.Ap
		}
		row.Bid, row.Ask = fptr(q.Bid), fptr(q.Ask)
	}
	if u := rec.UnderlyingAsset; u != nil && u.Price != nil {
		row.UnderlyingPrice = *u.Price
	}
	if oi != nil {
		row.OpenInterest = *oi
	}
	if rec.SnapshotTS != nil {
		ts, _, err := tp.parse(*rec.SnapshotTS)
		if err != nil {
			return ChainRow{}, fmt.Errorf("snapshot_ts: %v", err)
		}
		row.SnapTS = ts
	}
	if row.SnapTS == 0 {
		return ChainRow{}, errors.New("no snapshot time: add snapshot_ts or name the file {TICKER}_{YYYY-MM-DD}.json")
	}
	return row, nil
}

// sortChain orders rows by (snapshot, expiry, type, strike).
func sortChain(c *Chain) {
	ord := sortedOrder(c.Len(), func(i, j int) bool {
		if c.SnapTS[i] != c.SnapTS[j] {
			return c.SnapTS[i] < c.SnapTS[j]
		}
		if c.Expiry[i] != c.Expiry[j] {
			return c.Expiry[i] < c.Expiry[j]
		}
		if c.Type[i] != c.Type[j] {
			return c.Type[i] < c.Type[j]
		}
		return c.Strike[i] < c.Strike[j]
	})
	out := &Chain{Underlying: c.Underlying, Source: c.Source}
	for _, i := range ord {
		out.Append(c.Row(i))
	}
	*c = *out
}
