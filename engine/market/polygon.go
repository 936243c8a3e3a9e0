package market

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sigmalab/engine/errs"
)

// PolygonBaseURL is Polygon's REST endpoint; tests point the client at a local server.
const PolygonBaseURL = "https://api.polygon.io"

// PolygonClient is the optional real-data provider, used only when an API key is
// configured (env POLYGON_API_KEY). It follows next_url pagination, retries 429/5xx and
// network errors with exponential backoff (honouring Retry-After), and can keep a disk
// cache in the predecessor's cache-file formats, which the importer also reads.
type PolygonClient struct {
	BaseURL     string
	APIKey      string // sent as a Bearer token, never in URLs (so never in logs)
	HTTP        *http.Client
	MaxAttempts int           // per request (default 4)
	Backoff     time.Duration // first retry delay, doubled each time (default 1s)
	MaxPages    int           // pagination guard (default 1000)
	// CacheDir, when set, stores fetched aggregates as {TICKER}_{span}_{from}_{to}.json and
	// O_{contract}_{from}.json, and serves later identical requests from there. Ranges that
	// reach Today are never cached (the data is still moving).
	CacheDir string
	// Sleep waits between retries (injectable so tests do not wait); nil sleeps on a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for snapshot times and "today" (nil: wall clock).
	Now func() time.Time
}

// NewPolygonClient returns a client with the defaults, or nil when apiKey is empty.
func NewPolygonClient(apiKey string) *PolygonClient {
	if strings.TrimSpace(apiKey) == "" {
		return nil
	}
	return &PolygonClient{BaseURL: PolygonBaseURL, APIKey: apiKey}
}

func (c *PolygonClient) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *PolygonClient) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PolygonError is a non-retryable (or finally failed) API answer.
type PolygonError struct {
	Status  int
	Message string
}

func (e *PolygonError) Error() string {
	return fmt.Sprintf("polygon: HTTP %d: %s", e.Status, e.Message)
}

// get fetches one URL with retries and returns the body.
func (c *PolygonClient) get(ctx context.Context, u string) ([]byte, error) {
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 4
	}
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	var last error
	for k := 0; k < attempts; k++ {
		if k > 0 {
			if err := c.sleep(ctx, backoff); err != nil {
				return nil, err
			}
			backoff *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			last = fmt.Errorf("polygon: %v", err)
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		resp.Body.Close()
		switch {
		case err != nil:
			last = fmt.Errorf("polygon: reading body: %v", err)
			continue
		case resp.StatusCode == http.StatusOK:
			return body, nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = &PolygonError{resp.StatusCode, apiMessage(body)}
			if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra > 0 {
				backoff = max(backoff, time.Duration(ra)*time.Second)
			}
			continue
		default:
			return nil, &PolygonError{resp.StatusCode, apiMessage(body)}
		}
	}
	return nil, fmt.Errorf("after %d attempts: %w", attempts, last)
}

func apiMessage(body []byte) string {
	var m struct{ Error, Message, Status string }
	if json.Unmarshal(body, &m) == nil {
		for _, s := range []string{m.Error, m.Message, m.Status} {
			if s != "" {
				return s
			}
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// pages follows next_url from first, calling fn with each page body.
func (c *PolygonClient) pages(ctx context.Context, first string, fn func([]byte) (next string, err error)) error {
	limit := c.MaxPages
	if limit <= 0 {
		limit = 1000
	}
	u := first
	for page := 0; u != ""; page++ {
		if page == limit {
			return fmt.Errorf("polygon: more than %d pages", limit)
		}
		body, err := c.get(ctx, u)
		if err != nil {
			return err
		}
		next, err := fn(body)
		if err != nil {
			return err
		}
		u = next
	}
	return nil
}

func (c *PolygonClient) base() string {
	if c.BaseURL == "" {
		return PolygonBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

type aggPage struct {
	Results []struct {
		T  int64    `json:"t"`
		O  float64  `json:"o"`
		H  float64  `json:"h"`
		L  float64  `json:"l"`
		C  float64  `json:"c"`
		V  float64  `json:"v"`
		VW *float64 `json:"vw"`
	} `json:"results"`
	NextURL string `json:"next_url"`
	Status  string `json:"status"`
}

// aggRow is one aggregate in time order.
type aggRow struct {
	ts                 int64
	o, h, l, c, v, vwp float64
}

// aggregates fetches /v2/aggs for ticker ("SPY" or "O:…") over [from, to] (dates).
func (c *PolygonClient) aggregates(ctx context.Context, ticker string, mult int, span, from, to string) ([]aggRow, error) {
	u := fmt.Sprintf("%s/v2/aggs/ticker/%s/range/%d/%s/%s/%s?adjusted=false&sort=asc&limit=50000",
		c.base(), url.PathEscape(ticker), mult, span, from, to)
	var rows []aggRow
	err := c.pages(ctx, u, func(body []byte) (string, error) {
		var p aggPage
		if err := json.Unmarshal(body, &p); err != nil {
			return "", fmt.Errorf("polygon aggregates: bad JSON: %v", err)
		}
		for _, r := range p.Results {
			vw := math.NaN()
			if r.VW != nil {
				vw = *r.VW
			}
			rows = append(rows, aggRow{r.T, r.O, r.H, r.L, r.C, r.V, vw})
		}
		return p.NextURL, nil
	})
	return rows, err
}

var tfSpans = map[string]struct {
	mult int
	span string
}{TF1m: {1, "minute"}, TF5m: {5, "minute"}, TF1h: {1, "hour"}, TF1d: {1, "day"}}

// Bars fetches underlying aggregates of timeframe tf for sessions from..to (YYYY-MM-DD).
// Rows failing the bar checks are dropped (Polygon occasionally sends empty bars).
func (c *PolygonClient) Bars(ctx context.Context, ticker, tf, from, to string) (*Bars, error) {
	sp, ok := tfSpans[tf]
	if !ok {
		return nil, errs.Invalidf("bad timeframe %q", tf)
	}
	if !validTicker(ticker) {
		return nil, errs.Invalidf("bad ticker %q", ticker)
	}
	cacheName := fmt.Sprintf("%s_%s_%s_%s.json", ticker, sp.span, from, to)
	if sp.mult != 1 {
		cacheName = fmt.Sprintf("%s_%d%s_%s_%s.json", ticker, sp.mult, sp.span, from, to)
	}
	rows, err := c.cachedAggregates(ctx, ticker, sp.mult, sp.span, from, to, cacheName, time.UTC, "date")
	if err != nil {
		return nil, err
	}
	b := NewBars(ticker, tf, SourcePolygon, len(rows))
	for _, r := range rows {
		if tf == TF1d { // stored at ET midnight of the session, whatever the stamp
			r.ts, _ = ETMillis(SessionDate(r.ts+6*3_600_000), 0, 0)
		}
		if checkOHLCV(r.o, r.h, r.l, r.c, r.v, r.vwp) != "" || (b.Len() > 0 && r.ts <= b.TS[b.Len()-1]) {
			continue
		}
		b.Append(r.ts, r.o, r.h, r.l, r.c, r.v, r.vwp)
	}
	return b, nil
}

// OptionBars fetches the minute bars of one OCC contract for sessions from..to.
func (c *PolygonClient) OptionBars(ctx context.Context, symbol, from, to string) (*OptionBars, error) {
	ct, err := ParseOCC(symbol)
	if err != nil {
		return nil, errs.Invalidf("%v", err)
	}
	cacheName := fmt.Sprintf("O_%s_%s.json", strings.TrimPrefix(ct.Symbol, "O:"), from)
	if from != to {
		cacheName = fmt.Sprintf("O_%s_%s_%s.json", strings.TrimPrefix(ct.Symbol, "O:"), from, to)
	}
	rows, err := c.cachedAggregates(ctx, ct.Symbol, 1, "minute", from, to, cacheName, ET(), "timestamp")
	if err != nil {
		return nil, err
	}
	out := &OptionBars{Underlying: ct.Underlying, Source: SourcePolygon}
	for _, r := range rows {
		if checkOHLCV(r.o, r.h, r.l, r.c, r.v, r.vwp) != "" || (out.Len() > 0 && r.ts <= out.TS[out.Len()-1]) {
			continue
		}
		out.Append(ct, r.ts, r.o, r.h, r.l, r.c, r.v, r.vwp)
	}
	return out, nil
}

// cachedAggregates serves from CacheDir when possible, else fetches and caches.
func (c *PolygonClient) cachedAggregates(ctx context.Context, ticker string, mult int, span, from, to, name string, zone *time.Location, timeKey string) ([]aggRow, error) {
	path := ""
	today := c.now().In(ET()).Format(DateLayout)
	if c.CacheDir != "" && to < today {
		path = filepath.Join(c.CacheDir, name)
		if rows, ok := readAggCache(path); ok {
			return rows, nil
		}
	}
	rows, err := c.aggregates(ctx, ticker, mult, span, from, to)
	if err != nil {
		return nil, err
	}
	if path != "" && len(rows) > 0 {
		if err := writeAggCache(path, rows, zone, timeKey); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// readAggCache reads a cache file written by writeAggCache (or the predecessor); an
// unreadable or empty file is treated as a miss, as the predecessor did.
func readAggCache(path string) ([]aggRow, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	tp := &tsParser{naive: time.UTC, last: -1}
	var rows []aggRow
	err = readJSONArray(f, func(_ int, r *jsonRecord) error {
		tsText := r.Date
		if tsText == nil {
			tsText = r.Timestamp
		}
		if tsText == nil || r.Open == nil || r.High == nil || r.Low == nil || r.Close == nil || r.Volume == nil {
			return errors.New("incomplete record")
		}
		ts, _, err := tp.parse(*tsText)
		if err != nil {
			return err
		}
		rows = append(rows, aggRow{ts, *r.Open, *r.High, *r.Low, *r.Close, *r.Volume, fptr(r.VWAP)})
		return nil
	})
	if err != nil || len(rows) == 0 {
		return nil, false
	}
	return rows, true
}

// writeAggCache writes rows as the predecessor's cache JSON: a "date" in UTC for
// underlying bars, a "timestamp" with the ET offset for option bars.
func writeAggCache(path string, rows []aggRow, zone *time.Location, timeKey string) error {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, r := range rows {
		if i > 0 {
			buf.WriteString(", ")
		}
		ts := time.UnixMilli(r.ts).In(zone).Format("2006-01-02 15:04:05-07:00")
		fmt.Fprintf(&buf, `{"%s": %q, "open": %s, "high": %s, "low": %s, "close": %s, "volume": %s`, timeKey, ts,
			jnum(r.o), jnum(r.h), jnum(r.l), jnum(r.c), jnum(r.v))
		if !math.IsNaN(r.vwp) {
			fmt.Fprintf(&buf, `, "vwap": %s`, jnum(r.vwp))
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func jnum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

type snapPage struct {
	Results []json.RawMessage `json:"results"`
	NextURL string            `json:"next_url"`
}

// ChainSnapshot fetches the live chain of underlying for one expiry (all pages). Rows
// are stamped with the client's clock; unparseable rows are skipped and counted.
func (c *PolygonClient) ChainSnapshot(ctx context.Context, underlying, expiry string) (*Chain, int, error) {
	if !validTicker(underlying) {
		return nil, 0, errs.Invalidf("bad ticker %q", underlying)
	}
	if _, err := ParseDate(expiry); err != nil {
		return nil, 0, errs.Invalidf("%v", err)
	}
	u := fmt.Sprintf("%s/v3/snapshot/options/%s?expiration_date=%s&limit=250", c.base(), url.PathEscape(underlying), expiry)
	now := c.now().UnixMilli()
	tp := &tsParser{naive: time.UTC, last: -1}
	chain := &Chain{Underlying: underlying, Source: SourcePolygon}
	skipped := 0
	err := c.pages(ctx, u, func(body []byte) (string, error) {
		var p snapPage
		if err := json.Unmarshal(body, &p); err != nil {
			return "", fmt.Errorf("polygon snapshot: bad JSON: %v", err)
		}
		for _, raw := range p.Results {
			var rec jsonRecord
			if json.Unmarshal(raw, &rec) != nil {
				skipped++
				continue
			}
			row, err := chainRowFrom(&rec, expiry, now, tp)
			if err != nil {
				skipped++
				continue
			}
			chain.Append(row)
		}
		return p.NextURL, nil
	})
	if err != nil {
		return nil, skipped, err
	}
	sortChain(chain)
	return chain, skipped, nil
}

// FetchBars fetches bars and stores them, removing the ticker's demo data first.
func (c *PolygonClient) FetchBars(ctx context.Context, st Store, ticker, tf, from, to string) (WriteStats, error) {
	b, err := c.Bars(ctx, ticker, tf, from, to)
	if err != nil || b.Len() == 0 {
		return WriteStats{}, err
	}
	if _, err := st.DeleteSource(ctx, ticker, SourceDemo); err != nil {
		return WriteStats{}, err
	}
	return st.WriteBars(ctx, b)
}

// FetchOptionBars fetches one contract's minute bars and stores them.
func (c *PolygonClient) FetchOptionBars(ctx context.Context, st Store, symbol, from, to string) (WriteStats, error) {
	ob, err := c.OptionBars(ctx, symbol, from, to)
	if err != nil || ob.Len() == 0 {
		return WriteStats{}, err
	}
	if _, err := st.DeleteSource(ctx, ob.Underlying, SourceDemo); err != nil {
		return WriteStats{}, err
	}
	return st.WriteOptionBars(ctx, ob)
}

// FetchChain fetches a chain snapshot and stores it.
func (c *PolygonClient) FetchChain(ctx context.Context, st Store, underlying, expiry string) (WriteStats, error) {
	ch, _, err := c.ChainSnapshot(ctx, underlying, expiry)
	if err != nil || ch.Len() == 0 {
		return WriteStats{}, err
	}
	if _, err := st.DeleteSource(ctx, underlying, SourceDemo); err != nil {
		return WriteStats{}, err
	}
	return st.WriteChain(ctx, ch)
}
