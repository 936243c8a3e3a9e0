package market

import (
	"math"
	"strings"
	"testing"
)

func parseCSVString(t testing.TB, name, data string, opts ImportOptions) (*Parsed, []Reject, error) {
	tr, err := newCSVTable(strings.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	return parseTable(tr, name, name, opts)
}

func TestCSVFlexibleHeadersAndZones(t *testing.T) {
	cases := []struct {
		name, data string
		opts       ImportOptions
		tf         string
		firstTS    int64
		rows       int
	}{
		{"SPY_1m.csv", "timestamp,open,high,low,close,volume,vwap\n" +
			"2024-07-01T13:30:00Z,1,2,0.5,1.5,10,1.2\n2024-07-01T13:31:00Z,1.5,2,1,1.8,5,\n", ImportOptions{}, TF1m, 1719840600000, 2},
		{"x.csv", " Date , Time ,O,H,L,C,V\n2024-07-01,09:30,1,2,0.5,1.5,10\n2024-07-01,09:35,1,2,0.5,1.5,10\n",
			ImportOptions{Ticker: "spy", Timezone: "ET"}, TF5m, 1719840600000, 2},
		{"aapl_daily.csv", "\ufeffDate,Open,High,Low,Close,Volume\n07/02/2024,1,2,0.5,1.5,10\n07/01/2024,1,2,0.5,1.5,10\n",
			ImportOptions{}, TF1d, 1719806400000, 2}, // ET midnight of 2024-07-01
		{"t.csv", "ticker,ts,open,high,low,close,volume\nMSFT,1719838800,1,2,0.5,1.5,10\nMSFT,1719842400000,1,2,0.5,1.5,10\n",
			ImportOptions{}, TF1h, 1719838800000, 2}, // epoch seconds and ms mixed
		{"n.csv", "datetime,open,high,low,close,volume\n2024-07-01 09:30:00,1,2,0.5,1.5,10\n2024-07-01 09:31:00,1,2,0.5,1.5,10\n",
			ImportOptions{Ticker: "IWM", Timezone: "America/New_York"}, TF1m, 1719840600000, 2},
	}
	for _, c := range cases {
		p, rej, err := parseCSVString(t, c.name, c.data, c.opts)
		if err != nil || len(rej) > 0 {
			t.Fatalf("%s: %v %v", c.name, err, rej)
		}
		b := p.Bars[0]
		if b.Timeframe != c.tf || b.TS[0] != c.firstTS || b.Len() != c.rows {
			t.Fatalf("%s: tf %s first %d rows %d", c.name, b.Timeframe, b.TS[0], b.Len())
		}
	}
	// Daily bars stamped at UTC midnight, ET midnight or the close all land on ET midnight.
	for _, ts := range []string{"2024-07-01T00:00:00Z", "2024-07-01T04:00:00Z", "2024-07-01T20:00:00Z", "2024-07-01 16:00:00-04:00"} {
		p, rej, err := parseCSVString(t, "D.csv", "ts,open,high,low,close,volume\n"+ts+",1,2,0.5,1.5,10\n", ImportOptions{Timeframe: TF1d})
		if err != nil || len(rej) > 0 || SessionDate(p.Bars[0].TS[0]) != "2024-07-01" || MinuteOfDayET(p.Bars[0].TS[0]) != 0 {
			t.Fatalf("daily %s: %v %v", ts, err, rej)
		}
	}
	p, _, _ := parseCSVString(t, "SPY_1m.csv", cases[0].data, ImportOptions{})
	if p.Bars[0].Ticker != "SPY" || !math.IsNaN(p.Bars[0].VWAP[1]) || p.Bars[0].VWAP[0] != 1.2 {
		t.Fatal("ticker from name / optional vwap")
	}
}

func TestCSVRejectsWithLines(t *testing.T) {
	data := "timestamp,open,high,low,close,volume\n" +
		"2024-07-01 09:30:00-04:00,1,2,0.5,1.5,10\n" + // line 2 ok
		"2024-07-01 09:31:00-04:00,1,0.9,0.5,1.5,10\n" + // 3: high < close
		"2024-07-01 09:32:00-04:00,1,2,0.5,1.5,-1\n" + // 4: negative volume
		"garbage,1,2,0.5,1.5,10\n" + // 5: time
		"2024-07-01 09:33:00-04:00,1,2,0.5,abc,10\n" + // 6: number
		"2024-07-01 09:30:00-04:00,1,2,0.5,1.5,10\n" + // 7: duplicate of line 2
		"2024-07-01 09:34:30-04:00,1,2,0.5,1.5,10\n" + // 8: off the minute grid
		"2024-07-01 09:35:00-04:00,1,2\n" + // 9: short row
		"2024-07-01 09:36:00-04:00,NaN,2,0.5,1.5,10\n" + // 10: not finite
		"2024-07-01 09:37:00-04:00,1,2,0.5,1.5,10\n" // 11 ok
	_, rej, err := parseCSVString(t, "SPY.csv", data, ImportOptions{Timeframe: TF1m})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{3: "inconsistent OHLC", 4: "volume must be >= 0", 5: "unparseable timestamp", 6: "close: not a number",
		7: "duplicate timestamp", 8: "not on a 1m boundary", 9: "row has 3 fields", 10: "not finite"}
	if len(rej) != len(want) {
		t.Fatalf("rejects %+v", rej)
	}
	for _, r := range rej {
		if !strings.Contains(r.Reason, want[r.Line]) || r.File != "SPY.csv" {
			t.Errorf("line %d: %q, want %q", r.Line, r.Reason, want[r.Line])
		}
	}
	for _, bad := range []struct{ data, msg string }{
		{"", "empty file"},
		{"a,b,c\n1,2,3\n", "no time column"},
		{"ts,open,high,low\n", "missing column(s) close, volume"},
		{"ts,open,high,low,close,volume\n2024-07-01T13:30:00Z,1,1,1,1,1\n", "cannot infer the timeframe"},
	} {
		_, _, err := parseCSVString(t, "SPY.csv", bad.data, ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%q: err %v, want %q", bad.data, err, bad.msg)
		}
	}
	if _, _, err := parseCSVString(t, "1.csv", "ts,open,high,low,close,volume\n", ImportOptions{}); err == nil || !strings.Contains(err.Error(), "no ticker") {
		t.Errorf("missing ticker: %v", err)
	}
}

func TestCSVOptionRows(t *testing.T) {
	data := "symbol,timestamp,open,high,low,close,volume,vwap\n" +
		"O:SPY240701C00545000,2024-07-01 09:30:00-04:00,1.4,1.4,1.21,1.37,1699,1.2797\n" +
		"O:SPY240701P00545000,2024-07-01 09:30:00-04:00,1.1,1.2,1.0,1.05,500,1.1\n"
	p, rej, err := parseCSVString(t, "opts.csv", data, ImportOptions{})
	if err != nil || len(rej) > 0 || len(p.Options) != 1 || p.Options[0].Len() != 2 || p.Options[0].Underlying != "SPY" {
		t.Fatalf("%+v %v %v", p, rej, err)
	}
	if p.Options[0].Type[0] != 'C' || p.Options[0].Strike[1] != 545 {
		t.Fatal("contract fields")
	}
}

func TestPolygonJSONRejects(t *testing.T) {
	data := `[{"date": "2024-07-01 08:00:00+00:00", "open": 1, "high": 2, "low": 0.5, "close": 1.5, "volume": 10},
	{"date": "2024-07-01 09:00:00+00:00", "open": 1, "high": 2, "low": 0.5, "close": 1.5},
	{"date": "2024-07-01 10:00:00+00:00", "open": 1, "high": 0.2, "low": 0.5, "close": 1.5, "volume": 10, "vwap": null}]`
	p, rej, err := parsePolygonJSON(strings.NewReader(data), "SPY_hour_2024-07-01_2024-07-01.json", "f.json", ImportOptions{})
	if err != nil || len(rej) != 2 || rej[0].Line != 2 || !strings.Contains(rej[0].Reason, "missing volume") || rej[1].Line != 3 {
		t.Fatalf("%v %+v", err, rej)
	}
	if p.Bars[0].Len() != 1 {
		t.Fatal("valid rows kept for partial mode")
	}
	if _, _, err := parsePolygonJSON(strings.NewReader(`{"a":1}`), "SPY_hour_2024-07-01_2024-07-01.json", "f.json", ImportOptions{}); err == nil {
		t.Fatal("object accepted")
	}
	chain := `[{"strike": 545, "contract_type": "call", "implied_volatility": 0.12, "delta": 0.5, "gamma": 0.1, "theta": -0.5, "vega": 0.05, "bid": 1.2, "ask": 1.3, "mid": 1.25, "open_interest": 1000},
	{"details": {"strike_price": 540, "contract_type": "put", "expiration_date": "2024-07-05"}, "greeks": {"delta": -0.3}, "last_quote": {"bid": 0.5, "ask": 0.6}, "open_interest": 10, "underlying_asset": {"price": 544}},
	{"strike": 545, "contract_type": "straddle"}]`
	p, rej, err = parsePolygonJSON(strings.NewReader(chain), "SPY_2024-07-01.json", "snapshot/SPY_2024-07-01.json", ImportOptions{})
	if err != nil || len(rej) != 1 || rej[0].Line != 3 || len(p.Chains) != 1 || p.Chains[0].Len() != 2 {
		t.Fatalf("chain: %v %+v", err, rej)
	}
	c := p.Chains[0]
	close1, _ := SessionOn("2024-07-01")
	if c.SnapTS[0] != close1.Close || c.Expiry[0] != "2024-07-01" || c.Expiry[1] != "2024-07-05" || c.Type[1] != 'P' || c.UnderlyingPrice[1] != 544 || c.Bid[1] != 0.5 {
		t.Fatalf("chain rows %+v / %+v", c.Row(0), c.Row(1))
	}
	p, rej, err = parsePolygonJSON(strings.NewReader(`[]`), "SPY_2023-01-03.json", "SPY_2023-01-03.json", ImportOptions{})
	if err != nil || len(rej) != 0 || p.Rows() != 0 {
		t.Fatal("empty snapshot arrays (as the predecessor cached them) import as nothing")
	}
}

// FuzzCSVImport: arbitrary bytes never panic, and every accepted series validates.
func FuzzCSVImport(f *testing.F) {
	f.Add("timestamp,open,high,low,close,volume\n2024-07-01T13:30:00Z,1,2,0.5,1.5,10\n2024-07-01T13:31:00Z,1,2,0.5,1.5,10\n", "")
	f.Add("Date,Time,O,H,L,C,V\n2024-07-01,09:30,1,2,0.5,1.5,10\n", "ET")
	f.Add("symbol,ts,open,high,low,close,volume\nO:SPY240701C00545000,1719840600000,1,1,1,1,1\n", "UTC")
	f.Add("ts,open\n\"unterminated,1\n", "")
	f.Fuzz(func(t *testing.T, data, zone string) {
		p, _, err := parseCSVString(t, "FUZZ.csv", data, ImportOptions{Timezone: zone})
		if err != nil {
			return
		}
		for _, b := range p.Bars {
			if err := b.Validate(); err != nil {
				t.Fatalf("accepted invalid bars: %v", err)
			}
			if !ValidTimeframe(b.Timeframe) || !validTicker(b.Ticker) {
				t.Fatalf("bad series key %q %q", b.Ticker, b.Timeframe)
			}
		}
		for _, o := range p.Options {
			for i := range o.TS {
				if msg := checkOHLCV(o.Open[i], o.High[i], o.Low[i], o.Close[i], o.Volume[i], o.VWAP[i]); msg != "" {
					t.Fatalf("accepted invalid option bar: %s", msg)
				}
			}
		}
	})
}

// FuzzPolygonJSON: arbitrary JSON never panics and accepted rows validate.
func FuzzPolygonJSON(f *testing.F) {
	f.Add(`[{"date": "2024-07-01 08:00:00+00:00", "open": 1, "high": 2, "low": 0.5, "close": 1.5, "volume": 10}]`, "SPY_hour_2024-07-01_2024-07-01.json")
	f.Add(`[{"timestamp": "2024-07-01 09:30:00-04:00", "open": 1.4, "high": 1.4, "low": 1.21, "close": 1.37, "volume": 1699, "vwap": 1.2797}]`, "O_SPY240701C00545000_2024-07-01.json")
	f.Add(`[{"strike": 545, "contract_type": "call", "bid": 1, "ask": 1.1}]`, "SPY_2024-07-01.json")
	f.Add(`[{"details": {"strike_price": 1e308}}, 1, "x", null]`, "SPY_2024-07-01.json")
	f.Fuzz(func(t *testing.T, data, name string) {
		p, _, err := parsePolygonJSON(strings.NewReader(data), name, name, ImportOptions{})
		if err != nil || p == nil {
			return
		}
		for _, b := range p.Bars {
			if err := b.Validate(); err != nil {
				t.Fatalf("accepted invalid bars: %v", err)
			}
		}
		for _, c := range p.Chains {
			for i := 0; i < c.Len(); i++ {
				if c.Type[i] != 'C' && c.Type[i] != 'P' || !(c.Strike[i] > 0) {
					t.Fatalf("accepted bad chain row %+v", c.Row(i))
				}
			}
		}
	})
}
