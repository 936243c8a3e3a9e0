package market

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakePolygon serves paginated aggregates and snapshots, failing on demand.
type fakePolygon struct {
	calls    atomic.Int32
	failures map[string]int // path+query prefix → remaining 5xx/429 answers
	status   int            // status of the injected failures
}

func (f *fakePolygon) handler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer k3y" || strings.Contains(r.URL.RawQuery, "k3y") {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"status":"ERROR","error":"bad key"}`)
			return
		}
		for prefix, n := range f.failures {
			if n > 0 && strings.HasPrefix(r.URL.Path, prefix) {
				f.failures[prefix] = n - 1
				if f.status == http.StatusTooManyRequests {
					w.Header().Set("Retry-After", "2")
				}
				w.WriteHeader(f.status)
				fmt.Fprint(w, `{"status":"ERROR","error":"try later"}`)
				return
			}
		}
		base := "http://" + r.Host
		switch {
		case strings.HasPrefix(r.URL.Path, "/v2/aggs/ticker/SPY/range/1/hour/"):
			if r.URL.Query().Get("cursor") == "" {
				// 2024-07-01 08:00 and 09:00 UTC, then a page with 10:00 UTC.
				fmt.Fprintf(w, `{"status":"OK","results":[{"t":1719820800000,"o":544.85,"h":545.48,"l":544.45,"c":544.63,"v":42429,"vw":544.9},{"t":1719824400000,"o":544.6,"h":544.9,"l":544.5,"c":544.7,"v":1000}],"next_url":"%s/v2/aggs/ticker/SPY/range/1/hour/2024-07-01/2024-07-01?cursor=p2"}`, base)
				return
			}
			fmt.Fprint(w, `{"status":"OK","results":[{"t":1719828000000,"o":544.7,"h":545,"l":544.6,"c":544.9,"v":900,"vw":544.8}]}`)
		case strings.HasPrefix(r.URL.Path, "/v2/aggs/ticker/O:SPY240701C00545000/"):
			fmt.Fprint(w, `{"status":"OK","results":[{"t":1719840600000,"o":1.4,"h":1.4,"l":1.21,"c":1.37,"v":1699,"vw":1.2797}]}`)
		case strings.HasPrefix(r.URL.Path, "/v2/aggs/ticker/BAD/"):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"ERROR","error":"invalid ticker"}`)
		case r.URL.Path == "/v3/snapshot/options/SPY":
			if r.URL.Query().Get("cursor") == "" {
				fmt.Fprintf(w, `{"status":"OK","results":[{"details":{"strike_price":545,"contract_type":"call","expiration_date":"2024-07-01"},"greeks":{"delta":0.52,"gamma":0.2,"theta":-0.9,"vega":0.03},"implied_volatility":0.11,"last_quote":{"bid":1.3,"ask":1.35},"open_interest":1200,"underlying_asset":{"price":545.1}}],"next_url":"%s/v3/snapshot/options/SPY?cursor=abc"}`, base)
				return
			}
			fmt.Fprint(w, `{"status":"OK","results":[{"details":{"strike_price":544,"contract_type":"put","expiration_date":"2024-07-01"},"greeks":{"delta":-0.4},"last_quote":{"bid":0.9,"ask":0.95},"open_interest":800},{"details":{"contract_type":"put"}}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

func newFake(t *testing.T) (*fakePolygon, *PolygonClient, *[]time.Duration) {
	f := &fakePolygon{failures: map[string]int{}, status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(f.handler(t))
	t.Cleanup(srv.Close)
	var waits []time.Duration
	c := NewPolygonClient("k3y")
	c.BaseURL = srv.URL
	c.HTTP = srv.Client()
	c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	c.Now = func() time.Time { return time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC) }
	return f, c, &waits
}

func TestPolygonPaginationAndRetries(t *testing.T) {
	ctx := context.Background()
	f, c, waits := newFake(t)
	f.failures["/v2/aggs/ticker/SPY"] = 2 // two 503s before the first page
	b, err := c.Bars(ctx, "SPY", TF1h, "2024-07-01", "2024-07-01")
	if err != nil || b.Len() != 3 || b.Source != SourcePolygon {
		t.Fatalf("bars: %v %+v", err, b)
	}
	if HourET(b.TS[0]) != 4 || b.VWAP[0] != 544.9 || b.VWAP[1] == b.VWAP[1] {
		t.Fatal("values or missing vwap")
	}
	if len(*waits) != 2 || (*waits)[0] != time.Second || (*waits)[1] != 2*time.Second {
		t.Fatalf("backoff %v", *waits)
	}
	// 429 honours Retry-After (2 s here) when it exceeds the backoff.
	f.status = http.StatusTooManyRequests
	f.failures["/v2/aggs/ticker/O:SPY"] = 1
	*waits = nil
	ob, err := c.OptionBars(ctx, "O:SPY240701C00545000", "2024-07-01", "2024-07-01")
	if err != nil || ob.Len() != 1 || ob.Strike[0] != 545 || len(*waits) != 1 || (*waits)[0] != 2*time.Second {
		t.Fatalf("option bars: %v waits %v", err, *waits)
	}
	// Persistent failure gives up after MaxAttempts.
	f.status = http.StatusBadGateway
	f.failures["/v2/aggs/ticker/SPY"] = 100
	c.MaxAttempts = 3
	_, err = c.Bars(ctx, "SPY", TF1h, "2024-07-01", "2024-07-01")
	var pe *PolygonError
	if !errors.As(err, &pe) || pe.Status != http.StatusBadGateway || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("persistent failure: %v", err)
	}
	// A 4xx is not retried.
	before := f.calls.Load()
	_, err = c.Bars(ctx, "BAD", TF1h, "2024-07-01", "2024-07-01")
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Message != "invalid ticker" || f.calls.Load() != before+1 {
		t.Fatalf("4xx: %v", err)
	}
	// A wrong key is an error naming the status.
	c.APIKey = "nope"
	if _, err := c.Bars(ctx, "SPY", TF1d, "2024-07-01", "2024-07-01"); !errors.As(err, &pe) || pe.Status != 401 {
		t.Fatalf("auth: %v", err)
	}
	if NewPolygonClient("  ") != nil {
		t.Fatal("no key, no client")
	}
}

func TestPolygonChainSnapshot(t *testing.T) {
	_, c, _ := newFake(t)
	ch, skipped, err := c.ChainSnapshot(context.Background(), "SPY", "2024-07-01")
	if err != nil || ch.Len() != 2 || skipped != 1 {
		t.Fatalf("%v %d %d", err, ch.Len(), skipped)
	}
	if ch.Type[0] != 'C' || ch.Strike[0] != 545 || ch.Bid[0] != 1.3 || ch.IV[0] != 0.11 || ch.OpenInterest[0] != 1200 || ch.UnderlyingPrice[0] != 545.1 {
		t.Fatalf("row 0 %+v", ch.Row(0))
	}
	if ch.Type[1] != 'P' || ch.Delta[1] != -0.4 || ch.SnapTS[1] != c.Now().UnixMilli() {
		t.Fatalf("row 1 %+v", ch.Row(1))
	}
}

func TestPolygonDiskCache(t *testing.T) {
	ctx := context.Background()
	f, c, _ := newFake(t)
	c.CacheDir = t.TempDir()
	b1, err := c.Bars(ctx, "SPY", TF1h, "2024-07-01", "2024-07-01")
	if err != nil {
		t.Fatal(err)
	}
	calls := f.calls.Load()
	b2, err := c.Bars(ctx, "SPY", TF1h, "2024-07-01", "2024-07-01")
	if err != nil || f.calls.Load() != calls || b2.Len() != b1.Len() || b2.Close[2] != b1.Close[2] || b2.VWAP[1] == b2.VWAP[1] {
		t.Fatalf("cache miss or mismatch: %v", err)
	}
	// The cache file is in the importable Polygon cache format.
	name := "SPY_hour_2024-07-01_2024-07-01.json"
	data, err := os.ReadFile(filepath.Join(c.CacheDir, name))
	if err != nil || !strings.HasPrefix(string(data), `[{"date": "2024-07-01 08:00:00+00:00", "open": 544.85`) {
		t.Fatalf("cache format: %s", data)
	}
	p, rej, err := parsePolygonJSON(strings.NewReader(string(data)), name, name, ImportOptions{})
	if err != nil || len(rej) > 0 || p.Bars[0].Len() != 3 {
		t.Fatalf("cache file not importable: %v %v", err, rej)
	}
	if _, err := c.OptionBars(ctx, "O:SPY240701C00545000", "2024-07-01", "2024-07-01"); err != nil {
		t.Fatal(err)
	}
	od, _ := os.ReadFile(filepath.Join(c.CacheDir, "O_SPY240701C00545000_2024-07-01.json"))
	if !strings.Contains(string(od), `"timestamp": "2024-07-01 09:30:00-04:00"`) {
		t.Fatalf("option cache format: %s", od)
	}
	// A range reaching today is never cached.
	c.Now = func() time.Time { return time.Date(2024, 7, 1, 18, 0, 0, 0, time.UTC) }
	c.CacheDir = t.TempDir()
	if _, err := c.Bars(ctx, "SPY", TF1h, "2024-07-01", "2024-07-01"); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(c.CacheDir); len(ents) != 0 {
		t.Fatal("today's data was cached")
	}
}
